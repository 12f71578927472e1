# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mirror sets: ImageDigestMirrorSet and ImageTagMirrorSet entries merged per source, the migration of
ImageContentSourcePolicy to ImageDigestMirrorSet (what `oc adm migrate icsp` does), and the order in which a node
tries the mirrors of a source (the machine config operator merges every set of a source in a stable order)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.policy import pools
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import Resource
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler

IDMS = Resource("config.openshift.io/v1", "imagedigestmirrorsets", "ImageDigestMirrorSet", False)
ITMS = Resource("config.openshift.io/v1", "imagetagmirrorsets", "ImageTagMirrorSet", False)
ICSP = Resource("operator.openshift.io/v1alpha1", "imagecontentsourcepolicies", "ImageContentSourcePolicy", False)
KINDS = {"digest": (IDMS, "imageDigestMirrors"), "tag": (ITMS, "imageTagMirrors")}
NEVER = "NeverContactSource"
ALLOW = "AllowContactingSource"
# the CRDs' patterns: a mirror is host[:port][/path]; a source may also be *.domain
MIRROR = names.HOST_SCOPE
SOURCE = names.SCOPE


class MirrorError(OcpRegistryError, ValueError):
    pass


def _ref_error(label, what, value, pattern):
    if "@" in value or ":" in value.partition("/")[2]:
        return "%s: %s %r carries a tag or digest; mirror sets take repositories (host[:port][/path])" % (
            label, what, value)
    if not pattern.match(value):
        return "%s: %s %r is not host[:port][/path]%s" % (label, what, value, " or *.domain" if what == "source" else "")
    return None


def validate(entries):
    """Errors of the given mirror entries, each naming the entry, before anything is read or written."""
    errors = []
    seen = {}
    for index, entry in enumerate(entries or []):
        label = "mirrors[%d] (%s)" % (index, entry.get("source"))
        problem = _ref_error(label, "source", entry.get("source") or "", SOURCE)
        if problem:
            errors.append(problem)
        given = entry.get("mirrors") or []
        if entry.get("state", "present") == "present" and not given:
            errors.append("%s: give at least one mirror" % label)
        for mirror in given:
            problem = _ref_error(label, "mirror", mirror, MIRROR)
            if problem:
                errors.append(problem)
        duplicates = sorted(set(m for m in given if given.count(m) > 1))
        if duplicates:
            errors.append("%s: mirrors are a set; %s is given more than once" % (label, ", ".join(duplicates)))
        if entry.get("source_policy") == NEVER and entry.get("source") in given:
            errors.append("%s: NeverContactSource cannot list the source itself among the mirrors" % label)
        key = (entry.get("source"), entry.get("by", "digest"))
        if key in seen:
            errors.append("%s: the source is given twice for %s mirrors (also mirrors[%d])" % (label, key[1], seen[key]))
        seen[key] = index
    return errors


def _item(entry):
    item = {"source": entry["source"], "mirrors": list(entry["mirrors"])}
    if entry.get("source_policy"):
        item["mirrorSourcePolicy"] = entry["source_policy"]
    return item


def merge(current, entries, exclusive):
    """(new list, changes): a given entry replaces the one with its source; absent removes it."""
    new = [] if exclusive else copy.deepcopy(current)
    changes = []
    before = dict((c.get("source"), c) for c in current)
    for entry in entries:
        index = next((i for i, c in enumerate(new) if c.get("source") == entry["source"]), None)
        if entry.get("state", "present") == "absent":
            if index is not None:
                del new[index]
            if entry["source"] in before:
                changes.append(dict(source=entry["source"], action="removed"))
            continue
        item = _item(entry)
        if index is None:
            new.append(item)
        else:
            new[index] = item
        if entry["source"] not in before:
            changes.append(dict(source=entry["source"], action="added"))
        elif before[entry["source"]] != item:
            changes.append(dict(source=entry["source"], action="changed"))
    if exclusive:
        kept = set(i["source"] for i in new)
        changes.extend(dict(source=s, action="removed") for s in before if s not in kept)
    return new, changes


def topological_order(edges):
    """The nodes of a graph given as (from, to) edges in the machine config operator's order: a node comes after every
    node with an edge to it; among nodes that are ready together, the one found first in name order goes first, and
    their successors queue behind them; a loop is broken at its first node in name order."""
    outs, ins = {}, {}

    def edge(a, b):
        for node in (a, b):
            outs.setdefault(node, set())
            ins.setdefault(node, set())
        outs[a].add(b)
        ins[b].add(a)
    for a, b in edges:
        edge(a, b)
    nodes = sorted(outs)
    queue = [n for n in nodes if not ins[n]]
    used, order, index = set(), [], 0
    while queue or index < len(nodes):
        if queue:
            node = queue.pop(0)
        else:
            node = nodes[index]
            index += 1
            if node in used:
                continue
        used.add(node)
        order.append(node)
        ready = []
        for nxt in outs[node]:
            ins[nxt].discard(node)
            if not ins[nxt] and nxt not in used:
                ready.append(nxt)
        queue.extend(sorted(ready))
    return order


def _sorted_mirrors(source, chains):
    """One order for every mirror list of a source that keeps each list's order (the machine config operator's
    topological merge); the source itself is left out when it comes last."""
    edges = []
    for chain in chains:
        edges.extend(zip(chain, chain[1:]))
        if source not in chain:
            edges.append((chain[-1], source))
    order = topological_order(edges)
    if order and order[-1] == source:
        order = order[:-1]
    return order


def node_order(idms, itms, icsp):
    """For each source and kind: the mirrors in the order a node tries them, and whether it then tries the source."""
    out = []
    by_digest = [m for o in idms for m in (o.get("spec") or {}).get("imageDigestMirrors") or []]
    by_digest.extend(dict(source=m.get("source"), mirrors=m.get("mirrors") or [])
                     for o in icsp for m in (o.get("spec") or {}).get("repositoryDigestMirrors") or [])
    groups = (("digest", by_digest),
              ("tag", [m for o in itms for m in (o.get("spec") or {}).get("imageTagMirrors") or []]))
    for by, items in groups:
        chains, never = {}, set()
        for item in items:
            mirrors = item.get("mirrors") or []
            if not any(m != item.get("source") for m in mirrors):
                continue
            chains.setdefault(item["source"], []).append(mirrors)
            if item.get("mirrorSourcePolicy") == NEVER:
                never.add(item["source"])
        for source in sorted(chains):
            out.append(dict(source=source, by=by, mirrors=_sorted_mirrors(source, chains[source]),
                            contacts_source=source not in never))
    return out


def policy_conflicts(idms, itms, icsp):
    """Sources whose mirror sets disagree on mirrorSourcePolicy (the machine config operator refuses to render)."""
    seen = {}
    problems = []
    items = [(o, "ImageDigestMirrorSet", m) for o in idms for m in (o.get("spec") or {}).get("imageDigestMirrors") or []]
    items += [(o, "ImageTagMirrorSet", m) for o in itms for m in (o.get("spec") or {}).get("imageTagMirrors") or []]
    items += [(o, "ImageContentSourcePolicy", m) for o in icsp
              for m in (o.get("spec") or {}).get("repositoryDigestMirrors") or []]
    for obj, kind, item in items:
        policy = item.get("mirrorSourcePolicy") or ALLOW
        where = "%s %s" % (kind, obj["metadata"]["name"])
        first = seen.setdefault(item.get("source"), (policy, where))
        if first[0] != policy:
            problems.append("source %s has mirrorSourcePolicy %s in %s but %s in %s; the machine config operator "
                            "refuses conflicting policies for one source"
                            % (item.get("source"), policy, where, first[0], first[1]))
    return problems


def view(items):
    return dict((i.get("source"), dict(mirrors=list(i.get("mirrors") or []),
                                       source_policy=i.get("mirrorSourcePolicy") or ALLOW)) for i in items or [])


class ImageMirrors(Reconciler):
    error = MirrorError
    subject = "the mirror sets"

    def validate(self):
        self.entries = [dict(e, by=e.get("by") or "digest") for e in self.params.get("entries") or []]
        errors = validate(self.entries)
        if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", self.params["name"] or ""):
            errors.append("name %r is not a valid object name (lowercase letters, digits, '-' and '.')"
                          % self.params["name"])
        if self.params.get("wait_timeout") is not None and self.params["wait_timeout"] <= 0:
            errors.append("wait_timeout must be a positive number of seconds")
        if self.params.get("delete_icsp") and not self.params.get("migrate_icsp"):
            errors.append("delete_icsp deletes ImageContentSourcePolicies only after migrate_icsp stored their "
                          "ImageDigestMirrorSets; set migrate_icsp: true too")
        if errors:
            raise MirrorError("; ".join(errors) + "; nothing was written")

    def prepare(self):
        self.objects, self.migration = [], []
        # what each earlier attempt meant to write, with its changes, for the writes it made before a conflict
        self.intended = {}
        self.plan = {}
        self.pools_before = None  # the pools' rendered configs before the first write, when the run waits

    def attempt(self):
        self.intended.update(((o["kind"], o["name"]), o) for o in self.objects if o["action"] != "unchanged")
        self.objects, self.migration = [], []
        self._apply(self.entries)

    def outcome(self):
        result = dict(self.plan, objects=self.objects, migration=self.migration)
        if self.writes and not result["changed"]:
            result.update(changed=True, nodes_affected=True)
        for write in self.writes:
            key = (write["kind"], write["name"])
            for index, obj in enumerate(result["objects"]):
                if (obj["kind"], obj["name"]) == key and obj["action"] == "unchanged":
                    result["objects"][index] = self.intended.get(key, dict(obj, action=write["action"]))
        return result

    def wait(self, result):
        try:
            result["pools"] = pools.wait(self.client, self.pools_before or {}, self.params, self.warn, self.sleep)
        except pools.PoolError as exc:
            raise MirrorError(str(exc))

    def _lists(self):
        return dict(digest=self.client.list(IDMS).get("items") or [], tag=self.client.list(ITMS).get("items") or [],
                    icsp=self.client.list(ICSP).get("items") or [])

    def _apply(self, entries):
        live = self._lists()
        name = self.params["name"]
        exclusive = self.params.get("exclusive")
        planned = {"digest": copy.deepcopy(live["digest"]), "tag": copy.deepcopy(live["tag"]),
                   "icsp": copy.deepcopy(live["icsp"])}
        writes = []
        before_view, after_view = {}, {}
        for by, (resource, field) in KINDS.items():
            given = [e for e in entries if e["by"] == by]
            current = next((o for o in live[by] if o["metadata"]["name"] == name), None)
            if not given and not (exclusive and current is not None):
                continue
            items = ((current or {}).get("spec") or {}).get(field) or []
            new_items, changes = merge(items, given, exclusive)
            before_view[by] = view(items)
            after_view[by] = view(new_items)
            if new_items == items and current is not None:
                self.objects.append(dict(kind=resource.kind, name=name, action="unchanged", changes=[]))
                continue
            if current is None and not new_items:
                continue
            action = "created" if current is None else ("deleted" if not new_items else "updated")
            body = copy.deepcopy(current) if current else {"apiVersion": resource.api_version, "kind": resource.kind,
                                                           "metadata": {"name": name}, "spec": {}}
            body.setdefault("spec", {})[field] = new_items
            writes.append((resource, action, body, name))
            planned[by] = [o for o in planned[by] if o["metadata"]["name"] != name] + ([body] if new_items else [])
            self.objects.append(dict(kind=resource.kind, name=name, action=action, changes=changes))
        if self.params.get("migrate_icsp"):
            self._plan_migration(live, planned, writes)
        problems = policy_conflicts(planned["digest"], planned["tag"], planned["icsp"])
        if problems:
            raise MirrorError("; ".join(problems) + "; nothing was written")
        if self.pools_before is None and writes and self.params.get("wait") and not self.check_mode:
            # the pools as they were before the first write (an earlier attempt's, when it wrote)
            self.pools_before = pools.configs(self.client)
        for resource, action, body, obj_name in writes:
            self._write(resource, action, body, obj_name)
        self.plan = dict(changed=bool(writes), nodes_affected=bool(writes),
                         order=node_order(planned["digest"], planned["tag"], planned["icsp"]),
                         diff=dict(before=dict(before_view, icsp=sorted(o["metadata"]["name"] for o in live["icsp"])),
                                   after=dict(after_view, icsp=sorted(o["metadata"]["name"] for o in planned["icsp"]))))

    def _plan_migration(self, live, planned, writes):
        """An ImageDigestMirrorSet of the same name and mirrors for every ICSP; the ICSP deleted when asked."""
        for icsp in live["icsp"]:
            name = icsp["metadata"]["name"]
            wanted = [dict(source=m.get("source"), mirrors=list(m.get("mirrors") or []))
                      for m in (icsp.get("spec") or {}).get("repositoryDigestMirrors") or []]
            existing = next((o for o in planned["digest"] if o["metadata"]["name"] == name), None)
            step = dict(icsp=name, idms=name, action="unchanged", delete_icsp=bool(self.params.get("delete_icsp")))
            if existing is None or (existing.get("spec") or {}).get("imageDigestMirrors") != wanted:
                body = copy.deepcopy(existing) if existing else {"apiVersion": IDMS.api_version, "kind": IDMS.kind,
                                                                 "metadata": {"name": name}, "spec": {}}
                body.setdefault("spec", {})["imageDigestMirrors"] = wanted
                step["action"] = "created" if existing is None else "updated"
                writes.append((IDMS, step["action"], body, name))
                planned["digest"] = [o for o in planned["digest"] if o["metadata"]["name"] != name] + [body]
            if step["delete_icsp"]:
                writes.append((ICSP, "deleted", None, name))
                planned["icsp"] = [o for o in planned["icsp"] if o["metadata"]["name"] != name]
            self.migration.append(step)

    def _write(self, resource, action, body, name):
        if action == "deleted":
            self.delete(resource, name)
        elif action == "created":
            self.create(resource, body)
        else:
            self.replace(resource, body)
