"""The cluster trusts, allows, blocks and mirrors registries only as its configuration says: imports, the
registry operator's certificates, the machine config pools and the files a node gets, checked with skopeo."""

import json
import os
import subprocess
import tempfile

import pytest

from tests.lab.tests.test_openshift import IMAGE_CONFIG, MERGE, REGISTRY, image, isi, statuses, wait_for

CONFIG_MAPS = "/api/v1/namespaces/%s/configmaps"
IDMS = "/apis/config.openshift.io/v1/imagedigestmirrorsets"
ITMS = "/apis/config.openshift.io/v1/imagetagmirrorsets"
ICSP = "/apis/operator.openshift.io/v1alpha1/imagecontentsourcepolicies"
POOLS = "/apis/machineconfiguration.openshift.io/v1/machineconfigpools"
X509 = "x509: certificate signed by unknown authority"


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def patch_image_config(admin, spec):
    resp = admin.call("PATCH", IMAGE_CONFIG, {"spec": spec}, MERGE)
    assert resp.status_code == 200, resp.text
    return resp.json()


def trust(admin, env, name="registry-cas", key=None, pem=None):
    host = env["LAB_REGISTRY_PRIVATE"]
    body = {"metadata": {"name": name}, "data": {key or host.replace(":", ".."): pem or read(
        env["LAB_REGISTRY_PRIVATE_CA_FILE"]), "other-team.example.com": "kept"}}
    assert admin.call("POST", CONFIG_MAPS % "openshift-config", body).status_code == 201
    patch_image_config(admin, {"additionalTrustedCA": {"name": name}})


def private_credentials(admin, env):
    from tests.lab.tests.test_openshift import set_pull_secret  # pylint: disable=import-outside-toplevel
    import base64  # pylint: disable=import-outside-toplevel
    auth = base64.b64encode(("%s:%s" % (env["LAB_REGISTRY_PRIVATE_USER"], env["LAB_REGISTRY_PRIVATE_PASSWORD"]))
                            .encode()).decode()
    set_pull_secret(admin, {env["LAB_REGISTRY_PRIVATE"]: {"auth": auth}})


def node_files(admin, pool="worker"):
    resp = admin.get("/lab/nodes/files", pool=pool)
    assert resp.status_code == 200, resp.text
    return resp.json()


# ---------------------------------------------------------------- trust

def test_private_registry_is_untrusted_until_its_ca_is_in_additional_trusted_ca(admin, env):
    private_credentials(admin, env)
    ref = env["LAB_REGISTRY_PRIVATE"] + "/lab/app:1.0"
    untrusted = statuses(isi(admin, "onprem", [image(ref, "1.0")]))[0]
    assert untrusted["reason"] == "InternalError" and untrusted["code"] == 500
    assert untrusted["message"].startswith("Internal error occurred: %s: " % ref) and X509 in untrusted["message"]

    trust(admin, env, key="127.0.0.1")  # a host without its port does not cover host:port
    assert X509 in statuses(isi(admin, "onprem", [image(ref, "1.0")]))[0]["message"]
    assert admin.call("DELETE", CONFIG_MAPS % "openshift-config" + "/registry-cas").status_code == 200

    trust(admin, env)
    assert statuses(isi(admin, "onprem", [image(ref, "1.0")]))[0]["status"] == "Success"


def test_a_ca_trusts_only_the_registry_it_is_listed_for(admin, env):
    trust(admin, env, key="127.0.0.1..1")
    ref = env["LAB_REGISTRY_PRIVATE"] + "/lab/app:1.0"
    assert X509 in statuses(isi(admin, "onprem", [image(ref)]))[0]["message"]
    # the lab CA stands for the well-known CAs: the other registries need no entry
    assert statuses(isi(admin, "basic", [image(env["LAB_REGISTRY_BASIC"] + "/lab/app:1.0")]))[0]["status"] == "Success"


def test_registry_operator_copies_trusted_cas_and_service_ca(admin, env):
    trust(admin, env)
    key = env["LAB_REGISTRY_PRIVATE"].replace(":", "..")
    certs = wait_for(lambda: (admin.get(CONFIG_MAPS % "openshift-image-registry" + "/image-registry-certificates")
                              .json().get("data") or {}).get(key) and admin.get(
        CONFIG_MAPS % "openshift-image-registry" + "/image-registry-certificates").json())
    assert certs["data"][key] == read(env["LAB_REGISTRY_PRIVATE_CA_FILE"])
    assert certs["data"]["other-team.example.com"] == "kept"
    # the registry's own hostnames come with its service once it is Managed
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}}}}, MERGE)
    service_key = "image-registry.openshift-image-registry.svc..5000"
    certs = wait_for(lambda: service_key in (admin.get(CONFIG_MAPS % "openshift-image-registry"
                                                       + "/image-registry-certificates").json().get("data") or {})
                     and admin.get(CONFIG_MAPS % "openshift-image-registry" + "/image-registry-certificates").json())
    assert certs["data"][service_key] == read(env["LAB_SERVICE_CA_FILE"])
    assert "image-registry.openshift-image-registry.svc.cluster.local..5000" in certs["data"]
    files = node_files(admin)["files"]
    assert files["/etc/docker/certs.d/%s/ca.crt" % env["LAB_REGISTRY_PRIVATE"]] == read(
        env["LAB_REGISTRY_PRIVATE_CA_FILE"])
    assert "/etc/docker/certs.d/image-registry.openshift-image-registry.svc:5000/ca.crt" in files


def test_missing_trusted_ca_config_map_degrades_the_certificates_controller(admin):
    patch_image_config(admin, {"additionalTrustedCA": {"name": "no-such-cas"}})

    def degraded():
        conds = {c["type"]: c for c in admin.get(REGISTRY).json()["status"].get("conditions", [])}
        cond = conds.get("ImageRegistryCertificatesControllerDegraded", {})
        return cond if cond.get("status") == "True" else None
    cond = wait_for(degraded)
    assert (cond["reason"], cond["message"]) == ("Error", 'image-registry-certificates: configmap "no-such-cas" not found')


# ---------------------------------------------------------------- insecure and blocked

def test_http_registry_needs_insecure_from_policy_or_image_config(admin, env):
    ref = env["LAB_REGISTRY_HTTP"] + "/lab/app:1.0"
    refused = statuses(isi(admin, "plain", [image(ref, "1.0")]))[0]
    assert (refused["reason"], refused["code"]) == ("BadRequest", 400)
    assert refused["message"] == ("the repository %s/lab/app is HTTP only and requires the insecure flag to import"
                                  % env["LAB_REGISTRY_HTTP"])
    assert statuses(isi(admin, "plain", [image(ref, "1.0", insecure=True)]))[0]["status"] == "Success"
    patch_image_config(admin, {"registrySources": {"insecureRegistries": [env["LAB_REGISTRY_HTTP"]]}})
    assert statuses(isi(admin, "plain", [image(ref, "1.0")]))[0]["status"] == "Success"


def test_insecure_skips_verification_of_an_untrusted_certificate(admin, env):
    private_credentials(admin, env)
    patch_image_config(admin, {"registrySources": {"insecureRegistries": [env["LAB_REGISTRY_PRIVATE"] + "/lab"]}})
    ref = env["LAB_REGISTRY_PRIVATE"] + "/lab/app:1.0"
    # a scope with a path is not a host: the apiserver matches insecure registries by host only
    assert X509 in statuses(isi(admin, "onprem", [image(ref)]))[0]["message"]
    patch_image_config(admin, {"registrySources": {"insecureRegistries": [env["LAB_REGISTRY_PRIVATE"]]}})
    assert statuses(isi(admin, "onprem", [image(ref)]))[0]["status"] == "Success"


def test_blocked_registry_is_forbidden_per_image(admin, env):
    basic, token = env["LAB_REGISTRY_BASIC"], env["LAB_REGISTRY_TOKEN"]
    patch_image_config(admin, {"registrySources": {"blockedRegistries": [token]}})
    found = statuses(isi(admin, "mixed", [image(basic + "/lab/app:1.0", "a"), image(token + "/lab/app:1.0", "b")]))
    assert found[0]["status"] == "Success"
    assert (found[1]["reason"], found[1]["code"], found[1]["message"]) == (
        "Forbidden", 403, "forbidden: registry %s blocked" % token)
    both = admin.call("PATCH", IMAGE_CONFIG, {"spec": {"registrySources": {"allowedRegistries": [basic]}}}, MERGE)
    assert both.status_code == 422  # the CRD allows only one of blocked and allowed


def test_allowed_registries_reach_the_nodes_not_the_importer(admin, env):
    """openshift-apiserver builds its registries config from insecure and blocked registries only; the
    allowed list becomes the nodes' policy.json (openshift-apiserver imagestreamimport/rest.go)."""
    basic, token = env["LAB_REGISTRY_BASIC"], env["LAB_REGISTRY_TOKEN"]
    patch_image_config(admin, {"registrySources": {"allowedRegistries": [basic, "quay.io"]}})
    assert statuses(isi(admin, "other", [image(token + "/lab/app:1.0")]))[0]["status"] == "Success"
    policy = json.loads(wait_for(lambda: _rolled_out_file(admin, "/etc/containers/policy.json", basic)))
    assert policy["default"] == [{"type": "reject"}]
    assert policy["transports"]["docker"] == {basic: [{"type": "insecureAcceptAnything"}],
                                              "quay.io": [{"type": "insecureAcceptAnything"}]}


def _rolled_out_file(admin, path, needle):
    text = node_files(admin)["files"].get(path, "")
    return text if needle in text else None


# ---------------------------------------------------------------- mirrors

def _mirror_set(admin, url, kind, field, entries, name="lab-mirrors"):
    body = {"apiVersion": url.split("/apis/")[1].rsplit("/", 1)[0], "kind": kind, "metadata": {"name": name},
            "spec": {field: entries}}
    resp = admin.call("POST", url, body)
    assert resp.status_code == 201, resp.text


def _digest(admin, env, tag="1.0"):
    resp = isi(admin, "probe", [image(env["LAB_REGISTRY_BASIC"] + "/lab/app:" + tag)], do_import=False)
    return resp.json()["status"]["images"][0]["image"]["metadata"]["name"]


def test_digest_import_through_idms_from_an_unreachable_source(admin, env):
    digest = _digest(admin, env)
    source = env["LAB_SOURCE_UNREACHABLE"] + "/lab/app"
    ref = "%s@%s" % (source, digest)
    before = statuses(isi(admin, "disconnected", [image(ref, "pinned")]))[0]
    assert before["reason"] == "InternalError" and "connection refused" in before["message"]

    _mirror_set(admin, IDMS, "ImageDigestMirrorSet", "imageDigestMirrors",
                [{"source": env["LAB_SOURCE_UNREACHABLE"] + "/lab", "mirrors": [env["LAB_REGISTRY_MIRROR"] + "/lab"]}])
    resp = isi(admin, "disconnected", [image(ref, "pinned")])
    assert statuses(resp)[0]["status"] == "Success"
    result = resp.json()["status"]
    # the stream records the source, as the real server does, not the mirror it was pulled from
    assert result["images"][0]["image"]["dockerImageReference"] == ref
    assert result["import"]["status"]["tags"][0]["items"][0]["dockerImageReference"] == ref

    # a tag is not mirrored by an IDMS: it needs an ITMS
    tagged = statuses(isi(admin, "disconnected", [image(source + ":1.0", "tagged")]))[0]
    assert "connection refused" in tagged["message"]
    _mirror_set(admin, ITMS, "ImageTagMirrorSet", "imageTagMirrors",
                [{"source": source, "mirrors": [env["LAB_REGISTRY_MIRROR"] + "/lab/app"]}])
    tagged = isi(admin, "disconnected", [image(source + ":1.0", "tagged")]).json()["status"]["images"][0]
    assert tagged["status"]["status"] == "Success" and tagged["image"]["metadata"]["name"] == digest


def test_mirrors_are_tried_in_order_then_the_source_unless_never_contact(admin, env):
    digest = _digest(admin, env, "1.1")
    source = env["LAB_REGISTRY_BASIC"] + "/lab/app"
    # a mirror that does not have the image, then the source
    _mirror_set(admin, ICSP, "ImageContentSourcePolicy", "repositoryDigestMirrors",
                [{"source": source, "mirrors": [env["LAB_REGISTRY_MIRROR"] + "/lab/absent"]}])
    ok = statuses(isi(admin, "ordered", [image("%s@%s" % (source, digest), "x")]))[0]
    assert ok["status"] == "Success"
    _mirror_set(admin, IDMS, "ImageDigestMirrorSet", "imageDigestMirrors",
                [{"source": source, "mirrors": [env["LAB_REGISTRY_MIRROR"] + "/lab/absent"],
                  "mirrorSourcePolicy": "NeverContactSource"}], name="never")
    never = statuses(isi(admin, "ordered", [image("%s@%s" % (source, digest), "x")]))[0]
    assert never["status"] == "Failure" and never["reason"] in ("NotFound", "Unauthorized", "InternalError")
    files = wait_for(lambda: _rolled_out_file(admin, "/etc/containers/registries.conf", "blocked = true"))
    assert 'location = "%s"' % source in files and "pull-from-mirror = \"digest-only\"" in files


# ---------------------------------------------------------------- machine config pools and nodes

def _pool(admin, name):
    return admin.get(POOLS + "/" + name).json()


def _conds(pool):
    return {c["type"]: c for c in pool.get("status", {}).get("conditions", [])}


def test_pools_roll_out_registry_changes(admin, env):
    admin.settings(mco_delay=1.5)
    start = {name: _pool(admin, name) for name in ("master", "worker")}
    for pool in start.values():
        assert _conds(pool)["Updated"]["status"] == "True" and pool["status"]["updatedMachineCount"] == \
            pool["status"]["machineCount"]
        assert pool["status"]["configuration"]["name"].startswith("rendered-" + pool["metadata"]["name"] + "-")
    patch_image_config(admin, {"registrySources": {"insecureRegistries": [env["LAB_REGISTRY_HTTP"]]}})
    updating = wait_for(lambda: _conds(_pool(admin, "worker"))["Updating"]["status"] == "True" and _pool(admin, "worker"))
    target = updating["spec"]["configuration"]["name"]
    assert target != start["worker"]["status"]["configuration"]["name"]
    assert _conds(updating)["Updating"]["message"] == "All nodes are updating to MachineConfig " + target
    assert _conds(updating)["Updated"]["status"] == "False"
    # nodes keep the old files until the pool has rolled out
    assert env["LAB_REGISTRY_HTTP"] not in node_files(admin)["files"]["/etc/containers/registries.conf"]
    done = wait_for(lambda: _conds(_pool(admin, "worker"))["Updated"]["status"] == "True" and _pool(admin, "worker"))
    assert done["status"]["configuration"]["name"] == target
    assert _conds(done)["Updated"]["message"] == "All nodes are updated with MachineConfig " + target
    assert done["status"]["observedGeneration"] == done["metadata"]["generation"]
    conf = node_files(admin)["files"]["/etc/containers/registries.conf"]
    assert '[[registry]]\n  prefix = ""\n  location = "%s"\n  insecure = true' % env["LAB_REGISTRY_HTTP"] in conf


def test_pull_secret_change_reaches_the_kubelet_config(admin):
    from tests.lab.tests.test_openshift import set_pull_secret  # pylint: disable=import-outside-toplevel
    set_pull_secret(admin, {"new.example.com": {"auth": "dTpw"}})
    wait_for(lambda: "new.example.com" in node_files(admin)["files"]["/var/lib/kubelet/config.json"])
    assert json.loads(node_files(admin)["files"]["/var/lib/kubelet/config.json"]) == {
        "auths": {"new.example.com": {"auth": "dTpw"}}}


def test_blocking_the_release_payload_registry_is_dropped_and_logged(admin):
    version = admin.get("/apis/config.openshift.io/v1/clusterversions/version").json()
    assert version["status"]["desired"]["image"].startswith("quay.io/openshift-release-dev/ocp-release@sha256:")
    patch_image_config(admin, {"registrySources": {"blockedRegistries": ["quay.io", "bad.example.com"],
                                                   "containerRuntimeSearchRegistries": ["search.example.com"]}})
    conf = wait_for(lambda: _rolled_out_file(admin, "/etc/containers/registries.conf", "bad.example.com"))
    assert "quay.io" not in conf
    files = node_files(admin)
    assert ('error adding ["quay.io"] to blocked registries, cannot block the repository being used by the payload, '
            "skipping....") in files["log"]
    policy = json.loads(files["files"]["/etc/containers/policy.json"])
    assert policy["transports"]["docker"] == {"bad.example.com": [{"type": "reject"}]}
    assert files["files"]["/etc/containers/registries.conf.d/01-image-searchRegistries.conf"].startswith(
        'unqualified-search-registries = ["search.example.com"]')


def test_kubectl_reads_machine_config_pools(env, admin):
    out = subprocess.run(["kubectl", "--kubeconfig", env["LAB_KUBECONFIG"], "get", "machineconfigpools", "-o", "json"],
                         capture_output=True, text=True, check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    assert sorted(i["metadata"]["name"] for i in json.loads(out.stdout)["items"]) == ["master", "worker"]
    out = subprocess.run(["kubectl", "--kubeconfig", env["LAB_KUBECONFIG"], "get", "mcp", "worker", "-o",
                          "jsonpath={.status.conditions[?(@.type=='Updated')].status}"],
                         capture_output=True, text=True, check=False, timeout=60)
    assert out.returncode == 0 and out.stdout == "True", out.stderr


def test_update_of_a_custom_resource_needs_a_resource_version(admin):
    current = admin.get(IMAGE_CONFIG).json()
    current["metadata"].pop("resourceVersion")
    refused = admin.call("PUT", IMAGE_CONFIG, current)
    assert refused.status_code == 422
    assert refused.json()["message"] == ('images.config.openshift.io "cluster" is invalid: metadata.resourceVersion: '
                                         "Invalid value: 0: must be specified for an update")
    secret = admin.get("/api/v1/namespaces/openshift-config/secrets/pull-secret").json()
    secret["metadata"].pop("resourceVersion")
    assert admin.call("PUT", "/api/v1/namespaces/openshift-config/secrets/pull-secret", secret).status_code == 200


def test_default_route_in_routes_is_refused_by_the_operator(admin):
    admin.call("PATCH", REGISTRY, {"spec": {"managementState": "Managed", "storage": {"emptyDir": {}},
                                            "routes": [{"name": "default-route"}]}}, MERGE)

    def failed():
        conds = {c["type"]: c for c in admin.get(REGISTRY).json()["status"].get("conditions", [])}
        return conds.get("Degraded", {}).get("reason") == "VerificationFailed" and conds["Degraded"]
    cond = wait_for(failed)
    assert cond["message"] == ("Error: unable to complete resource: duplication of names has been detected in the "
                               "additional routes")


# ---------------------------------------------------------------- real skopeo reads the rendered file

@pytest.fixture()
def skopeo_dirs(env):
    with tempfile.TemporaryDirectory() as tmp:
        certs = os.path.join(tmp, "certs")
        os.makedirs(certs)
        with open(os.path.join(certs, "ca.crt"), "w", encoding="utf-8") as handle:
            handle.write(read(env["LAB_CA_FILE"]))
        auth = os.path.join(tmp, "auth.json")
        import base64  # pylint: disable=import-outside-toplevel
        creds = base64.b64encode(("%s:%s" % (env["LAB_REGISTRY_MIRROR_USER"], env["LAB_REGISTRY_MIRROR_PASSWORD"]))
                                 .encode()).decode()
        with open(auth, "w", encoding="utf-8") as handle:
            json.dump({"auths": {env["LAB_REGISTRY_MIRROR"]: {"auth": creds}}}, handle)
        yield tmp, certs, auth


def skopeo(registries_conf, certs, auth, ref):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REGISTRY_AUTH", "XDG_"))}
    env["HOME"] = os.path.dirname(registries_conf)
    return subprocess.run(["skopeo", "--registries-conf", registries_conf, "inspect", "--raw", "--cert-dir", certs,
                           "--authfile", auth, "docker://" + ref], capture_output=True, text=True, env=env,
                          timeout=60, check=False)


def test_skopeo_resolves_the_rendered_registries_conf_through_the_mirror(admin, env, skopeo_dirs):
    tmp, certs, auth = skopeo_dirs
    digest = _digest(admin, env)
    source = env["LAB_SOURCE_UNREACHABLE"] + "/lab"
    _mirror_set(admin, IDMS, "ImageDigestMirrorSet", "imageDigestMirrors",
                [{"source": source, "mirrors": [env["LAB_REGISTRY_MIRROR"] + "/lab"],
                  "mirrorSourcePolicy": "NeverContactSource"}])
    conf = wait_for(lambda: _rolled_out_file(admin, "/etc/containers/registries.conf", source))
    assert 'location = "%s"\n  blocked = true' % source in conf
    path = os.path.join(tmp, "registries.conf")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(conf)
    ref = "%s/app@%s" % (source, digest)
    out = skopeo(path, certs, auth, ref)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["schemaVersion"] == 2
    # a tag is not mirrored by digest-only mirrors, and the source is blocked
    out = skopeo(path, certs, auth, source + "/app:1.0")
    assert out.returncode != 0 and "blocked" in out.stderr
