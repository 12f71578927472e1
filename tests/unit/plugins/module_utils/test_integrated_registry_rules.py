# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.integrated import spec as rules
from ansible_collections.ocp.registry.plugins.module_utils.integrated import state as regstate

BACKEND_OPTIONS = ("empty_dir", "pvc", "s3", "gcs", "azure", "swift", "ibmcos")


def params(**given):
    out = dict(management_state=None, storage=None, storage_management_state=None, replicas=None,
               allow_empty_dir_replicas=False, rollout_strategy=None, default_route=None, routes=None,
               node_selector=None, tolerations=None, affinity=None, resources=None, disable_redirect=None,
               read_only=None, proxy=None, log_level=None, operator_log_level=None, wait=False, wait_timeout=600)
    if "storage" in given and given["storage"] is not None:
        storage = dict((k, None) for k in BACKEND_OPTIONS)
        storage.update(given["storage"])
        given["storage"] = storage
    out.update(given)
    return out


LIVE = {"managementState": "Removed", "replicas": 1, "rolloutStrategy": "RollingUpdate", "httpSecret": "planted-secret-h",
        "logLevel": "Normal", "proxy": {}, "storage": {}, "unsupportedConfigOverrides": {"keep": "me"}}


# ------------------------------------------------------------------ validation before any request

@pytest.mark.parametrize("given, words", [
    (dict(storage={"empty_dir": {}, "pvc": {}}), "exactly one storage type should be configured at the same time, got 2: [EmptyDir PVC]"),
    (dict(storage={}), "got 0: []"),
    (dict(storage={"s3": {}, "gcs": {}, "azure": {}}), "got 3: [S3 GCS Azure]"),
    (dict(replicas=-1), "replicas must be greater than or equal to 0"),
    (dict(storage={"empty_dir": {"size": 1}}), "storage.empty_dir: takes no options"),
    (dict(storage={"pvc": {"create": True}}), "storage.pvc.create: needs storage.pvc.claim"),
    (dict(storage={"pvc": {"claim": "c", "create": True, "size": "lots"}}), "storage.pvc.size"),
    (dict(storage={"pvc": {"claim": "c", "size": "10Gi"}}), "add create: true"),
    (dict(storage={"pvc": {"claim": "Bad_Claim"}}), "storage.pvc.claim"),
    (dict(storage={"s3": {"chunk_size_mib": 4}}), "between 5 and 5120"),
    (dict(storage={"s3": {"access_key": "planted-secret-a"}}), "access_key and secret_key go together"),
    (dict(storage={"s3": {"trusted_ca": "Not A Name"}}), "storage.s3.trusted_ca"),
    (dict(storage={"s3": {"cloud_front": {"base_url": "https://cf"}}}), "keypair_id"),
    (dict(storage={"azure": {"container": "AB"}}), "storage.azure.container"),
    (dict(storage={"azure": {"account_key": ""}}), "must not be empty"),
    (dict(storage={"azure": {"network_access": {"type": "External", "internal": {"subnet_name": "s"}}}}),
     "internal is forbidden when type is not Internal"),
    (dict(storage={"ibmcos": {"resource_key_crn": "crn:nope"}}), "resource_key_crn"),
    (dict(storage={"ibmcos": {"service_instance_crn": "crn:nope"}}), "service_instance_crn"),
    (dict(storage={"gcs": {"key_file": "planted-secret-not-json"}}), "service account JSON key file"),
    (dict(storage={"swift": {"username": "u"}}), "username and password go together"),
    (dict(routes=[{"name": "a"}, {"name": "a"}]), "duplication of names has been detected in the additional routes: a"),
    (dict(routes=[{"name": "default-route"}]), "the name default-route is reserved by the image registry operator"),
    (dict(default_route=True, routes=[{"name": "default-route"}]), "default_route creates default-route"),
    (dict(routes=[{"name": "UPPER"}]), "lowercase DNS label"),
    (dict(resources={"limits": {"cpu": "lots"}}), "resources.limits.cpu: 'lots' is not a quantity"),
    (dict(resources={"requests": {"memory": "1GB"}}), "resources.requests.memory: '1GB' is not a quantity"),
    (dict(resources={"limit": {"cpu": "1"}}), "give limits and/or requests"),
    (dict(routes=[{"name": "r", "hostname": "bad host"}]), "not a valid DNS name"),
    (dict(node_selector={"zone": 1}), "node_selector"),
    (dict(wait=True, wait_timeout=0), "wait_timeout"),
])
def test_bad_options_are_refused(given, words):
    with pytest.raises(rules.ValidationError) as err:
        rules.validate_options(params(**given))
    assert words in str(err.value)
    assert "planted-secret" not in str(err.value)


@pytest.mark.parametrize("option, backend", [("empty_dir", "emptyDir"), ("pvc", "pvc"), ("s3", "s3"), ("gcs", "gcs"),
                                             ("azure", "azure"), ("swift", "swift"), ("ibmcos", "ibmcos")])
def test_one_backend_is_accepted(option, backend):
    assert rules.validate_options(params(storage={option: {}})) == backend


# ------------------------------------------------------------------ desired spec

def test_options_left_out_keep_live_values():
    spec, notes = rules.desired_spec(LIVE, params(replicas=2), None)
    assert spec == dict(LIVE, replicas=2) and notes == []


def test_every_backend_maps_its_fields():
    cases = {
        "s3": ({"bucket": "b", "region": "r", "region_endpoint": "https://e", "encrypt": True, "key_id": "k",
                "virtual_hosted_style": False, "chunk_size_mib": 10, "trusted_ca": "ca",
                "cloud_front": {"base_url": "https://cf", "keypair_id": "kp", "duration": "20m",
                                "private_key_secret": "cf", "private_key_key": "key"},
                "access_key": "planted-secret-a", "secret_key": "planted-secret-s"},
               {"bucket": "b", "region": "r", "regionEndpoint": "https://e", "encrypt": True, "keyID": "k",
                "virtualHostedStyle": False, "chunkSizeMiB": 10, "trustedCA": {"name": "ca"},
                "cloudFront": {"baseURL": "https://cf", "keypairID": "kp", "duration": "20m",
                               "privateKey": {"name": "cf", "key": "key"}}}),
        "gcs": ({"bucket": "b", "region": "r", "project_id": "p", "key_id": "k", "key_file": "{}"},
                {"bucket": "b", "region": "r", "projectID": "p", "keyID": "k"}),
        "azure": ({"account_name": "a", "container": "c-1", "cloud_name": "AzurePublicCloud", "account_key": "x",
                   "network_access": {"type": "Internal", "internal": {"subnet_name": "s", "vnet_name": "v",
                                                                       "network_resource_group_name": None,
                                                                       "private_endpoint_name": None}}},
                  {"accountName": "a", "container": "c-1", "cloudName": "AzurePublicCloud",
                   "networkAccess": {"type": "Internal", "internal": {"subnetName": "s", "vnetName": "v"}}}),
        "swift": ({"auth_url": "https://k", "auth_version": "3", "container": "c", "domain": "d", "domain_id": "di",
                   "region_name": "r", "tenant": "t", "tenant_id": "ti", "username": "u", "password": "p"},
                  {"authURL": "https://k", "authVersion": "3", "container": "c", "domain": "d", "domainID": "di",
                   "regionName": "r", "tenant": "t", "tenantID": "ti"}),
        "ibmcos": ({"bucket": "b", "location": "l", "resource_group_name": "g", "resource_key_crn": "rk",
                    "service_instance_crn": "si", "api_key": "k"},
                   {"bucket": "b", "location": "l", "resourceGroupName": "g", "resourceKeyCRN": "rk",
                    "serviceInstanceCRN": "si"}),
        "pvc": ({"claim": "c"}, {"claim": "c"}),
    }
    for backend, (options, block) in cases.items():
        spec, _notes = rules.desired_spec(LIVE, params(storage={backend: options}), backend)
        assert spec["storage"][backend] == block, backend
        assert "planted-secret-a" not in json.dumps(spec) and "planted-secret-s" not in json.dumps(spec)


def test_switching_backends_removes_the_old_block_and_says_so():
    live = dict(LIVE, storage={"s3": {"bucket": "b", "region": "r"}, "managementState": "Managed"})
    spec, notes = rules.desired_spec(live, params(storage={"pvc": {"claim": "mine"}}), "pvc")
    assert spec["storage"] == {"pvc": {"claim": "mine"}, "managementState": "Unmanaged"}
    assert notes == ["storage switched from s3 to pvc: the s3 block is removed"]
    spec, notes = rules.desired_spec(live, params(storage={"pvc": {}}), "pvc")
    assert spec["storage"] == {"pvc": {}, "managementState": "Managed"}
    spec, notes = rules.desired_spec(live, params(storage={"empty_dir": {}}, storage_management_state="Unmanaged"),
                                     "emptyDir")
    assert spec["storage"] == {"emptyDir": {}, "managementState": "Unmanaged"}


def test_same_backend_merges_fields_and_keeps_operator_defaults():
    live = dict(LIVE, storage={"s3": {"bucket": "generated-by-operator", "region": "r", "encrypt": True},
                               "managementState": "Managed"})
    spec, notes = rules.desired_spec(live, params(storage={"s3": {"region": "r2"}}), "s3")
    assert spec["storage"] == {"s3": {"bucket": "generated-by-operator", "region": "r2", "encrypt": True},
                               "managementState": "Managed"}
    assert notes == []
    live = dict(LIVE, storage={"pvc": {"claim": "image-registry-storage"}, "managementState": "Managed"})
    spec, _notes = rules.desired_spec(live, params(storage={"pvc": {}}), "pvc")
    assert spec == live


def test_routes_replace_the_live_list():
    live = dict(LIVE, routes=[{"name": "old", "hostname": "old.example"}])
    spec, _notes = rules.desired_spec(live, params(routes=[{"name": "new", "hostname": None, "secret_name": "tls"}]), None)
    assert spec["routes"] == [{"name": "new", "secretName": "tls"}]
    spec, _notes = rules.desired_spec(live, params(routes=[]), None)
    assert "routes" not in spec


def test_proxy_merges_fields():
    live = dict(LIVE, proxy={"http": "http://p:3128"})
    spec, _notes = rules.desired_spec(live, params(proxy={"http": None, "https": "http://p:3129", "no_proxy": ".svc"}), None)
    assert spec["proxy"] == {"http": "http://p:3128", "https": "http://p:3129", "noProxy": ".svc"}


# ------------------------------------------------------------------ rules against live objects

def rwo(name="c"):
    return {"metadata": {"name": name}, "spec": {"accessModes": ["ReadWriteOnce"]}}


@pytest.mark.parametrize("spec, pvc, keys, options, allow, words", [
    (dict(replicas=2, storage={"pvc": {"claim": "c"}}), rwo(), set(), {}, False, "more than one replica"),
    (dict(replicas=1, rolloutStrategy="RollingUpdate", storage={"pvc": {"claim": "c"}}), rwo(), set(), {}, False,
     "RollingUpdate rollout strategy"),
    (dict(replicas=1, storage={"pvc": {"claim": "missing"}}), None, set(), {}, False, "not found"),
    (dict(replicas=3, storage={"emptyDir": {}}), None, set(), {}, False, "allow_empty_dir_replicas"),
    (dict(replicas=1, storage={"s3": {}}), None, {"REGISTRY_STORAGE_S3_ACCESSKEY"}, {}, False,
     'does not contain required key "REGISTRY_STORAGE_S3_SECRETKEY"; give secret_key'),
    (dict(replicas=1, storage={"gcs": {}}), None, set(), {}, False, "REGISTRY_STORAGE_GCS_KEYFILE"),
    (dict(replicas=1, storage={"azure": {}}), None, set(), {}, False, "REGISTRY_STORAGE_AZURE_ACCOUNTKEY"),
    (dict(replicas=1, storage={"ibmcos": {}}), None, set(), {}, False, "REGISTRY_STORAGE_IBMCOS_IAMAPIKEY"),
    (dict(replicas=1, storage={"swift": {}}), None, set(), {}, False, "the operator needs one of them"),
])
def test_live_rules(spec, pvc, keys, options, allow, words):
    with pytest.raises(rules.ValidationError) as err:
        rules.check_against_live(spec, pvc, keys, options, allow)
    assert words in str(err.value)


@pytest.mark.parametrize("spec, pvc, keys, options, allow", [
    (dict(replicas=1, rolloutStrategy="Recreate", storage={"pvc": {"claim": "c"}}), rwo(), set(), {}, False),
    (dict(replicas=3, storage={"pvc": {"claim": "c"}}), {"spec": {"accessModes": ["ReadWriteMany"]}}, set(), {}, False),
    (dict(replicas=1, storage={"pvc": {}}), None, set(), {}, False),
    (dict(replicas=1, storage={"pvc": {"claim": "new"}}), None, set(), {"create": True}, False),
    (dict(replicas=3, storage={"emptyDir": {}}), None, set(), {}, True),
    (dict(replicas=2, storage={"s3": {}}), None, {"REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"},
     {}, False),
    (dict(replicas=2, storage={"swift": {}}), None, {"REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID"}, {}, False),
    (dict(replicas=0, storage={}), None, set(), {}, False),
])
def test_live_rules_accept(spec, pvc, keys, options, allow):
    rules.check_against_live(spec, pvc, keys, options, allow)


def test_secret_changes_report_names_only():
    current = {"REGISTRY_STORAGE_S3_ACCESSKEY": b"old", "OTHER": b"kept"}
    data, report = rules.secret_changes("s3", {"access_key": "old", "secret_key": "planted-secret-new"}, current)
    assert report == {"REGISTRY_STORAGE_S3_SECRETKEY": "added"}
    assert data["OTHER"] == b"kept" and data["REGISTRY_STORAGE_S3_SECRETKEY"] == b"planted-secret-new"
    data, report = rules.secret_changes("s3", {"access_key": "new", "secret_key": None}, current)
    assert report == {"REGISTRY_STORAGE_S3_ACCESSKEY": "changed"}
    assert rules.secret_changes("s3", {"access_key": "old"}, current)[1] == {}
    assert rules.secret_changes("emptyDir", {}, current) == (current, {})


def test_masked_spec_hides_the_http_secret():
    assert rules.masked_spec(LIVE)["httpSecret"] == rules.MASK and LIVE["httpSecret"] == "planted-secret-h"


@pytest.mark.parametrize("conditions, words", [
    ([{"type": "Degraded", "status": "True", "reason": "VerificationFailed", "message": "Error: dup"}], "VerificationFailed"),
    ([{"type": "StorageExists", "status": "False", "reason": "PVC Issues Found", "message": "rwo"}], "PVC Issues Found"),
    ([{"type": "Degraded", "status": "True", "reason": "ProgressDeadlineExceeded", "message": "timed out"}],
     "ProgressDeadlineExceeded"),
    ([{"type": "Progressing", "status": "True", "reason": "DeploymentNotCompleted", "message": ""}], None),
])
def test_failure_reason(conditions, words):
    config = {"metadata": {"generation": 3}, "status": {"observedGeneration": 3, "conditions": conditions}}
    found = regstate.failure_reason(config)
    assert (found is None) if words is None else (words in found)
    config["status"]["observedGeneration"] = 2
    assert regstate.failure_reason(config) is None


@pytest.mark.parametrize("given, words", [
    (dict(replicas=2, storage={"empty_dir": {}}), "allow_empty_dir_replicas"),
    (dict(replicas=2, storage={"pvc": {"claim": "c", "access_mode": "ReadWriteOnce"}}),
     "cannot use ReadWriteOnce access mode with more than one replica of the image registry"),
    (dict(rollout_strategy="RollingUpdate", storage={"pvc": {"claim": "c", "access_mode": "ReadWriteOnce"}}),
     "cannot use ReadWriteOnce access mode with RollingUpdate rollout strategy"),
])
def test_rules_on_replicas_are_decided_once_on_the_resulting_spec(given, words):
    # the option checks leave these to check_against_live, which sees the claim and the whole resulting spec
    rules.validate_options(params(**given))
    backend = rules.chosen_backend(given["storage"])
    spec, _notes = rules.desired_spec(LIVE, params(**given), backend)
    options = given["storage"][rules._option_name(backend)]
    with pytest.raises(rules.ValidationError) as err:
        rules.check_against_live(spec, None, set(), options, False)
    assert words in str(err.value)
