"""OpenShift behaviour: ImageStreamImport against the real lab registries, the registry operator, samples."""

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.lab import images

ISI = "/apis/image.openshift.io/v1/namespaces/%s/imagestreamimports"
STREAM = "/apis/image.openshift.io/v1/namespaces/%s/imagestreams/%s"
REGISTRY = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster"
IMAGE_CONFIG = "/apis/config.openshift.io/v1/images/cluster"
PULL_SECRET = "/api/v1/namespaces/openshift-config/secrets/pull-secret"
MERGE = "application/merge-patch+json"


def isi(api, name, images_=None, repository=None, do_import=True, namespace="lab-apps", **meta):
    body = {"kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1",
            "metadata": dict({"name": name}, **meta), "spec": {"import": do_import}}
    if images_ is not None:
        body["spec"]["images"] = images_
    if repository is not None:
        body["spec"]["repository"] = repository
    return api.call("POST", ISI % namespace, body)


def image(ref, to=None, **policy):
    item = {"from": {"kind": "DockerImage", "name": ref}}
    if to:
        item["to"] = {"name": to}
    if policy:
        item["importPolicy"] = policy
    return item


def statuses(resp):
    assert resp.status_code == 201, resp.text
    return [i["status"] for i in resp.json()["status"]["images"]]


def set_pull_secret(api, auths):
    data = base64.b64encode(json.dumps({"auths": auths}).encode()).decode()
    resp = api.call("PATCH", PULL_SECRET, {"data": {".dockerconfigjson": data}}, MERGE)
    assert resp.status_code == 200


def wait_for(check, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met within %ss" % timeout)


def test_single_tag_import_creates_stream(admin, env):
    ref = env["LAB_REGISTRY_BASIC"] + "/lab/app:1.0"
    resp = isi(admin, "app", [image(ref, "stable")])
    assert statuses(resp) == [{"metadata": {}, "status": "Success"}]
    result = resp.json()["status"]
    digest = result["images"][0]["image"]["metadata"]["name"]
    assert result["images"][0]["tag"] == "1.0"
    assert result["images"][0]["image"]["dockerImageReference"] == "%s/lab/app@%s" % (env["LAB_REGISTRY_BASIC"], digest)
    stream = result["import"]
    assert stream["metadata"]["annotations"]["openshift.io/image.dockerRepositoryCheck"]
    assert stream["spec"]["tags"][0]["from"] == {"kind": "DockerImage", "name": ref}
    assert stream["status"]["tags"][0]["items"][0]["image"] == digest
    istag = admin.get("/apis/image.openshift.io/v1/namespaces/lab-apps/imagestreamtags/app:stable").json()
    assert istag["image"]["metadata"]["name"] == digest
    secrets = admin.get(STREAM % ("lab-apps", "app") + "/secrets").json()
    assert secrets["kind"] == "SecretList"


def test_import_by_digest_keeps_the_users_repository(admin, env):
    tagged = isi(admin, "digest", [image(env["LAB_REGISTRY_BASIC"] + "/lab/app:1.1")], do_import=False)
    digest = tagged.json()["status"]["images"][0]["image"]["metadata"]["name"]
    by_digest = isi(admin, "digest", [image("%s/lab/app@%s" % (env["LAB_REGISTRY_BASIC"], digest), "pinned")])
    result = by_digest.json()["status"]["images"][0]
    assert result["status"]["status"] == "Success" and "tag" not in result
    assert result["image"]["dockerImageReference"] == "%s/lab/app@%s" % (env["LAB_REGISTRY_BASIC"], digest)


def test_token_registry_through_global_pull_secret(admin, env):
    resp = isi(admin, "secure", [image(env["LAB_REGISTRY_TOKEN"] + "/lab/app:2.0", "latest")])
    assert statuses(resp)[0]["status"] == "Success"


def test_unchanged_reimport_keeps_resource_version_and_moved_digest_changes_it(admin, env):
    repo = "lab/moving-%s" % uuid.uuid4().hex[:8]
    pusher = images.Pusher(env["LAB_REGISTRY_BASIC"], env["LAB_REGISTRY_BASIC_PUSH_USER"],
                           env["LAB_REGISTRY_BASIC_PUSH_PASSWORD"], env["LAB_CA_FILE"])
    first, _dummy = pusher.image(repo, ["1.0"], "first " + repo)
    ref = env["LAB_REGISTRY_BASIC"] + "/" + repo + ":1.0"
    created = isi(admin, "moving", [image(ref, "1.0")]).json()["status"]["import"]
    rv = created["metadata"]["resourceVersion"]
    again = isi(admin, "moving", [image(ref, "1.0")], resourceVersion=rv).json()["status"]["import"]
    assert again["metadata"]["resourceVersion"] == rv
    second, _dummy = pusher.image(repo, ["1.0"], "second " + repo)
    moved = isi(admin, "moving", [image(ref, "1.0")]).json()["status"]["import"]
    assert moved["metadata"]["resourceVersion"] != rv
    items = moved["status"]["tags"][0]["items"]
    assert [i["image"] for i in items] == [second, first]
    conflict = isi(admin, "moving", [image(ref, "1.0")], resourceVersion=rv)
    assert conflict.status_code == 409
    assert conflict.json()["message"] == ('Operation cannot be fulfilled on imagestream.image.openshift.io "moving": '
                                          'the image stream was updated from "%s" to "%s"'
                                          % (rv, moved["metadata"]["resourceVersion"]))


def test_dry_run_writes_nothing(admin, env):
    resp = isi(admin, "dry", [image(env["LAB_REGISTRY_BASIC"] + "/lab/app:1.1", "x")], do_import=False)
    assert statuses(resp)[0]["status"] == "Success"
    assert "import" not in resp.json()["status"]
    assert admin.get(STREAM % ("lab-apps", "dry")).status_code == 404
    missing = isi(admin, "dry", [image(env["LAB_REGISTRY_BASIC"] + "/lab/app:1.1")], resourceVersion="5")
    assert missing.status_code == 404
    assert missing.json()["message"] == 'imagestreams.image.openshift.io "dry" not found'


def test_per_image_failures(admin, env):
    basic, token = env["LAB_REGISTRY_BASIC"], env["LAB_REGISTRY_TOKEN"]
    found = statuses(isi(admin, "fails", [image(basic + "/lab/app:9.9", "a"), image(basic + "/lab/app:1.0", "b")]))
    assert found[0]["reason"] == "NotFound" and found[0]["code"] == 404
    assert found[0]["message"] == 'dockerimage.image.openshift.io "%s/lab/app:9.9" not found' % basic
    assert found[1]["status"] == "Success"
    stream = admin.get(STREAM % ("lab-apps", "fails")).json()
    cond = [t for t in stream["status"]["tags"] if t["tag"] == "a"][0]["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == ("ImportSuccess", "False", "NotFound")
    assert [t["name"] for t in stream["spec"]["tags"]] == ["a", "b"]

    wrong = {basic: {"auth": base64.b64encode(b"lab-puller:wrong").decode()},
             token: {"auth": base64.b64encode(b"lab-robot+puller:wrong").decode()}}
    set_pull_secret(admin, wrong)
    refused = statuses(isi(admin, "x", [image(basic + "/lab/app:1.0"), image(token + "/lab/app:1.0")]))
    assert [s["reason"] for s in refused] == ["Unauthorized", "Unauthorized"]
    assert refused[0]["message"] == 'incorrect username or password for image "%s/lab/app:1.0"' % basic
    set_pull_secret(admin, {})
    anonymous = statuses(isi(admin, "x", [image(basic + "/lab/app:1.0"), image(token + "/lab/app:1.0")]))
    assert anonymous[0]["message"] == ('you may not have access to the container image "%s/lab/app:1.0" and did not '
                                       "have credentials to the repository" % basic)
    assert anonymous[1]["message"] == 'you may not have access to the container image "%s/lab/app:1.0"' % token

    admin.call("PATCH", IMAGE_CONFIG, {"spec": {"registrySources": {"blockedRegistries": [basic]}}}, MERGE)
    blocked = statuses(isi(admin, "x", [image(basic + "/lab/app:1.0")]))[0]
    assert (blocked["reason"], blocked["message"]) == ("Forbidden", "forbidden: registry %s blocked" % basic)
    refusing = statuses(isi(admin, "x", [image("127.0.0.1:1/lab/app:1.0")]))[0]
    assert refusing["reason"] == "InternalError" and refusing["message"].startswith("Internal error occurred: ")


@pytest.fixture()
def http_only_registry():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            return
    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def test_http_only_registry_needs_insecure(admin, http_only_registry):
    status = statuses(isi(admin, "plain", [image(http_only_registry + "/team/app:1.0")]))[0]
    assert status["reason"] == "BadRequest"
    assert status["message"] == ("the repository %s/team/app is HTTP only and requires the insecure flag to import"
                                 % http_only_registry)


def test_repository_import_with_tag_limit(admin, env):
    resp = isi(admin, "many", repository={"from": {"kind": "DockerImage", "name": env["LAB_REGISTRY_BASIC"] + "/lab/many"}})
    repo = resp.json()["status"]["repository"]
    assert repo["status"]["status"] == "Success"
    tags = [i["tag"] for i in repo["images"]]
    assert len(tags) == 50 and len(repo["additionalTags"]) == len(images.MANY_TAGS) - 50
    assert tags[:3] == ["latest", "1.24", "1.23"] and tags[26:28] == ["2.19.0", "2.18.0"]
    stream = resp.json()["status"]["import"]
    assert len(stream["spec"]["tags"]) == 50
    bad = isi(admin, "many", repository={"from": {"kind": "DockerImage", "name": env["LAB_REGISTRY_BASIC"] + "/lab/many:1"}})
    assert bad.status_code == 422 and "you must specify an image repository, not a tag or ID" in bad.json()["message"]


def test_multi_arch_import_modes(admin, env):
    ref = env["LAB_REGISTRY_TOKEN"] + "/lab/multiarch:latest"
    legacy = isi(admin, "ma", [image(ref, "legacy", importMode="Legacy")]).json()["status"]["images"][0]
    preserve = isi(admin, "ma", [image(ref, "preserve", importMode="PreserveOriginal")]).json()["status"]["images"][0]
    subs = preserve["image"]["dockerImageManifests"]
    assert sorted(s["architecture"] for s in subs) == ["amd64", "arm64"] and len(preserve["manifests"]) == 2
    amd64 = [s["digest"] for s in subs if s["architecture"] == "amd64"][0]
    assert legacy["image"]["metadata"]["name"] == amd64
    assert preserve["image"]["metadata"]["name"] != amd64


def test_request_validation(admin):
    none = isi(admin, "v")
    assert none.status_code == 422
    assert none.json()["message"] == ('ImageStreamImport.image.openshift.io "v" is invalid: spec.images: Invalid value: '
                                      '"null": you must specify at least one image or a repository import')
    mode = isi(admin, "v", [image("quay.io/org/app:1.0", importMode="Foo")]).json()
    assert mode["message"].endswith("spec.images[0].importPolicy.importMode: Invalid value: \"Foo\": invalid import "
                                    "mode, valid modes are '', 'Legacy', 'PreserveOriginal'")


def test_allowed_registries_for_import(admin, editor, env):
    admin.call("PATCH", IMAGE_CONFIG, {"spec": {"allowedRegistriesForImport": [{"domainName": "registry.redhat.io"}]}},
               MERGE)
    ref = env["LAB_REGISTRY_BASIC"] + "/lab/app:1.0"
    denied = isi(editor, "allow", [image(ref)])
    assert denied.status_code == 422
    assert ('spec.images[0].from.name: Forbidden: importing images from registry "%s" is forbidden: registry "%s" not '
            'allowed by whitelist: "registry.redhat.io:443"' % (env["LAB_REGISTRY_BASIC"], env["LAB_REGISTRY_BASIC"])
            in denied.json()["message"])
    assert isi(admin, "allow", [image(ref)]).status_code == 201


def config_status(admin):
    return admin.get(REGISTRY).json()


def conditions(cfg):
    return {c["type"]: c for c in cfg.get("status", {}).get("conditions", [])}


def rolled_out(admin):
    cfg = config_status(admin)
    conds = conditions(cfg)
    done = cfg["status"].get("observedGeneration") == cfg["metadata"]["generation"] and \
        conds.get("Available", {}).get("reason") == "Ready" and conds.get("Progressing", {}).get("status") == "False"
    return cfg if done else None


def test_registry_managed_emptydir_rolls_out(admin):
    admin.settings(operator_delay=0.5)
    patch = {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}, "replicas": 1, "defaultRoute": True}}
    admin.call("PATCH", REGISTRY, patch, MERGE)
    progressing = wait_for(lambda: conditions(config_status(admin)).get("Progressing", {}).get("reason") ==
                           "DeploymentNotCompleted" and config_status(admin))
    assert conditions(progressing)["Available"]["status"] == "False"
    cfg = wait_for(lambda: rolled_out(admin))
    assert cfg["status"]["readyReplicas"] == 1 and cfg["spec"]["httpSecret"]
    assert conditions(cfg)["StorageExists"]["status"] == "True"
    deploy = admin.get("/apis/apps/v1/namespaces/openshift-image-registry/deployments/image-registry").json()
    assert deploy["spec"]["replicas"] == 1
    status = admin.get(IMAGE_CONFIG).json()["status"]
    assert status["internalRegistryHostname"] == "image-registry.openshift-image-registry.svc:5000"
    assert status["externalRegistryHostnames"][0].startswith("default-route-openshift-image-registry.")
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Removed"}}, MERGE)
    removed = wait_for(lambda: conditions(config_status(admin)).get("Removed", {}).get("status") == "True" and
                       config_status(admin))
    assert removed["status"]["storage"] == {}
    assert admin.get("/apis/apps/v1/namespaces/openshift-image-registry/deployments/image-registry").status_code == 404
    assert "internalRegistryHostname" not in admin.get(IMAGE_CONFIG).json()["status"]


def test_registry_pvc_rules(admin):
    admin.settings(operator_delay=0.2)
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Managed", "storage": {"pvc": {"claim": ""}}}}, MERGE)
    cfg = wait_for(lambda: rolled_out(admin))
    assert cfg["spec"]["storage"]["pvc"]["claim"] == "image-registry-storage"
    assert cfg["spec"]["storage"]["managementState"] == "Managed"
    pvc = admin.get("/api/v1/namespaces/openshift-image-registry/persistentvolumeclaims/image-registry-storage").json()
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    admin.call("POST", "/api/v1/namespaces/openshift-image-registry/persistentvolumeclaims",
               {"metadata": {"name": "rwo"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                      "resources": {"requests": {"storage": "10Gi"}}}})
    admin.call("PATCH", REGISTRY, {"spec": {"replicas": 2, "storage": {"pvc": {"claim": "rwo"}}}}, MERGE)
    issue = wait_for(lambda: conditions(config_status(admin)).get("StorageExists", {}).get("reason") == "PVC Issues Found"
                     and config_status(admin))
    assert conditions(issue)["StorageExists"]["message"] == ("cannot use ReadWriteOnce access mode with more than one "
                                                             "replica of the image registry")
    assert conditions(issue)["Progressing"]["message"] == (
        "Unable to apply resources: unable to sync storage configuration: cannot use ReadWriteOnce access mode with "
        "more than one replica of the image registry")


def test_registry_errors(admin):
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}, "pvc": {}}}}, MERGE)
    two = wait_for(lambda: conditions(config_status(admin)).get("Progressing", {}).get("reason") == "Error"
                   and conditions(config_status(admin))["Progressing"])
    assert two["message"] == ("Unable to apply resources: unable to sync storage configuration: exactly one storage "
                              "type should be configured at the same time, got 2: [EmptyDir PVC]")
    admin.call("PATCH", REGISTRY, {"spec": {"storage": {"emptyDir": None, "pvc": None}}}, MERGE)
    none = wait_for(lambda: conditions(config_status(admin)).get("Degraded", {}).get("reason") == "StorageNotConfigured"
                    and conditions(config_status(admin)))
    assert none["Available"]["message"] == "Error: storage backend not configured"
    admin.call("PATCH", REGISTRY, {"spec": {"storage": {"s3": {"bucket": "b", "region": "us-east-1"}}}}, MERGE)
    s3 = wait_for(lambda: "REGISTRY_STORAGE_S3_ACCESSKEY" in conditions(config_status(admin)).get("Progressing", {})
                  .get("message", "") and conditions(config_status(admin))["Progressing"])
    assert s3["message"].endswith('secret "openshift-image-registry/image-registry-private-configuration-user" does '
                                  'not contain required key "REGISTRY_STORAGE_S3_ACCESSKEY"')
    admin.call("PATCH", REGISTRY, {"spec": {"storage": {"s3": None, "emptyDir": {}},
                                            "routes": [{"name": "default-route"}], "defaultRoute": True}}, MERGE)
    dup = wait_for(lambda: conditions(config_status(admin)).get("Degraded", {}).get("reason") == "VerificationFailed"
                   and conditions(config_status(admin))["Degraded"])
    assert dup["message"] == ("Error: unable to complete resource: duplication of names has been detected in the "
                              "additional routes")


def test_registry_rollout_failures(admin):
    admin.settings(operator_delay=0.2, deployment_ready=False, progress_deadline=1.0)
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}}, MERGE)
    degraded = wait_for(lambda: conditions(config_status(admin)).get("Degraded", {}).get("reason") ==
                        "ProgressDeadlineExceeded" and conditions(config_status(admin)))
    assert degraded["Available"]["reason"] == "NoReplicasAvailable"
    assert degraded["Progressing"]["reason"] == "DeploymentNotCompleted"
    admin.settings(deployment_ready=True, routes_admitted=False)
    admin.call("PATCH", REGISTRY, {"spec": {"routes": [{"name": "public", "hostname": "registry.lab.example"}]}}, MERGE)
    route = wait_for(lambda: conditions(config_status(admin)).get("Degraded", {}).get("reason") == "RouteDegraded"
                     and conditions(config_status(admin))["Degraded"])
    assert route["message"].startswith("route public (host registry.lab.example, router default) not admitted: ")


def test_registry_unmanaged(admin):
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Unmanaged"}}, MERGE)
    avail = wait_for(lambda: conditions(config_status(admin)).get("Available", {}).get("reason") == "Unmanaged"
                     and conditions(config_status(admin))["Available"])
    assert avail["message"] == "The registry configuration is set to unmanaged mode"


def test_samples_operator_copies_the_global_pull_secret(admin, env):
    copy_path = "/api/v1/namespaces/openshift/secrets/samples-registry-credentials"
    first = wait_for(lambda: admin.get(copy_path).status_code == 200 and admin.get(copy_path).json())
    source = admin.get(PULL_SECRET).json()
    assert first["data"] == source["data"] and first["type"] == "kubernetes.io/dockerconfigjson"
    assert "samples.operator.openshift.io/version" in first["metadata"]["annotations"]
    set_pull_secret(admin, {"quay.io": {"auth": base64.b64encode(b"a:b").decode()}})
    new = admin.get(PULL_SECRET).json()["data"]
    wait_for(lambda: admin.get(copy_path).json().get("data") == new)
    admin.call("DELETE", copy_path)
    wait_for(lambda: admin.get(copy_path).status_code == 200)
