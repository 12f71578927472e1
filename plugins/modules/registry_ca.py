#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registry_ca
short_description: The CA a host trusts for one registry, in certs.d
version_added: 1.0.0
description:
  - Writes the CA of one registry to C(<dir>/<host[:port]>/ca.crt) in each certs.d directory, where podman, skopeo,
    buildah and CRI-O (C(/etc/containers/certs.d)) and docker (C(/etc/docker/certs.d)) look for it.
  - The PEM is checked before anything is written (certificates, a CA, not expired; a warning when it expires within
    30 days); the diff shows fingerprints. Files are compared by the certificates they hold, not by their bytes.
  - Atomic writes, mode 0644 from the first byte. Standard library only (uses cryptography when the host has it,
    to check the CA flag).
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The SHA-256 fingerprints of the certificates before and after, per file.
  idempotent:
    support: full
options:
  registry:
    description: C(host[:port]) of the registry, exactly as images are referenced (C(quay.example.com:8443)).
    type: str
    required: true
  ca:
    description: The CA certificate (PEM; a bundle may hold several).
    type: str
  ca_file:
    description: A file on the managed host with the CA certificate.
    type: path
  certs_dirs:
    description: The certs.d directories to write into.
    type: list
    elements: path
    default: [/etc/containers/certs.d]
  docker:
    description: Also write into C(/etc/docker/certs.d) (docker, and where OpenShift's node-ca writes on nodes).
    type: bool
    default: false
  state:
    description: V(absent) removes the CA (and the registry's directory when nothing else is in it).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Trust the on-premises Quay's CA on build hosts
  ocp.registry.registry_ca:
    registry: quay.corp.example.com:8443
    ca: "{{ lookup('ansible.builtin.file', 'files/corp-root-ca.pem') }}"
    docker: true
  become: true
"""

RETURN = r"""
files:
  description: Each file with C(path) and C(action) (V(added), V(changed), V(removed), V(unchanged)).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The ca.crt file.
      type: str
    action:
      description: V(added), V(changed), V(removed) or V(unchanged).
      type: str
certificates:
  description:
    - The certificates written, each C(fingerprint_sha256) and, where readable, C(subject), C(not_after),
      C(days_left); with cryptography on the host also C(issuer), C(not_before) and C(is_ca).
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    fingerprint_sha256:
      description: The SHA-256 fingerprint.
      type: str
    subject:
      description: The subject, where readable.
      type: str
    not_after:
      description: The expiry, where readable.
      type: str
    days_left:
      description: Days until it expires, where readable.
      type: int
    issuer:
      description: The issuer, with cryptography on the host.
      type: str
    not_before:
      description: The start of its validity, with cryptography on the host.
      type: str
    is_ca:
      description: Whether it is a CA; null without cryptography on the host.
      type: bool
"""

from ansible_collections.ocp.registry.plugins.module_utils.core.host_module import HostModule
from ansible_collections.ocp.registry.plugins.module_utils.hosts.certs_d import RegistryCA


def main():
    module = HostModule(
        argument_spec=dict(
            registry=dict(type="str", required=True),
            ca=dict(type="str"),
            ca_file=dict(type="path"),
            certs_dirs=dict(type="list", elements="path", default=["/etc/containers/certs.d"]),
            docker=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        mutually_exclusive=[["ca", "ca_file"]],
        required_if=[["state", "present", ["ca", "ca_file"], True]],
        supports_check_mode=True,
    )
    module.run(lambda: RegistryCA(module, module.params, module.check_mode).run())


if __name__ == "__main__":
    main()
