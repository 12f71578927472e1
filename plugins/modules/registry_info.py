#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registry_info
short_description: Facts about the cluster's image registries, and optional registry login checks
version_added: 1.0.0
description:
  - Reports the integrated registry's configuration as the image registry operator sees it
    (C(configs.imageregistry.operator.openshift.io/cluster)), whether it has really rolled out, its internal
    and public hostnames (from C(images.config.openshift.io/cluster) status and the registry's routes), and
    the registries in the global pull secret with their usernames.
  - Never returns a password, token, C(auth) string or the registry's C(httpSecret).
  - With O(check), reaches registries' C(/v2/) endpoint with TLS verification and, given credentials,
    logs in with the registry's own flow (basic, or the bearer-token flow of quay.io and registry.redhat.io).
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.INFO_MODULE
  - ocp.registry.attributes.ACTION_GROUP
options:
  registry:
    description:
      - Report the integrated registry (RV(registry), RV(hostnames)) from its operator config, its routes and
        C(images.config.openshift.io/cluster), three requests.
      - Turn off what the task does not need; with O(registry), O(pruner), O(policy) and O(pull_secret) all false
        the module sends no request to the API server and only runs O(check).
    type: bool
    default: true
  pruner:
    description:
      - Report the image pruner (RV(pruner)) from C(imagepruners.imageregistry.operator.openshift.io/cluster) and its
        CronJob, two requests, with how the last pruning job ended.
    type: bool
    default: true
  policy:
    description:
      - Report the cluster's image policy from C(images.config.openshift.io/cluster) (registry sources, import
        allow-list, external host names, import mode) and the registries whose CA it trusts, with each CA's
        subject and expiry. Reading the trusted CA ConfigMap costs one request when images.config names one.
    type: bool
    default: true
  pull_secret:
    description:
      - Read the global pull secret C(openshift-config/pull-secret) and list its registries and usernames.
      - When the credentials may not read it (403), the result says so in RV(pull_secret_error) and a warning.
    type: bool
    default: true
  check:
    description:
      - Registries to reach, and to log in to when credentials are given.
    type: list
    elements: dict
    default: []
    suboptions:
      registry:
        description:
          - The registry host, with a port if it has one (V(quay.io), V(registry.example.com:5000)).
            A namespace suffix such as V(quay.io/org) is accepted; only the host is contacted.
        type: str
        required: true
      username:
        description:
          - User name to log in with. A registry.redhat.io service account looks like V(12345678|name).
        type: str
      password:
        description:
          - Password or token for O(check[].username).
        type: str
      credentials_from_pull_secret:
        description:
          - Log in with the credentials the global pull secret holds for O(check[].registry).
            They are used for the check only and never returned.
        type: bool
        default: false
      registry_ca_cert:
        description:
          - CA bundle that signed the registry's certificate; the system trust store otherwise.
          - The same name as the option of M(ocp.registry.pull_secret) and M(ocp.registry.auth_file); C(ca_cert) is
            kept as an alias.
        type: path
        aliases: [ca_cert]
      validate_certs:
        description:
          - Verify the registry's TLS certificate. Turning this off is insecure.
        type: bool
        default: true
      timeout:
        description:
          - Seconds to wait for each request to the registry.
        type: float
        default: 10
"""

EXAMPLES = r"""
- name: Read the registry facts with the AWX credential's K8S_AUTH_* environment
  ocp.registry.registry_info:
  register: registry

- name: Show where to push
  ansible.builtin.debug:
    msg: "Public: {{ registry.hostnames.public | join(', ') }}; rolled out: {{ registry.registry.rolled_out }}"

- name: Only the global pull secret's registries (one request)
  ocp.registry.registry_info:
    registry: false
    policy: false
  register: pull_secret

- name: Check that the pull secret's credentials for a mirror still work
  ocp.registry.registry_info:
    context: admin
    registry: false
    policy: false
    pull_secret: true
    check:
      - registry: mirror.example.com:8443
        credentials_from_pull_secret: true
        registry_ca_cert: /etc/pki/ca-trust/source/anchors/mirror-ca.crt
  register: mirror

- name: Fail when the mirror refuses the stored credentials
  ansible.builtin.assert:
    that: mirror.checks[0].authenticated
    fail_msg: "{{ mirror.checks[0].error }}"
"""

RETURN = r"""
registry:
  description: The integrated registry's configuration and state. No secret fields.
  returned: when O(registry) is true
  type: dict
  contains:
    management_state:
      description: V(Managed), V(Removed) or V(Unmanaged).
      type: str
      sample: Managed
    storage:
      description: The storage backend; C(kind) is the backend name, V(none) or V(multiple).
      type: dict
      sample: {"kind": "pvc", "config": {"claim": "image-registry-storage"}, "backends": null,
               "management_state": "Managed", "managed": true}
    replicas:
      description: Desired replicas.
      type: int
    ready_replicas:
      description: Ready replicas the operator reports.
      type: int
    rollout_strategy:
      description: V(RollingUpdate) or V(Recreate).
      type: str
    default_route:
      description: Whether the default route is enabled.
      type: bool
    routes:
      description: Additional routes (name, hostname, secret_name).
      type: list
      elements: dict
    generation:
      description: The config's metadata.generation.
      type: int
    observed_generation:
      description: The generation the operator last acted on.
      type: int
    conditions:
      description: The operator's conditions (type, status, reason, message).
      type: list
      elements: dict
    rolled_out:
      description: Whether every sign of a finished rollout is present (see RV(registry.rolled_out_reason)).
      type: bool
    rolled_out_reason:
      description: Why the registry counts as rolled out, or the first sign that is missing.
      type: str
      sample: "Ready: The registry is ready"
pruner:
  description: The image pruner, as M(ocp.registry.image_pruner) reports it.
  returned: when O(pruner) is true
  type: dict
  contains:
    spec:
      description: The pruner's spec.
      type: dict
    scheduled:
      description: Whether pruning jobs are scheduled (not suspended).
      type: bool
    degraded:
      description: Whether the operator reports the pruner Degraded.
      type: bool
    last_result:
      description: How the last pruning job ended (V(no run yet), V(succeeded), C(failed) with the reason).
      type: str
    cronjob:
      description: The CronJob's schedule, suspension and last schedule and success times.
      type: dict
hostnames:
  description: Where the registry is reached.
  returned: when O(registry) is true
  type: dict
  contains:
    internal:
      description: The in-cluster hostname, or null when the registry is removed.
      type: str
      sample: image-registry.openshift-image-registry.svc:5000
    public:
      description: Public hostnames, the default route first.
      type: list
      elements: str
policy:
  description: The cluster's image policy.
  returned: when O(policy) is true
  type: dict
  contains:
    registry_sources:
      description: The C(allowed), C(blocked), C(insecure) and C(search) lists of C(spec.registrySources).
      type: dict
    allowed_for_import:
      description: C(spec.allowedRegistriesForImport), each C(domain_name) and C(insecure).
      type: list
      elements: dict
    external_hostnames:
      description: C(spec.externalRegistryHostnames).
      type: list
      elements: str
    import_mode:
      description: C(spec.imageStreamImportMode), empty when unset.
      type: str
    trusted_ca_config_map:
      description: The ConfigMap in C(openshift-config) named by C(spec.additionalTrustedCA), if any.
      type: str
    trusted_cas:
      description:
        - One entry per key of that ConfigMap, C(registry) (C(host:port)), C(key), and its certificates' C(subject),
          C(not_after), C(days_left), C(fingerprint_sha256); C(error) when the key holds no readable certificate.
      type: list
      elements: dict
    trusted_ca_error:
      description: Why the trusted CA ConfigMap could not be read.
      type: str
      returned: when it could not be read
pull_secret:
  description: Registries in the global pull secret, with usernames only.
  returned: when O(pull_secret) is true and the secret could be read
  type: list
  elements: dict
  sample: [{"registry": "quay.io", "username": "myorg+robot", "has_credentials": true}]
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
pull_secret_error:
  description: Why the global pull secret could not be read.
  returned: when it could not be read
  type: str
checks:
  description: One result per O(check) entry.
  returned: always
  type: list
  elements: dict
  sample: [{"registry": "quay.io", "reachable": true, "authenticated": true, "auth": "bearer", "status": 200,
            "error": null, "outcome": "ok"}]
  contains:
    registry:
      description: The registry's host[:port].
      type: str
    reachable:
      description: Whether its C(/v2/) endpoint answered over verified TLS.
      type: bool
    authenticated:
      description: Whether the credentials were accepted; null when none were given.
      type: bool
    auth:
      description: The authentication the registry asks for (C(basic), C(bearer), C(none)).
      type: str
    status:
      description: The last HTTP status.
      type: int
    outcome:
      description:
        - V(ok), V(unreachable) (no connection), V(untrusted) (TLS verification failed, or the CA file is missing),
          V(refused) (it answered and did not accept the credentials, or wants some), V(unexpected) (another answer).
      type: str
    error:
      description: What went wrong, in words; never a secret.
      type: str
api_requests:
  description: How many requests were sent to the API server.
  returned: always
  type: int
"""

import base64

from ansible_collections.ocp.registry.plugins.module_utils.credentials import dockerconfig
from ansible_collections.ocp.registry.plugins.module_utils.policy import image_policy
from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.integrated import pruner
from ansible_collections.ocp.registry.plugins.module_utils.integrated import state as registry_state
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, ClusterError
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.credentials.registry_api import RegistryCheck, registry_host

CHECK_SPEC = dict(
    registry=dict(type="str", required=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    credentials_from_pull_secret=dict(type="bool", default=False),
    registry_ca_cert=dict(type="path", aliases=["ca_cert"]),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="float", default=10.0),
)


def read_pull_secret(client):
    secret = client.get(RESOURCES["secret"], "pull-secret", "openshift-config")
    raw = (secret.get("data") or {}).get(".dockerconfigjson", "")
    return dockerconfig.load(base64.b64decode(raw))


def pull_secret_credentials(doc, registry):
    host = registry_host(registry)
    for key in sorted((doc.get("auths") or {}), key=len, reverse=True):
        if key == registry or registry_host(key) == host:
            return dockerconfig.credentials(doc, key)
    return None


def main():
    module = ClusterModule(
        argument_spec=dict(registry=dict(type="bool", default=True), pruner=dict(type="bool", default=True),
                           pull_secret=dict(type="bool", default=True),
                           policy=dict(type="bool", default=True),
                           check=dict(type="list", elements="dict", default=[], options=CHECK_SPEC)),
        supports_check_mode=True,
    )
    for entry in module.params["check"]:
        if not names.HOST_SCOPE.match(entry["registry"] or ""):
            module.fail_json(msg="check: registry %r must be a registry host, with a port if it has one and optionally "
                                 "a namespace (quay.io, registry.example.com:5000, quay.io/org): no scheme or spaces"
                             % entry["registry"])
        if entry["timeout"] is not None and entry["timeout"] <= 0:
            module.fail_json(msg="check: timeout for %s must be a positive number of seconds" % entry["registry"])
        if entry["credentials_from_pull_secret"] and entry.get("username"):
            module.fail_json(msg="check: give either username/password or credentials_from_pull_secret for %s, "
                                 "not both" % entry["registry"])
        if entry.get("password") and not entry.get("username"):
            module.fail_json(msg="check: a password for %s needs a username" % entry["registry"])
    result = dict(changed=False, checks=[], api_requests=0)
    params = module.params
    wants_secret = params["pull_secret"] or any(c["credentials_from_pull_secret"] for c in params["check"])
    doc = None
    try:
        # only what the task asks for: each part costs requests, and a report that needs one part sends one
        client = module.client if (params["registry"] or params["pruner"] or params["policy"] or wants_secret) else None
        image_config = None
        if params["registry"] or params["policy"]:
            image_config = client.get(RESOURCES["image_config"], "cluster", missing_ok=True)
        if params["registry"]:
            config = client.get(RESOURCES["registry_config"], "cluster")
            routes = registry_state.owned_routes(
                client.list(RESOURCES["route"], registry_state.NAMESPACE).get("items") or [])
            result["registry"] = registry_state.summary(config, routes, image_config)
            result["hostnames"] = registry_state.hostnames(image_config, routes)
        if params["pruner"]:
            result["pruner"] = pruner.facts(*pruner.read(client))
        if params["policy"]:
            result["policy"] = image_policy.report(client, image_config, module.warn)
        if wants_secret:
            try:
                doc = read_pull_secret(client)
            except ClusterError as exc:
                if exc.status not in (403, 404):
                    raise
                result["pull_secret_error"] = str(exc)
                module.warn("the global pull secret could not be read: %s" % exc)
            except dockerconfig.DockerConfigError as exc:
                result["pull_secret_error"] = "openshift-config/pull-secret: %s" % exc
            if doc is not None and module.params["pull_secret"]:
                result["pull_secret"] = dockerconfig.summary(doc)
        result["api_requests"] = client.requests if client is not None else 0
    except OcpRegistryError as exc:
        module.fail_from(exc)
    for entry in module.params["check"]:
        username, password = entry.get("username"), entry.get("password")
        if entry["credentials_from_pull_secret"]:
            creds = pull_secret_credentials(doc or {}, entry["registry"])
            if creds is None:
                result["checks"].append(dict(registry=registry_host(entry["registry"]), reachable=None,
                                             authenticated=None, auth=None, status=None,
                                             error="the global pull secret has no credentials for this registry"))
                continue
            username, password = creds
        checker = RegistryCheck(entry["registry"], username, password, entry.get("registry_ca_cert"),
                                entry["validate_certs"], entry["timeout"])
        result["checks"].append(checker.run())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
