# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an import sets off: the workloads and build configs whose image change triggers follow a tag that moves.

openshift-controller-manager's image trigger controller reads the `image.openshift.io/triggers` annotation of
Deployments, StatefulSets, DaemonSets and CronJobs (a JSON list of {from: {kind: ImageStreamTag, name: stream:tag,
namespace}, fieldPath, paused}) and sets the container the field path names to the tag's newest image, resolved by
the tag's reference policy (Source: the image's pull spec; Local: the stream's integrated-registry repository and the
image's digest). A BuildConfig's ImageChange trigger starts a build when the tag's newest image differs from the
one it last triggered for. This module predicts those reactions from the tags that move, and reads back what the
cluster did."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import time

from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError, Resource
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError

TRIGGERS = "image.openshift.io/triggers"
# kind -> (resource, the path of its pod spec)
WORKLOADS = (
    ("Deployment", Resource("apps/v1", "deployments", "Deployment", True), "spec.template.spec"),
    ("StatefulSet", Resource("apps/v1", "statefulsets", "StatefulSet", True), "spec.template.spec"),
    ("DaemonSet", Resource("apps/v1", "daemonsets", "DaemonSet", True), "spec.template.spec"),
    ("CronJob", Resource("batch/v1", "cronjobs", "CronJob", True), "spec.jobTemplate.spec.template.spec"),
)
BUILDCONFIG = Resource("build.openshift.io/v1", "buildconfigs", "BuildConfig", True)
CONTAINER = re.compile(r"^(containers|initContainers)\[(.+?)\]\.image$")
BY_NAME = re.compile(r'^\?\(@\.name=="(.*)"\)$')


class GuardError(OcpRegistryError):
    """The import would set off more than the guard allows; raised before the import request."""


def tag_key(namespace, name):
    """(namespace, stream, tag) of an ImageStreamTag reference (a name without a tag is :latest)."""
    stream, _sep, tag = (name or "").partition(":")
    return namespace, stream, tag or "latest"


def resolved_pull_spec(move):
    """The pull spec a trigger sets for a moved tag: its reference policy applied to the new image."""
    if move.get("reference_policy") == "Local" and move.get("local_repository") and move.get("digest"):
        return "%s@%s" % (move["local_repository"], move["digest"])
    return move.get("pull_spec")


def _container(pod_spec, selector_path):
    match = CONTAINER.match(selector_path)
    if not match:
        return None
    containers = pod_spec.get(match.group(1)) or []
    selector = match.group(2)
    if selector.isdigit():
        index = int(selector)
        return containers[index] if index < len(containers) else None
    by_name = BY_NAME.match(selector)
    if by_name:
        return next((c for c in containers if c.get("name") == by_name.group(1)), None)
    return None


def _pod_spec(obj, path):
    node = obj
    for part in path.split("."):
        node = (node or {}).get(part) or {}
    return node


def workload_triggers(obj):
    """The annotation's triggers, or [] when absent or unreadable (the controller ignores those too)."""
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(TRIGGERS)
    if not text:
        return []
    try:
        triggers = json.loads(text)
    except ValueError:
        return []
    return [t for t in triggers if isinstance(t, dict)] if isinstance(triggers, list) else []


def predict(moves, workloads, buildconfigs):
    """Reactions to the moved tags. moves: {(ns, stream, tag): move} with digest, pull_spec, reference_policy,
    local_repository; workloads: [(kind, object)]; buildconfigs: [object]. A paused trigger is reported, marked."""
    out = []
    for kind, obj, base in workloads:
        meta = obj.get("metadata") or {}
        for trigger in workload_triggers(obj):
            source = trigger.get("from") or {}
            if source.get("kind") != "ImageStreamTag":
                continue
            key = tag_key(source.get("namespace") or meta.get("namespace"), source.get("name"))
            if key not in moves:
                continue
            path = trigger.get("fieldPath") or ""
            if not path.startswith(base + "."):
                continue
            container = _container(_pod_spec(obj, base), path[len(base) + 1:])
            if container is None:
                continue
            after = resolved_pull_spec(moves[key])
            if not after or container.get("image") == after:
                continue
            out.append(dict(kind=kind, namespace=meta.get("namespace"), name=meta.get("name"),
                            container=container.get("name"), tag="%s/%s:%s" % key,
                            image_before=container.get("image"), image_after=after,
                            paused=bool(trigger.get("paused")) and str(trigger.get("paused")).lower() != "false"))
    for obj in buildconfigs:
        meta = obj.get("metadata") or {}
        spec = obj.get("spec") or {}
        strategy = spec.get("strategy") or {}
        strategy_from = next(((strategy.get(k) or {}).get("from") for k in
                              ("sourceStrategy", "dockerStrategy", "customStrategy") if strategy.get(k)), None) or {}
        last_by_from = {}  # the status's record of what each trigger last fired for
        for status_trigger in (obj.get("status") or {}).get("imageChangeTriggers") or []:
            source = status_trigger.get("from") or {}
            last_by_from[(source.get("namespace") or meta.get("namespace"), source.get("name"))] = \
                status_trigger.get("lastTriggeredImageID")
        for trigger in spec.get("triggers") or []:
            if trigger.get("type") != "ImageChange":
                continue
            change = trigger.get("imageChange") or {}
            source = change.get("from") or strategy_from
            if source.get("kind") != "ImageStreamTag":
                continue
            namespace = source.get("namespace") or meta.get("namespace")
            key = tag_key(namespace, source.get("name"))
            if key not in moves:
                continue
            after = resolved_pull_spec(moves[key])
            last = change.get("lastTriggeredImageID") or last_by_from.get((namespace, source.get("name")))
            if not after or last == after:
                continue
            out.append(dict(kind="BuildConfig", namespace=meta.get("namespace"), name=meta.get("name"),
                            container=None, tag="%s/%s:%s" % key, image_before=last, image_after=after,
                            paused=bool(change.get("paused"))))
    for reaction in out:
        reaction["description"] = describe(reaction)
    return sorted(out, key=lambda r: (r["namespace"] or "", r["kind"], r["name"] or "", r["container"] or ""))


class Reactions(object):
    """Reads the objects that may react, in the namespaces asked, and tells what a set of moves sets off."""

    def __init__(self, client, namespaces, notes):
        self.client = client
        self.namespaces = namespaces
        self.notes = notes

    def _list(self, resource, namespace):
        try:
            return (self.client.list(resource, namespace) or {}).get("items") or []
        except ClusterError as exc:
            if exc.status == 404:
                return None  # the API is not served (no build API on MicroShift)
            if exc.status == 403:
                note = "reactions: these credentials may not list %s in %s, so their reactions are not known" \
                    % (resource.plural, namespace)
                if note not in self.notes:
                    self.notes.append(note)
                return []
            raise

    def read(self):
        workloads, buildconfigs = [], []
        for namespace in self.namespaces:
            for kind, resource, base in WORKLOADS:
                for obj in self._list(resource, namespace) or []:
                    if workload_triggers(obj):
                        workloads.append((kind, obj, base))
            for obj in self._list(BUILDCONFIG, namespace) or []:
                buildconfigs.append(obj)
        return workloads, buildconfigs

    def predict(self, moves):
        if not moves:
            return []
        workloads, buildconfigs = self.read()
        return predict(moves, workloads, buildconfigs)

    def observe(self, reactions, timeout, sleep=time.sleep, clock=time.time):
        """After the import: whether each unpaused reaction happened (the container has the new image, the build
        config triggered a build for it), waiting up to timeout seconds for the controllers."""
        pending = [r for r in reactions if not r["paused"]]
        for reaction in reactions:
            reaction["applied"] = False
        started = clock()
        while pending:
            for reaction in list(pending):
                if self._applied(reaction):
                    reaction["applied"] = True
                    pending.remove(reaction)
            if not pending or clock() - started >= timeout:
                break
            sleep(0.5)
        return reactions

    def _applied(self, reaction):
        if reaction["kind"] == "BuildConfig":
            obj = self.client.get(BUILDCONFIG, reaction["name"], reaction["namespace"], missing_ok=True) or {}
            ids = [t.get("lastTriggeredImageID") for t in (obj.get("status") or {}).get("imageChangeTriggers") or []]
            ids += [(t.get("imageChange") or {}).get("lastTriggeredImageID")
                    for t in (obj.get("spec") or {}).get("triggers") or []]
            if reaction["image_after"] in ids:
                # the build it started: <config>-<lastVersion>
                version = (obj.get("status") or {}).get("lastVersion")
                reaction["build"] = "%s-%s" % (reaction["name"], version) if version else None
                return True
            return False
        resource, base = next((res, base) for kind, res, base in WORKLOADS if kind == reaction["kind"])
        obj = self.client.get(resource, reaction["name"], reaction["namespace"], missing_ok=True) or {}
        spec = _pod_spec(obj, base)
        return any(c.get("name") == reaction["container"] and c.get("image") == reaction["image_after"]
                   for c in (spec.get("containers") or []) + (spec.get("initContainers") or []))


def guard(reactions, max_reactions, protected):
    """Refuse (GuardError) when the unpaused reactions exceed max_reactions or touch a protected namespace."""
    active = [r for r in reactions if not r["paused"]]
    problems = []
    if max_reactions is not None and len(active) > max_reactions:
        problems.append("it would set off %d reaction(s), more than max_reactions %d" % (len(active), max_reactions))
    hit = [r for r in active if r["namespace"] in (protected or [])]
    if hit:
        problems.append("it would set off reactions in protected namespace(s) %s"
                        % ", ".join(sorted(set(r["namespace"] for r in hit))))
    if problems:
        raise GuardError("import refused before it was sent: %s: %s; nothing was imported"
                         % ("; ".join(problems), "; ".join(describe(r) for r in active[:20])))


def describe(reaction):
    if reaction["kind"] == "BuildConfig":
        return "BuildConfig %s/%s starts a build (%s)" % (reaction["namespace"], reaction["name"], reaction["tag"])
    return "%s %s/%s container %s rolls to %s (%s)%s" % (
        reaction["kind"], reaction["namespace"], reaction["name"], reaction["container"], reaction["image_after"],
        reaction["tag"], " [paused]" if reaction["paused"] else "")
