# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA a host trusts for one registry: certs.d/<host[:port]>/ca.crt in each directory (containers/image and
docker read it). Files are compared by the certificates they hold, not by their bytes: the same certificates with
other line endings or whitespace are left alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.ocp.registry.plugins.module_utils.core import certificates
from ansible_collections.ocp.registry.plugins.module_utils.core import hostfile
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.core.names import HOST_PORT

DOCKER_CERTS = "/etc/docker/certs.d"


class CAError(OcpRegistryError, ValueError):
    pass


class RegistryCA(object):
    def __init__(self, module, params, check_mode):
        self.module = module
        self.params = params
        self.check_mode = check_mode

    def validate(self):
        """Every option, before any file is read or written; returns the PEM text and its certificates."""
        params = self.params
        if not HOST_PORT.match(params["registry"] or ""):
            raise CAError("registry %r must be host[:port], as images name it (no scheme or path); nothing was "
                          "written" % params["registry"])
        for directory in params["certs_dirs"]:
            if not directory or not os.path.isabs(directory):
                raise CAError("certs_dirs: %r must be an absolute directory; nothing was written" % directory)
        if params["state"] != "present":
            return None, []
        text = params["ca"]
        if params["ca_file"]:
            try:
                with open(params["ca_file"], "rb") as handle:
                    text = to_text(handle.read())
            except (IOError, OSError) as exc:
                raise CAError("ca_file %s cannot be read (%s); nothing was written"
                              % (params["ca_file"], exc.strerror or exc))
        try:
            # a host without cryptography still gets the fingerprints (and subject and expiry where ssl reads them)
            described, warnings = certificates.check_ca_bundle(
                text, "ca" if params["ca"] else "ca_file %s" % params["ca_file"], need_cryptography=False)
        except certificates.CertificateError as exc:
            raise CAError("%s; nothing was written" % exc)
        for warning in warnings:
            self.module.warn(warning)
        return text.strip() + "\n", described

    def run(self):
        text, described = self.validate()
        params = self.params
        dirs = list(params["certs_dirs"]) + ([DOCKER_CERTS] if params["docker"] else [])
        wanted = [c["fingerprint_sha256"] for c in described]
        result = dict(changed=False, files=[])
        if params["state"] == "present":
            result["certificates"] = described
        before, after = {}, {}
        for directory in dirs:
            path = os.path.join(directory, params["registry"], "ca.crt")
            raw = hostfile.read(path)
            current = to_text(raw) if raw is not None else None
            held = certificates.fingerprints(current) if current is not None else None
            if params["state"] == "absent":
                action = "removed" if current is not None else "unchanged"
            elif current is None:
                action = "added"
            else:
                action = "unchanged" if held == wanted else "changed"
            if current is not None:
                before[path] = held if held is not None else ["(not a certificate)"]
            if params["state"] == "present":
                after[path] = wanted
            result["files"].append(dict(path=path, action=action))
            if action == "unchanged":
                continue
            result["changed"] = True
            if self.check_mode:
                continue
            try:
                if action == "removed":
                    hostfile.remove(path)
                    if not os.listdir(os.path.dirname(path)):
                        os.rmdir(os.path.dirname(path))
                else:
                    hostfile.write(self.module, path, to_bytes(text), 0o644, dir_mode=0o755)
            except (IOError, OSError) as exc:
                raise CAError("cannot write %s: %s" % (path, exc))
            self.module.note_written("%s %s" % (action, path))
        result["diff"] = dict(before=before, after=after)
        return result
