"""Bearer tokens, users and RBAC, with the real Status bodies."""

import requests

PULL_SECRET = "/api/v1/namespaces/openshift-config/secrets/pull-secret"


def test_wrong_token_is_401(env, admin):
    session = requests.Session()
    session.trust_env = False
    resp = session.get(env["LAB_API_URL"] + PULL_SECRET, verify=env["LAB_CA_FILE"],
                       headers={"Authorization": "Bearer not-a-token"})
    assert resp.status_code == 401
    assert resp.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                           "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_anonymous_is_forbidden(env, admin):
    session = requests.Session()
    session.trust_env = False
    resp = session.get(env["LAB_API_URL"] + PULL_SECRET, verify=env["LAB_CA_FILE"])
    assert resp.status_code == 403 and 'User "system:anonymous"' in resp.json()["message"]


def test_viewer_reads_but_cannot_write(viewer):
    assert viewer.get(PULL_SECRET).status_code == 200
    resp = viewer.call("PUT", PULL_SECRET, viewer.get(PULL_SECRET).json())
    assert resp.status_code == 403
    assert resp.json()["message"] == ('secrets "pull-secret" is forbidden: User "viewer" cannot update resource '
                                      '"secrets" in API group "" in the namespace "openshift-config"')
    cluster = viewer.call("PATCH", "/apis/imageregistry.operator.openshift.io/v1/configs/cluster",
                          {"spec": {"replicas": 2}}, "application/merge-patch+json").json()
    assert cluster["message"] == ('configs.imageregistry.operator.openshift.io "cluster" is forbidden: User "viewer" '
                                  'cannot patch resource "configs" in API group "imageregistry.operator.openshift.io" '
                                  "at the cluster scope")
    listing = viewer.call("POST", "/api/v1/namespaces/default/secrets", {"metadata": {"name": "x"}}).json()
    assert listing["message"].startswith('secrets is forbidden: User "viewer" cannot create resource "secrets"')


def test_editor_writes_only_in_lab_apps(editor):
    body = {"metadata": {"name": "mine"}, "stringData": {"a": "b"}}
    assert editor.call("POST", "/api/v1/namespaces/lab-apps/secrets", body).status_code == 201
    denied = editor.call("POST", "/api/v1/namespaces/openshift-config/secrets", body)
    assert denied.status_code == 403 and 'in the namespace "openshift-config"' in denied.json()["message"]
    assert editor.get(PULL_SECRET).status_code == 200
