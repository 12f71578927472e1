#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: pull_secret
short_description: Registry credentials in OpenShift pull secrets, merged and never clobbered
version_added: 1.0.0
description:
  - Adds, changes or removes registry entries in a C(kubernetes.io/dockerconfigjson) Secret, by default the
    global pull secret C(openshift-config/pull-secret). Other entries and keys stay exactly as they were.
  - Writes carry the Secret's resourceVersion; on a 409 Conflict the Secret is read again and the entries
    merged again, so parallel runs that each add a registry all land.
  - Links the Secret to service accounts like C(oc secrets link) (C(imagePullSecrets) for pulls, C(secrets)
    for builds), adding only missing links.
  - With O(validate_credentials), logs in to each registry first and writes nothing if one refuses.
  - Passwords and tokens never appear in the result, the diff or a warning.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.credentials
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Each write is sent as the API server's dry run, which stores nothing but judges the write (permissions,
      admission); nothing is stored. O(validate_credentials) still logs in (a read).
  diff_mode:
    support: full
    details: Each entry's username, with its secret masked and marked when it changes.
  idempotent:
    support: full
options:
  namespace:
    description:
      - Namespace of the Secret. V(openshift-config) when neither this nor O(secrets) is given.
    type: str
  name:
    description:
      - Name of the Secret. V(pull-secret) when neither this nor O(secrets) is given.
    type: str
  secrets:
    description:
      - Several namespace pull secrets with the same O(registries), in one task (one module run instead of one
        per Secret). Each item names its C(namespace), C(name), C(service_accounts) and C(link_for), which mean
        what the top-level options of those names mean. Mutually exclusive with O(namespace), O(name),
        O(service_accounts) and O(link_for).
      - Every name is checked before the first request; the credentials are checked once
        (O(validate_credentials)). The result has one item per Secret in RV(results); the diff is keyed by
        C(namespace/name).
    type: list
    elements: dict
    suboptions:
      namespace:
        description: Namespace of the Secret.
        type: str
        required: true
      name:
        description: Name of the Secret.
        type: str
        required: true
      service_accounts:
        description: Service accounts in its namespace to link it to.
        type: list
        elements: str
        default: []
      link_for:
        description: V(pull) and/or V(mount), as O(link_for).
        type: list
        elements: str
        choices: [pull, mount]
        default: [pull]
  exclusive:
    description:
      - Remove every entry not listed in O(registries). On the global pull secret this drops the installer's
        credentials too, which breaks cluster updates and Red Hat images; the diff lists what goes.
    type: bool
    default: false
  state:
    description:
      - V(present) creates the Secret when it is missing. V(absent) unlinks it from O(service_accounts) and deletes it
        (never the global pull secret).
    type: str
    choices: [present, absent]
    default: present
  service_accounts:
    description: Service accounts in O(namespace) to link the Secret to.
    type: list
    elements: str
  link_for:
    description:
      - What the links are for, V(pull) (C(imagePullSecrets), pods pulling images) and/or V(mount) (C(secrets), builds
        pushing images), as C(oc secrets link --for). V(pull) when not given.
    type: list
    elements: str
    choices: [pull, mount]
notes:
  - The samples operator copies the global pull secret to C(openshift/samples-registry-credentials); adding a
    registry to the global pull secret is normally the right fix for samples imports. See the module's guide in docs/.
"""

EXAMPLES = r"""
- name: Add a mirror's credentials to the global pull secret
  ocp.registry.pull_secret:
    registries:
      - registry: mirror.example.com:8443
        username: "{{ mirror_user }}"
        password: "{{ mirror_password }}"
    validate_credentials: true
    registry_ca_cert: /etc/pki/ca-trust/source/anchors/mirror-ca.crt

- name: A Quay robot account for one namespace, linked to the pods' and builds' service accounts
  ocp.registry.pull_secret:
    namespace: my-app
    name: quay-robot
    registries:
      - registry: quay.io/myorg
        username: myorg+deployer
        token: "{{ quay_robot_token }}"
    service_accounts: [default, builder]
    link_for: [pull, mount]

- name: Remove a registry from the global pull secret
  ocp.registry.pull_secret:
    registries:
      - registry: old-mirror.example.com
        state: absent
"""

RETURN = r"""
changes:
  description: One item per entry this run added, changed or removed; never a secret.
  returned: always
  type: list
  elements: dict
  sample: [{"registry": "quay.io", "action": "changed", "username_changed": false, "secret_changed": true}]
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
  description: Every entry of the Secret afterwards (registry, username, has_credentials, email).
  returned: when O(state=present)
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
links:
  description: Service-account links this run added or removed.
  returned: always
  type: list
  elements: dict
  sample: [{"service_account": "builder", "fields": ["imagePullSecrets"], "action": "linked"}]
  contains:
    service_account:
      description: The service account.
      type: str
    fields:
      description: C(imagePullSecrets) and/or C(secrets).
      type: list
      elements: str
    action:
      description: V(linked) or V(unlinked).
      type: str
created:
  description: Whether the Secret was (or in check mode would be) created.
  returned: when O(state=present)
  type: bool
deleted:
  description: Whether the Secret was (or would be) deleted.
  returned: when O(state=absent) and it existed
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
notes:
  description:
    - What the module noticed, in words; in check mode, that the prediction was made without the API server's dry
      run when the credentials may only read.
  returned: always
  type: list
  elements: str
conflicts_retried:
  description: How many 409 Conflicts were resolved by reading and merging again.
  returned: always
  type: int
results:
  description:
    - With O(secrets), one item per Secret, in the order given, with the fields a single Secret's run returns
      (RV(changes), RV(links), RV(created) or RV(deleted), RV(registries)) and its C(namespace) and C(name).
  returned: when O(secrets) is given
  type: list
  elements: dict
  contains:
    namespace:
      description: The Secret's namespace.
      type: str
    name:
      description: The Secret's name.
      type: str
    changed:
      description: Whether this Secret or its links changed.
      type: bool
api_requests:
  description: Requests sent to the API server.
  returned: always
  type: int
"""

from ansible_collections.ocp.registry.plugins.module_utils.credentials import entries as credentials
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.credentials.pull_secret import GLOBAL, PullSecret, PullSecretError


SECRET_SPEC = dict(
    namespace=dict(type="str", required=True),
    name=dict(type="str", required=True),
    service_accounts=dict(type="list", elements="str", default=[]),
    link_for=dict(type="list", elements="str", choices=["pull", "mount"], default=["pull"]),
)
SINGLE = ("namespace", "name", "service_accounts", "link_for")


def targets(params):
    """One params dict per Secret: the secrets list, or the top-level options with their defaults."""
    if params.get("secrets") is not None:
        given = [option for option in SINGLE if params.get(option) is not None]
        if given:
            raise PullSecretError("secrets: give each Secret's %s inside secrets, not as top-level options"
                                  % ", ".join(given))
        return [dict(params, **item) for item in params["secrets"]]
    single = dict(params)
    # left out, the global pull secret; given empty, an error (a template that rendered to "" must not reach it)
    single.update(namespace=GLOBAL[0] if params.get("namespace") is None else params["namespace"],
                  name=GLOBAL[1] if params.get("name") is None else params["name"],
                  service_accounts=params.get("service_accounts") or [], link_for=params.get("link_for") or ["pull"])
    return [single]


def undo(managers, check_mode):
    """All or nothing for the Secrets of one task: after a failure, write back every Secret this run wrote (the
    last first) to what it held when it was read before the first write. Returns what the cluster now holds."""
    done = [m for m in managers if m.secret_written]
    if not done or check_mode:
        return "nothing was written"
    restored, left = [], []
    for manager in reversed(done):
        where = "%s/%s" % (manager.namespace, manager.name)
        try:
            manager.restore()
            restored.append(where)
        except OcpRegistryError as exc:
            left.append("%s (%s)" % (where, exc))
    if not left:
        return ("the Secrets it had written (%s) were written back to what they held before: this cluster still has "
                "the old entries everywhere" % ", ".join(reversed(restored)))
    others = ("%s has" % ", ".join(reversed(restored))) if restored else "every other Secret has"
    return ("these Secrets have the new entries and could not be written back: %s; %s the old ones; run the task "
            "again to finish" % ("; ".join(reversed(left)), others))


def run_all(client, params, check_mode):
    """Every Secret of the task: names checked for all before the first request, credentials checked once."""
    managers = [PullSecret(client, p, check_mode) for p in targets(params)]
    problems = [problem for manager in managers for problem in manager.problems()]
    if problems:
        raise PullSecretError("; ".join(problems) + "; nothing was sent")
    if params.get("secrets") is None:
        return managers[0].run()
    checks = None
    if params.get("validate_credentials"):
        checks = credentials.check_all(credentials.normalize(params.get("registries")), params.get("registry_ca_cert"),
                                       params.get("registry_validate_certs"))
    results, before, after = [], {}, {}
    for manager in managers:
        if manager.params.get("state") != "absent":
            manager.prefetch()  # every Secret read before the first write
    for manager in managers:
        manager.params = dict(manager.params, validate_credentials=False)
        try:
            one = manager.run()
        except OcpRegistryError as exc:
            outcome = undo(managers, check_mode)
            raise PullSecretError("Secret %s/%s: %s; %s" % (manager.namespace, manager.name, exc, outcome))
        key = "%s/%s" % (manager.namespace, manager.name)
        diff = one.pop("diff", None) or {}
        before[key], after[key] = diff.get("before"), diff.get("after")
        one.pop("conflicts_retried", None)
        results.append(dict(one, namespace=manager.namespace, name=manager.name))
    notes = []
    for manager in managers:
        notes.extend(n for n in manager.notes if n not in notes)
    result = dict(changed=any(r["changed"] for r in results), results=results, diff=dict(before=before, after=after),
                  conflicts_retried=sum(m.conflicts for m in managers), notes=notes)
    if checks is not None:
        result["checks"] = checks
    return result


def main():
    spec = dict(
        namespace=dict(type="str"),
        name=dict(type="str"),
        secrets=dict(type="list", elements="dict", options=SECRET_SPEC, no_log=False),
        registries=dict(type="list", elements="dict", default=[], options=credentials.ENTRY_SPEC),
        exclusive=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        service_accounts=dict(type="list", elements="str"),
        link_for=dict(type="list", elements="str", choices=["pull", "mount"]),
    )
    spec.update(credentials.CHECK_SPEC)
    module = ClusterModule(argument_spec=spec, supports_check_mode=True)
    try:
        result = run_all(module.client, module.params, module.check_mode)
    except OcpRegistryError as exc:
        module.fail_from(exc)
    for one in result.get("results") or [result]:
        removed = [c["registry"] for c in one["changes"] if c["action"] == "removed"]
        where = (one.get("namespace") or module.params.get("namespace") or GLOBAL[0],
                 one.get("name") or module.params.get("name") or GLOBAL[1])
        if module.params["exclusive"] and removed and where == GLOBAL:
            module.warn("exclusive removed %s from the global pull secret" % ", ".join(removed))
    module.exit_with(result)


if __name__ == "__main__":
    main()
