# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site.yml's report of a cluster, in one filter: one task shows it, instead of a task per part."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _get(mapping, *keys):
    for key in keys:
        if not isinstance(mapping, dict) and not hasattr(mapping, "get"):
            return None
        mapping = mapping.get(key)
        if mapping is None:
            return None
    return mapping


def _usable(result):
    """A registered result that ran: a skipped or failed task's is none."""
    return result if hasattr(result, "get") and not result.get("skipped") and not result.get("failed") else None


def site_report(parts):
    """Lines for a human from the roles' published results and registry_info's read of what they did not report.

    parts: registry (integrated_registry_result), read (registry_info's result), credentials
    (registry_credentials_result), policy (image_policy_result), mirrors (image_mirrors_result), imports
    (image_streams_summary). Any of them may be missing."""
    parts = parts or {}
    registered, read = _usable(parts.get("registry")), _usable(parts.get("read")) or {}
    registry = _get(registered, "registry") or read.get("registry") or {}
    hostnames = _get(registered, "hostnames") or read.get("hostnames") or {}
    entries = _get(parts.get("credentials"), "global", "registries")
    if entries is None:
        entries = read.get("pull_secret") or []
    lines = []
    if registry:
        lines.append("Integrated registry: %s, storage %s, %s/%s replicas ready"
                     % (registry.get("management_state"), (registry.get("storage") or {}).get("kind") or "none",
                        registry.get("ready_replicas") or 0, registry.get("replicas")))
        lines.append("Rolled out: %s (%s)" % (registry.get("rolled_out"), registry.get("rolled_out_reason")))
        lines.append("Internal hostname: %s" % (hostnames.get("internal") or "none"))
        lines.append("Public hostnames: %s" % (", ".join(hostnames.get("public") or []) or "none"))
    policy = _usable(parts.get("policy"))
    if policy:
        cas = [c.get("registry") for c in policy.get("trusted_cas") or [] if c.get("action") != "unchanged"]
        lines.append("Image policy: %s%s%s" % ("changed" if policy.get("changed") else "unchanged",
                                               "; trusted CAs changed: %s" % ", ".join(cas) if cas else "",
                                               "; nodes to update" if policy.get("nodes_affected") else ""))
    mirrors = _usable(parts.get("mirrors"))
    if mirrors:
        objects = ["%s %s %s" % (o.get("kind"), o.get("name"), o.get("action")) for o in mirrors.get("objects") or []]
        lines.append("Mirror sets: %s" % (", ".join(objects) or "none"))
    lines.append("Global pull secret: %s" % (", ".join("%s as %s" % (e.get("registry"), e.get("username"))
                                                       for e in entries) or "no entries"))
    imports = parts.get("imports")
    if hasattr(imports, "get"):
        lines.append("Imports: %d tags; moved: %s; failed: %s" % (
            imports.get("imported") or 0, ", ".join(imports.get("moved") or []) or "none",
            ", ".join(imports.get("failed") or []) or "none"))
    for check in read.get("checks") or []:
        error = " (%s)" % check["error"] if check.get("error") else ""
        lines.append("%s: reachable=%s authenticated=%s%s"
                     % (check.get("registry"), check.get("reachable"), check.get("authenticated"), error))
    return lines


class FilterModule(object):
    def filters(self):
        return {"site_report": site_report}
