"""The TokenRequest API and the integrated registry as a real docker-registry: bound tokens live until their
expiry, the registry takes them through its token endpoint, pushes land in imagestreams, Removed stops it."""

import socket
import subprocess
import time

import pytest
import requests

from tests.lab import images
from tests.lab.tests.test_openshift import MERGE, wait_for

CONFIG = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster"


def token_path(ns, name):
    return "/api/v1/namespaces/%s/serviceaccounts/%s/token" % (ns, name)


def bound_token(admin, ns="lab-apps", name="builder", seconds=3600):
    resp = admin.call("POST", token_path(ns, name), {"spec": {"expirationSeconds": seconds}})
    assert resp.status_code == 201, resp.text
    return resp.json()


def as_user(env, token, path):
    session = requests.Session()
    session.trust_env = False
    return session.get(env["LAB_API_URL"] + path, verify=env["LAB_CA_FILE"],
                       headers={"Authorization": "Bearer " + token}).status_code


def managed(admin, env):
    assert admin.call("PATCH", CONFIG, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}},
                                                 "defaultRoute": True}}, MERGE).status_code == 200
    host, port = env["LAB_INTEGRATED_REGISTRY"].rsplit(":", 1)

    def listening():
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except OSError:
            return False
    wait_for(listening)
    return listening


def test_token_request_validates_and_issues_a_bound_token(admin, env):
    short = admin.call("POST", token_path("lab-apps", "builder"), {"spec": {"expirationSeconds": 60}})
    assert short.status_code == 422
    assert short.json()["message"] == ('TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
                                       'Invalid value: 60: may not specify a duration less than 10 minutes')
    assert admin.call("POST", token_path("lab-apps", "nobody"), {}).status_code == 404
    answer = admin.call("POST", token_path("lab-apps", "builder"), {}).json()
    assert answer["spec"]["expirationSeconds"] == 3600
    expiry = time.mktime(time.strptime(answer["status"]["expirationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert abs(expiry - (time.time() + 3600)) < 5
    token = answer["status"]["token"]
    assert token.count(".") == 2
    # the service account is a known user with no API rights: 403, not 401
    assert as_user(env, token, "/api/v1/namespaces/lab-apps/secrets") == 403
    # the viewer cannot ask for tokens
    viewer = env["LAB_VIEWER_TOKEN"]
    session = requests.Session()
    session.trust_env = False
    refused = session.post(env["LAB_API_URL"] + token_path("lab-apps", "builder"), json={}, verify=env["LAB_CA_FILE"],
                           headers={"Authorization": "Bearer " + viewer})
    assert refused.status_code == 403


def test_a_bound_token_is_cut_to_the_maximum_and_dies_with_its_service_account(admin, env):
    resp = admin.call("POST", token_path("lab-apps", "builder"), {"spec": {"expirationSeconds": 259200}})
    answer = resp.json()
    # asked for three days, the server cuts it to its maximum (48 hours), in the spec too, and says so
    assert answer["spec"]["expirationSeconds"] == 172800
    assert resp.headers["Warning"] == '299 - "requested expiration of 259200 seconds shortened to 172800 seconds"'
    too_short = admin.call("POST", token_path("lab-apps", "builder"), {"spec": {"expirationSeconds": 60}})
    assert too_short.status_code == 422 and "may not specify a duration less than 10 minutes" in too_short.text
    token = answer["status"]["token"]
    assert as_user(env, token, "/api/v1/namespaces/lab-apps/secrets") == 403
    other = bound_token(admin, name="deployer")["status"]["token"]
    assert as_user(env, other, "/api/v1/namespaces/lab-apps/secrets") == 403
    assert admin.call("DELETE", "/api/v1/namespaces/lab-apps/serviceaccounts/deployer").status_code == 200
    # kube-apiserver caches a successful token authentication for 10 seconds: the token dies within that
    assert wait_for(lambda: as_user(env, other, "/api/v1/namespaces/lab-apps/secrets") == 401, timeout=20)


def test_a_push_with_a_bound_token_lands_in_the_imagestream_and_skopeo_reads_it(admin, env, tmp_path):
    listening = managed(admin, env)
    registry = env["LAB_INTEGRATED_REGISTRY"]
    token = bound_token(admin)["status"]["token"]
    digest, _dummy = images.Pusher(registry, "unused", token, env["LAB_INGRESS_CA_FILE"]).image(
        "lab-apps/pushed", ["v1"], "pushed by the lab test")

    def tags():
        resp = admin.get("/apis/image.openshift.io/v1/namespaces/lab-apps/imagestreams/pushed")
        return resp.status_code == 200 and (resp.json().get("status") or {}).get("tags")
    stream = wait_for(tags)
    item = stream[0]["items"][0]
    assert stream[0]["tag"] == "v1" and item["image"] == digest
    assert item["dockerImageReference"] == ("image-registry.openshift-image-registry.svc:5000/lab-apps/pushed@" + digest)
    assert admin.get("/apis/image.openshift.io/v1/images/" + digest).status_code == 200

    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "ca.crt").write_text(open(env["LAB_INGRESS_CA_FILE"], encoding="utf-8").read())

    def inspect(secret):
        return subprocess.run(["skopeo", "inspect", "--creds", "unused:" + secret, "--cert-dir", str(certs),
                               "--format", "{{.Digest}}", "docker://%s/lab-apps/pushed:v1" % registry],
                              capture_output=True, text=True, check=False)
    found = inspect(token)
    assert found.returncode == 0 and found.stdout.strip() == digest, found.stderr
    refused = inspect("not-a-token-the-api-knows")
    assert refused.returncode != 0 and "invalid username or password" in refused.stderr
    # the default service account pulls but may not push (system:image-builder is the builder's)
    puller = bound_token(admin, name="default")["status"]["token"]
    assert inspect(puller).returncode == 0
    with pytest.raises(requests.HTTPError):
        images.Pusher(registry, "unused", puller, env["LAB_INGRESS_CA_FILE"]).image("lab-apps/pushed", ["v2"], "no")
    # another namespace's service account does not even pull
    elsewhere = bound_token(admin, ns="default", name="builder")["status"]["token"]
    assert inspect(elsewhere).returncode != 0

    assert admin.call("PATCH", CONFIG, {"spec": {"managementState": "Removed"}}, MERGE).status_code == 200
    wait_for(lambda: not listening())
