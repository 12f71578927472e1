# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.api import retry
from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError


class Clock(object):
    def __init__(self):
        self.now = 0.0
        self.waits = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.waits.append(seconds)
        self.now += seconds


def failing(times, status=409):
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= times:
            raise ClusterError("conflict", status=status)
        return "stored"
    return attempt, calls


def test_conflicts_back_off_with_jitter_until_the_write_lands():
    clock = Clock()
    attempt, calls = failing(12)
    value, conflicts = retry.on_conflict(attempt, sleep=clock.sleep, clock=clock.time, rand=lambda: 0.5)
    assert value == "stored" and conflicts == 12 and len(calls) == 13
    assert clock.waits[0] == pytest.approx(0.1) and clock.waits[3] == pytest.approx(0.8)
    assert max(clock.waits) == retry.MAX_WAIT and clock.waits == sorted(clock.waits)
    jittered = Clock()
    retry.on_conflict(failing(3)[0], sleep=jittered.sleep, clock=jittered.time, rand=lambda: 0.0)
    assert jittered.waits[0] == pytest.approx(0.05)


def test_the_budget_ends_the_retries_and_other_errors_pass_through():
    clock = Clock()
    with pytest.raises(retry.ConflictsExhausted) as err:
        retry.on_conflict(failing(10 ** 6)[0], budget=20, sleep=clock.sleep, clock=clock.time, rand=lambda: 1.0)
    assert err.value.conflicts > 5 and clock.now <= 20
    with pytest.raises(ClusterError):
        retry.on_conflict(failing(1, status=403)[0], sleep=clock.sleep, clock=clock.time)
