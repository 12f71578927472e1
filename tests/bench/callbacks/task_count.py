# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark aid: counts the tasks each host ran (every result a worker produced: ok, changed, skipped, failed,
unreachable; an include_role or include_tasks is one, as its worker is), and writes them as JSON to $TASK_COUNT_FILE
at the end of the run. A loop is one task (its items run in one worker)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_count
type: aggregate
short_description: count the tasks run per host (benchmark aid)
description: Counts the task results per host and writes them as JSON to the file named by TASK_COUNT_FILE.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.counts = collections.defaultdict(collections.Counter)

    def _count(self, result, kind):
        self.counts[result._host.get_name()][kind] += 1  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._count(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._count(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("TASK_COUNT_FILE")
        if not path:
            return
        out = dict((host, dict(counter, total=sum(counter.values()))) for host, counter in self.counts.items())
        with open(path, "w") as handle:
            json.dump(out, handle, indent=1, sort_keys=True)
