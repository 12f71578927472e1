#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: auth_file
short_description: Registry credentials in a host's auth.json, docker config.json or kubelet config.json
version_added: 1.0.0
description:
  - Adds, changes or removes registry entries in a credentials file on the target host, the way
    C(podman login) does, without logging in when nothing would change and without putting the password on
    a command line.
  - Other entries, C(credHelpers) and unknown keys are kept; a run that changes nothing does not rewrite the file.
  - The file is written atomically (a temporary file in the same directory, in its final mode before the first
    byte, then a rename), with mode 0600 unless O(mode) says otherwise; an existing file keeps its owner; missing
    directories are created with mode 0700.
  - O(owner), O(group) and O(mode) work as in Ansible's file modules, so root can write a user's auth.json that the
    user can read.
  - Needs nothing but Python on the host.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ansible.builtin.files
  - ocp.registry.credentials
  - ocp.registry.attributes
attributes:
  check_mode:
    support: full
    details: Reads the file and predicts; writes nothing. O(validate_credentials) still logs in.
  diff_mode:
    support: full
    details: Each entry's username, with its secret masked and marked when it changes.
  idempotent:
    support: full
options:
  path:
    description:
      - The file to manage. Overrides O(preset).
    type: path
  preset:
    description:
      - Which tool's file to manage when O(path) is not given.
      - V(podman) is the file podman, buildah and skopeo write for the connecting user,
        C($XDG_RUNTIME_DIR/containers/auth.json), or C(/run/containers/<uid>/auth.json) (root, C(/run/containers/0/auth.json)).
      - V(docker) is C($DOCKER_CONFIG/config.json) or C(~/.docker/config.json).
      - V(kubelet) is C(/var/lib/kubelet/config.json), the credentials the kubelet pulls with (on OpenShift nodes the
        machine-config operator writes it from the global pull secret; use M(ocp.registry.pull_secret) there).
    type: str
    choices: [podman, docker, kubelet]
    default: podman
  exclusive:
    description: Remove every entry not listed in O(registries).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Credentials for podman, buildah and skopeo run as root
  ocp.registry.auth_file:
    registries:
      - registry: registry.redhat.io
        username: "12345678|my-service-account"
        token: "{{ rh_registry_token }}"
    validate_credentials: true

- name: Docker's config.json of the connecting user
  ocp.registry.auth_file:
    preset: docker
    registries:
      - registry: quay.io/myorg
        username: myorg+robot
        token: "{{ quay_robot_token }}"

- name: A file of our own, for a systemd unit that sets REGISTRY_AUTH_FILE
  ocp.registry.auth_file:
    path: /etc/mirror/auth.json
    registries:
      - registry: mirror.example.com:8443
        username: puller
        password: "{{ mirror_password }}"
"""

RETURN = r"""
path:
  description: The file managed.
  returned: always
  type: str
  sample: /run/containers/0/auth.json
changes:
  description: One item per entry added, changed or removed; never a secret.
  returned: always
  type: list
  elements: dict
  sample: [{"registry": "quay.io", "action": "added", "username_changed": false, "secret_changed": true}]
  contains:
    registry:
      description: The registry key.
      type: str
    action:
      description: V(added), V(changed) or V(removed).
      type: str
    username_changed:
      description: Whether the username changed.
      type: bool
    secret_changed:
      description: Whether the password or token changed.
      type: bool
registries:
  description: Every entry of the file afterwards (registry, username, has_credentials, email).
  returned: always
  type: list
  elements: dict
  contains:
    registry:
      description: The registry key.
      type: str
    username:
      description: Its username.
      type: str
    has_credentials:
      description: Whether a secret is stored.
      type: bool
    email:
      description: Its email, when the entry has one.
      type: str
created:
  description: Whether the file was (or would be) created.
  returned: when changed
  type: bool
checks:
  description: The login checks, when O(validate_credentials=true).
  returned: when O(validate_credentials=true)
  type: list
  elements: dict
  contains:
    registry:
      description: The registry's host[:port].
      type: str
    reachable:
      description: Whether it answered over verified TLS.
      type: bool
    authenticated:
      description: Whether it accepted the credentials.
      type: bool
    outcome:
      description: V(ok), V(unreachable), V(untrusted), V(refused) or V(unexpected).
      type: str
    error:
      description: What went wrong, in words; never a secret.
      type: str
"""

from ansible_collections.ocp.registry.plugins.module_utils.credentials import auth_file
from ansible_collections.ocp.registry.plugins.module_utils.credentials import entries as credentials
from ansible_collections.ocp.registry.plugins.module_utils.core.host_module import HostModule


def main():
    spec = dict(
        path=dict(type="path"),
        preset=dict(type="str", choices=list(auth_file.PRESETS), default="podman"),
        registries=dict(type="list", elements="dict", default=[], options=credentials.ENTRY_SPEC),
        exclusive=dict(type="bool", default=False),
    )
    spec.update(credentials.CHECK_SPEC)
    module = HostModule(argument_spec=spec, supports_check_mode=True, add_file_common_args=True)

    def work():
        try:
            return auth_file.run(module, module.params)
        except (IOError, OSError) as exc:
            raise auth_file.AuthFileError("cannot write the credentials file: %s" % exc)
    module.run(work)


if __name__ == "__main__":
    main()
