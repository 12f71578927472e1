# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.filter import drift

REGISTRY = {"changed": True, "notes": [], "diff": {
    "before": {"config": {"replicas": 1, "storage": {"pvc": {"claim": "c"}}, "httpSecret": "********"},
               "storage_credentials": {}},
    "after": {"config": {"replicas": 2, "storage": {"pvc": {"claim": "c"}}, "httpSecret": "********"},
              "storage_credentials": {"REGISTRY_STORAGE_S3_ACCESSKEY": "******** (added)"}}}}
CREDENTIALS = {
    "global": {"changes": [{"registry": "quay.io", "action": "changed", "username_changed": False, "secret_changed": True}]},
    "namespaces": [{"namespace": "ns", "name": "robot", "changes": []}],
}
HOSTS = [{"host": "node-1", "result": {"files": [{"path": "/run/containers/0/auth.json",
                                                  "changes": [{"registry": "r.example", "action": "added",
                                                               "username_changed": False, "secret_changed": True}]}]}}]
IMPORTS = [{"images": [
    {"namespace": "ns", "stream": "app", "tag": "1.0", "digest_before": "sha256:aa", "digest_after": "sha256:bb",
     "changed": True, "created": False, "status": "Success"},
    {"namespace": "ns", "stream": "app", "tag": "2.0", "digest_before": "sha256:cc", "digest_after": "sha256:cc",
     "changed": False, "created": False, "status": "Success"},
    {"namespace": "ns", "stream": "gone", "tag": "x", "digest_before": None, "digest_after": None, "changed": False,
     "created": True, "status": "Failure", "reason": "NotFound"}]}]


def test_report_lists_every_drift():
    report = drift.drift_report({"registry": REGISTRY, "credentials": CREDENTIALS, "host_credentials": HOSTS,
                                 "imports": IMPORTS})
    assert report["drift"] and report["drifted_areas"] == ["host_files", "imagestream_tags", "pull_secrets",
                                                           "registry_config"]
    assert [d["field"] for d in report["areas"]["registry_config"]["differences"]] == [
        "spec.replicas", "storage credentials REGISTRY_STORAGE_S3_ACCESSKEY"]
    assert report["areas"]["pull_secrets"]["checked"] == ["openshift-config/pull-secret", "ns/robot"]
    assert report["areas"]["host_files"]["differences"][0]["host"] == "node-1"
    assert [(d["stream"], d["tag"]) for d in report["areas"]["imagestream_tags"]["differences"]] == [
        ("app", "1.0"), ("gone", "x")]
    assert report["differences"] == 6
    lines = drift.drift_lines(report)
    assert lines[0] == "drift: 6 difference(s) in host_files, imagestream_tags, pull_secrets, registry_config"
    assert "  node-1:/run/containers/0/auth.json r.example: missing" in lines
    assert "  openshift-config/pull-secret quay.io: different secret" in lines
    assert "  ns/gone:x: Failure (NotFound)" in lines


def test_clean_report_and_unconfigured_areas():
    clean = {"changed": False, "diff": {}}
    report = drift.drift_report({"registry": clean, "credentials": None, "host_credentials": [], "imports": None})
    assert not report["drift"] and report["summary"] == "no drift: registry_config match the desired state"
    assert list(report["areas"]) == ["registry_config"]


def test_the_pruner_is_an_area_of_its_own():
    pruner = {"changed": True, "diff": {"before": {"schedule": "30 2 * * *", "keepTagRevisions": 5},
                                        "after": {"schedule": "0 0 * * *", "keepTagRevisions": 5}}}
    report = drift.drift_report({"image_pruner": pruner})
    assert report["drifted_areas"] == ["image_pruner"]
    assert report["areas"]["image_pruner"]["differences"] == [{"field": "schedule", "live": "30 2 * * *",
                                                               "desired": "0 0 * * *"}]
    assert any("schedule: live" in line for line in drift.drift_lines(report))
    assert drift.drift_report({"image_pruner": dict(pruner, changed=False)})["drift"] is False


def test_a_login_due_for_renewal_is_host_file_drift_with_its_reason():
    due = {"path": "/root/auth.json", "registry": "r.apps.example", "renewed": True, "changed": True,
           "reason": "the token expires at 2026-11-28T09:00:00Z, within the renewal margin of 17280 seconds",
           "changes": [{"registry": "r.apps.example", "action": "changed", "username_changed": False,
                        "secret_changed": True}]}
    kept = {"path": "/root/auth.json", "registry": "r.apps.example", "renewed": False, "changed": False,
            "reason": "the token is valid until 2026-11-29T08:00:00Z", "changes": []}
    hosts = [{"host": "build-1", "result": {"files": [], "logins": [due]}},
             {"host": "build-2", "result": {"files": [], "logins": [kept, {"skipped": True}]}}]
    report = drift.drift_report({"host_credentials": hosts})
    assert report["drifted_areas"] == ["host_files"] and report["differences"] == 1
    assert report["areas"]["host_files"]["differences"][0]["host"] == "build-1"
    assert ("  build-1:/root/auth.json r.apps.example: different secret (the token expires at 2026-11-28T09:00:00Z, "
            "within the renewal margin of 17280 seconds)") in drift.drift_lines(report)


def test_a_missing_service_account_link_is_not_a_registry():
    credentials = {"namespaces": [{"namespace": "apps", "name": "pull", "changes": [],
                                   "links": [{"service_account": "builder", "fields": ["imagePullSecrets"],
                                              "action": "linked"}]}]}
    report = drift.drift_report({"credentials": credentials})
    (difference,) = report["areas"]["pull_secrets"]["differences"]
    assert "registry" not in difference
    assert difference["service_account"] == "builder" and difference["fields"] == ["imagePullSecrets"]
    assert "  apps/pull service account builder (imagePullSecrets): not linked" in drift.drift_lines(report)
