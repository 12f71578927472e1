# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One drop-in of containers-registries.conf(5) v2 (registries.conf.d): [[registry]] entries with mirrors, and
unqualified-search-registries. Written by this module for its fixed schema; read back with tomllib where the
Python has it, else with a reader of exactly what the writer emits. Validation follows containers/image
sysregistriesv2. Standard library only: it runs on the managed host."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.ocp.registry.plugins.module_utils.core import hostfile
from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.core.hostfile import HostFileError
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError

try:
    import tomllib
    HAS_TOMLLIB = True
except ImportError:
    HAS_TOMLLIB = False

HEADER = "# Managed by ocp.registry (registries_conf): entries are merged on each run; see the collection's docs.\n"
PULL_FROM_MIRROR = ("all", "digest-only", "tag-only")
LOCATION = names.LOCATION
WILDCARD = names.WILDCARD_DOMAIN
REGISTRY_KEYS = ("prefix", "location", "insecure", "blocked", "mirror", "mirror-by-digest-only")
MIRROR_KEYS = ("location", "insecure", "pull-from-mirror")


class ConfError(OcpRegistryError, ValueError):
    pass


def scope(entry):
    """What identifies an entry: its prefix, or its location when the prefix is left out (as containers/image)."""
    return entry.get("prefix") or entry.get("location") or ""


def validate(entries, option="registries"):
    """Errors of the given entries, each naming the entry, before anything is written."""
    errors = []
    seen = {}
    for index, entry in enumerate(entries):
        label = "%s[%d]" % (option, index)
        prefix, location = entry.get("prefix") or "", entry.get("location") or ""
        for name, value in (("prefix", prefix), ("location", location)):
            if value.startswith(("http://", "https://")):
                errors.append("%s: %s %r: URI schemes are not supported; give host[:port][/path]" % (label, name, value))
        if not prefix and not location:
            errors.append("%s: give prefix or location (both unset is invalid)" % label)
        elif prefix.startswith("*"):
            if not WILDCARD.match(prefix):
                errors.append("%s: prefix %r: a wildcard prefix is *.domain, with no port or path" % (label, prefix))
        elif prefix and not LOCATION.match(prefix.rstrip("/")):
            errors.append("%s: prefix %r is not host[:port][/path] or *.domain" % (label, prefix))
        elif prefix and not location and entry.get("state", "present") == "present":
            errors.append("%s: location is unset and prefix %r is not *.domain; give the location too (it may "
                          "equal the prefix)" % (label, prefix))
        if location and ("*" in location or not LOCATION.match(location.rstrip("/"))):
            errors.append("%s: location %r is not host[:port][/path]" % (label, location))
        for value in (prefix, location):
            if "@" in value or ":" in value.partition("/")[2]:
                errors.append("%s: %r carries a tag or digest; give a registry, namespace or repository" % (label, value))
        key = scope(entry).rstrip("/")
        if key in seen:
            errors.append("%s: %r is given twice (also %s[%d]); one entry per prefix" % (label, key, option, seen[key]))
        seen[key] = index
        for m_index, mirror in enumerate(entry.get("mirrors") or []):
            m_label = "%s.mirrors[%d]" % (label, m_index)
            m_location = mirror.get("location") or ""
            if not m_location:
                errors.append("%s: the mirror location is unset" % m_label)
            elif m_location.startswith(("http://", "https://")) or not LOCATION.match(m_location.rstrip("/")):
                errors.append("%s: location %r is not host[:port][/path] (no scheme)" % (m_label, m_location))
            if mirror.get("pull_from_mirror") not in (None, "") + PULL_FROM_MIRROR:
                errors.append("%s: pull_from_mirror %r is not one of %s"
                              % (m_label, mirror["pull_from_mirror"], ", ".join(PULL_FROM_MIRROR)))
    return errors


def normalize(entry):
    """An entry as the file holds it: only the fields that say something, locations without a trailing slash."""
    out = {}
    if entry.get("prefix"):
        out["prefix"] = entry["prefix"].rstrip("/")
    if entry.get("location"):
        out["location"] = entry["location"].rstrip("/")
    for flag in ("insecure", "blocked"):
        if entry.get(flag):
            out[flag] = True
    if entry.get("mirror_by_digest_only"):
        out["mirror_by_digest_only"] = True
    mirrors = []
    for mirror in entry.get("mirrors") or []:
        item = {"location": mirror["location"].rstrip("/")}
        if mirror.get("insecure"):
            item["insecure"] = True
        if mirror.get("pull_from_mirror"):
            item["pull_from_mirror"] = mirror["pull_from_mirror"]
        mirrors.append(item)
    if mirrors:
        out["mirrors"] = mirrors
    return out


def merge(current, entries, exclusive):
    """(new entries, changes): a given entry replaces the whole entry with the same scope, absent removes it."""
    new = [] if exclusive else [dict(e) for e in current]
    changes = []
    by_scope = dict((scope(e), e) for e in current)
    for entry in entries:
        key = scope(normalize(entry))
        index = next((i for i, e in enumerate(new) if scope(e) == key), None)
        if entry.get("state", "present") == "absent":
            if index is not None:
                del new[index]
            if key in by_scope:
                changes.append(dict(prefix=key, action="removed"))
            continue
        wanted = normalize(entry)
        if index is None:
            new.append(wanted)
        else:
            new[index] = wanted
        if key not in by_scope:
            changes.append(dict(prefix=key, action="added"))
        elif by_scope[key] != wanted:
            changes.append(dict(prefix=key, action="changed"))
    if exclusive:
        kept = set(scope(e) for e in new)
        changes.extend(dict(prefix=scope(e), action="removed") for e in current if scope(e) not in kept)
    return new, changes


def _quote(value):
    return json.dumps(value)


def render(registries, search=None):
    lines = [HEADER.rstrip("\n")]
    if search is not None:
        lines.append("unqualified-search-registries = [%s]" % ", ".join(_quote(s) for s in search))
    for entry in registries:
        lines += ["", "[[registry]]"]
        if entry.get("prefix"):
            lines.append("prefix = %s" % _quote(entry["prefix"]))
        if entry.get("location"):
            lines.append("location = %s" % _quote(entry["location"]))
        for flag in ("insecure", "blocked"):
            if entry.get(flag):
                lines.append("%s = true" % flag)
        if entry.get("mirror_by_digest_only"):
            lines.append("mirror-by-digest-only = true")
        for mirror in entry.get("mirrors") or []:
            lines += ["", "[[registry.mirror]]", "location = %s" % _quote(mirror["location"])]
            if mirror.get("insecure"):
                lines.append("insecure = true")
            if mirror.get("pull_from_mirror"):
                lines.append("pull-from-mirror = %s" % _quote(mirror["pull_from_mirror"]))
    return "\n".join(lines) + "\n"


def parse(text, path):
    """(search registries or None, entries) of a drop-in; ConfError when it cannot be read or is not v2."""
    if HAS_TOMLLIB:
        try:
            doc = tomllib.loads(text)
        except ValueError as exc:
            raise ConfError("%s is not valid TOML (%s); fix or remove it, it was left untouched" % (path, exc))
    else:
        doc = _parse_own(text, path)
    if "registries" in doc:
        raise ConfError("%s uses the v1 format ([registries.search], [registries.insecure], [registries.block]), "
                        "which cannot be mixed with v2 [[registry]] tables; convert or remove it" % path)
    unknown = sorted(set(doc) - set(["registry", "unqualified-search-registries"]))
    if unknown:
        raise ConfError("%s has settings this module does not manage (%s); keep them in another drop-in, or remove "
                        "them; the file was left untouched" % (path, ", ".join(unknown)))
    entries = []
    for reg in doc.get("registry") or []:
        extra = sorted(set(reg) - set(REGISTRY_KEYS))
        mirror_extra = sorted(set(k for m in reg.get("mirror") or [] for k in m) - set(MIRROR_KEYS))
        if extra or mirror_extra:
            raise ConfError("%s: [[registry]] %s has keys this module does not manage (%s); the file was left "
                            "untouched" % (path, reg.get("prefix") or reg.get("location"), ", ".join(extra + mirror_extra)))
        entries.append(normalize(dict(prefix=reg.get("prefix"), location=reg.get("location"),
                                      insecure=reg.get("insecure"), blocked=reg.get("blocked"),
                                      mirror_by_digest_only=reg.get("mirror-by-digest-only"),
                                      mirrors=[dict(location=m.get("location", ""), insecure=m.get("insecure"),
                                                    pull_from_mirror=m.get("pull-from-mirror"))
                                               for m in reg.get("mirror") or []])))
    return doc.get("unqualified-search-registries"), entries


_KEY_VALUE = re.compile(r'^([A-Za-z0-9_-]+)\s*=\s*(.+?)\s*$')


def _value(text, path, number):
    if text in ("true", "false"):
        return text == "true"
    if text.startswith('"') or text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, (list, type(u""), str)):
            return value
    raise ConfError("%s line %d: %r cannot be read without tomllib (Python 3.11+ has it); this Python reads back only "
                    "what the module writes. The file was left untouched" % (path, number, text))


def _parse_own(text, path):
    """The subset of TOML the writer emits: comments, key = value, [[registry]] and [[registry.mirror]]."""
    doc = {}
    target = doc
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line == "[[registry]]":
            target = {}
            doc.setdefault("registry", []).append(target)
            continue
        if line == "[[registry.mirror]]":
            if not doc.get("registry"):
                raise ConfError("%s line %d: [[registry.mirror]] before any [[registry]]" % (path, number))
            target = {}
            doc["registry"][-1].setdefault("mirror", []).append(target)
            continue
        if line.startswith("["):
            name = line.strip("[]").split(".")[0]
            doc.setdefault(name, {})
            target = {}
            continue
        match = _KEY_VALUE.match(line)
        if not match:
            raise ConfError("%s line %d cannot be read without tomllib; the file was left untouched" % (path, number))
        target[match.group(1)] = _value(match.group(2), path, number)
    return doc


class DropIn(object):
    """One registries.conf.d drop-in on a host: validated first, merged with what the file holds, written atomically."""

    def __init__(self, module, params, check_mode):
        self.module = module
        self.params = params
        self.check_mode = check_mode

    def run(self):
        module = self.module
        params = module.params
        errors = validate(params["registries"])
        if not params["name"] or "/" in params["name"] or params["name"].startswith("."):
            errors.append("name %r must be a plain file name part (no slash, not hidden)" % params["name"])
        if params["priority"] < 0:
            errors.append("priority must be 0 or more")
        for search in params.get("unqualified_search_registries") or []:
            if not LOCATION.match(search) or "/" in search:
                errors.append("unqualified_search_registries: %r must be host[:port]" % search)
        if errors:
            raise ConfError("; ".join(errors) + "; nothing was written")
        path = os.path.join(params["directory"], "%02d-%s.conf" % (params["priority"], params["name"]))
        mode = params["mode"] if params["mode"] is not None else "0644"
        try:
            raw = hostfile.read(path)
            text = to_text(raw) if raw is not None else None
            search, current = parse(text, path) if text else (None, [])
        except HostFileError as exc:
            raise ConfError(str(exc))
        result = dict(changed=False, path=path, changes=[])
        if params["state"] == "absent":
            if raw is not None:
                result.update(changed=True, registries=[],
                              diff=dict(before=text, after="", before_header=path, after_header=path))
                if not self.check_mode:
                    hostfile.remove(path)
                    module.note_written("removed %s" % path)
            else:
                result["registries"] = []
            return result
        new, changes = merge(current, params["registries"], params["exclusive"])
        new_search = search if params.get("unqualified_search_registries") is None else \
            (params["unqualified_search_registries"] or None)
        new_text = render(new, new_search)
        result.update(registries=new, changes=changes)
        if new_text != text:
            result["changed"] = True
            result["diff"] = dict(before=text or "", after=new_text, before_header=path, after_header=path)
            if not self.check_mode:
                try:
                    hostfile.write(module, path, to_bytes(new_text), hostfile.numeric_mode(mode))
                except (IOError, OSError, HostFileError) as exc:
                    raise ConfError("cannot write %s: %s" % (path, exc))
                module.note_written("wrote %s" % path)
        if os.path.exists(path):
            file_args = module.load_file_common_arguments(params, path=path)
            file_args["mode"] = mode
            result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
        return result
