# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One codec for registry credentials documents: a Secret's .dockerconfigjson, containers auth.json, docker's
config.json and the kubelet's config.json.

Entries are merged, never clobbered: one registry's entry is added, changed or removed; other entries,
credHelpers and unknown keys stay as they were, and a document nothing changed is written back byte for byte.
Summaries name registries and usernames only; a secret never leaves this module except to the caller that
asked for one entry's credentials. Standard library only, so it runs on any target Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import copy
import json
import re
from collections import OrderedDict

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError

MASK = "********"


class DockerConfigError(OcpRegistryError, ValueError):
    pass


def encode_auth(username, password):
    """Padded standard base64 of user:password (containers/image accepts nothing else)."""
    return base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")


def decode_auth(value):
    """(username, password) from an `auth` string: base64 of user:password, split at the first colon."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4))
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, _sep, password = decoded.partition(":")
    return user, password.strip("\x00")


def load(raw):
    """Parse a document into an ordered dict; raise DockerConfigError (never echoing the content)."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DockerConfigError("the credentials document is not UTF-8 text")
    try:
        doc = json.loads(raw, object_pairs_hook=OrderedDict) if raw and raw.strip() else OrderedDict()
    except ValueError as exc:
        where = ""
        match = re.search(r"line (\d+) column (\d+)", str(exc))
        if match:
            where = " (line %s, column %s)" % match.groups()
        raise DockerConfigError("the credentials document is not valid JSON%s" % where)
    if not isinstance(doc, dict):
        raise DockerConfigError("the credentials document is not a JSON object")
    auths = doc.get("auths", {})
    if auths is not None and not isinstance(auths, dict):
        raise DockerConfigError("the credentials document's auths is not an object")
    return doc


def detect_style(raw):
    """How a document was written: (indent, trailing newline). None indent means compact."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if not raw or "\n" not in raw.strip():
        return None, raw.endswith("\n") if raw else True
    match = re.search(r"\n([ \t]+)\S", raw)
    indent = match.group(1) if match else "\t"
    return indent, raw.endswith("\n")


def dump(doc, style=("\t", True)):
    indent, newline = style
    if indent is None:
        text = json.dumps(doc, separators=(",", ":"))
    else:
        text = json.dumps(doc, indent=indent, separators=(",", ": "))
    return (text + ("\n" if newline else "")).encode("utf-8")


def credentials(doc, key):
    """(username, password) stored for exactly this key, or None."""
    entry = (doc.get("auths") or {}).get(key)
    if not isinstance(entry, dict):
        return None
    decoded = decode_auth(entry.get("auth"))
    if decoded:
        return decoded
    if entry.get("username") is not None:
        return entry.get("username"), entry.get("password") or ""
    return None


def set_entry(doc, key, username, password, email=None):
    """Add or change one entry. Returns the change: 'added', 'changed' or None (already so)."""
    auths = doc.get("auths")
    if not isinstance(auths, dict):
        auths = OrderedDict()
        doc["auths"] = auths
    current = auths.get(key)
    if isinstance(current, dict):
        same = credentials(doc, key) == (username, password) and current.get("auth") and \
            (email is None or current.get("email") == email)
        if same:
            return None
        change = "changed"
    else:
        change = "added"
    # an entry given anew replaces the whole entry: nothing of the old one (email, identitytoken, ...) survives
    entry = OrderedDict([("auth", encode_auth(username, password))])
    if email is not None:
        entry["email"] = email
    auths[key] = entry
    return change


def remove_entry(doc, key):
    """Remove one entry. Returns 'removed' or None (not there)."""
    auths = doc.get("auths")
    if isinstance(auths, dict) and key in auths:
        del auths[key]
        return "removed"
    return None


def describe(doc, key):
    """A masked view of one entry for diffs: username, email and that a secret is set."""
    entry = (doc.get("auths") or {}).get(key)
    if not isinstance(entry, dict):
        return None
    creds = credentials(doc, key)
    out = OrderedDict([("username", creds[0] if creds else None)])
    if creds and creds[1] or entry.get("identitytoken"):
        out["secret"] = MASK
    if entry.get("email"):
        out["email"] = entry["email"]
    return out


def masked(doc):
    """The whole document for a diff: every entry described, other top-level keys named only."""
    out = OrderedDict()
    out["auths"] = OrderedDict((k, describe(doc, k)) for k in (doc.get("auths") or {}))
    for key in doc:
        if key != "auths":
            out[key] = doc[key] if key == "credHelpers" else MASK
    return out


def apply(doc, entries, exclusive=False):
    """Apply entries [{registry, username, password, email, state}] to a copy of doc.

    Returns (new doc, report): one report item per registry touched, with its action and whether the
    username or the secret changed; never a secret.
    """
    new = copy.deepcopy(doc)
    report = []
    wanted = set()
    for item in entries:
        key = item["registry"]
        if item.get("state", "present") == "absent":
            if remove_entry(new, key):
                report.append(OrderedDict([("registry", key), ("action", "removed")]))
            continue
        wanted.add(key)
        before = credentials(new, key)
        change = set_entry(new, key, item["username"], item["password"], item.get("email"))
        if change:
            report.append(OrderedDict([
                ("registry", key), ("action", change),
                ("username_changed", before is not None and before[0] != item["username"]),
                ("secret_changed", before is None or before[1] != item["password"])]))
    if exclusive:
        for key in list((new.get("auths") or {}).keys()):
            if key not in wanted:
                remove_entry(new, key)
                report.append(OrderedDict([("registry", key), ("action", "removed")]))
    return new, report


def summary(doc):
    """Per registry: its key, the username and whether a secret is stored. Never the secret itself."""
    out = []
    for key in sorted(doc.get("auths") or {}):
        entry = doc["auths"][key]
        if not isinstance(entry, dict):
            continue
        creds = credentials(doc, key)
        item = dict(registry=key, username=creds[0] if creds else None,
                    has_credentials=bool(creds and creds[1]) or bool(entry.get("identitytoken")))
        if entry.get("email"):
            item["email"] = entry["email"]
        out.append(item)
    return out


def validate_key(key):
    """A problem with a registry key, or None: host[:port][/namespace...], no scheme, tag or digest."""
    if not key or key != key.strip():
        return "must not be empty or have surrounding spaces"
    if re.match(r"^[a-z]+://", key):
        return "must not carry a scheme (give %s)" % re.sub(r"^[a-z]+://", "", key)
    if not re.match(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*$", key):
        return "must be host[:port] with an optional /namespace/repository path, without a tag or digest"
    return None
