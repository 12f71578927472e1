"""The lab's test controls: request log, fault injection, reset, settings."""

import time

import pytest
import requests

CM = "/api/v1/namespaces/lab-apps/configmaps"


def test_controls_need_the_admin_token(env, viewer):
    assert viewer.get("/lab/requests").status_code == 403
    session = requests.Session()
    session.trust_env = False
    assert session.get(env["LAB_CONTROL_URL"] + "/requests", verify=env["LAB_CA_FILE"]).status_code == 401


def test_request_log_records_calls_without_bodies(admin, viewer):
    admin.clear_log()
    admin.call("POST", CM + "?dryRun=All", {"metadata": {"name": "x"}, "data": {"password": "planted-value-123"}})
    viewer.get(CM + "/x")
    log = admin.requests()
    assert [(e["method"], e["path"], e["status"], e["user"]) for e in log] == [
        ("POST", CM, 201, "admin"), ("GET", CM + "/x", 404, "viewer")]
    assert log[0]["query"] == "dryRun=All" and log[0]["content_type"] == "application/json"
    assert log[0]["verb"] == "create" and log[1]["verb"] == "get"
    assert "planted-value-123" not in admin.get("/lab/requests").text
    admin.clear_log()
    assert admin.requests() == []


def test_fault_status_then_normal(admin):
    admin.fault(verb="GET", path="/configmaps$", status=500, count=2)
    assert [admin.get(CM).status_code for _dummy in range(3)] == [500, 500, 200]


def test_fault_429_with_retry_after(admin):
    admin.fault(verb="list", path="configmaps", status=429, retry_after=3)
    resp = admin.get(CM)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
    assert resp.json()["reason"] == "TooManyRequests"


def test_fault_connection_reset(admin):
    admin.fault(verb="*", path="configmaps", reset=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        admin.get(CM)
    assert admin.get(CM).status_code == 200
    assert admin.requests()[-2]["fault"] == "reset"


def test_fault_delay(admin):
    admin.fault(verb="GET", path="configmaps", delay=0.4)
    started = time.time()
    assert admin.get(CM).status_code == 200
    assert time.time() - started >= 0.4


def test_fault_forced_conflict(admin):
    admin.call("POST", CM, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    admin.fault(verb="patch", path="configmaps/c", conflict=True)
    first = admin.call("PATCH", CM + "/c", {"data": {"a": "2"}}, "application/merge-patch+json")
    assert first.status_code == 409 and "the object has been modified" in first.json()["message"]
    assert admin.call("PATCH", CM + "/c", {"data": {"a": "2"}}, "application/merge-patch+json").status_code == 200


def test_reset_restores_initial_state(admin):
    admin.call("DELETE", "/api/v1/namespaces/openshift-config/secrets/pull-secret")
    admin.call("POST", CM, {"metadata": {"name": "left-over"}})
    admin.fault(verb="GET", path=".*", status=500, count=100)
    assert admin.call("POST", "/lab/reset").status_code == 200
    assert admin.get("/api/v1/namespaces/openshift-config/secrets/pull-secret").status_code == 200
    assert admin.get(CM + "/left-over").status_code == 404
    assert admin.get("/lab/faults").json()["items"] == []


def test_settings_reject_unknown_names(admin):
    assert admin.call("POST", "/lab/settings", {"nope": 1}).status_code == 400
    assert admin.settings(operator_delay=0.2)["operator_delay"] == 0.2


def test_latency_costs_a_round_trip_per_request_and_two_per_new_connection(admin, env):
    admin.settings(latency_ms=150)
    session = requests.Session()
    session.trust_env = False
    session.headers["Authorization"] = "Bearer " + env["LAB_ADMIN_TOKEN"]
    url = env["LAB_API_URL"] + CM
    started = time.time()
    assert session.get(url, verify=env["LAB_CA_FILE"]).status_code == 200
    first = time.time() - started
    started = time.time()
    assert session.get(url, verify=env["LAB_CA_FILE"]).status_code == 200
    kept_open = time.time() - started
    assert first >= 0.45 and 0.15 <= kept_open < 0.4
    admin.settings(latency_ms=0)
    started = time.time()
    assert session.get(url, verify=env["LAB_CA_FILE"]).status_code == 200
    assert time.time() - started < 0.15
