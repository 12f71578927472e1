# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.filter import fleet

CLEAN = {"changed": False, "diff": {}}
DRIFTED = {"changed": True, "diff": {"before": {"config": {"replicas": 1}}, "after": {"config": {"replicas": 2}}}}
FILE_DRIFT = {"files": [{"path": "/root/auth.json", "changes": [
    {"registry": "quay.io", "action": "changed", "username_changed": False, "secret_changed": True}]}]}
FILE_CLEAN = {"files": [{"path": "/root/auth.json", "changes": []}]}


def hostvars():
    return {
        "east": {"drift_checked": True, "integrated_registry_result": CLEAN},
        "west": {"drift_checked": True, "integrated_registry_result": DRIFTED},
        "north": {"integrated_registry_result": None},  # its checks failed: no drift_checked
        "bastion-east": {"registry_cluster": "east", "registry_credentials_result": FILE_DRIFT},
        "bastion-west": {"registry_cluster": "west", "registry_credentials_result": FILE_CLEAN},
    }


def test_each_cluster_has_its_own_report_and_its_own_hosts():
    report = fleet.fleet_drift_report(["east", "west", "north"], hostvars(), ["bastion-east", "bastion-west"])
    assert report["drift"] and report["drifted_clusters"] == ["east", "west"]
    assert report["unchecked_clusters"] == ["north"]
    assert report["clusters"]["east"]["drifted_areas"] == ["host_files"]
    assert report["clusters"]["east"]["hosts"] == ["bastion-east"]
    assert report["clusters"]["west"]["drifted_areas"] == ["registry_config"]
    assert report["clusters"]["west"]["areas"]["host_files"]["matches"]
    assert report["summary"] == ("drift in 2 of 3 clusters: east (host_files); west (registry_config); "
                                 "not checked: north")
    merged = report["areas"]["registry_config"]["differences"]
    assert [d["cluster"] for d in merged] == ["west"]


def test_one_cluster_reads_as_before():
    report = fleet.fleet_drift_report(["east"], {"east": {"drift_checked": True, "integrated_registry_result": DRIFTED},
                                                 "node": {"registry_credentials_result": FILE_CLEAN}}, ["node"])
    assert report["summary"] == report["clusters"]["east"]["summary"]
    assert report["clusters"]["east"]["hosts"] == ["node"]  # the only cluster owns hosts that name none
    assert fleet.fleet_drift_lines(report)[0].startswith("drift: 1 difference(s)")


def test_repairs_go_only_where_the_drift_is():
    report = fleet.fleet_drift_report(["east", "west", "north"], hostvars(), ["bastion-east", "bastion-west"])
    clusters = ["east", "west", "north"]
    assert fleet.drift_repairs(report, "west", clusters) == ["registry_config"]
    assert fleet.drift_repairs(report, "east", clusters) == ["host_files"]
    assert fleet.drift_repairs(report, "north", clusters) == []
    assert fleet.drift_repairs(report, "bastion-east", clusters) == ["host_files"]
    assert fleet.drift_repairs(report, "bastion-west", clusters) == []
    assert fleet.drift_repairs(None, "west", clusters) == []


def test_html_is_one_static_page_with_a_row_per_cluster_and_no_secret():
    secret_vars = hostvars()
    secret_vars["west"]["integrated_registry_result"] = {"changed": True, "diff": {
        "before": {"config": {"httpSecret": "********"}}, "after": {"config": {"httpSecret": "******** (changed)"}}}}
    report = fleet.fleet_drift_report(["east", "west", "north"], secret_vars, ["bastion-east", "bastion-west"])
    page = fleet.drift_html(report)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http://" not in page
    assert "https://" not in page
    for name in ("east", "west", "north"):
        assert '<th scope="row">%s</th>' % name in page
    assert page.count("<details>") == 2 and "not checked" in page
    assert "different secret (values not shown)" in page
    assert "httpSecret" in page and "********" in page


def test_html_escapes_what_it_shows():
    report = fleet.fleet_drift_report(["<b>x</b>"], {"<b>x</b>": {"drift_checked": True,
                                                                  "integrated_registry_result": DRIFTED}})
    page = fleet.drift_html(report)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_hosts_with_a_fact():
    assert fleet.hosts_with(["a", "b", "c"], {"a": {"done": True}, "b": {}, "c": {"done": False}}, "done") == ["a"]


def test_an_unchecked_cluster_is_never_reported_clean():
    report = fleet.fleet_drift_report(["east", "north"], hostvars(), [])
    north = report["clusters"]["north"]
    assert north["checked"] is False and north["drift"] is None
    assert report["drift"] is None and report["checked"] is False and report["unchecked_clusters"] == ["north"]
    clean = fleet.fleet_drift_report(["east"], {"east": {"drift_checked": True, "integrated_registry_result": CLEAN}}, [])
    assert clean["drift"] is False and clean["checked"] is True


def test_image_access_drift_in_the_report_the_lines_and_the_page():
    missing = {"changed": True, "namespace": "a", "role": "system:image-puller", "granted": ["Group system:serviceaccounts:b"],
               "revoked": []}
    extra = {"changed": True, "namespace": None, "role": "system:image-pusher", "granted": [], "revoked": ["User mallory"]}
    same = {"changed": False, "namespace": "c", "role": "system:image-puller", "granted": [], "revoked": []}
    report = fleet.fleet_drift_report(["east"], {"east": {"drift_checked": True,
                                                          "image_streams_access_result": [missing, extra, same]}})
    area = report["clusters"]["east"]["areas"]["image_access"]
    assert not area["matches"] and len(area["differences"]) == 2
    lines = fleet.fleet_drift_lines(report)
    assert any("a system:image-puller: not granted to Group system:serviceaccounts:b" in line for line in lines)
    assert any("every namespace system:image-pusher: also granted to User mallory" in line for line in lines)
    page = fleet.drift_html(report)
    assert "not granted to Group system:serviceaccounts:b" in page and page.count("<details>") == 1
    clean = fleet.fleet_drift_report(["east"], {"east": {"drift_checked": True, "image_streams_access_result": [same]}})
    assert clean["clusters"]["east"]["areas"]["image_access"]["matches"]


def test_a_skipped_task_is_no_result():
    # the integrated_registry role registers its pruner task's result directly: without a pruner, a skipped result
    skipped = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False",
               "false_condition": "integrated_registry_pruner is defined"}
    pruned = {"changed": True, "diff": {"before": {"schedule": "@daily"}, "after": {"schedule": "@hourly"}}}
    report = fleet.fleet_drift_report(["east"], {"east": {"drift_checked": True, "integrated_registry_result": CLEAN,
                                                          "integrated_registry_pruner_result": skipped}})
    assert sorted(report["areas"]) == ["registry_config"] and not report["drift"]
    report = fleet.fleet_drift_report(["east"], {"east": {"drift_checked": True, "integrated_registry_result": CLEAN,
                                                          "integrated_registry_pruner_result": pruned}})
    assert report["drifted_clusters"] == ["east"] and report["clusters"]["east"]["drifted_areas"] == ["image_pruner"]
