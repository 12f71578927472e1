# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.integrated import pruner


@pytest.mark.parametrize("schedule", ["0 0 * * *", "30 2 * * 0", "*/15 * * * *", "0 1-5/2 * JAN-MAR MON-FRI",
                                      "0 0 1,15 * *", "@daily", "@hourly", "@every 12h", "0 0 * * 7", "? * * * *"])
def test_schedules_the_batch_api_accepts(schedule):
    assert pruner.schedule_problem(schedule) is None


@pytest.mark.parametrize("schedule, words", [
    ("daily", "expected 5 fields"), ("0 0 * *", "expected 5 fields"), ("60 * * * *", "minute: '60' is outside 0-59"),
    ("0 24 * * *", "hour"), ("0 0 0 * *", "day of month: '0' is outside 1-31"), ("0 0 * 13 *", "month"),
    ("0 0 * * 8", "day of week"), ("5-1 * * * *", "runs backwards"), ("*/0 * * * *", "step '0'"),
    ("0 0 * FOO *", "not a number or a name"), ("CRON_TZ=UTC 0 0 * * *", "time zone"), ("@sometimes", "unknown descriptor"),
    ("@every soon", "unknown descriptor"),
])
def test_schedules_the_batch_api_refuses(schedule, words):
    assert words in pruner.schedule_problem(schedule)


@pytest.mark.parametrize("params, words", [
    ({"schedule": "not a cron"}, "schedule: 'not a cron' is not a schedule the batch API accepts"),
    ({"schedule": " "}, "must not be empty"),
    ({"keep_younger_than": "1 day"}, "keep_younger_than: '1 day' is not a duration"),
    ({"keep_tag_revisions": -1}, "keep_tag_revisions: must be 0 or more"),
    ({"failed_jobs_history_limit": -3}, "failed_jobs_history_limit"),
    ({"resources": {"limits": {"cpu": "lots"}}}, "resources.limits.cpu: 'lots' is not a quantity"),
    ({"resources": {"limit": {"cpu": "1"}}}, "give limits and/or requests"),
    ({"node_selector": {"zone": 1}}, "node_selector"),
    ({"wait": True, "wait_timeout": 0}, "wait_timeout"),
])
def test_bad_options_are_refused_by_name(params, words):
    with pytest.raises(pruner.PrunerError) as err:
        pruner.validate(params)
    assert words in str(err.value) and "nothing was sent" in str(err.value)


def test_given_options_lay_over_the_live_spec():
    live = {"schedule": "0 0 * * *", "keepTagRevisions": 3, "keepYoungerThan": 3600000000000, "suspend": False}
    spec = pruner.desired_spec(live, {"keep_younger_than": "168h", "suspend": True, "schedule": None})
    assert spec == {"schedule": "0 0 * * *", "keepTagRevisions": 3, "keepYoungerThanDuration": "168h", "suspend": True}
    assert pruner.desired_spec(live, {}) == live


def test_facts_tell_how_the_last_job_ended():
    pruner_obj = {"metadata": {"generation": 2}, "spec": {"schedule": "@daily"},
                  "status": {"observedGeneration": 2, "conditions": [
                      {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"},
                      {"type": "Scheduled", "status": "True", "reason": "Scheduled", "message": "The pruner job has been scheduled"},
                      {"type": "Degraded", "status": "True", "reason": "JobFailed", "message": "Job has reached the specified backoff limit"}]}}
    found = pruner.facts(pruner_obj, {"spec": {"schedule": "@daily", "suspend": False},
                                      "status": {"lastScheduleTime": "2026-11-27T00:00:00Z"}})
    assert found["last_result"] == "failed: Job has reached the specified backoff limit"
    assert found["scheduled"] and found["degraded"] and found["observed"] and found["cronjob"]["exists"]
    assert pruner.facts({"spec": {}}, None)["last_result"] == "no run yet"
