"""The default role bindings openshift-controller-manager makes in every namespace, so that a namespace's service
accounts pull its images (`system:image-pullers`: the group system:serviceaccounts:<namespace> as
system:image-puller) and its `builder` pushes them (`system:image-builders`: system:image-builder). Like the real
controller it makes a missing binding and leaves one that exists as it is."""

from __future__ import annotations

from .base import Controller

RBAC = "rbac.authorization.k8s.io"


def default_bindings(namespace: str) -> list[dict]:
    def binding(name, role, subject):
        return {"apiVersion": RBAC + "/v1", "kind": "RoleBinding",
                "metadata": {"name": name, "namespace": namespace,
                             "annotations": {"openshift.io/description": "Allows all pods in this namespace to pull "
                                             "images from this namespace." if role == "system:image-puller" else
                                             "Allows builds in this namespace to push images to this namespace."}},
                "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role}, "subjects": [subject]}
    return [binding("system:image-pullers", "system:image-puller",
                    {"apiGroup": RBAC, "kind": "Group", "name": "system:serviceaccounts:" + namespace}),
            binding("system:image-builders", "system:image-builder",
                    {"kind": "ServiceAccount", "name": "builder", "namespace": namespace})]


class DefaultRoleBindings(Controller):
    def __init__(self, lab):
        super().__init__(lab)
        self.done: set[tuple[str, str]] = set()  # (namespace uid, binding): made once, as the real controller does

    def reset(self):
        self.done = set()

    def reconcile(self):
        for ns in self.list("ns"):
            meta = ns["metadata"]
            if meta.get("deletionTimestamp") or (ns.get("status") or {}).get("phase") == "Terminating":
                continue
            for binding in default_bindings(meta["name"]):
                key = (meta.get("uid") or meta["name"], binding["metadata"]["name"])
                if key in self.done:
                    continue
                if self.get("rb", meta["name"], binding["metadata"]["name"]) is None:
                    self.put("rb", binding)
                self.done.add(key)
