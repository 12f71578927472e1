#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: image_policy
short_description: Which registries the cluster trusts, allows, blocks and treats as insecure
version_added: 1.0.0
description:
  - Manages C(images.config.openshift.io/cluster) and the ConfigMap of trusted registry CAs it names in
    C(spec.additionalTrustedCA), one entry at a time. Entries other administrators put there, other ConfigMap keys
    and fields this module does not know stay exactly as they were, unless O(exclusive) names the list.
  - O(registry_sources) reaches the nodes (the machine config operator renders C(/etc/containers/registries.conf)
    and C(policy.json) from it), so the MachineConfigPools roll it out; O(wait) waits for that. Trusted CAs reach
    the registry and the nodes' C(/etc/docker/certs.d) without a node update.
  - Every option is checked before anything is written; so are the certificates (a CA, not expired, with a
    warning under 30 days) and, with O(validate), the registry's own certificate chain.
  - Refuses, unless O(force), to block (or leave out of the allowed list) the repository of the cluster's release
    payload or a host name of the integrated registry.
  - Check mode sends the writes as server-side dry runs, so the predicted result is what the API server would store.
author:
  - ocp.registry contributors (@ocp-registry)
requirements:
  - cryptography (a dependency of ansible-core) to read the certificates.
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: The writes go to the API server as dry runs; nothing is stored. O(validate) still connects to registries.
  diff_mode:
    support: full
    details: The list entries, the import allow-list, and for each trusted CA its subject, expiry and fingerprint (never the PEM).
  idempotent:
    support: full
options:
  registry_sources:
    description: The C(spec.registrySources) lists. A list left out is not touched.
    type: dict
    suboptions:
      allowed:
        description:
          - Registries nodes may pull from (C(allowedRegistries)); every other one is refused by the nodes' policy.
            Cannot be set together with O(registry_sources.blocked).
          - Note that openshift-apiserver does not use this list for imagestream imports.
        type: list
        elements: dict
        suboptions: &entry
          registry:
            description:
              - C(host[:port][/path]) or C(*.domain), without tag or digest.
              - The alias C(name) is deprecated and will be removed in 2.0.0.
            type: str
            required: true
            aliases: [name]
          state:
            description: Whether the entry is in the list.
            type: str
            choices: [present, absent]
            default: present
      blocked:
        description: Registries nodes and imports may not use (C(blockedRegistries)).
        type: list
        elements: dict
        suboptions: *entry
      insecure:
        description: Registries reached without TLS verification, or over plain HTTP (C(insecureRegistries)).
        type: list
        elements: dict
        suboptions: *entry
      search:
        description: Registries for short names on the nodes (C(containerRuntimeSearchRegistries)); plain host names.
        type: list
        elements: dict
        suboptions: *entry
  allowed_for_import:
    description: C(spec.allowedRegistriesForImport), which limits the imports of users who cannot create images.
    type: list
    elements: dict
    suboptions:
      registry:
        description:
          - C(host[:port]) or C(*.domain).
          - The alias C(domain_name) (the field's name in the API) is deprecated and will be removed in 2.0.0.
        type: str
        required: true
        aliases: [domain_name]
      insecure:
        description: Whether imports from it may be insecure.
        type: bool
        default: false
      state:
        description: Whether the entry is in the list.
        type: str
        choices: [present, absent]
        default: present
  external_hostnames:
    description: C(spec.externalRegistryHostnames), the integrated registry's host names outside the cluster.
    type: list
    elements: dict
    suboptions:
      name:
        description: A host name, with a port if it has one.
        type: str
        required: true
      state:
        description: Whether the entry is in the list.
        type: str
        choices: [present, absent]
        default: present
  import_mode:
    description: C(spec.imageStreamImportMode), the default import mode of imagestreams.
    type: str
    choices: [Legacy, PreserveOriginal]
  exclusive:
    description: The lists that must hold exactly the present entries given here; others' entries are removed.
    type: list
    elements: str
    choices: [allowed, blocked, insecure, search, allowed_for_import, external_hostnames, trusted_cas]
    default: []
  trusted_cas:
    description:
      - CAs that sign registries' certificates, stored under the key C(host) or C(host..port) of the trusted CA
        ConfigMap in C(openshift-config).
    type: list
    elements: dict
    suboptions:
      registry:
        description: C(host[:port]) of the registry.
        type: str
        required: true
      ca:
        description: The CA certificate (PEM, a bundle may hold several).
        type: str
      ca_file:
        description: A file with the CA certificate, on the host that runs the task.
        type: path
      state:
        description: Whether the CA is trusted.
        type: str
        choices: [present, absent]
        default: present
  trusted_ca_config_map:
    description:
      - The ConfigMap in C(openshift-config) to create and reference when images.config names none yet. When it
        already names one, the CAs go there.
    type: str
    default: registry-cas
  validate:
    description:
      - Connect to each registry of O(trusted_cas) and check that its CA verifies the certificate chain the registry
        presents, for its host name, before anything is written.
    type: bool
    default: false
  force:
    description:
      - Write a policy that blocks, or leaves out of the allowed list, the release payload's repository or a host
        name of the integrated registry. Nodes then cannot pull the OpenShift images or the cluster's own images.
    type: bool
    default: false
  wait:
    description: When O(registry_sources) changed, wait until every MachineConfigPool has rolled the change out.
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
notes:
  - Entries are matched as given; order of new entries is kept, existing ones keep their place.
seealso:
  - module: ocp.registry.pull_secret
  - module: ocp.registry.registry_info
"""

EXAMPLES = r"""
- name: Onboard an on-premises Quay with its own CA
  ocp.registry.image_policy:
    trusted_cas:
      - registry: quay.corp.example.com:8443
        ca_file: files/corp-root-ca.pem
    validate: true

- name: Block a registry on the nodes and for imports, and wait for the nodes
  ocp.registry.image_policy:
    registry_sources:
      blocked:
        - registry: untrusted.example.com
    wait: true

- name: A plain-HTTP lab registry
  ocp.registry.image_policy:
    registry_sources:
      insecure:
        - registry: registry.lab.example.com:5000

- name: Stop trusting a CA
  ocp.registry.image_policy:
    trusted_cas:
      - registry: old-registry.example.com
        state: absent
"""

RETURN = r"""
changed:
  description: Whether images.config or the trusted CA ConfigMap changed (or in check mode would change).
  returned: always
  type: bool
policy:
  description: The managed part of images.config after the run (in check mode, what the server's dry run returned).
  returned: always
  type: dict
  contains:
    registry_sources:
      description: The allowed, blocked, insecure and search lists.
      type: dict
    allowed_for_import:
      description: The import allow-list, each C(domain_name) and C(insecure).
      type: list
      elements: dict
    external_hostnames:
      description: The integrated registry's external host names.
      type: list
      elements: str
    import_mode:
      description: The default import mode (empty when unset).
      type: str
    trusted_ca_config_map:
      description: The ConfigMap named by C(additionalTrustedCA).
      type: str
    trusted_cas:
      description: Each key of that ConfigMap with the subject, expiry and fingerprint of its certificates.
      type: dict
      returned: when O(trusted_cas) or O(exclusive=[trusted_cas]) is given
trusted_cas:
  description: The entries of O(trusted_cas) with their certificates.
  returned: always
  type: list
  elements: dict
  contains:
    registry:
      description: The registry.
      type: str
    key:
      description: The ConfigMap key.
      type: str
    action:
      description: V(added), V(changed), V(removed) or V(unchanged).
      type: str
    certificates:
      description: Each certificate's C(subject), C(issuer), C(not_before), C(not_after), C(days_left), C(fingerprint_sha256), C(is_ca).
      type: list
      elements: dict
trusted_ca_config_map:
  description: The ConfigMap that holds the trusted CAs.
  returned: always
  type: str
created_config_map:
  description: Whether that ConfigMap was (or would be) created.
  returned: always
  type: bool
nodes_affected:
  description: Whether the change reaches the nodes (registry_sources changed), so the MachineConfigPools update.
  returned: always
  type: bool
pools:
  description:
    - The MachineConfigPools after O(wait), each C(name), C(rendered_config), C(new_config) (whether it differs from
      the one before the change), C(updated), C(seen_updating) (whether the wait saw it Updating), machine counts.
  returned: when O(wait) and the nodes were affected
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

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.ocp.registry.plugins.module_utils.core import certificates
from ansible_collections.ocp.registry.plugins.module_utils.policy import image_policy
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule

STATE = dict(type="str", choices=["present", "absent"], default="present")
# one word for a registry in every option: registry (name and domain_name stay as aliases until 2.0.0)
REGISTRY_ENTRY = dict(registry=dict(type="str", required=True, aliases=["name"],
                                    deprecated_aliases=[dict(name="name", version="2.0.0",
                                                             collection_name="ocp.registry")]),
                      state=STATE)
HOSTNAME_ENTRY = dict(name=dict(type="str", required=True), state=STATE)


def main():
    entries = dict(type="list", elements="dict", options=REGISTRY_ENTRY)
    spec = dict(
        registry_sources=dict(type="dict", options=dict(allowed=entries, blocked=entries, insecure=entries,
                                                        search=entries)),
        allowed_for_import=dict(type="list", elements="dict", options=dict(
            registry=dict(type="str", required=True, aliases=["domain_name"],
                          deprecated_aliases=[dict(name="domain_name", version="2.0.0", collection_name="ocp.registry")]),
            insecure=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"))),
        external_hostnames=dict(type="list", elements="dict", options=HOSTNAME_ENTRY),
        import_mode=dict(type="str", choices=["Legacy", "PreserveOriginal"]),
        exclusive=dict(type="list", elements="str", choices=image_policy.EXCLUSIVE_CHOICES, default=[]),
        trusted_cas=dict(type="list", elements="dict", options=dict(
            registry=dict(type="str", required=True), ca=dict(type="str"), ca_file=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present")),
            mutually_exclusive=[["ca", "ca_file"]]),
        trusted_ca_config_map=dict(type="str", default=image_policy.DEFAULT_CA_CONFIG_MAP),
        validate=dict(type="bool", default=False),
        force=dict(type="bool", default=False),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=1800),
        wait_sleep=dict(type="int", default=5),
    )
    module = ClusterModule(argument_spec=spec, supports_check_mode=True)
    if module.params.get("trusted_cas") and not certificates.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"))
    module.run(lambda: image_policy.ImagePolicy(module.client, module.params, module.check_mode, module.warn).run())


if __name__ == "__main__":
    main()
