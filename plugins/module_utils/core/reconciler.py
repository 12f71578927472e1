# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape of the collection's cluster managers: check the options, read, compute what is wanted, write it
(the API server's dry run in check mode) under the one conflict retry policy, report, and wait when asked.

A manager is a small subclass: ``validate`` (before any request), ``prepare`` (reads that a conflict does not redo),
``attempt`` (one read-merge-write; a 409 from the server sends it round again), ``outcome`` (the result, built from
what the attempts kept on the manager, never from values smuggled through the result) and ``wait``.

Every write goes through ``create``, ``replace`` or ``delete``: in check mode they send the server's dry run (the
module's own prediction, and a note, when the credentials may only read), and outside it they remember what was
written across attempts, so that a write made before a conflict is still reported after the retry finds it done."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.ocp.registry.plugins.module_utils.api import retry
from ansible_collections.ocp.registry.plugins.module_utils.api.client import dry_run_or_predict
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError


def _ignore(_message):
    return None


class Reconciler(object):
    #: the error class a manager raises (a subclass of OcpRegistryError, caught once in the module shell)
    error = OcpRegistryError
    #: what kept changing when the conflict budget is spent, for the message ("images.config", "the mirror sets")
    subject = "the object"

    def __init__(self, client, params, check_mode, warn=None, sleep=time.sleep, clock=time.time):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.warn = warn or _ignore
        self.sleep = sleep
        self.clock = clock
        self.notes = []
        self.conflicts = 0
        # every write the server stored, across attempts: dict(kind, name, namespace, action)
        self.writes = []

    # ---------------------------------------------------------------- the run

    def run(self):
        self.validate()
        self.prepare()
        self.converge(self.attempt)
        result = self.outcome()
        result.setdefault("notes", list(self.notes))
        result["conflicts_retried"] = self.conflicts
        if self.waits(result):
            self.wait(result)
        return result

    def validate(self):
        """Refuse bad options with the manager's error, before any request."""

    def prepare(self):
        """Reads and checks that hold for every attempt (a conflict does not repeat them)."""

    def attempt(self):
        """One read, merge and write. A ClusterError with status 409 sends it round again."""
        raise NotImplementedError

    def outcome(self):
        """The module's result, from what the attempts kept on the manager."""
        raise NotImplementedError

    def waits(self, result):
        """Whether to wait after the writes: asked for, something changed, and not in check mode."""
        return bool(self.params.get("wait")) and bool(result.get("changed")) and not self.check_mode

    def wait(self, result):
        """Wait for the controllers to act on the writes; put what was seen into result."""

    # ---------------------------------------------------------------- the one retry policy

    def converge(self, attempt, subject=None):
        """attempt() until the server answers without a 409, within the retry budget; returns its value."""
        try:
            value, conflicts = retry.on_conflict(attempt, sleep=self.sleep, clock=self.clock)
        except retry.ConflictsExhausted as exc:
            raise self.error("%s kept changing under this run (%d conflicts in %.0fs): other writers changed it "
                             "between this task's read and its write; try again when they are done"
                             % (subject or self.subject, exc.conflicts, exc.seconds))
        self.conflicts += conflicts
        return value

    # ---------------------------------------------------------------- writes

    def create(self, resource, body, namespace=None):
        name = (body.get("metadata") or {}).get("name")
        return self._send("created", resource, name, namespace, body, lambda: self.client.create(
            resource, body, namespace, dry_run=self.check_mode))

    def replace(self, resource, body, namespace=None):
        name = (body.get("metadata") or {}).get("name")
        return self._send("updated", resource, name, namespace, body, lambda: self.client.replace(
            resource, body, namespace, dry_run=self.check_mode))

    def delete(self, resource, name, namespace=None):
        return self._send("deleted", resource, name, namespace, None, lambda: self.client.delete(
            resource, name, namespace, dry_run=self.check_mode))

    def _send(self, action, resource, name, namespace, body, write):
        stored = dry_run_or_predict(self.check_mode, write, body, self.notes)
        if not self.check_mode:
            self.writes.append(dict(kind=resource.kind, name=name, namespace=namespace, action=action))
        return stored

    def wrote(self, kind=None, name=None):
        """The writes stored so far, of one kind and name when given (the last one counts for each object)."""
        return [w for w in self.writes if (kind is None or w["kind"] == kind) and (name is None or w["name"] == name)]
