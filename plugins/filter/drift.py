# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn check-mode results of this collection's modules into a drift report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def _paths(before, after, prefix=""):
    """(path, before, after) for every leaf that differs between two documents."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(set(before) | set(after), key=str):
            out.extend(_paths(before.get(key), after.get(key), "%s.%s" % (prefix, key) if prefix else str(key)))
        return out
    if before != after:
        return [(prefix, before, after)]
    return []


def config_differences(diff):
    """The fields where the live registry config differs from the desired one, from the module's diff."""
    if not diff:
        return []
    before = (diff.get("before") or {}).get("config") or {}
    after = (diff.get("after") or {}).get("config") or {}
    out = [dict(field="spec." + path, live=live, desired=desired) for path, live, desired in _paths(before, after)]
    creds_before = (diff.get("before") or {}).get("storage_credentials") or {}
    creds_after = (diff.get("after") or {}).get("storage_credentials") or {}
    for key in sorted(set(creds_before) | set(creds_after)):
        if creds_before.get(key) != creds_after.get(key):
            out.append(dict(field="storage credentials " + key, live=creds_before.get(key), desired=creds_after.get(key)))
    return out


def _secret_drift(result, secret):
    out = []
    for change in result.get("changes") or []:
        out.append(dict(secret=secret, registry=change["registry"], change=change["action"],
                        username_changed=change.get("username_changed", False),
                        secret_changed=change.get("secret_changed", change["action"] != "unchanged")))
    for link in result.get("links") or []:
        # a pull secret unlinked from a service account behind Ansible's back is drift too
        # a service account is not a registry: it has a field of its own, and no registry field
        out.append(dict(secret=secret, service_account=link["service_account"], fields=list(link["fields"]),
                        change="unlinked" if link["action"] == "linked" else "linked", link=True))
    return out


def _pull_secret_results(credentials):
    """(secret, result) for the global pull secret and each namespace secret of a registry_credentials run."""
    out = []
    if credentials.get("global"):
        out.append(("openshift-config/pull-secret", credentials["global"]))
    for result in credentials.get("namespaces") or []:
        out.append(("%s/%s" % (result.get("namespace"), result.get("name")), result))
    return out


def drift_report(collected):
    """Assemble the report from check-mode results: {registry, credentials, host_credentials, imports}.

    registry is an integrated_registry result; image_policy and image_mirrors those modules' results; credentials
    a registry_credentials result from the cluster;
    host_credentials a list of {host, result} with the registry_credentials result of each host; imports the
    image_import results of the image_streams role; image_access its registry_access results; host_registries a
    list of {host, result} with the
    host_registries result of each host. Missing parts (None) are areas not configured.
    """
    registry = collected.get("registry")
    areas = {}
    if registry:
        differences = config_differences(registry.get("diff")) if registry.get("changed") else []
        areas["registry_config"] = dict(matches=not differences, differences=differences,
                                        notes=registry.get("notes") or [])
    for area in ("image_pruner", "image_policy", "image_mirrors"):
        result = collected.get(area)
        if result:
            diff = result.get("diff") or {}
            differences = [dict(field=path, live=live, desired=desired) for path, live, desired in
                           _paths(diff.get("before") or {}, diff.get("after") or {})] if result.get("changed") else []
            areas[area] = dict(matches=not differences, differences=differences)
    if collected.get("credentials"):
        secrets, checked = [], []
        for secret, result in _pull_secret_results(collected["credentials"]):
            checked.append(secret)
            secrets.extend(_secret_drift(result, secret))
        areas["pull_secrets"] = dict(matches=not secrets, differences=secrets, checked=checked)
    if collected.get("host_credentials"):
        files, checked = [], []
        for entry in collected["host_credentials"]:
            for result in (entry.get("result") or {}).get("files") or []:
                checked.append("%s:%s" % (entry["host"], result.get("path")))
                for change in _secret_drift(result, result.get("path")):
                    change["host"] = entry["host"]
                    change["path"] = change.pop("secret")
                    files.append(change)
            # logins to the integrated registry: a token due for renewal (or gone) is drift, with the reason
            for result in (entry.get("result") or {}).get("logins") or []:
                if result.get("skipped") or result.get("failed"):
                    continue
                for change in _secret_drift(result, result.get("path")):
                    change.update(host=entry["host"], path=change.pop("secret"), reason=result.get("reason"))
                    files.append(change)
        areas["host_files"] = dict(matches=not files, differences=files, checked=checked)
    if collected.get("host_registries"):
        files, checked = [], []
        for entry in collected["host_registries"]:
            result = entry.get("result") or {}
            dropin = result.get("dropin") or {}
            if dropin.get("path"):
                checked.append("%s:%s" % (entry["host"], dropin["path"]))
            for change in dropin.get("changes") or []:
                files.append(dict(host=entry["host"], path=dropin.get("path"), registry=change["prefix"],
                                  change=change["action"]))
            if dropin.get("changed") and not dropin.get("changes"):
                files.append(dict(host=entry["host"], path=dropin.get("path"), registry="(file)", change="rewritten"))
            for ca in result.get("cas") or []:
                for item in ca.get("files") or []:
                    checked.append("%s:%s" % (entry["host"], item["path"]))
                    if item["action"] != "unchanged":
                        files.append(dict(host=entry["host"], path=item["path"], registry=ca.get("item", {}).get("registry"),
                                          change=item["action"]))
        areas["host_registries"] = dict(matches=not files, differences=files, checked=checked)
    if collected.get("imports"):
        tags = []
        for result in collected["imports"]:
            for image in result.get("images") or []:
                if image.get("changed") or image.get("created") or image.get("policy_changed") or \
                        image["status"] != "Success":
                    tags.append(dict(namespace=image["namespace"], stream=image["stream"], tag=image["tag"],
                                     live=image.get("digest_before"), source=image.get("digest_after"),
                                     status=image["status"], reason=image.get("reason")))
        areas["imagestream_tags"] = dict(matches=not tags, differences=tags)
    if collected.get("image_access"):
        grants = []
        for result in collected["image_access"]:
            if result.get("changed"):
                grants.append(dict(namespace=result.get("namespace"), role=result.get("role"),
                                   grant=result.get("granted") or [], revoke=result.get("revoked") or []))
        areas["image_access"] = dict(matches=not grants, differences=grants)
    drifted = sorted(name for name, area in areas.items() if not area["matches"])
    count = sum(len(area["differences"]) for area in areas.values())
    if drifted:
        summary = "drift: %d difference(s) in %s" % (count, ", ".join(drifted))
    else:
        summary = "no drift: %s match the desired state" % (", ".join(sorted(areas)) or "nothing configured to")
    return dict(drift=bool(drifted), drifted_areas=drifted, differences=count, summary=summary, areas=areas)


def drift_lines(report):
    """The report as lines for a human."""
    lines = [report["summary"]]
    for name in sorted(report["areas"]):
        area = report["areas"][name]
        lines.append("%s: %s" % (name, "matches" if area["matches"] else "DRIFT"))
        for diff in area["differences"]:
            if name in ("registry_config", "image_pruner", "image_policy", "image_mirrors"):
                lines.append("  %s: live %s, desired %s" % (diff["field"], _short(diff["live"]), _short(diff["desired"])))
            elif name == "image_access":
                lines.append("  %s: %s" % (access_subject(diff), access_drift(diff)))
            elif name == "host_registries":
                lines.append("  %s:%s %s: %s" % (diff["host"], diff["path"], diff["registry"], _registry_drift(diff["change"])))
            elif name in ("pull_secrets", "host_files"):
                where = diff.get("host", "") + (":" if diff.get("host") else "") + diff.get("path", diff.get("secret", ""))
                why = " (%s)" % diff["reason"] if diff.get("reason") else ""
                lines.append("  %s %s: %s%s" % (where, entry_subject(diff), _entry_drift(diff), why))
            else:
                where = "%s/%s:%s" % (diff["namespace"], diff["stream"], diff["tag"])
                if diff["status"] != "Success":
                    lines.append("  %s: %s (%s)" % (where, diff["status"], diff["reason"]))
                else:
                    lines.append("  %s: live %s, source %s" % (where, _short(diff["live"]), _short(diff["source"])))
    return lines


def access_subject(diff):
    """Where an image-access difference is: the namespace (or every namespace) and the role."""
    return "%s %s" % (diff.get("namespace") or "every namespace", diff.get("role"))


def access_drift(diff):
    parts = []
    if diff.get("grant"):
        parts.append("not granted to " + ", ".join(diff["grant"]))
    if diff.get("revoke"):
        parts.append("also granted to " + ", ".join(diff["revoke"]))
    return "; ".join(parts) or "bindings differ"


def entry_subject(diff):
    """What a pull-secret or host-file difference is about: its registry, or the service account a link is for."""
    if diff.get("link"):
        return "service account %s (%s)" % (diff["service_account"], ", ".join(diff.get("fields") or []))
    return diff.get("registry")


def _registry_drift(change):
    return {"added": "missing", "removed": "extra", "changed": "different"}.get(change, change)


def _entry_drift(diff):
    if diff.get("link"):
        return "not linked" if diff["change"] == "unlinked" else "linked, and should not be"
    if diff["change"] == "added":
        return "missing"
    if diff["change"] == "removed":
        return "extra"
    what = [w for w, flag in (("username", diff.get("username_changed")), ("secret", diff.get("secret_changed"))) if flag]
    return "different %s" % (" and ".join(what) or "entry")


def _short(value):
    text = "%s" % (value,)
    if text.startswith("sha256:"):
        return text[:19]
    return text if len(text) <= 80 else text[:77] + "..."


def host_result(pair):
    """{host, result} from a (host, registry_credentials result) pair."""
    host, result = pair
    return dict(host=host, result=result)


class FilterModule(object):
    def filters(self):
        return {"config_differences": config_differences, "drift_report": drift_report, "drift_lines": drift_lines,
                "host_result": host_result}
