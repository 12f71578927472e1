"""What a new lab cluster's real API server gets before the lab's controllers start: OpenShift's CRDs (from the
openshift/api module, copied by build.sh) and the RBAC a cluster has (OpenShift's image roles, the lab's users)."""

from __future__ import annotations

import glob
import os
import time

import yaml

from ..kube import ApiError
from .remote import Client

READ = ["get", "list", "watch"]
READ_WRITE = READ + ["create", "delete", "deletecollection", "patch", "update"]
IMAGE_GROUPS = ["image.openshift.io", ""]  # OpenShift's roles name the legacy (core) group too


def _rule(verbs, groups, resources):
    return {"verbs": list(verbs), "apiGroups": list(groups), "resources": list(resources)}


def _registry_role(verbs, extra, project_verbs):
    """registry-editor and registry-admin: the same image rules; admin adds roles, bindings and reviews."""
    images = [_rule(verbs, [""], ["serviceaccounts", "secrets"]),
              _rule(verbs, IMAGE_GROUPS, ["imagestreamimages", "imagestreammappings", "imagestreams",
                                          "imagestreams/secrets", "imagestreamtags"]),
              _rule(["create"], IMAGE_GROUPS, ["imagestreamimports"]),
              _rule(["get", "update"], IMAGE_GROUPS, ["imagestreams/layers"])]
    return images + extra + [_rule(["get"], [""], ["namespaces"]),
                             _rule(project_verbs, ["project.openshift.io", ""], ["projects"])]


# OpenShift's bootstrap cluster roles for image access (openshift-apiserver's bootstrap policy), as a cluster has them
OPENSHIFT_ROLES = {
    "system:image-puller": [_rule(["get"], IMAGE_GROUPS, ["imagestreams/layers"])],
    "system:image-pusher": [_rule(["get", "update"], IMAGE_GROUPS, ["imagestreams/layers"])],
    "system:image-builder": [_rule(["get", "update"], IMAGE_GROUPS, ["imagestreams/layers"]),
                             _rule(["create"], IMAGE_GROUPS, ["imagestreams"]),
                             _rule(["update"], ["build.openshift.io", ""], ["builds/details"]),
                             _rule(["get"], ["build.openshift.io", ""], ["builds"])],
    "registry-viewer": [_rule(READ, [""], ["serviceaccounts", "secrets"]),
                        _rule(READ, IMAGE_GROUPS, ["imagestreamimages", "imagestreammappings", "imagestreams",
                                                   "imagestreamtags"]),
                        _rule(["get"], IMAGE_GROUPS, ["imagestreams/layers"]),
                        _rule(["get"], [""], ["namespaces"]),
                        _rule(["get"], ["project.openshift.io", ""], ["projects"])],
    "registry-editor": _registry_role(READ_WRITE, [], ["get"]),
    "registry-admin": _registry_role(READ_WRITE, [_rule(READ_WRITE, ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
                                                  _rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"])],
                                     ["get", "delete"]),
}

# the lab's users: viewer reads everything; editor reads everything and writes in lab-apps, but may not create
# images or image stream mappings (so the import allow-list applies to it)
EDITOR_IMAGE_RESOURCES = ["imagestreams", "imagestreams/status", "imagestreams/secrets", "imagestreams/layers",
                          "imagestreamtags", "imagestreamimports", "imagestreamimages"]


def rbac_objects() -> list[tuple[str, dict]]:
    """(collection path, object) for every RBAC object the lab's cluster starts with."""
    objs = []
    for name, rules in OPENSHIFT_ROLES.items():
        objs.append(("/apis/rbac.authorization.k8s.io/v1/clusterroles",
                     {"metadata": {"name": name, "annotations": {"openshift.io/lab-bootstrap": "true"}},
                      "rules": rules}))
    objs.append(("/apis/rbac.authorization.k8s.io/v1/clusterroles",
                 {"metadata": {"name": "lab:reader"}, "rules": [_rule(READ, ["*"], ["*"])]}))
    objs.append(("/apis/rbac.authorization.k8s.io/v1/clusterroles",
                 {"metadata": {"name": "lab:editor"},
                  "rules": [_rule(["*"], ["", "apps", "batch", "route.openshift.io", "rbac.authorization.k8s.io",
                                          "authorization.k8s.io", "build.openshift.io", "apps.openshift.io"], ["*"]),
                            _rule(["*"], ["image.openshift.io"], EDITOR_IMAGE_RESOURCES)]}))
    for user in ("viewer", "editor"):
        objs.append(("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                     {"metadata": {"name": "lab:%s:reader" % user},
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "lab:reader"},
                      "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}))
    # the `openshift` namespace's images (the samples, the cli) are readable by everyone who logs in, as on a cluster
    objs.append(("/apis/rbac.authorization.k8s.io/v1/namespaces/openshift/roles",
                 {"metadata": {"name": "shared-resource-viewer", "namespace": "openshift"},
                  "rules": [_rule(READ, IMAGE_GROUPS + ["template.openshift.io"],
                                  ["imagestreamimages", "imagestreams", "imagestreamtags", "templates"]),
                            _rule(["get"], IMAGE_GROUPS, ["imagestreams/layers"])]}))
    objs.append(("/apis/rbac.authorization.k8s.io/v1/namespaces/openshift/rolebindings",
                 {"metadata": {"name": "shared-resource-viewers", "namespace": "openshift"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "shared-resource-viewer"},
                  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                "name": "system:authenticated"}]}))
    # the lab's own reads of pushed manifests (the registry's events) go through the token endpoint as the registry's
    # service account; on a cluster the registry reads its storage directly and needs no such grant
    objs.append(("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                 {"metadata": {"name": "lab:registry-pulls"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": "system:image-puller"},
                  "subjects": [{"kind": "ServiceAccount", "name": "registry",
                                "namespace": "openshift-image-registry"}]}))
    objs.append(("/apis/rbac.authorization.k8s.io/v1/namespaces/lab-apps/rolebindings",
                 {"metadata": {"name": "lab:editor", "namespace": "lab-apps"},
                  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "lab:editor"},
                  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "editor"}]}))
    return objs


def wait_ready(client: Client, timeout: float = 60.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            status, payload = client.request("GET", "/readyz")
            if status == 200:
                return
            last = payload
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError("kube-apiserver was not ready within %.0fs: %s" % (timeout, last))


def create(client: Client, path: str, obj: dict):
    """Create, or leave an existing object as it is (a restarted lab daemon on the same etcd)."""
    status, payload = client.request("POST", path, obj)
    if status >= 400 and status != 409:
        raise ApiError(status, payload.get("reason") or "Unknown", payload.get("message") or str(payload))


def install_crds(client: Client, directory: str, timeout: float = 30.0) -> list[str]:
    names = []
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path, encoding="utf-8") as handle:
            crd = yaml.safe_load(handle)
        create(client, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        names.append(crd["metadata"]["name"])
    deadline = time.time() + timeout
    pending = list(names)
    while pending and time.time() < deadline:
        for name in list(pending):
            crd = client.call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + name)
            conditions = {c["type"]: c["status"] for c in (crd.get("status") or {}).get("conditions") or []}
            if conditions.get("Established") == "True":
                pending.remove(name)
        if pending:
            time.sleep(0.05)
    if pending:
        raise RuntimeError("CRDs not established within %.0fs: %s" % (timeout, pending))
    return names


def install_rbac(client: Client, namespaced: bool):
    """The cluster-scoped RBAC objects, or (once the lab's namespaces exist) the namespaced ones."""
    for path, obj in rbac_objects():
        if ("/namespaces/" in path) == namespaced:
            create(client, path, obj)
