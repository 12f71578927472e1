#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registry_login
short_description: Log a host in to the integrated registry's route with a service account's bound token
version_added: 1.0.0
description:
  - What C(oc registry login) does, kept up to date by later runs. Writes into the auth file of the machine it runs
    on (podman's, docker's, or O(path)) an entry for the integrated registry's public hostname whose password is a
    bound token of a service account, from the TokenRequest API (C(serviceaccounts/<name>/token)) with the lifetime
    you choose. Never a long-lived token Secret.
  - A run renews the token only when it must. The token in the file says whose it is and until when, so the module
    decides without asking the cluster for a token; it renews when the entry is missing, holds another account's
    token, was issued before the service account was recreated, has expired, or has less than
    O(renew_before_seconds) left. The API server may issue a shorter token than asked for (its maximum token
    lifetime); the expiry written is the one it answered.
  - The registry's hostname defaults to its first public hostname (images.config C(status.externalRegistryHostnames),
    the default route's host first). Give O(registry) when hosts reach the route under another name or port.
  - Returns the ingress CA the route's certificate is signed by (C(openshift-config-managed/default-ingress-cert)),
    for M(ocp.registry.registry_ca) to put into certs.d.
  - Runs where the auth file lives and needs the API server from there, as C(oc registry login) does; with a local
    connection the cluster connection is resolved on the controller.
  - The service account needs the rights it will use in the registry (C(system:image-puller) to pull,
    C(system:image-builder) to push, for example the C(builder) account of its namespace).
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ansible.builtin.files
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Reads the file and the service account, reports whether the token would be renewed and why; asks for no
      token and writes nothing. The TokenRequest API has no dry run that issues nothing (the API server creates a
      token for a dry run too), so check mode does not send one.
  diff_mode:
    support: full
    details: The file's entries with their secrets masked; a renewed token shows as a changed secret.
  idempotent:
    support: full
    details: A run while the written token is outside its renewal margin changes nothing and sends no write request.
options:
  namespace:
    description: The service account's namespace.
    type: str
    required: true
  service_account:
    description: The service account whose bound token the host uses (for pushes, its namespace's V(builder)).
    type: str
    required: true
  registry:
    description:
      - The registry's C(host[:port]) as the host reaches it, and the key of the entry.
      - Defaults to the integrated registry's first public hostname.
    type: str
  expiration_seconds:
    description:
      - The token's lifetime to ask for, at least 600 (the TokenRequest API's minimum). The cluster may issue less.
      - A changed value applies at the next renewal.
    type: int
    default: 86400
  renew_before_seconds:
    description:
      - Renew when the token has less than this left.
      - Defaults to one fifth of the written token's lifetime (a 24h token is renewed in its last 4.8 hours), so a
        daily schedule keeps a 24h token valid.
      - Must be 0 or more and less than O(expiration_seconds) when both are given; otherwise every run would renew
        the token, and the task is refused before any request.
    type: int
  path:
    description: The auth file. Overrides O(preset).
    type: path
  preset:
    description:
      - Which tool's file when O(path) is not given, as in M(ocp.registry.auth_file) (V(podman),
        C($XDG_RUNTIME_DIR/containers/auth.json) or C(/run/containers/<uid>/auth.json); V(docker),
        C(~/.docker/config.json)).
    type: str
    choices: [podman, docker]
    default: podman
  read_ca:
    description: Return the ingress CA as RV(ca) (one more GET).
    type: bool
    default: true
  state:
    description: V(absent) removes the registry's entry (no token is asked for, the service account is not read).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: ocp.registry.registry_ca
  - module: ocp.registry.auth_file
"""

EXAMPLES = r"""
- name: A build host pushes to the integrated registry as the builder of its project, with a day-long token
  ocp.registry.registry_login:
    namespace: ci
    service_account: builder
    expiration_seconds: 86400
  register: login

- name: And trusts the route's certificate
  ocp.registry.registry_ca:
    registry: "{{ login.registry }}"
    ca: "{{ login.ca }}"
  when: login.ca

- name: A bastion reaches the route through a load balancer port, and keeps its own file
  ocp.registry.registry_login:
    namespace: mirror
    service_account: puller
    registry: registry.ocp.example.com:8443
    path: /etc/mirror/auth.json
    renew_before_seconds: 7200
"""

RETURN = r"""
path:
  description: The auth file.
  returned: always
  type: str
registry:
  description: The entry's key, the registry's C(host[:port]).
  returned: always
  type: str
  sample: default-route-openshift-image-registry.apps.ocp.example.com
service_account:
  description: The user the token stands for.
  returned: always
  type: str
  sample: system:serviceaccount:ci:builder
renewed:
  description: Whether a new token was (or, in check mode, would be) asked for and written.
  returned: always
  type: bool
reason:
  description: Why the token was renewed or kept.
  returned: always
  type: str
  sample: the token expires at 2026-11-28T09:00:00Z, within the renewal margin of 17280 seconds
expires:
  description: When the token in the file expires (UTC); null in check mode when a renewal is predicted.
  returned: always
  type: str
  sample: "2026-11-29T08:00:00Z"
ca:
  description: The ingress CA (PEM) that signs the routers' default certificate, or null when the cluster has none.
  returned: when O(read_ca=true) and O(state=present)
  type: str
lifetime_seconds:
  description: The lifetime the cluster gave the new token, when it is shorter than O(expiration_seconds) (a warning says so).
  returned: when the cluster shortened a renewed token
  type: int
changes:
  description: The entry added, changed or removed; never a secret.
  returned: always
  type: list
  elements: dict
created:
  description: Whether the file was (or would be) created.
  returned: when changed
  type: bool
api_requests:
  description: How many requests were sent to the API server.
  returned: always
  type: int
"""

from ansible_collections.ocp.registry.plugins.module_utils.credentials import route_login as registry_login
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError


def argument_spec():
    return dict(
        namespace=dict(type="str", required=True),
        service_account=dict(type="str", required=True),
        registry=dict(type="str"),
        expiration_seconds=dict(type="int", default=86400),
        renew_before_seconds=dict(type="int"),
        path=dict(type="path"),
        preset=dict(type="str", choices=["podman", "docker"], default="podman"),
        read_ca=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )


def main():
    module = ClusterModule(argument_spec=argument_spec(), supports_check_mode=True, add_file_common_args=True)
    try:
        result = registry_login.Login(module, module.client, module.params, module.check_mode).run()
    except OcpRegistryError as exc:
        module.fail_from(exc)
    except (IOError, OSError) as exc:
        module.fail_from(OcpRegistryError("cannot write the credentials file: %s" % exc))
    module.exit_with(result)


if __name__ == "__main__":
    main()
