"""The image registry operator's pruner controller: the CronJob it keeps from the ImagePruner, the batch API's
refusal of a bad schedule as the operator reports it, suspension, and how the last job ended."""

from tests.lab.tests.test_openshift import MERGE, wait_for

PRUNER = "/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster"
CRONJOB = "/apis/batch/v1/namespaces/openshift-image-registry/cronjobs/image-pruner"


def conditions(admin):
    status = admin.get(PRUNER).json().get("status") or {}
    return {c["type"]: c for c in status.get("conditions") or []}


def test_the_operator_keeps_the_cronjob_with_its_defaults(admin):
    cronjob = wait_for(lambda: admin.get(CRONJOB).json() if admin.get(CRONJOB).status_code == 200 else None)
    args = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert cronjob["spec"]["schedule"] == "0 0 * * *" and cronjob["spec"]["suspend"] is False
    assert cronjob["spec"]["successfulJobsHistoryLimit"] == 3 and cronjob["spec"]["failedJobsHistoryLimit"] == 3
    assert "--keep-tag-revisions=3" in args and "--keep-younger-than=60m" in args
    assert "--ignore-invalid-refs=true" in args and "--prune-registry=false" in args
    found = wait_for(lambda: conditions(admin).get("Available"))
    assert found["message"] == "Pruner CronJob has been created"


def test_a_schedule_the_batch_api_refuses_degrades_the_pruner_and_keeps_the_cronjob(admin):
    wait_for(lambda: admin.get(CRONJOB).status_code == 200)
    assert admin.call("PATCH", PRUNER, {"spec": {"schedule": "daily"}}, MERGE).status_code == 200
    degraded = wait_for(lambda: (conditions(admin).get("Degraded") or {}).get("reason") == "SyncError"
                        and conditions(admin)["Degraded"])
    assert degraded["message"] == ('Error: CronJob.batch "image-pruner" is invalid: spec.schedule: Invalid value: '
                                   '"daily": expected exactly 5 fields, found 1: [daily]')
    assert admin.get(CRONJOB).json()["spec"]["schedule"] == "0 0 * * *"


def test_suspension_and_the_last_job(admin):
    assert admin.call("PATCH", PRUNER, {"spec": {"suspend": True, "keepTagRevisions": 7}}, MERGE).status_code == 200
    scheduled = wait_for(lambda: (conditions(admin).get("Scheduled") or {}).get("status") == "False"
                         and conditions(admin)["Scheduled"])
    assert scheduled["message"] == "The pruner job has been suspended"
    cronjob = admin.get(CRONJOB).json()
    assert cronjob["spec"]["suspend"] is True
    assert "--keep-tag-revisions=7" in cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
    admin.settings(pruner_last_job="Job has reached the specified backoff limit")
    # one read of the conditions for each check: the operator writes Degraded and Failed in one status update

    def failed():
        found = conditions(admin)
        return found if (found.get("Degraded") or {}).get("reason") == "JobFailed" else None
    state = wait_for(failed)
    assert state["Degraded"]["message"] == "Job has reached the specified backoff limit"
    assert state["Failed"]["status"] == "True"
    # the operator's next pass sets it; on the real control plane the CronJob controller writes the same status
    assert wait_for(lambda: (admin.get(CRONJOB).json().get("status") or {}).get("lastScheduleTime"))


def test_a_deleted_pruner_comes_back(admin):
    assert admin.call("DELETE", PRUNER).status_code == 200
    again = wait_for(lambda: admin.get(PRUNER).json() if admin.get(PRUNER).status_code == 200 else None)
    assert again["spec"]["ignoreInvalidImageReferences"] is True and again["spec"]["keepYoungerThanDuration"] == "60m"
