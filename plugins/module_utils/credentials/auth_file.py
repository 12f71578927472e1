# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry entries in a host's credentials file (containers auth.json, docker config.json, kubelet
config.json): where each tool looks, and an atomic 0600 write that keeps everything else in the file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError

from ansible_collections.ocp.registry.plugins.module_utils.credentials import entries as credentials
from ansible_collections.ocp.registry.plugins.module_utils.credentials import dockerconfig
from ansible_collections.ocp.registry.plugins.module_utils.core import hostfile

PRESETS = ("podman", "docker", "kubelet")


def default_path(preset, environ=None, uid=None):
    """The file each tool reads for the user this runs as (containers-auth.json(5), docker, the kubelet)."""
    environ = os.environ if environ is None else environ
    uid = os.getuid() if uid is None else uid
    if preset == "kubelet":
        return "/var/lib/kubelet/config.json"
    if preset == "docker":
        base = environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
        return os.path.join(base, "config.json")
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return os.path.join(runtime, "containers", "auth.json")
    return "/run/containers/%d/auth.json" % uid


class AuthFileError(OcpRegistryError, ValueError):
    pass


def read(path):
    """(raw bytes, document). A missing file is an empty document; a broken one is an error, left untouched."""
    if not os.path.exists(path):
        return b"", dockerconfig.load(b"")
    if os.path.isdir(path):
        raise AuthFileError("%s is a directory, not a credentials file" % path)
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        return raw, dockerconfig.load(raw)
    except dockerconfig.DockerConfigError as exc:
        raise AuthFileError("%s: %s; the file was left untouched, repair or remove it first" % (path, exc))


def write(module, path, payload, mode=0o600):
    """Write payload atomically in mode from the first byte (hostfile.write); missing directories are created 0700,
    since the file holds credentials."""
    hostfile.write(module, path, payload, mode, dir_mode=0o700)


def run(module, params):
    entries = credentials.normalize(params.get("registries"))
    path = params.get("path") or default_path(params.get("preset") or "podman")
    result = dict(changed=False, path=path, changes=[])
    if params.get("validate_credentials"):
        result["checks"] = credentials.check_all(entries, params.get("registry_ca_cert"),
                                                 params.get("registry_validate_certs"))
    raw, doc = read(path)
    new, report = dockerconfig.apply(doc, entries, params.get("exclusive"))
    commit(module, params, result, raw, doc, new, report)
    result["registries"] = dockerconfig.summary(new)
    return result


def commit(module, params, result, raw, doc, new, report):
    """Write new over the file read as (raw, doc) when report says something changed (not in check mode), apply the
    file attributes, and put changed, created, changes and the masked diff into result."""
    path = result["path"]
    before, after = credentials.masked_views(doc, new, report)
    if report:
        style = dockerconfig.detect_style(raw) if raw else ("\t", True)
        if not module.check_mode:
            write(module, path, dockerconfig.dump(new, style), hostfile.numeric_mode(params.get("mode")))
        result.update(changed=True, created=not raw)
    if os.path.exists(path) and any(params.get(k) is not None for k in ("owner", "group", "mode")):
        file_args = module.load_file_common_arguments(params, path=path)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    result.update(changes=report,
                  diff=dict(before=dict(path=path, content=before), after=dict(path=path, content=after)))
