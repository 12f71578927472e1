"""The integrated registry decides each scope by asking the API server, as openshift/image-registry does: a service
account of another namespace is refused until a RoleBinding grants it system:image-puller, and refused again once
the binding is gone; system:unauthenticated makes images pullable without credentials; the catalog needs `list`
on imagestreams in every namespace. Real skopeo does the pulls. On the real control plane kube-apiserver answers the
reviews; the emulator evaluates the same bindings itself."""

import re
import subprocess

import pytest
import requests

from tests.lab import images
from tests.lab.tests.test_integrated_registry import bound_token, managed
from tests.lab.tests.test_openshift import wait_for

RB = "/apis/rbac.authorization.k8s.io/v1/namespaces/lab-apps/rolebindings"


def binding(name, role, subjects):
    return {"metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


@pytest.fixture
def pushed(admin, env, tmp_path):
    managed(admin, env)
    registry = env["LAB_INTEGRATED_REGISTRY"]
    token = bound_token(admin)["status"]["token"]
    images.Pusher(registry, "unused", token, env["LAB_INGRESS_CA_FILE"]).image("lab-apps/shared", ["v1"], "shared")
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.crt").write_text(open(env["LAB_INGRESS_CA_FILE"], encoding="utf-8").read())

    def inspect(secret=None):
        creds = ["--creds", "unused:" + secret] if secret else ["--no-creds"]
        return subprocess.run(["skopeo", "inspect", "--raw", "--cert-dir", str(certs)] + creds +
                              ["docker://%s/lab-apps/shared:v1" % registry],
                              capture_output=True, text=True, check=False, timeout=60)
    yield registry, inspect
    admin.call("PATCH", "/apis/imageregistry.operator.openshift.io/v1/configs/cluster",
               {"spec": {"managementState": "Removed"}}, "application/merge-patch+json")


def test_a_grant_lets_another_namespaces_service_account_pull_and_its_revocation_stops_it(admin, env, pushed):
    _registry, inspect = pushed
    other = bound_token(admin, ns="default", name="builder")["status"]["token"]
    refused = inspect(other)
    assert refused.returncode != 0 and ("unauthorized" in refused.stderr.lower() or "denied" in refused.stderr.lower()), \
        refused.stderr
    grant = binding("system:image-puller", "system:image-puller",
                    [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:serviceaccounts:default"},
                     {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "someone-else"}])
    assert admin.call("POST", RB, grant).status_code == 201
    allowed = inspect(other)
    assert allowed.returncode == 0, allowed.stderr
    assert admin.call("DELETE", RB + "/system:image-puller").status_code == 200
    assert wait_for(lambda: inspect(other).returncode != 0, timeout=20)
    # the namespace's own service accounts still pull, by OpenShift's default binding system:image-pullers
    own = bound_token(admin, name="default")["status"]["token"]
    assert inspect(own).returncode == 0


def test_public_images_need_system_unauthenticated(admin, pushed):
    _registry, inspect = pushed
    assert inspect().returncode != 0
    grant = binding("public", "system:image-puller",
                    [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:unauthenticated"}])
    assert admin.call("POST", RB, grant).status_code == 201
    anonymous = inspect()
    assert anonymous.returncode == 0, anonymous.stderr


def test_the_catalog_needs_list_on_imagestreams_everywhere(admin, env, pushed):
    registry, _inspect = pushed
    session = requests.Session()
    session.trust_env = False
    probe = session.get("https://%s/v2/" % registry, verify=env["LAB_INGRESS_CA_FILE"], timeout=10)
    challenge = dict(re.findall(r'(\w+)="([^"]*)"', probe.headers["WWW-Authenticate"]))

    def catalog(secret):
        token = session.get(challenge["realm"], params={"service": challenge["service"], "scope": "registry:catalog:*"},
                            auth=("unused", secret), verify=env["LAB_INGRESS_CA_FILE"], timeout=10).json()["token"]
        return session.get("https://%s/v2/_catalog" % registry, headers={"Authorization": "Bearer " + token},
                           verify=env["LAB_INGRESS_CA_FILE"], timeout=10)
    assert catalog(env["LAB_ADMIN_TOKEN"]).status_code == 200
    assert "lab-apps/shared" in catalog(env["LAB_ADMIN_TOKEN"]).json()["repositories"]
    builder = bound_token(admin)["status"]["token"]
    assert catalog(builder).status_code == 401
