"""Kubernetes API conventions of the emulator."""

import base64
import json

SECRETS = "/api/v1/namespaces/lab-apps/secrets"
REGISTRY = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster"
IMAGES = "/apis/config.openshift.io/v1/images/cluster"


def secret(name, data=None, type_="Opaque", **extra):
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": type_}
    if data is not None:
        body["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    body.update(extra)
    return body


def test_discovery(admin):
    assert admin.get("/version").json()["major"] == "1"
    assert admin.get("/api").json()["versions"] == ["v1"]
    groups = {g["name"]: g for g in admin.get("/apis").json()["groups"]}
    for name in ("apps", "route.openshift.io", "image.openshift.io", "config.openshift.io",
                 "imageregistry.operator.openshift.io", "samples.operator.openshift.io", "operator.openshift.io"):
        assert groups[name]["preferredVersion"]["groupVersion"] in [v["groupVersion"] for v in groups[name]["versions"]]
    core = {r["name"]: r for r in admin.get("/api/v1").json()["resources"]}
    assert core["secrets"]["namespaced"] is True and core["namespaces"]["namespaced"] is False
    registry = {r["name"]: r for r in admin.get("/apis/imageregistry.operator.openshift.io/v1").json()["resources"]}
    assert registry["configs"]["namespaced"] is False and "configs/status" in registry
    assert all("namespaced" in r for r in registry.values())
    assert admin.get("/apis/nope.example.com/v1").status_code == 404


def test_create_get_list_with_selectors(admin):
    for name, labels in (("one", {"app": "a", "tier": "x"}), ("two", {"app": "b"})):
        body = secret(name, {"k": "v"})
        body["metadata"]["labels"] = labels
        resp = admin.call("POST", SECRETS, body)
        assert resp.status_code == 201, resp.text
        meta = resp.json()["metadata"]
        assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    assert admin.call("POST", SECRETS, secret("one", {})).json()["reason"] == "AlreadyExists"

    def names(**query):
        return sorted(i["metadata"]["name"] for i in admin.get(SECRETS, **query).json()["items"])
    assert names(labelSelector="app=a") == ["one"]
    assert names(labelSelector="app in (a,b)") == ["one", "two"]
    assert names(labelSelector="app!=a,app") == ["two"]
    assert names(labelSelector="!tier", fieldSelector="metadata.name=two") == ["two"]
    missing = admin.get(SECRETS + "/nope").json()
    assert missing["code"] == 404 and missing["message"] == 'secrets "nope" not found'


def test_update_conflict_and_resource_version(admin):
    created = admin.call("POST", SECRETS, secret("rv", {"a": "1"})).json()
    stale = json.loads(json.dumps(created))
    created["data"]["a"] = base64.b64encode(b"2").decode()
    updated = admin.call("PUT", SECRETS + "/rv", created)
    assert updated.status_code == 200
    assert updated.json()["metadata"]["resourceVersion"] != stale["metadata"]["resourceVersion"]
    stale["data"]["a"] = base64.b64encode(b"3").decode()
    conflict = admin.call("PUT", SECRETS + "/rv", stale).json()
    assert conflict["code"] == 409 and conflict["reason"] == "Conflict"
    assert conflict["message"] == ('Operation cannot be fulfilled on secrets "rv": the object has been modified; '
                                   "please apply your changes to the latest version and try again")
    same = admin.call("PUT", SECRETS + "/rv", updated.json()).json()
    assert same["metadata"]["resourceVersion"] == updated.json()["metadata"]["resourceVersion"]


def test_patch_types(admin):
    admin.call("POST", SECRETS, secret("p", {"a": "1", "b": "2"}))
    merged = admin.call("PATCH", SECRETS + "/p", {"data": {"a": None, "c": "Mw=="}},
                        "application/merge-patch+json").json()
    assert sorted(merged["data"]) == ["b", "c"]
    jsonp = admin.call("PATCH", SECRETS + "/p", [{"op": "add", "path": "/metadata/labels", "value": {"x": "y"}}],
                       "application/json-patch+json").json()
    assert jsonp["metadata"]["labels"] == {"x": "y"}
    failed = admin.call("PATCH", SECRETS + "/p", [{"op": "test", "path": "/type", "value": "Other"}],
                        "application/json-patch+json")
    assert failed.status_code == 422
    sa = "/api/v1/namespaces/lab-apps/serviceaccounts/default"
    before = admin.get(sa).json()
    # ServiceAccount.secrets merges by name; ServiceAccount.imagePullSecrets has no patch strategy: replaced
    smp = admin.call("PATCH", sa, {"secrets": [{"name": "p"}], "imagePullSecrets": [{"name": "p"}]},
                     "application/strategic-merge-patch+json").json()
    assert smp["secrets"] == [{"name": "p"}] + before["secrets"] and before["imagePullSecrets"] != [{"name": "p"}]
    assert smp["imagePullSecrets"] == [{"name": "p"}]
    crd = admin.call("PATCH", REGISTRY, {"spec": {"replicas": 2}}, "application/strategic-merge-patch+json")
    assert crd.status_code == 415
    stale = admin.call("PATCH", SECRETS + "/p", {"metadata": {"resourceVersion": "1"}, "data": {"d": "NA=="}},
                       "application/merge-patch+json")
    assert stale.status_code == 409


def test_delete_and_dry_run(admin):
    admin.clear_log()
    dry = admin.call("POST", SECRETS + "?dryRun=All", secret("dry", {"a": "1"}))
    assert dry.status_code == 201 and dry.json()["metadata"]["name"] == "dry"
    assert admin.get(SECRETS + "/dry").status_code == 404
    admin.call("POST", SECRETS, secret("gone", {"a": "1"}))
    assert admin.call("DELETE", SECRETS + "/gone?dryRun=All").status_code == 200
    assert admin.get(SECRETS + "/gone").status_code == 200
    rv = admin.get(REGISTRY).json()["metadata"]["resourceVersion"]
    patched = admin.call("PATCH", REGISTRY + "?dryRun=All", {"spec": {"replicas": 3}}, "application/merge-patch+json")
    assert patched.json()["spec"]["replicas"] == 3
    assert admin.get(REGISTRY).json()["spec"]["replicas"] == 1
    assert admin.get(REGISTRY).json()["metadata"]["resourceVersion"] == rv
    deleted = admin.call("DELETE", SECRETS + "/gone").json()
    assert deleted["status"] == "Success" and admin.get(SECRETS + "/gone").status_code == 404
    assert admin.call("DELETE", SECRETS + "/gone").status_code == 404
    log = [e for e in admin.requests() if e["path"].startswith(SECRETS)]
    assert [e["dry_run"] for e in log if e["method"] == "POST"] == [True, False]


def test_a_refused_dry_run_is_logged_as_a_dry_run(admin, viewer):
    admin.clear_log()
    refused = viewer.call("POST", SECRETS + "?dryRun=All", secret("dry", {"a": "1"}))
    assert refused.status_code == 403
    (entry,) = [e for e in admin.requests() if e["path"].startswith(SECRETS) and e["method"] == "POST"]
    assert entry["status"] == 403 and entry["dry_run"] is True


def test_generation_and_status_subresource(admin):
    cfg = admin.get(REGISTRY).json()
    gen = cfg["metadata"]["generation"]
    labelled = admin.call("PATCH", REGISTRY, {"metadata": {"labels": {"a": "b"}}}, "application/merge-patch+json").json()
    assert labelled["metadata"]["generation"] == gen
    bumped = admin.call("PATCH", REGISTRY, {"spec": {"logLevel": "Debug"}}, "application/merge-patch+json").json()
    assert bumped["metadata"]["generation"] == gen + 1
    ignored = admin.call("PATCH", REGISTRY, {"status": {"readyReplicas": 7}}, "application/merge-patch+json").json()
    assert ignored["status"].get("readyReplicas") != 7
    status = admin.call("PATCH", REGISTRY + "/status", {"status": {"readyReplicas": 7}, "spec": {"replicas": 5}},
                        "application/merge-patch+json").json()
    assert status["status"]["readyReplicas"] == 7 and status["spec"]["replicas"] == 1


def test_secret_rules(admin):
    folded = admin.call("POST", SECRETS, secret("sd", stringData={"user": "me"})).json()
    assert folded["data"] == {"user": base64.b64encode(b"me").decode()} and "stringData" not in folded
    missing = admin.call("POST", SECRETS, secret("dc", {}, "kubernetes.io/dockerconfigjson")).json()
    assert missing["code"] == 422
    assert missing["message"] == 'Secret "dc" is invalid: data[.dockerconfigjson]: Required value'
    bad = admin.call("POST", SECRETS, secret("dc", {".dockerconfigjson": "{not json"}, "kubernetes.io/dockerconfigjson"))
    assert bad.status_code == 422 and "<secret contents redacted>" in bad.json()["message"]
    assert "not json" not in bad.text
    good = admin.call("POST", SECRETS, secret("dc", {".dockerconfigjson": '{"auths":{}}'}, "kubernetes.io/dockerconfigjson"))
    assert good.status_code == 201
    body = good.json()
    body["type"] = "Opaque"
    immutable = admin.call("PUT", SECRETS + "/dc", body).json()
    assert immutable["code"] == 422 and "field is immutable" in immutable["message"]
    raw = secret("b64")
    raw["data"] = {"a": "!!!"}
    assert admin.call("POST", SECRETS, raw).json()["message"].endswith("illegal base64 data at input byte 0")


def test_field_validation_of_openshift_config(admin):
    strict = admin.call("PATCH", REGISTRY + "?fieldValidation=Strict", {"spec": {"bogus": 1}},
                        "application/merge-patch+json").json()
    # a strict patch is judged after it is applied: 422 naming the whole patched object
    assert strict["code"] == 422 and strict["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert strict["message"].endswith('strict decoding error: unknown field "spec.bogus"')
    current = admin.get(REGISTRY).json()
    current["spec"]["bogus"] = 1
    put = admin.call("PUT", REGISTRY + "?fieldValidation=Strict", current).json()
    assert put["code"] == 400
    assert put["message"] == ('Config in version "v1" cannot be handled as a Config: strict decoding error: '
                              'unknown field "spec.bogus"')
    lax = admin.call("PATCH", REGISTRY, {"spec": {"bogus": 1}}, "application/merge-patch+json")
    assert lax.status_code == 200 and "bogus" not in lax.json()["spec"]
    assert 'unknown field \\"spec.bogus\\"' in lax.headers["Warning"] or "spec.bogus" in lax.headers["Warning"]
    enum = admin.call("PATCH", REGISTRY, {"spec": {"logLevel": "Loud"}}, "application/merge-patch+json").json()
    # the CRD has CEL rules: with a schema error the server skips them and says so in one more cause
    assert enum["message"] == ('Config.imageregistry.operator.openshift.io "cluster" is invalid: [spec.logLevel: '
                               'Unsupported value: "Loud": supported values: "", "Normal", "Debug", "Trace", "TraceAll", '
                               "<nil>: Invalid value: null: some validation rules were not checked because the object "
                               "was invalid; correct the existing errors to complete validation]")
    pattern = admin.call("PATCH", REGISTRY, {"spec": {"managementState": "On"}}, "application/merge-patch+json").json()
    assert pattern["code"] == 422 and pattern["details"]["causes"][0]["field"] == "spec.managementState"
    typed = admin.call("PATCH", REGISTRY, {"spec": {"replicas": "two"}}, "application/merge-patch+json").json()
    assert "spec.replicas in body must be of type integer" in typed["message"]
    limits = admin.call("PATCH", REGISTRY, {"spec": {"storage": {"s3": {"chunkSizeMiB": 4}}}},
                        "application/merge-patch+json").json()
    assert "should be greater than or equal to 5" in limits["message"]
    required = admin.call("PATCH", REGISTRY, {"spec": {"routes": [{"hostname": "x"}]}}, "application/merge-patch+json")
    assert required.json()["details"]["causes"][0]["field"] == "spec.routes[0].name"
    cel = admin.call("PATCH", IMAGES, {"spec": {"registrySources": {"allowedRegistries": ["a.io"],
                                                                    "blockedRegistries": ["b.io"]}}},
                     "application/merge-patch+json").json()
    assert cel["code"] == 422 and "Only one of blockedRegistries or allowedRegistries may be set" in cel["message"]
    tagged = admin.call("PATCH", IMAGES, {"spec": {"registrySources": {"insecureRegistries": ["a.io/x:tag"]}}},
                        "application/merge-patch+json")
    # OpenShift 4.21's CRD (the real control plane) has no rule on a scope's form; reference/'s newer CRD (the
    # emulator) refuses a tag: a known divergence (tests/lab/README.md)
    assert tagged.status_code == (200 if admin.env.get("LAB_CONTROL_PLANE") == "real" else 422)
    ok = admin.call("PATCH", IMAGES, {"spec": {"registrySources": {"insecureRegistries": ["*.example.com", "a.io:5000/ns"]}}},
                    "application/merge-patch+json")
    assert ok.status_code == 200
    default = admin.call("PATCH", REGISTRY, {"spec": {"logLevel": None}}, "application/merge-patch+json").json()
    assert default["spec"]["logLevel"] == "Normal"
