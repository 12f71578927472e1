#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: registry_access
short_description: Who may pull and push a namespace's images in the integrated registry
version_added: 1.0.0
description:
  - Grants and revokes OpenShift's image roles in a namespace (RoleBindings) or in every namespace (ClusterRoleBindings)
    to users, groups and service accounts, as C(oc policy add-role-to-user), C(add-role-to-group) and
    C(remove-role-from-*) do. The integrated registry asks the API server for every pull (C(get) on
    C(imagestreams/layers) in the image's namespace) and push (C(update)), so a grant applies at the next request.
  - Bindings are found and named as C(oc) does. A subject that any binding of the role already holds is not written
    again, so a run with nothing to change sends no write. A grant goes into O(binding_name) when given, otherwise into
    a new binding named after the role (V(system:image-puller), then V(system:image-puller-0) and so on, the first name
    that is free). A revocation takes the subjects out of every binding of the role (only O(binding_name) when
    given); a binding left with no subject is deleted, unless its
    C(rbac.authorization.kubernetes.io/autoupdate) annotation is V(false).
  - Other subjects and other bindings are never touched, except by O(exclusive).
  - Every name is checked before the first request. The namespace must exist, and so must the namespace of every
    service account named (and of every C(system:serviceaccounts:<namespace>) group); a service account that does
    not exist yet only draws a warning, as the grant applies once it is made.
  - Check mode sends each write as a server-side dry run.
author:
  - ocp.registry contributors (@ocp-registry)
extends_documentation_fragment:
  - ocp.registry.cluster
  - ocp.registry.attributes
  - ocp.registry.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Each write is sent as a server-side dry run; what the result reports is what the server accepted.
  diff_mode:
    support: full
    details: The subjects of each binding of the role, before and after.
  idempotent:
    support: full
options:
  namespace:
    description:
      - The namespace whose images the grant is for. Required unless O(cluster_wide) is true.
    type: str
  cluster_wide:
    description:
      - Grant the role in every namespace, with a ClusterRoleBinding (C(oc adm policy add-cluster-role-to-user)).
    type: bool
    default: false
  role:
    description:
      - The image role, by its ClusterRole name or its short name.
      - V(system:image-puller) (V(puller)) pulls; V(system:image-pusher) (V(pusher)) pulls and pushes;
        V(system:image-builder) (V(builder)) pulls, pushes and creates image streams, as builds do;
        V(registry-viewer) (V(viewer)), V(registry-editor) (V(editor)) and V(registry-admin) (V(admin)) are the
        roles of registry users who also read, change or administer the image streams themselves.
      - The result's RV(role) is always the ClusterRole name.
    type: str
    required: true
  users:
    description:
      - User names. A service account's user name (C(system:serviceaccount:<namespace>:<name>)) is taken as that
        service account.
    type: list
    elements: str
    default: []
  service_accounts:
    description:
      - Service accounts, as C(<name>) (in O(namespace)), C(<namespace>/<name>) or
        C(system:serviceaccount:<namespace>:<name>). A cluster-wide grant needs the namespace.
    type: list
    elements: str
    default: []
  groups:
    description:
      - Group names. All service accounts of a namespace are the group C(system:serviceaccounts:<namespace>).
      - V(system:authenticated) makes the images readable by every user and service account that logs in;
        V(system:unauthenticated) by anyone who reaches the registry, without credentials (the module warns).
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) grants the role to the subjects, V(absent) revokes it from them.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), the subjects given are the only ones the role is bound to in the namespace (or
        cluster-wide); every other subject is taken out of the role's bindings, and bindings left empty are deleted.
      - The bindings OpenShift makes in every namespace (C(system:image-pullers), C(system:image-builders),
        C(system:deployers)) and any binding the API server reconciles (annotated
        C(rbac.authorization.kubernetes.io/autoupdate=true), as the cluster's bootstrap ClusterRoleBindings are) are
        left alone, so that a namespace's own service accounts keep pulling its images; the result's RV(notes) names
        what they still grant.
      - With no subject given, revokes the role from everyone else it names.
    type: bool
    default: false
  binding_name:
    description:
      - The binding to add the subjects to (made when missing), or the only one to take them out of; as
        C(oc policy --rolebinding-name). A binding of that name for another role is an error.
    type: str
notes:
  - A user needs to be allowed to bind the role (C(bind) on the ClusterRole, or hold its permissions) in the
    namespace; a namespace's C(admin) may.
seealso:
  - module: ocp.registry.registry_login
  - module: ocp.registry.pull_secret
"""

EXAMPLES = r"""
- name: Let every service account of project b pull project a's images
  ocp.registry.registry_access:
    namespace: a
    role: puller
    groups:
      - system:serviceaccounts:b

- name: Let the CI pipeline's service account push into project a
  ocp.registry.registry_access:
    namespace: a
    role: pusher
    service_accounts:
      - ci/pipeline

- name: Make project base-images readable by every logged-in user and service account
  ocp.registry.registry_access:
    namespace: base-images
    role: system:image-puller
    groups:
      - system:authenticated

- name: Take it back
  ocp.registry.registry_access:
    namespace: base-images
    role: puller
    groups:
      - system:authenticated
    state: absent

- name: Only the release team may push into project releases, and nobody else granted by a binding
  ocp.registry.registry_access:
    namespace: releases
    role: pusher
    groups:
      - release-team
    exclusive: true
"""

RETURN = r"""
role:
  description: The ClusterRole granted or revoked.
  returned: always
  type: str
  sample: system:image-puller
namespace:
  description: The namespace, or null for a cluster-wide grant.
  returned: always
  type: str
cluster_wide:
  description: Whether the bindings are ClusterRoleBindings.
  returned: always
  type: bool
subjects:
  description: Every subject the role is bound to in the namespace afterwards (in check mode, would be).
  returned: always
  type: list
  elements: str
  sample: ["Group system:serviceaccounts:b", "ServiceAccount ci/pipeline", "User alice"]
summary:
  description: The change in words (in check mode, the change it would make).
  returned: always
  type: str
  sample: "lab-apps system:image-puller: granted to Group system:serviceaccounts:b"
granted:
  description: Subjects that now hold the role and did not before.
  returned: always
  type: list
  elements: str
revoked:
  description: Subjects that held the role and no longer do.
  returned: always
  type: list
  elements: str
bindings:
  description: The bindings written (in check mode, that would be), each with what it was done to and its subjects.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "system:image-puller", "action": "created", "subjects": ["Group system:serviceaccounts:b"]}]
notes:
  description: What the module noticed, in words.
  returned: always
  type: list
  elements: str
conflicts_retried:
  description: How many times a binding changed between this task's read and its write, and was read again.
  returned: always
  type: int
api_requests:
  description: Requests sent to the API server.
  returned: always
  type: int
"""

from ansible_collections.ocp.registry.plugins.module_utils.integrated import access as registry_access
from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule


def argument_spec():
    return dict(
        namespace=dict(type="str"), cluster_wide=dict(type="bool", default=False),
        role=dict(type="str", required=True),
        users=dict(type="list", elements="str", default=[]),
        service_accounts=dict(type="list", elements="str", default=[]),
        groups=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        exclusive=dict(type="bool", default=False), binding_name=dict(type="str"),
    )


def main():
    module = ClusterModule(argument_spec=argument_spec(), supports_check_mode=True)
    module.run(lambda: registry_access.Access(module.client, module.params, module.check_mode, module.warn).run())


if __name__ == "__main__":
    main()
