#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registries_conf
short_description: A host's registries.conf.d drop-in with insecure, blocked and mirrored registries
version_added: 1.0.0
description:
  - Owns one drop-in file of containers-registries.conf.d(5) (v2 format), which podman, skopeo, buildah and CRI-O
    read after C(/etc/containers/registries.conf). It holds C([[registry]]) entries (prefix, location, insecure,
    blocked, mirrors with their C(pull-from-mirror)) and optionally C(unqualified-search-registries).
  - Entries are merged by prefix (or location when there is no prefix); an entry given anew replaces the whole entry.
    With O(exclusive), the file holds exactly the given entries.
  - Every entry is checked by the rules of containers/image before anything is written; the file is written
    atomically, in its final mode from the first byte.
  - Runs on any Python the managed host has (standard library only). Reading back an existing drop-in uses C(tomllib)
    (Python 3.11+); on older Pythons only what this module writes is read back, and anything else is refused.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ansible.builtin.files
  - ocp.registry.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The drop-in's text before and after.
  idempotent:
    support: full
options:
  directory:
    description:
      - The drop-in directory. The file the module writes is returned as RV(path).
      - The alias O(path) is deprecated and will be removed in 2.0.0 (it named a directory, while the returned
        C(path) is the file).
    type: path
    default: /etc/containers/registries.conf.d
    aliases: [path]
  name:
    description: The drop-in's name; the file is C(<priority>-<name>.conf). Later files win for the same prefix.
    type: str
    default: ocp-registry
  priority:
    description: The number the file name starts with (two digits at least); files load in alphanumeric order.
    type: int
    default: 50
  registries:
    description: The C([[registry]]) entries.
    type: list
    elements: dict
    default: []
    suboptions:
      prefix:
        description:
          - Which references the entry applies to (C(host[:port][/path]) or C(*.domain)); the longest matching prefix
            of all registries.conf files wins. Defaults to O(registries[].location).
        type: str
      location:
        description: Where those references are pulled from (C(host[:port][/path])). Needed unless the prefix is C(*.domain).
        type: str
      insecure:
        description: Allow plain HTTP and unverified TLS.
        type: bool
        default: false
      blocked:
        description: Refuse pulls from it (mirrors are still used).
        type: bool
        default: false
      mirrors:
        description: Mirrors, tried in order before the location.
        type: list
        elements: dict
        suboptions:
          location:
            description: C(host[:port][/path]) of the mirror.
            type: str
            required: true
          insecure:
            description: Allow plain HTTP and unverified TLS for the mirror.
            type: bool
            default: false
          pull_from_mirror:
            description: Which references use the mirror (C(pull-from-mirror)); left out means V(all).
            type: str
            choices: [all, digest-only, tag-only]
      state:
        description: Whether the entry is in the file.
        type: str
        choices: [present, absent]
        default: present
  unqualified_search_registries:
    description: Registries for short names; left out leaves the file's list as it is, V([]) removes it.
    type: list
    elements: str
  exclusive:
    description: The file holds exactly the present entries given.
    type: bool
    default: false
  state:
    description: V(absent) removes the whole drop-in.
    type: str
    choices: [present, absent]
    default: present
notes:
  - The drop-in is written with mode V(0644) unless O(mode) says otherwise.
"""

EXAMPLES = r"""
- name: Mirror a disconnected cluster's release images to Quay, and trust a lab registry over HTTP
  ocp.registry.registries_conf:
    registries:
      - prefix: quay.io/openshift-release-dev
        location: quay.io/openshift-release-dev
        mirrors:
          - location: quay.corp.example.com:8443/ocp4
            pull_from_mirror: digest-only
      - location: registry.lab.example.com:5000
        insecure: true
  become: true

- name: Block Docker Hub on a build host
  ocp.registry.registries_conf:
    name: policy
    registries:
      - prefix: docker.io
        location: docker.io
        blocked: true
  become: true
"""

RETURN = r"""
path:
  description: The drop-in file.
  returned: always
  type: str
  sample: /etc/containers/registries.conf.d/50-ocp-registry.conf
registries:
  description: The entries in the file after the run, each C(prefix), C(location), C(insecure), C(blocked), C(mirrors).
  returned: always
  type: list
  elements: dict
  contains:
    prefix:
      description: The entry's prefix, when given.
      type: str
    location:
      description: Its location.
      type: str
    insecure:
      description: When true.
      type: bool
    blocked:
      description: When true.
      type: bool
    mirrors:
      description: Its mirrors, each C(location), C(insecure), C(pull_from_mirror).
      type: list
      elements: dict
changes:
  description: Each entry added, changed or removed, with C(prefix) and C(action).
  returned: always
  type: list
  elements: dict
  contains:
    prefix:
      description: The entry's prefix (or location).
      type: str
    action:
      description: V(added), V(changed) or V(removed).
      type: str
"""

from ansible_collections.ocp.registry.plugins.module_utils.core.host_module import HostModule
from ansible_collections.ocp.registry.plugins.module_utils.hosts.registries_conf import DropIn


def main():
    mirror = dict(location=dict(type="str", required=True), insecure=dict(type="bool", default=False),
                  pull_from_mirror=dict(type="str", choices=["all", "digest-only", "tag-only"]))
    entry = dict(prefix=dict(type="str"), location=dict(type="str"), insecure=dict(type="bool", default=False),
                 blocked=dict(type="bool", default=False),
                 mirrors=dict(type="list", elements="dict", options=mirror),
                 state=dict(type="str", choices=["present", "absent"], default="present"))
    module = HostModule(
        argument_spec=dict(
            directory=dict(type="path", default="/etc/containers/registries.conf.d", aliases=["path"],
                           deprecated_aliases=[dict(name="path", version="2.0.0", collection_name="ocp.registry")]),
            name=dict(type="str", default="ocp-registry"),
            priority=dict(type="int", default=50),
            registries=dict(type="list", elements="dict", default=[], options=entry),
            unqualified_search_registries=dict(type="list", elements="str"),
            exclusive=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    module.run(lambda: DropIn(module, module.params, module.check_mode).run())


if __name__ == "__main__":
    main()
