#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: image_pruner
short_description: The integrated registry's image pruner (schedule, what it keeps, where it runs)
version_added: 1.0.0
description:
  - Manages C(imagepruners.imageregistry.operator.openshift.io/cluster), which the image registry operator turns
    into the CronJob C(openshift-image-registry/image-pruner) running C(oc adm prune images) on a schedule. Without
    pruning, images pushed to or imported into the integrated registry fill its storage.
  - Options not given keep their live values; the operator's defaults apply to fields nobody set (schedule
    C(0 0 * * *), 3 tag revisions, 60m, 3 successful and 3 failed jobs kept).
  - Every option is checked before the first request, the schedule as the batch API parses it (five fields or a
    descriptor such as V(@daily), no time zone). A schedule the batch API refuses would leave the pruner Degraded
    (SyncError) and the old CronJob in place.
  - Reports the pruner's conditions, its CronJob and how the last pruning job ended.
  - Check mode sends the write as a server-side dry run.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: A server-side dry run of the write; its answer is what the result reports.
  diff_mode:
    support: full
    details: The pruner's spec before and after.
  idempotent:
    support: full
options:
  schedule:
    description:
      - When the pruner runs, in cron syntax (V(0 0 * * *), V(30 2 * * 0)) or a descriptor (V(@daily), V(@weekly),
        V(@every 12h)), in the cluster's time zone.
    type: str
  suspend:
    description: Stop scheduling pruning jobs (V(true)) or schedule them again (V(false)).
    type: bool
  keep_tag_revisions:
    description: How many revisions of each imagestream tag are kept.
    type: int
  keep_younger_than:
    description:
      - Images (and what refers to them) younger than this are kept, as a duration (V(60m), V(24h), V(168h)).
      - Written to C(keepYoungerThanDuration); the deprecated C(keepYoungerThan) is removed when this is given.
    type: str
  ignore_invalid_image_references:
    description: Let the pruner go on when it meets an image reference it cannot parse.
    type: bool
  successful_jobs_history_limit:
    description: How many successful pruning jobs are kept.
    type: int
  failed_jobs_history_limit:
    description: How many failed pruning jobs are kept.
    type: int
  log_level:
    description: The pruner's log level.
    type: str
    choices: [Normal, Debug, Trace, TraceAll]
  resources:
    description: The pruner pod's resource C(requests) and C(limits) (quantities such as V(100m), V(256Mi)).
    type: dict
  node_selector:
    description: Node labels the pruner pod must run on.
    type: dict
  tolerations:
    description: The pruner pod's tolerations.
    type: list
    elements: dict
  affinity:
    description: The pruner pod's affinity.
    type: dict
  wait:
    description: After a change, wait until the operator has applied it to the CronJob; fail if it cannot.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 120
  wait_sleep:
    description: Seconds between reads while waiting.
    type: float
    default: 1.0
"""

EXAMPLES = r"""
- name: Prune every night at 02:30, keep five revisions and a week of images
  ocp.registry.image_pruner:
    schedule: "30 2 * * *"
    keep_tag_revisions: 5
    keep_younger_than: 168h
    wait: true

- name: Stop pruning during a migration
  ocp.registry.image_pruner:
    suspend: true
"""

RETURN = r"""
spec:
  description: The pruner's spec afterwards (in check mode, what the server would store).
  returned: always
  type: dict
  sample: {"schedule": "30 2 * * *", "suspend": false, "keepTagRevisions": 5, "keepYoungerThanDuration": "168h"}
conditions:
  description: The pruner's conditions (Available, Failed, Scheduled, Degraded) in the operator's words.
  returned: always
  type: list
  elements: dict
cronjob:
  description: The CronJob the operator keeps.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the CronJob exists.
      type: bool
    schedule:
      description: Its schedule.
      type: str
    suspend:
      description: Whether it is suspended.
      type: bool
    last_schedule_time:
      description: When a job was last started.
      type: str
    last_successful_time:
      description: When a job last succeeded.
      type: str
scheduled:
  description: Whether pruning jobs are scheduled (not suspended).
  returned: always
  type: bool
degraded:
  description: Whether the operator reports the pruner Degraded.
  returned: always
  type: bool
last_result:
  description: How the last pruning job ended, in words (V(no run yet), V(succeeded), C(failed) with the reason).
  returned: always
  type: str
observed:
  description: Whether the operator has seen the pruner's current generation.
  returned: always
  type: bool
created:
  description: Whether the pruner object was (or would be) created.
  returned: always
  type: bool
notes:
  description: What the module noticed, in words.
  returned: always
  type: list
  elements: str
api_requests:
  description: Requests sent to the API server.
  returned: always
  type: int
"""

from ansible_collections.ocp.registry.plugins.module_utils.integrated import pruner
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule

LEVELS = ["Normal", "Debug", "Trace", "TraceAll"]


def argument_spec():
    return dict(
        schedule=dict(type="str"), suspend=dict(type="bool"), keep_tag_revisions=dict(type="int"),
        keep_younger_than=dict(type="str"), ignore_invalid_image_references=dict(type="bool"),
        successful_jobs_history_limit=dict(type="int"), failed_jobs_history_limit=dict(type="int"),
        log_level=dict(type="str", choices=LEVELS), resources=dict(type="dict"), node_selector=dict(type="dict"),
        tolerations=dict(type="list", elements="dict"), affinity=dict(type="dict"),
        wait=dict(type="bool", default=False), wait_timeout=dict(type="int", default=120),
        wait_sleep=dict(type="float", default=1.0),
    )


def main():
    module = ClusterModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(lambda: pruner.Pruner(module.client, module.params, module.check_mode).run())


if __name__ == "__main__":
    main()
