# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One definition per registry, fanned out: the credentials for the pull secrets and hosts, and the cluster's
image policy (trusted CA, allowed, blocked, insecure, search, import allow-list)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

CREDENTIAL_KEYS = ("registry", "username", "password", "token", "email", "state")
POLICY_FLAGS = (("allowed", "allowed"), ("blocked", "blocked"), ("insecure", "insecure"), ("search", "search"))


def _host(registry):
    """The host[:port] of a registry, namespace or repository scope."""
    return (registry or "").split("/", 1)[0]


def credential_entries(definitions):
    """registry_credentials_list entries: each definition with a username, and each absent one."""
    out = []
    for definition in definitions or []:
        absent = definition.get("state", "present") == "absent"
        if definition.get("username") or absent:
            out.append(dict((k, definition[k]) for k in CREDENTIAL_KEYS if definition.get(k) is not None))
    return out


def service_account_logins(entries):
    """The entries that log hosts in to the integrated registry with a service account's bound token."""
    return [entry for entry in entries or [] if entry.get("service_account")]


def password_credentials(entries):
    """The entries with a username and a password or token (everything but service account logins)."""
    return [entry for entry in entries or [] if not entry.get("service_account")]


def incomplete_credentials(entries):
    """The registries of present entries that lack a username, or both a password and a token (names only);
    a service account login needs its namespace and name instead."""
    out = []
    for entry in entries or []:
        if (entry.get("state") or "present") == "absent":
            continue
        account = entry.get("service_account")
        if account:
            if not (account.get("namespace") and account.get("name")):
                out.append(str(entry.get("registry") or "(the integrated registry)") + " (service_account needs namespace "
                           "and name)")
            continue
        if not entry.get("registry"):
            out.append("(an entry without registry)")
            continue
        if not entry.get("username") or not (entry.get("password") or entry.get("token")):
            out.append(str(entry.get("registry") or "(an entry without registry)"))
    return out


def image_policy_args(definitions, external_hostnames=None):
    """image_policy module options from the definitions. A flag set true adds the registry to that list, set false
    removes it, left out leaves the list alone; an absent definition is removed from every list and its CA untrusted."""
    sources = dict((name, []) for name, _flag in POLICY_FLAGS)
    trusted_cas, allowed_for_import = [], []
    for definition in definitions or []:
        registry = definition["registry"]
        absent = definition.get("state", "present") == "absent"
        for name, flag in POLICY_FLAGS:
            # absent needs nothing but the registry's name: it leaves every list, whatever flags it still carries
            value = False if absent else definition.get(flag)
            if value is None:
                continue
            entry_name = _host(registry) if name == "search" else registry
            sources[name].append(dict(registry=entry_name, state="present" if value else "absent"))
        if absent:
            trusted_cas.append(dict(registry=_host(registry), state="absent"))
        elif definition.get("ca") or definition.get("ca_file"):
            entry = dict(registry=_host(registry), state="present")
            entry.update((k, definition[k]) for k in ("ca", "ca_file") if definition.get(k))
            trusted_cas.append(entry)
        if absent:
            allowed_for_import.append(dict(registry=_host(registry), insecure=False, state="absent"))
        elif definition.get("allowed_for_import") is not None:
            allowed_for_import.append(dict(registry=_host(registry),
                                           insecure=bool(definition.get("import_insecure", False)),
                                           state="present" if definition["allowed_for_import"] and not absent
                                           else "absent"))
    out = dict(registry_sources=dict((k, v) for k, v in sources.items() if v))
    if trusted_cas:
        out["trusted_cas"] = trusted_cas
    if allowed_for_import:
        out["allowed_for_import"] = allowed_for_import
    if external_hostnames:
        out["external_hostnames"] = [dict(name=name, state="present") for name in external_hostnames]
    return out


def host_registry_entries(definitions, mirrors=None):
    """registries_conf entries for the hosts: each present definition that makes its registry insecure or blocked,
    and each mirrored source with its mirrors (digest-only or tag-only, as the cluster's mirror sets say; a source
    nodes may never contact is blocked). The hosts' file is owned whole (exclusive): what is no longer asked for
    leaves it."""
    out = []
    by_prefix = {}

    def entry(prefix):
        if prefix not in by_prefix:
            item = dict(prefix=prefix, insecure=False, blocked=False, mirrors=[])
            if not prefix.startswith("*."):
                item["location"] = prefix
            by_prefix[prefix] = item
            out.append(item)
        return by_prefix[prefix]
    for definition in definitions or []:
        if definition.get("state", "present") == "absent":
            continue
        if definition.get("insecure") or definition.get("blocked"):
            item = entry(definition["registry"])
            item["insecure"] = item["insecure"] or bool(definition.get("insecure"))
            item["blocked"] = item["blocked"] or bool(definition.get("blocked"))
    for mirror in mirrors or []:
        if mirror.get("state", "present") == "absent" or not mirror.get("mirrors"):
            continue
        item = entry(mirror["source"])
        if mirror.get("source_policy") == "NeverContactSource":
            item["blocked"] = True
        pull = "tag-only" if mirror.get("by") == "tag" else "digest-only"
        item["mirrors"].extend(dict(location=m, pull_from_mirror=pull) for m in mirror["mirrors"])
    for item in out:
        if not item["mirrors"]:
            del item["mirrors"]
    return out


def host_ca_entries(definitions):
    """registry_ca calls for the hosts: {registry, ca or ca_file, state} of each definition with a CA, and
    {registry, state: absent} of each absent definition, whether or not it still names its CA."""
    out = []
    for definition in definitions or []:
        if definition.get("state", "present") == "absent":
            out.append(dict(registry=_host(definition["registry"]), state="absent"))
        elif definition.get("ca") or definition.get("ca_file"):
            entry = dict(registry=_host(definition["registry"]), state=definition.get("state", "present"))
            entry.update((k, definition[k]) for k in ("ca", "ca_file") if definition.get(k))
            out.append(entry)
    return out


class FilterModule(object):
    def filters(self):
        return {"credential_entries": credential_entries, "image_policy_args": image_policy_args,
                "incomplete_credentials": incomplete_credentials, "service_account_logins": service_account_logins,
                "password_credentials": password_credentials,
                "host_registry_entries": host_registry_entries, "host_ca_entries": host_ca_entries}
