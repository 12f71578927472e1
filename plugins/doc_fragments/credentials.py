# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Registry credential entries and the optional login check, shared by pull_secret and auth_file
    DOCUMENTATION = r"""
options:
  registries:
    description:
      - The entries to manage. Registries not listed are left alone unless O(exclusive=true).
    type: list
    elements: dict
    default: []
    suboptions:
      registry:
        description:
          - The key, as container tools use it, V(host), V(host:port), V(host/namespace) or V(host/namespace/repository)
            (the most specific key wins).
        type: str
        required: true
      username:
        description:
          - User name. A registry.redhat.io service account looks like V(12345678|name), a Quay robot V(org+robot).
        type: str
      password:
        description: Password.
        type: str
      token:
        description: A token used as the password (service-account or robot token). Give this or O(registries[].password).
        type: str
      email:
        description: E-mail stored with the entry.
        type: str
      state:
        description: V(absent) removes the entry.
        type: str
        choices: [present, absent]
        default: present
  validate_credentials:
    description:
      - Before writing, log in to each registry of a present entry (basic, or the bearer-token flow of quay.io and
        registry.redhat.io). A refusal fails the task with the registry's answer and nothing is written.
    type: bool
    default: false
  registry_ca_cert:
    description: CA bundle for the registries' TLS certificates during O(validate_credentials).
    type: path
  registry_validate_certs:
    description: Verify the registries' certificates during O(validate_credentials). Turning this off is insecure.
    type: bool
    default: true
"""
