"""The image registry operator's pruner controller: imagepruners.imageregistry.operator.openshift.io/cluster
becomes the CronJob openshift-image-registry/image-pruner, with the operator's defaults and container arguments,
and the pruner's conditions in the operator's words (cluster-image-registry-operator pkg/resource/prunercronjob.go,
pkg/operator/status.go syncPrunerStatus). The batch API's validation of the schedule is the CronJob's own.

The lab runs no jobs; the setting pruner_last_job says how the last one ended: "" (none ran yet), "Complete", or
any other text, the message of a failed job.
"""

from __future__ import annotations

import re

from .. import kube
from .base import NS_REGISTRY, Controller, R, condition

NAME = "image-pruner"
DEFAULTS = {"schedule": "0 0 * * *", "suspend": False, "keepTagRevisions": 3, "keepYoungerThan": "60m",
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3}
BOOTSTRAP = {"schedule": "0 0 * * *", "suspend": False, "keepTagRevisions": 3, "keepYoungerThanDuration": "60m",
             "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3, "ignoreInvalidImageReferences": True}
VERBOSITY = {"Normal": 1, "Debug": 4, "Trace": 6, "TraceAll": 8}  # Normal is 2, written as 1 (see the operator)
SCRIPT = 'for i in $(seq 5); do "$@" && break; sleep $(($i * 30)); done'
FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
NAMES = {3: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
         4: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]}
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")


def schedule_error(schedule: str) -> str | None:
    """The batch API's complaint about a schedule (robfig/cron's standard parser), or None."""
    if "TZ" in schedule:
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
    if schedule.startswith("@"):
        if schedule in DESCRIPTORS or schedule.startswith("@every "):
            return None
        return "unrecognized descriptor: %s" % schedule
    fields = schedule.split()
    if len(fields) != 5:
        return "expected exactly 5 fields, found %d: [%s]" % (len(fields), " ".join(fields))
    for index, (field, (_name, low, high)) in enumerate(zip(fields, FIELDS)):
        for part in field.split(","):
            text, _sep, step = part.partition("/")
            if step and not step.isdigit():
                return "failed to parse int from %s: strconv.Atoi: parsing \"%s\": invalid syntax" % (step, step)
            if text in ("*", "?"):
                continue
            bounds = text.split("-")
            values = []
            for bound in bounds:
                names = NAMES.get(index, [])
                if bound.upper() in names:
                    values.append(names.index(bound.upper()) + (1 if index == 3 else 0))
                elif re.match(r"^[0-9]+$", bound):
                    values.append(int(bound))
                else:
                    return "failed to parse int from %s: strconv.Atoi: parsing \"%s\": invalid syntax" % (bound, bound)
            if len(values) > 2:
                return "too many hyphens: %s" % text
            if values[0] < low:
                return "beginning of range (%d) below minimum (%d): %s" % (values[0], low, text)
            if values[-1] > high:
                return "end of range (%d) above maximum (%d): %s" % (values[-1], high, text)
            if len(values) == 2 and values[0] > values[1]:
                return "beginning of range (%d) beyond end of range (%d): %s" % (values[0], values[1], text)
    return None


class ImagePrunerController(Controller):
    def reconcile(self):
        pruner = self.get("pruner", "", "cluster")
        if pruner is None:
            # the operator creates its pruner when it is missing
            self.put("pruner", {"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "ImagePruner",
                                "metadata": {"name": "cluster"}, "spec": dict(BOOTSTRAP)})
            pruner = self.get("pruner", "", "cluster")
        spec = pruner.get("spec") or {}
        apply_error = None
        schedule = spec.get("schedule") or DEFAULTS["schedule"]
        problem = schedule_error(schedule)
        if problem:
            apply_error = ('CronJob.batch "%s" is invalid: spec.schedule: Invalid value: "%s": %s'
                           % (NAME, schedule, problem))
        else:
            self._apply_cronjob(spec)
        self._status(pruner, apply_error)

    def _cronjob(self, spec):
        image_config = self.get("imagecfg", "", "cluster") or {}
        internal = (image_config.get("status") or {}).get("internalRegistryHostname")
        args = ["arg0", "oc", "adm", "prune", "images", "--confirm=true",
                "--certificate-authority=/var/run/configmaps/serviceca/service-ca.crt",
                "--keep-tag-revisions=%d" % spec.get("keepTagRevisions", DEFAULTS["keepTagRevisions"]),
                "--keep-younger-than=%s" % (spec.get("keepYoungerThanDuration") or DEFAULTS["keepYoungerThan"]),
                "--ignore-invalid-refs=%s" % str(bool(spec.get("ignoreInvalidImageReferences"))).lower(),
                "--loglevel=%d" % VERBOSITY.get(spec.get("logLevel") or "Normal", 1)]
        args += (["--prune-registry=true", "--registry-url=https://%s" % internal] if internal
                 else ["--prune-registry=false"])
        container = {"name": NAME, "image": "quay.io/openshift/origin-cli:lab", "command": ["/bin/sh"],
                     "args": ["-c", SCRIPT] + args, "resources": spec.get("resources") or
                     {"requests": {"cpu": "100m", "memory": "256Mi"}}}
        pod = {"serviceAccountName": "pruner", "priorityClassName": "system-cluster-critical",
               "restartPolicy": "Never", "containers": [container],
               "nodeSelector": spec.get("nodeSelector") or {"kubernetes.io/os": "linux"}}
        for key in ("tolerations", "affinity"):
            if spec.get(key):
                pod[key] = spec[key]
        return {"schedule": spec.get("schedule") or DEFAULTS["schedule"],
                "suspend": bool(spec.get("suspend", DEFAULTS["suspend"])),
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": spec.get("successfulJobsHistoryLimit",
                                                       DEFAULTS["successfulJobsHistoryLimit"]),
                "failedJobsHistoryLimit": spec.get("failedJobsHistoryLimit", DEFAULTS["failedJobsHistoryLimit"]),
                "jobTemplate": {"spec": {"backoffLimit": 0, "template": {"spec": pod}}}}

    def _apply_cronjob(self, spec):
        wanted = self._cronjob(spec)
        last = self.settings.get("pruner_last_job") or ""
        current = self.get("cronjob", NS_REGISTRY, NAME)
        if current is None:
            self.put("cronjob", {"apiVersion": "batch/v1", "kind": "CronJob",
                                 "metadata": {"name": NAME, "namespace": NS_REGISTRY}, "spec": wanted, "status": {}})

        def mutate(obj):
            obj["spec"] = wanted
            status = obj.setdefault("status", {})
            if last:
                status.setdefault("lastScheduleTime", kube.now())
                if last == "Complete":
                    status.setdefault("lastSuccessfulTime", status["lastScheduleTime"])
            else:
                status.pop("lastScheduleTime", None)
                status.pop("lastSuccessfulTime", None)
        self.update("cronjob", NS_REGISTRY, NAME, mutate)

    def _status(self, pruner, apply_error):
        last = self.settings.get("pruner_last_job") or ""
        cronjob = self.get("cronjob", NS_REGISTRY, NAME)
        suspended = bool((pruner.get("spec") or {}).get("suspend"))
        failed = last not in ("", "Complete")

        def mutate(obj):
            status = obj.setdefault("status", {})
            previous = status.get("conditions")
            conditions = [
                condition("Available", "True", "AsExpected", "Pruner CronJob has been created", previous)
                if cronjob is not None else
                condition("Available", "False", "Error", "Pruner CronJob does not exist", previous),
                condition("Failed", "True", "BackoffLimitExceeded", last, previous) if failed else
                condition("Failed", "False", "Complete", "Pruner completed successfully", previous),
                condition("Scheduled", "False", "Suspended", "The pruner job has been suspended", previous)
                if suspended else
                condition("Scheduled", "True", "Scheduled", "The pruner job has been scheduled", previous),
            ]
            if apply_error:
                conditions.append(condition("Degraded", "True", "SyncError", "Error: %s" % apply_error, previous))
            elif failed:
                conditions.append(condition("Degraded", "True", "JobFailed", last, previous))
            else:
                conditions.append(condition("Degraded", "False", "AsExpected", "", previous))
            status["conditions"] = conditions
            status["observedGeneration"] = obj["metadata"].get("generation")
        self._update(R["pruner"], "", "cluster", mutate)
