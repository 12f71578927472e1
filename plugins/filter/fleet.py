# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drift report of a fleet: one report per cluster (its own areas and the hosts that belong to it), the
clusters that drifted or could not be checked named in the summary, and the same report as a static HTML page."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible.module_utils.six import string_types

from ansible_collections.ocp.registry.plugins.plugin_utils.areas import CLUSTER_PARTS, HOST_PARTS, configured_areas
from ansible_collections.ocp.registry.plugins.filter.drift import (
    _entry_drift, access_drift, access_subject, drift_lines, drift_report, entry_subject)


NO_CLUSTER = "(hosts without registry_cluster)"


def _get(mapping, key):
    try:
        value = mapping[key]
    except (KeyError, TypeError):
        return None
    return value


def _result(mapping, key):
    """A published result, or None when there is none: a role's task skipped because its area is not configured
    (integrated_registry_pruner_result without a pruner) registers a skipped result, which is no result."""
    value = _get(mapping, key)
    if isinstance(value, dict) and value.get("skipped") is True and "diff" not in value and "results" not in value:
        return None
    return value


def host_cluster(host_vars, clusters):
    """The cluster a host belongs to: its registry_cluster, or the only cluster of a one-cluster inventory."""
    named = _get(host_vars, "registry_cluster")
    if named:
        return named
    return clusters[0] if len(clusters) == 1 else NO_CLUSTER


def fleet_drift_report(clusters, hostvars, hosts=None):
    """Per cluster, the drift report of its check-mode results and of its hosts' results.

    clusters and hosts are inventory names (the cluster group and the hosts group); hostvars is Ansible's. A
    cluster whose checks did not complete (drift_checked is not set: its API was down, a task failed) is reported
    as not checked, never as clean.
    """
    clusters = list(clusters or [])
    by_cluster = dict((name, []) for name in clusters)
    for host in hosts or []:
        by_cluster.setdefault(host_cluster(_get(hostvars, host), clusters), []).append(host)
    reports = {}
    for name in list(by_cluster):
        own = _get(hostvars, name) if name in clusters else None
        collected = {}
        if own is not None:
            for part, var in CLUSTER_PARTS:
                collected[part] = _result(own, var)
        for part, var in HOST_PARTS:
            collected[part] = [dict(host=host, result=_result(_get(hostvars, host), var)) for host in by_cluster[name]
                               if _result(_get(hostvars, host), var) is not None]
        report = drift_report(collected)
        report["hosts"] = sorted(by_cluster[name])
        report["checked"] = name not in clusters or bool(_get(own, "drift_checked"))
        if not report["checked"]:
            # unknown, never clean: a consumer that reads drift alone must not take it for a cluster that matched
            report["drift"] = None
            report["summary"] = "not checked: the checks of this cluster did not complete (see its failed task)"
        reports[name] = report
    return _combine(reports, clusters)


def _combine(reports, clusters):
    drifted = sorted(name for name, report in reports.items() if report["checked"] and report["drift"])
    unchecked = sorted(name for name, report in reports.items() if not report["checked"])
    areas = {}
    for name in sorted(reports):
        for area, value in reports[name]["areas"].items():
            merged = areas.setdefault(area, dict(matches=True, differences=[]))
            merged["matches"] = merged["matches"] and value["matches"]
            for diff in value["differences"]:
                merged["differences"].append(dict(diff, cluster=name))
    total = sum(report["differences"] for report in reports.values())
    if len(reports) == 1 and not unchecked:
        summary = list(reports.values())[0]["summary"]
    else:
        parts = []
        if drifted:
            parts.append("drift in %d of %d clusters: %s" % (len(drifted), len(reports), "; ".join(
                "%s (%s)" % (name, ", ".join(reports[name]["drifted_areas"])) for name in drifted)))
        if unchecked:
            parts.append("not checked: %s" % ", ".join(unchecked))
        if not parts:
            parts.append("no drift in %d clusters" % len(reports))
        summary = "; ".join(parts)
    # true when a checked cluster drifted; null when none did but some could not be checked; false only when every
    # cluster was checked and matched
    fleet_drift = True if drifted else (None if unchecked else False)
    return dict(drift=fleet_drift, checked=not unchecked, summary=summary, differences=total, drifted_clusters=drifted,
                unchecked_clusters=unchecked,
                drifted_areas=sorted(set(a for name in drifted for a in reports[name]["drifted_areas"])),
                areas=areas, clusters=reports)


def fleet_drift_lines(report):
    """Lines for people: one cluster as before, a fleet cluster by cluster."""
    clusters = report.get("clusters") or {}
    if len(clusters) == 1 and not report.get("unchecked_clusters"):
        return drift_lines(list(clusters.values())[0])
    lines = [report["summary"]]
    for name in sorted(clusters):
        cluster = clusters[name]
        if not cluster["checked"]:
            lines.append("[%s] %s" % (name, cluster["summary"]))
            continue
        lines.extend("[%s] %s" % (name, line) for line in drift_lines(cluster))
    return lines


def drift_repairs(report, host, clusters):
    """What drift.yml repairs on this inventory host: a cluster's own drifted areas, or a host's areas that drifted
    for that host. Clusters that matched, and hosts that matched, get nothing."""
    if not report:
        return []
    reports = report.get("clusters") or {}
    if host in reports and host in (clusters or []):
        return list(reports[host].get("drifted_areas") or []) if reports[host].get("checked") else []
    out = []
    for cluster in reports.values():
        for area, value in cluster["areas"].items():
            if any(diff.get("host") == host for diff in value["differences"]) and area not in out:
                out.append(area)
    return sorted(out)


def hosts_with(names, hostvars, fact):
    """The inventory names whose fact is set and true (a play's way of saying it got there)."""
    return [name for name in names or [] if _get(_get(hostvars, name), fact)]


# ------------------------------------------------------------------------------------------- the HTML page
TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugin_utils",
                        "drift_report.html.j2")


def _code(text):
    return dict(text=_text(text), code=True)


def _words(text):
    return dict(text=text, code=False)


def _describe(area, diff):
    """One difference as parts of text, code or not, as the report carries it (secrets are masked by the modules,
    never present); the template escapes every part."""
    where = diff.get("host", "")
    if "field" in diff:
        return [_code(diff["field"]), _words(": live "), _code(diff.get("live")), _words(", desired "),
                _code(diff.get("desired"))]
    if area == "image_access":
        return [_code(access_subject(diff)), _words(": " + access_drift(diff))]
    if area == "imagestream_tags":
        text = "%s/%s:%s" % (diff.get("namespace"), diff.get("stream"), diff.get("tag"))
        if diff.get("status") != "Success":
            return [_code(text), _words(": %s (%s)" % (_text(diff.get("status")), _text(diff.get("reason"))))]
        return [_code(text), _words(": live "), _code(diff.get("live")), _words(", source "), _code(diff.get("source"))]
    place = ":".join(x for x in (where, diff.get("path") or diff.get("secret") or "") if x)
    what = diff.get("change", "")
    if area in ("pull_secrets", "host_files"):
        what = _entry_drift(diff)  # the words of the text report
        if what.startswith("different"):
            what += " (values not shown)"
        if diff.get("reason"):
            what += "; " + diff["reason"]
    return [_code(place), _words(" %s: %s" % (_text(entry_subject(diff)), what))]


def _text(value):
    if value is None:
        return "(none)"
    if isinstance(value, string_types):
        return value
    return json.dumps(value, sort_keys=True)


def drift_html(report, title="Registry drift report"):
    """The fleet report as one static page (plugin_utils/drift_report.html.j2): clusters by area with counts, each
    drift expandable, no scripts, no external assets, every value escaped."""
    # jinja2 is there wherever filters run: on the controller, with ansible-core
    import jinja2  # pylint: disable=import-outside-toplevel
    clusters = report.get("clusters") or {}
    areas = sorted(set(area for cluster in clusters.values() for area in cluster["areas"]))
    rows = []
    for name in sorted(clusters):
        cluster = clusters[name]
        cells = []
        for area in areas:
            value = cluster["areas"].get(area)
            if not cluster["checked"]:
                cells.append(dict(state="unchecked"))
            elif value is None:
                cells.append(dict(state="none"))
            elif value["matches"]:
                cells.append(dict(state="match"))
            else:
                cells.append(dict(state="drift", differences=[_describe(area, diff) for diff in value["differences"]]))
        rows.append(dict(cluster=name, cells=cells))
    with open(TEMPLATE) as handle:
        template = jinja2.Environment(autoescape=True, keep_trailing_newline=True).from_string(handle.read())
    return template.render(title=title, summary=report.get("summary", ""), areas=areas, rows=rows)


class FilterModule(object):
    def filters(self):
        return {"fleet_drift_report": fleet_drift_report, "fleet_drift_lines": fleet_drift_lines,
                "drift_repairs": drift_repairs, "drift_html": drift_html, "hosts_with": hosts_with,
                "configured_areas": configured_areas}
