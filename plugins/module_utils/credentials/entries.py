# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry credential entries as modules take them: validation, and the optional login check against each
registry before anything is written. Shared by pull_secret (cluster) and auth_file (hosts)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.module_utils.credentials import dockerconfig
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.credentials.registry_api import RegistryCheck

ENTRY_SPEC = dict(
    registry=dict(type="str", required=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    token=dict(type="str", no_log=True),
    email=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)
CHECK_SPEC = dict(
    validate_credentials=dict(type="bool", default=False),
    registry_ca_cert=dict(type="path"),
    registry_validate_certs=dict(type="bool", default=True),
)


class CredentialsError(OcpRegistryError, ValueError):
    """Bad entries or refused credentials; the message names the registry and never carries a secret."""


def normalize(registries):
    """Entries with the secret under one name; raise CredentialsError for bad input (before any request)."""
    problems = []
    out = []
    seen = set()
    for index, item in enumerate(registries or []):
        key = item.get("registry") or ""
        where = "registries[%d] (%s)" % (index, key or "no registry")
        problem = dockerconfig.validate_key(key)
        if problem:
            problems.append("%s: the registry %s" % (where, problem))
        if key in seen:
            problems.append("%s: the registry is listed twice" % where)
        seen.add(key)
        secret = item.get("password") if item.get("password") is not None else item.get("token")
        if item.get("password") is not None and item.get("token") is not None:
            problems.append("%s: give password or token, not both" % where)
        state = item.get("state") or "present"
        if state == "present":
            if not item.get("username"):
                problems.append("%s: a username is needed (for a registry.redhat.io service account it looks like "
                                "12345678|name; for a Quay robot, org+robot)" % where)
            elif ":" in item["username"]:
                problems.append("%s: the username must not contain ':' (it separates user and password)" % where)
            if not secret:
                problems.append("%s: a password or token is needed" % where)
        out.append(dict(registry=key, username=item.get("username"), password=secret, email=item.get("email"),
                        state=state))
    if problems:
        raise CredentialsError("; ".join(problems))
    return out


def check_all(entries, ca_cert=None, validate_certs=True, timeout=10.0):
    """Log in to each registry with the present entries; raise CredentialsError with every refusal."""
    results = []
    refusals = []
    for entry in entries:
        if entry["state"] != "present":
            continue
        result = RegistryCheck(entry["registry"], entry["username"], entry["password"], ca_cert, validate_certs,
                               timeout).run()
        results.append(result)
        if not result["authenticated"]:
            why = result["error"] or "HTTP %s" % result["status"]
            if result.get("outcome") == "unreachable":
                refusals.append("%s cannot be reached to check the credentials of %s: %s"
                                % (result["registry"], entry["username"], why))
            elif result.get("outcome") == "untrusted":
                refusals.append("%s is not trusted, so the credentials of %s were not checked: %s"
                                % (result["registry"], entry["username"], why))
            else:
                refusals.append("%s refused the credentials of %s: %s" % (result["registry"], entry["username"], why))
    if refusals:
        raise CredentialsError("; ".join(refusals) + "; nothing was written")
    return results


def masked_views(doc, new, report):
    """(before, after) for a diff: usernames and masked secrets; a changed secret is marked as changed."""
    before = dockerconfig.masked(doc)
    after = dockerconfig.masked(new)
    for item in report:
        view = after["auths"].get(item["registry"])
        if view is not None and item.get("secret_changed") and item["action"] == "changed":
            view["secret"] = dockerconfig.MASK + " (changed)"
    return before, after
