"""A real, independent client (kubectl) against the emulator."""

import json
import os
import shutil
import subprocess

import pytest

KUBECTL = os.environ.get("LAB_KUBECTL") or shutil.which("kubectl")
pytestmark = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")


def client_minor():
    out = subprocess.run([KUBECTL, "version", "--client", "-o", "json"], capture_output=True, text=True, check=True)
    return int(json.loads(out.stdout)["clientVersion"]["minor"].rstrip("+"))


def kubectl(env, *args, stdin=None, expect_ok=True):
    cmd = [KUBECTL, "--kubeconfig", env["LAB_KUBECONFIG"]] + list(args)
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, check=False,
                          env=dict(os.environ, HOME=os.path.join(env["LAB_DIR"], "kubectl-home")))
    if expect_ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_get(env, admin):
    out = kubectl(env, "get", "secrets", "-n", "openshift-config").stdout
    assert "pull-secret" in out
    obj = json.loads(kubectl(env, "get", "configs.imageregistry.operator.openshift.io", "cluster", "-o", "json").stdout)
    assert obj["spec"]["managementState"] == "Removed"


def test_apply_secret_twice(env, admin):
    manifest = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: applied\n  namespace: lab-apps\n"
                "stringData:\n  key: one\n")
    assert "created" in kubectl(env, "apply", "-f", "-", stdin=manifest).stdout
    changed = manifest.replace("one", "two")
    assert "configured" in kubectl(env, "apply", "-f", "-", stdin=changed).stdout
    data = json.loads(kubectl(env, "get", "secret", "applied", "-n", "lab-apps", "-o", "json").stdout)["data"]
    assert data == {"key": "dHdv"}


def test_patch_merge_registry_config_and_strict_validation(env, admin):
    kubectl(env, "patch", "configs.imageregistry.operator.openshift.io", "cluster", "--type", "merge",
            "-p", '{"spec":{"managementState":"Managed","storage":{"emptyDir":{}}}}')
    assert admin.get("/apis/imageregistry.operator.openshift.io/v1/configs/cluster").json()["spec"]["managementState"] \
        == "Managed"
    # kubectl patch sends no fieldValidation: the unknown field is dropped with a warning
    dropped = kubectl(env, "patch", "configs.imageregistry.operator.openshift.io", "cluster", "--type", "merge",
                      "-p", '{"spec":{"bogus":true}}')
    # (stdout says "no change" or "patched": the lab's operator may write the config at the same moment)
    assert 'unknown field "spec.bogus"' in dropped.stderr and dropped.returncode == 0
    assert "bogus" not in admin.get("/apis/imageregistry.operator.openshift.io/v1/configs/cluster").json()["spec"]
    manifest = ("apiVersion: imageregistry.operator.openshift.io/v1\nkind: Config\nmetadata:\n  name: cluster\n"
                "spec:\n  replicas: 1\n  bogus: true\n")
    bad = kubectl(env, "apply", "-f", "-", stdin=manifest, expect_ok=False)
    if client_minor() >= 26:
        # kubectl apply asks for Strict validation: the same field is refused
        assert bad.returncode != 0 and 'strict decoding error: unknown field "spec.bogus"' in bad.stderr
    else:
        # older clients send no fieldValidation: dropped with a warning
        assert bad.returncode == 0 and 'unknown field "spec.bogus"' in bad.stderr


def test_delete_and_forbidden(env, admin):
    kubectl(env, "create", "configmap", "tmp", "-n", "lab-apps", "--from-literal=a=b")
    assert 'deleted' in kubectl(env, "delete", "configmap", "tmp", "-n", "lab-apps").stdout
    denied = kubectl(env, "--context", "viewer", "delete", "secret", "pull-secret", "-n", "openshift-config",
                     expect_ok=False)
    assert denied.returncode != 0
    assert 'User "viewer" cannot delete resource "secrets" in API group "" in the namespace "openshift-config"' \
        in denied.stderr
