# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The image registry operator's pruner: imagepruners.imageregistry.operator.openshift.io/cluster, which the operator
turns into the CronJob openshift-image-registry/image-pruner (`oc adm prune images` on a schedule).

Every rule that needs no request is checked before the first one: the schedule as the batch API parses it (a
CronJob with a schedule it refuses leaves the pruner Degraded with SyncError, and the old CronJob in place), Go
durations, counts, quantities. The desired spec is the live one with the given options laid over it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.ocp.registry.plugins.module_utils.integrated import spec as registry_spec
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError, Resource
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler
from ansible_collections.ocp.registry.plugins.module_utils.integrated.state import NAMESPACE, conditions_by_type

PRUNER = Resource("imageregistry.operator.openshift.io/v1", "imagepruners", "ImagePruner", False)
CRONJOB = Resource("batch/v1", "cronjobs", "CronJob", True)
CRONJOB_NAME = "image-pruner"
# module option -> spec field
FIELDS = [("schedule", "schedule"), ("suspend", "suspend"), ("keep_tag_revisions", "keepTagRevisions"),
          ("keep_younger_than", "keepYoungerThanDuration"), ("resources", "resources"),
          ("ignore_invalid_image_references", "ignoreInvalidImageReferences"),
          ("successful_jobs_history_limit", "successfulJobsHistoryLimit"),
          ("failed_jobs_history_limit", "failedJobsHistoryLimit"), ("log_level", "logLevel"),
          ("node_selector", "nodeSelector"), ("tolerations", "tolerations"), ("affinity", "affinity")]
# the batch API's cron parser (robfig/cron, standard): five fields, or a descriptor
CRON_FIELDS = (("minute", 0, 59, None), ("hour", 0, 23, None), ("day of month", 1, 31, None),
               ("month", 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
               ("day of week", 0, 7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]))
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
INT32_MAX = 2147483647


class PrunerError(OcpRegistryError, ValueError):
    """Bad input, named by option; raised before any request."""


def schedule_problem(schedule):
    """Why the batch API would refuse this schedule, or None."""
    if "TZ" in schedule:
        return "a time zone (TZ= or CRON_TZ=) is not allowed in the schedule; the pruner runs in the cluster's time zone"
    if schedule.startswith("@"):
        if schedule in DESCRIPTORS:
            return None
        if schedule.startswith("@every ") and GO_DURATION.match(schedule[7:].strip()):
            return None
        return "unknown descriptor %s (use %s, @every <duration>, or five fields)" % (schedule, ", ".join(DESCRIPTORS))
    fields = schedule.split()
    if len(fields) != 5:
        return "expected 5 fields (minute hour day-of-month month day-of-week), found %d" % len(fields)
    for field, (name, low, high, names) in zip(fields, CRON_FIELDS):
        for part in field.split(","):
            text, sep, step = part.partition("/")
            if sep and not (step.isdigit() and int(step) > 0):
                return "%s: step %r must be a positive number" % (name, step)
            if text in ("*", "?"):
                continue
            values = []
            for bound in text.split("-"):
                if names and bound.upper() in names:
                    values.append(names.index(bound.upper()) + (1 if low == 1 else 0))
                elif bound.isdigit():
                    values.append(int(bound))
                else:
                    return "%s: %r is not a number%s" % (name, bound, " or a name" if names else "")
            if len(values) > 2:
                return "%s: %r has more than one range" % (name, text)
            if values[0] < low or values[-1] > high:
                return "%s: %r is outside %d-%d" % (name, text, low, high)
            if len(values) == 2 and values[0] > values[1]:
                return "%s: range %r runs backwards" % (name, text)
    return None


def validate(params):
    errors = []
    schedule = params.get("schedule")
    if schedule is not None:
        problem = schedule_problem(schedule.strip()) if schedule.strip() else "must not be empty"
        if problem:
            errors.append("schedule: %r is not a schedule the batch API accepts: %s" % (schedule, problem))
    duration = params.get("keep_younger_than")
    if duration is not None and not GO_DURATION.match(duration):
        errors.append("keep_younger_than: %r is not a duration (such as 60m, 24h, 168h, 1h30m)" % duration)
    for option in ("keep_tag_revisions", "successful_jobs_history_limit", "failed_jobs_history_limit"):
        value = params.get(option)
        if value is not None and not 0 <= value <= INT32_MAX:
            errors.append("%s: must be 0 or more (got %d)" % (option, value))
    errors.extend(registry_spec.pod_option_errors(params))
    if errors:
        raise PrunerError("; ".join(errors) + "; nothing was sent")


def desired_spec(live_spec, params):
    spec = copy.deepcopy(live_spec or {})
    for option, field in FIELDS:
        if params.get(option) is not None:
            spec[field] = params[option]
    if params.get("keep_younger_than") is not None:
        spec.pop("keepYoungerThan", None)  # deprecated, and ignored when the duration is set
    return spec


def facts(pruner, cronjob):
    """What the pruner looks like: spec, conditions, whether it is scheduled, and how the last job ended."""
    status = (pruner or {}).get("status") or {}
    conds = conditions_by_type(status)
    failed = conds.get("Failed") or {}
    degraded = conds.get("Degraded") or {}
    cj_status = (cronjob or {}).get("status") or {}
    if degraded.get("status") == "True" and degraded.get("reason") == "SyncError":
        last = "the CronJob could not be written: %s" % degraded.get("message")
    elif failed.get("status") == "True":
        last = "failed: %s" % failed.get("message")
    elif cj_status.get("lastScheduleTime"):
        last = "succeeded"
    else:
        last = "no run yet"
    return dict(spec=(pruner or {}).get("spec") or {},
                conditions=[dict((k, c.get(k)) for k in ("type", "status", "reason", "message"))
                            for c in status.get("conditions") or []],
                observed=status.get("observedGeneration") == ((pruner or {}).get("metadata") or {}).get("generation"),
                cronjob=dict(exists=cronjob is not None,
                             schedule=((cronjob or {}).get("spec") or {}).get("schedule"),
                             suspend=((cronjob or {}).get("spec") or {}).get("suspend"),
                             last_schedule_time=cj_status.get("lastScheduleTime"),
                             last_successful_time=cj_status.get("lastSuccessfulTime")),
                scheduled=(conds.get("Scheduled") or {}).get("status") == "True",
                degraded=degraded.get("status") == "True",
                last_result=last)


def read(client):
    pruner = client.get(PRUNER, "cluster", missing_ok=True)
    cronjob = client.get(CRONJOB, CRONJOB_NAME, NAMESPACE, missing_ok=True)
    return pruner, cronjob


class Pruner(Reconciler):
    error = PrunerError
    subject = "imagepruners/cluster"

    def validate(self):
        validate(self.params)

    def prepare(self):
        self.attempts = []  # the pruner as each attempt read it: the first is what this run started from

    def attempt(self):
        live = self.client.get(PRUNER, "cluster", missing_ok=True)
        self.attempts.append(live)
        spec = desired_spec((live or {}).get("spec"), self.params)
        self.written = live
        if live is None:
            body = {"apiVersion": PRUNER.api_version, "kind": PRUNER.kind, "metadata": {"name": "cluster"},
                    "spec": spec}
            self.written = self.create(PRUNER, body)
        elif spec != (live.get("spec") or {}):
            body = dict(live, spec=spec)
            body.pop("status", None)
            self.written = self.replace(PRUNER, body)

    def outcome(self):
        # compared with what the first attempt read: a write before a conflict is this run's change too
        first, written = self.attempts[0], self.written
        before, after = (first or {}).get("spec") or {}, (written or {}).get("spec") or {}
        result = dict(changed=first is None or after != before, created=first is None,
                      diff=dict(before=before, after=after))
        if not self.waits(result):
            # in check mode, the server's dry-run answer: the spec it would store, the status it has
            result.update(facts(written, self.client.get(CRONJOB, CRONJOB_NAME, NAMESPACE, missing_ok=True)))
        return result

    def wait(self, result):
        result.update(facts(*self.wait_applied(self.written, self.params.get("wait_timeout") or 120,
                                               self.params.get("wait_sleep") or 1.0)))

    def wait_applied(self, written, timeout, interval):
        """Until the operator has observed the change and the CronJob carries the schedule; a SyncError fails."""
        generation = (written.get("metadata") or {}).get("generation")
        started = self.clock()
        while True:
            pruner, cronjob = read(self.client)
            status = (pruner or {}).get("status") or {}
            degraded = conditions_by_type(status).get("Degraded") or {}
            if status.get("observedGeneration") == generation and generation is not None:
                if degraded.get("status") == "True" and degraded.get("reason") == "SyncError":
                    raise ClusterError("the image registry operator could not apply the pruner: %s"
                                       % degraded.get("message"))
                wanted = (pruner.get("spec") or {}).get("schedule")
                if cronjob is not None and (not wanted or (cronjob.get("spec") or {}).get("schedule") == wanted):
                    return pruner, cronjob
            if self.clock() - started >= timeout:
                raise ClusterError("the image registry operator did not apply the pruner within %ss" % timeout)
            self.sleep(interval)
