#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: image_mirrors
short_description: Mirror registries for the cluster (ImageDigestMirrorSet, ImageTagMirrorSet, ICSP migration)
version_added: 1.0.0
description:
  - Manages one named ImageDigestMirrorSet and one ImageTagMirrorSet from a single list of mirror entries, merged
    per source (an entry given anew replaces the entry of its source; others' entries stay), or exclusive.
  - Checks every entry by the CRDs' rules before anything is written (sources may be C(*.domain); mirrors are a set;
    no tag or digest), and refuses a result in which two mirror sets disagree on one source's
    C(mirrorSourcePolicy), which the machine config operator would refuse to render.
  - O(migrate_icsp) does what C(oc adm migrate icsp) does, writing an ImageDigestMirrorSet with the same name and
    mirrors for every ImageContentSourcePolicy; O(delete_icsp) deletes each ICSP once its ImageDigestMirrorSet is stored.
  - The result lists, for each source, the mirrors in the order a node tries them, across every mirror set.
  - Check mode sends the writes as server-side dry runs.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Dry runs on the server; the migration plan and the node order are predicted from them.
  diff_mode:
    support: full
    details: Per source, its mirrors and source policy; the ICSPs before and after.
  idempotent:
    support: full
options:
  name:
    description: The name of the ImageDigestMirrorSet and of the ImageTagMirrorSet this module writes.
    type: str
    default: ocp-registry
  entries:
    description:
      - The mirror entries, each a source and the mirrors nodes try for it.
      - The alias O(mirrors) is deprecated and will be removed in 2.0.0 (the same word named the list and each
        entry's mirrors).
    type: list
    elements: dict
    default: []
    aliases: [mirrors]
    suboptions:
      source:
        description: The repository mirrored (C(host[:port][/path]) or C(*.domain)).
        type: str
        required: true
      mirrors:
        description: The mirrors, tried in this order (C(host[:port][/path])).
        type: list
        elements: str
      by:
        description: V(digest) for references by digest (ImageDigestMirrorSet), V(tag) for tags (ImageTagMirrorSet).
        type: str
        choices: [digest, tag]
        default: digest
      source_policy:
        description: V(NeverContactSource) makes nodes use only the mirrors; left out means V(AllowContactingSource).
        type: str
        choices: [AllowContactingSource, NeverContactSource]
      state:
        description: Whether the entry is in the mirror set.
        type: str
        choices: [present, absent]
        default: present
  exclusive:
    description: The mirror sets named O(name) hold exactly the present entries given.
    type: bool
    default: false
  migrate_icsp:
    description: Write an equivalent ImageDigestMirrorSet for every ImageContentSourcePolicy.
    type: bool
    default: false
  delete_icsp:
    description: With O(migrate_icsp), delete each ImageContentSourcePolicy once its ImageDigestMirrorSet is stored.
    type: bool
    default: false
  wait:
    description: Wait until every MachineConfigPool has rolled the change out.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for the pools.
    type: int
    default: 1800
  wait_sleep:
    description: Seconds between two looks at the pools.
    type: int
    default: 5
seealso:
  - module: ocp.registry.registries_conf
  - module: ocp.registry.image_policy
"""

EXAMPLES = r"""
- name: A disconnected cluster pulls the release images from Quay only
  ocp.registry.image_mirrors:
    entries:
      - source: quay.io/openshift-release-dev/ocp-release
        mirrors: [quay.corp.example.com:8443/ocp4/openshift4]
        source_policy: NeverContactSource
      - source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
        mirrors: [quay.corp.example.com:8443/ocp4/openshift4]
        source_policy: NeverContactSource
    wait: true

- name: Move from ImageContentSourcePolicy to ImageDigestMirrorSet
  ocp.registry.image_mirrors:
    migrate_icsp: true
    delete_icsp: true
"""

RETURN = r"""
objects:
  description: The mirror sets this run wrote or would write, each C(kind), C(name), C(action) and per-source C(changes).
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: ImageDigestMirrorSet or ImageTagMirrorSet.
      type: str
    name:
      description: Its name.
      type: str
    action:
      description: V(created), V(updated), V(deleted) or V(unchanged).
      type: str
    changes:
      description: Per source, C(source) and C(action).
      type: list
      elements: dict
migration:
  description: With O(migrate_icsp), each ICSP with its ImageDigestMirrorSet, C(action) and whether it is deleted.
  returned: always
  type: list
  elements: dict
  contains:
    icsp:
      description: The ImageContentSourcePolicy.
      type: str
    idms:
      description: Its ImageDigestMirrorSet.
      type: str
    action:
      description: V(created), V(updated) or V(unchanged).
      type: str
    delete_icsp:
      description: Whether the ICSP is (or would be) deleted.
      type: bool
order:
  description: For each source and kind (C(by)), the mirrors in the order nodes try them, and C(contacts_source).
  returned: success
  type: list
  elements: dict
  sample: [{"source": "quay.io/openshift-release-dev/ocp-release", "by": "digest",
            "mirrors": ["quay.corp.example.com:8443/ocp4/openshift4"], "contacts_source": false}]
  contains:
    source:
      description: The source.
      type: str
    by:
      description: V(digest) or V(tag).
      type: str
    mirrors:
      description: The mirrors, in the order nodes try them.
      type: list
      elements: str
    contacts_source:
      description: Whether nodes then try the source.
      type: bool
nodes_affected:
  description: Whether the change reaches the nodes (every mirror set change does).
  returned: always
  type: bool
pools:
  description: The MachineConfigPools after O(wait).
  returned: when O(wait) and something changed
  type: list
  elements: dict
  contains:
    name:
      description: The pool.
      type: str
    rendered_config:
      description: Its rendered config.
      type: str
    updated:
      description: Whether it rolled the change out.
      type: bool
    new_config:
      description: Whether the config differs from the one before.
      type: bool
    seen_updating:
      description: Whether the wait saw it Updating.
      type: bool
    machine_count:
      description: Its machines.
      type: int
    updated_machine_count:
      description: Machines on the rendered config.
      type: int
    message:
      description: The pool's message.
      type: str
notes:
  description: Remarks on the run, such as a check-mode prediction made without the server's dry run (read-only credentials).
  returned: always
  type: list
  elements: str
conflicts_retried:
  description: How many 409 Conflicts were resolved by reading and merging again.
  returned: always
  type: int
api_requests:
  description: Requests sent to the API server.
  returned: always
  type: int
"""

from ansible_collections.ocp.registry.plugins.module_utils.policy import mirrors
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule


def main():
    entry = dict(source=dict(type="str", required=True), mirrors=dict(type="list", elements="str"),
                 by=dict(type="str", choices=["digest", "tag"], default="digest"),
                 source_policy=dict(type="str", choices=[mirrors.ALLOW, mirrors.NEVER]),
                 state=dict(type="str", choices=["present", "absent"], default="present"))
    module = ClusterModule(
        argument_spec=dict(
            name=dict(type="str", default="ocp-registry"),
            entries=dict(type="list", elements="dict", default=[], options=entry, aliases=["mirrors"],
                         deprecated_aliases=[dict(name="mirrors", version="2.0.0", collection_name="ocp.registry")]),
            exclusive=dict(type="bool", default=False),
            migrate_icsp=dict(type="bool", default=False),
            delete_icsp=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=1800),
            wait_sleep=dict(type="int", default=5),
        ),
        supports_check_mode=True,
    )
    module.run(lambda: mirrors.ImageMirrors(module.client, module.params, module.check_mode, module.warn).run())


if __name__ == "__main__":
    main()
