# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading registry credentials from .dockerconfigjson, auth.json and docker config.json documents.

Summaries name registries and usernames only; passwords, tokens and auth strings never leave this module
except to the caller that asked for one entry's credentials.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import json


class DockerConfigError(ValueError):
    pass


def decode_auth(value):
    """(username, password) from an `auth` string: base64 of user:password, split at the first colon."""
    if not value:
        return None
    text = value.strip()
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4))
        decoded = raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, _dummy, password = decoded.partition(":")
    return user, password.strip("\x00")


def load(raw):
    """Parse a document; raise DockerConfigError (never echoing the content) when it is not one."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DockerConfigError("the credentials document is not UTF-8 text")
    try:
        doc = json.loads(raw) if raw and raw.strip() else {}
    except ValueError:
        raise DockerConfigError("the credentials document is not valid JSON")
    if not isinstance(doc, dict):
        raise DockerConfigError("the credentials document is not a JSON object")
    auths = doc.get("auths", {})
    if auths is not None and not isinstance(auths, dict):
        raise DockerConfigError("the credentials document's auths is not an object")
    return doc


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
