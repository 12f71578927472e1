# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reconciling base every cluster manager is built on: its run order, its one retry policy, its writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError, Resource
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler

THING = Resource("example.openshift.io/v1", "things", "Thing", False)


class Store(object):
    """An API server that keeps objects by name, with resourceVersions, dry runs and forced conflicts."""

    def __init__(self, objects=None, conflicts=0, refuse_writes=False):
        self.objects = dict((o["metadata"]["name"], o) for o in objects or [])
        self.conflicts = conflicts
        self.refuse_writes = refuse_writes
        self.requests = []

    def get(self, resource, name, namespace=None, missing_ok=False):
        self.requests.append(("GET", name, False))
        found = self.objects.get(name)
        if found is None and not missing_ok:
            raise ClusterError("not found", status=404)
        return copy.deepcopy(found)

    def _write(self, verb, body, dry_run):
        self.requests.append((verb, body["metadata"]["name"], dry_run))
        if self.refuse_writes:
            raise ClusterError("forbidden", status=403)
        if self.conflicts:
            self.conflicts -= 1
            raise ClusterError("the object has been modified", status=409)
        stored = copy.deepcopy(body)
        stored["metadata"]["resourceVersion"] = str(len(self.requests))
        if not dry_run:
            self.objects[body["metadata"]["name"]] = stored
        return stored

    def create(self, resource, body, namespace=None, dry_run=False):
        return self._write("POST", body, dry_run)

    def replace(self, resource, body, namespace=None, dry_run=False):
        return self._write("PUT", body, dry_run)

    def delete(self, resource, name, namespace=None, dry_run=False):
        self.requests.append(("DELETE", name, dry_run))
        if not dry_run:
            self.objects.pop(name, None)


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class ThingError(OcpRegistryError):
    pass


class Things(Reconciler):
    """Two objects: "first" always gets the wanted size, "second" is then written with the same size."""
    error = ThingError
    subject = "the things"

    def validate(self):
        if not isinstance(self.params.get("size"), int):
            raise ThingError("size must be a number; nothing was sent")

    def attempt(self):
        self.attempts = getattr(self, "attempts", 0) + 1
        for name in ("first", "second"):
            live = self.client.get(THING, name, missing_ok=True)
            if live is None:
                self.create(THING, {"metadata": {"name": name}, "spec": {"size": self.params["size"]}})
            elif live["spec"] != {"size": self.params["size"]}:
                self.replace(THING, dict(live, spec={"size": self.params["size"]}))

    def outcome(self):
        return dict(changed=bool(self.writes) or (self.check_mode and bool(self.client.requests[-1][2])))


def test_options_are_refused_before_any_request():
    store = Store()
    with pytest.raises(ThingError, match="nothing was sent"):
        Things(store, {"size": "big"}, False).run()
    assert store.requests == []


def test_a_write_before_a_conflict_is_still_reported_after_the_retry():
    store = Store(objects=[{"metadata": {"name": "second"}, "spec": {"size": 1}}], conflicts=0)
    things = Things(store, {"size": 2}, False, sleep=Clock().sleep)
    # the first attempt creates "first", then meets a conflict on "second"
    original = store._write
    state = {"done": False}

    def conflict_once(verb, body, dry_run):
        if body["metadata"]["name"] == "second" and not state["done"]:
            state["done"] = True
            store.requests.append((verb, "second", dry_run))
            raise ClusterError("the object has been modified", status=409)
        return original(verb, body, dry_run)
    store._write = conflict_once
    result = things.run()
    assert things.attempts == 2 and result["conflicts_retried"] == 1
    assert [(w["name"], w["action"]) for w in things.writes] == [("first", "created"), ("second", "updated")]
    assert things.wrote(name="first") == [dict(kind="Thing", name="first", namespace=None, action="created")]
    assert result["changed"] is True


def test_check_mode_sends_dry_runs_and_records_no_write():
    store = Store()
    result = Things(store, {"size": 3}, True).run()
    assert [r for r in store.requests if r[0] != "GET"] == [("POST", "first", True), ("POST", "second", True)]
    assert store.objects == {} and result["changed"] is True and result["notes"] == []


def test_check_mode_with_credentials_that_may_only_read_predicts_and_says_so():
    store = Store(refuse_writes=True)
    things = Things(store, {"size": 3}, True)
    result = things.run()
    assert things.writes == [] and len(result["notes"]) == 1 and "dry run" in result["notes"][0]


def test_a_refused_write_outside_check_mode_is_the_error_it_was():
    store = Store(refuse_writes=True)
    with pytest.raises(ClusterError) as err:
        Things(store, {"size": 3}, False).run()
    assert err.value.status == 403


def test_a_conflict_storm_ends_in_the_managers_own_error_not_a_traceback():
    clock = Clock()
    store = Store(conflicts=10 ** 6)
    things = Things(store, {"size": 3}, False, sleep=clock.sleep, clock=clock.time)
    with pytest.raises(ThingError) as err:
        things.run()
    message = str(err.value)
    assert message.startswith("the things kept changing under this run (") and "try again" in message
    assert isinstance(err.value, OcpRegistryError) and clock.now <= 120.0
    assert things.writes == []


def test_nothing_to_do_writes_nothing_and_waits_for_nothing():
    store = Store(objects=[{"metadata": {"name": n}, "spec": {"size": 4}} for n in ("first", "second")])

    class Waiting(Things):
        waited = False

        def wait(self, result):
            self.waited = True

    things = Waiting(store, {"size": 4, "wait": True}, False)
    result = things.run()
    assert result == dict(changed=False, notes=[], conflicts_retried=0)
    assert not things.waited and all(r[0] == "GET" for r in store.requests)
    things = Waiting(store, {"size": 5, "wait": True}, False)
    assert things.run()["changed"] and things.waited
