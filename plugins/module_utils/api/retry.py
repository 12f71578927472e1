# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Optimistic concurrency: redo a read-merge-write when the API server answers 409 Conflict, backing off with
jitter so that many writers of one object spread out instead of colliding again, within a time budget."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError

BUDGET = 120.0
FIRST_WAIT = 0.05
MAX_WAIT = 3.0


class ConflictsExhausted(OcpRegistryError):
    def __init__(self, conflicts, seconds):
        super(ConflictsExhausted, self).__init__(
            "gave up after %d conflicts (409) in %.0fs: other writers kept changing the object between this task's "
            "read and its write; run the task again when they are done" % (conflicts, seconds))
        self.conflicts = conflicts
        self.seconds = seconds


def on_conflict(attempt, budget=BUDGET, sleep=time.sleep, clock=time.time, rand=random.random):
    """Call attempt() (read, merge, write) until no 409; returns (its value, how many conflicts were resolved).
    Waits grow exponentially with full jitter; ConflictsExhausted when the budget is spent."""
    started = clock()
    conflicts = 0
    while True:
        try:
            return attempt(), conflicts
        except ClusterError as exc:
            if exc.status != 409:
                raise
            conflicts += 1
            wait = min(MAX_WAIT, FIRST_WAIT * (2 ** min(conflicts, 10))) * (0.5 + rand())
            if clock() - started + wait > budget:
                raise ConflictsExhausted(conflicts, clock() - started)
            sleep(wait)
