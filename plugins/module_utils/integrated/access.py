# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may pull and push a namespace's images: RoleBindings (or ClusterRoleBindings) to OpenShift's image roles.

The integrated registry asks the API, for every request, whether the caller may `get` (pull) or `update` (push)
`imagestreams/layers` in the image's namespace; the roles below grant exactly that. Bindings are found, named and
changed the way `oc policy add-role-to-*` and `remove-role-from-*` do: a grant already held by any binding of the
role is not written again; a new binding takes the role's name, or the first free `<role>-<n>`; a revocation takes
the subject out of every binding of the role, and a binding left with no subject is deleted."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import re

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, Resource
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler

RBAC = "rbac.authorization.k8s.io"
ROLEBINDING = Resource(RBAC + "/v1", "rolebindings", "RoleBinding", True)
CLUSTERROLEBINDING = Resource(RBAC + "/v1", "clusterrolebindings", "ClusterRoleBinding", False)
CLUSTERROLE = Resource(RBAC + "/v1", "clusterroles", "ClusterRole", False)
# the image roles OpenShift ships, by short name
ROLES = {"puller": "system:image-puller", "pusher": "system:image-pusher", "builder": "system:image-builder",
         "viewer": "registry-viewer", "editor": "registry-editor", "admin": "registry-admin"}
# bindings openshift-controller-manager makes in every namespace; exclusive leaves them alone
DEFAULT_BINDINGS = ("system:image-pullers", "system:image-builders", "system:deployers")
AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate"
SA_USER = re.compile(r"^system:serviceaccount:([^:]*):([^:]*)$")
SA_GROUP = re.compile(r"^system:serviceaccounts:([^:]*)$")
PUBLIC_GROUPS = ("system:authenticated", "system:unauthenticated")


class AccessError(OcpRegistryError, ValueError):
    """Bad input, or a reference that does not exist; raised before any write."""


def role_name(value):
    """The ClusterRole a role option names (short names allowed), or an AccessError."""
    if value in ROLES:
        return ROLES[value]
    if value in ROLES.values():
        return value
    raise AccessError("role: %r is not one of OpenShift's image roles (%s, or their short names %s); nothing was sent"
                      % (value, ", ".join(sorted(ROLES.values())), ", ".join(sorted(ROLES))))


def _plain_name_error(kind, value):
    """OpenShift's rule for user and group names: not empty, no '/', '%' or whitespace, not '.' or '..'."""
    if not isinstance(value, str) or not value.strip():
        return "%s must not be empty" % kind
    if value in (".", "..") or re.search(r"[/%\s]", value):
        return "%s %r is not a valid name: no '/', '%%' or whitespace, and not '.' or '..'" % (kind, value)
    if len(value) > 253:
        return "%s %r is longer than 253 characters" % (kind, value[:40] + "...")
    return None


def _service_account(value, namespace):
    """(namespace, name) of `name`, `ns/name` or `system:serviceaccount:ns:name`, or an error string."""
    if not isinstance(value, str) or not value.strip():
        return None, "service account must not be empty"
    match = SA_USER.match(value)
    if match:
        ns, name = match.groups()
    elif "/" in value:
        ns, _sep, name = value.partition("/")
    else:
        ns, name = namespace, value
        if not ns:
            return None, ("service account %r needs its namespace (ns/name or system:serviceaccount:ns:name) for a "
                          "cluster-wide grant" % value)
    problem = names.kube_name_error("namespace of service account %r" % value, ns) or \
        names.kube_name_error("service account %r" % value, name, subdomain=True)
    return ((ns, name), None) if not problem else (None, problem)


def subjects_from(params, namespace):
    """The RBAC subjects the options name, in order, without duplicates; AccessError names every bad one."""
    errors, subjects = [], []

    def add(subject):
        if subject not in subjects:
            subjects.append(subject)
    for user in params.get("users") or []:
        match = SA_USER.match(user) if isinstance(user, str) else None
        if match:
            found, problem = _service_account(user, namespace)
            if problem:
                errors.append("users: " + problem)
            else:
                add(("ServiceAccount", found[1], found[0]))
            continue
        problem = _plain_name_error("user", user)
        if problem:
            errors.append("users: " + problem)
        else:
            add(("User", user, ""))
    for value in params.get("service_accounts") or []:
        found, problem = _service_account(value, namespace)
        if problem:
            errors.append("service_accounts: " + problem)
        else:
            add(("ServiceAccount", found[1], found[0]))
    for group in params.get("groups") or []:
        problem = _plain_name_error("group", group)
        match = SA_GROUP.match(group) if not problem else None
        if match:
            problem = names.kube_name_error("namespace of group %r" % group, match.group(1))
        if problem:
            errors.append("groups: " + problem)
        else:
            add(("Group", group, ""))
    if errors:
        raise AccessError("; ".join(errors) + "; nothing was sent")
    return subjects


def subject_key(subject):
    return (subject.get("kind"), subject.get("name"),
            subject.get("namespace") or "" if subject.get("kind") == "ServiceAccount" else "")


def subject_text(key):
    kind, name, namespace = key
    if kind == "ServiceAccount":
        return "ServiceAccount %s/%s" % (namespace, name)
    return "%s %s" % (kind, name)


def subject_body(key):
    kind, name, namespace = key
    if kind == "ServiceAccount":
        return {"kind": kind, "name": name, "namespace": namespace}
    return {"kind": kind, "apiGroup": RBAC, "name": name}


def unique_name(base, taken):
    """oc's rule: the role's name, else the first free <role>-<n> for n in 0..99."""
    if base not in taken:
        return base
    for index in range(100):
        candidate = "%s-%d" % (base, index)
        if candidate not in taken:
            return candidate
    raise AccessError("every name from %s to %s-99 is taken by a binding; give binding_name" % (base, base))


def validate(params):
    """Everything that needs no request; returns (ClusterRole name, namespace or None, subjects)."""
    role = role_name(params.get("role"))
    namespace = params.get("namespace")
    errors = []
    if params.get("cluster_wide"):
        if namespace:
            errors.append("namespace and cluster_wide: give one (cluster_wide binds the role in every namespace)")
        namespace = None
    elif not namespace:
        errors.append("namespace: required unless cluster_wide is true")
    else:
        problem = names.kube_name_error("namespace", namespace)
        if problem:
            errors.append("namespace: " + problem)
    if params.get("binding_name") is not None:
        # RBAC object names are path segments: ':' is allowed (system:image-puller), '/' and '%' are not
        problem = _plain_name_error("binding_name", params["binding_name"])
        if problem:
            errors.append("binding_name: " + problem)
    if params.get("exclusive") and params.get("state") == "absent":
        errors.append("exclusive: only with state present (absent takes the given subjects out)")
    if errors:
        raise AccessError("; ".join(errors) + "; nothing was sent")
    subjects = subjects_from(params, namespace)
    if not subjects and not (params.get("exclusive") and params.get("state") == "present"):
        raise AccessError("give users, service_accounts or groups (or exclusive with none, to revoke the role from "
                          "everyone it names); nothing was sent")
    return role, namespace, subjects


class Access(Reconciler):
    """Grant or revoke one image role in one namespace (or cluster-wide) to the subjects the options name."""
    error = AccessError
    subject = "the role bindings"

    def validate(self):
        self.role, self.namespace, self.wanted = validate(self.params)
        self.resource = ROLEBINDING if self.namespace else CLUSTERROLEBINDING

    def prepare(self):
        self._check_references(self.namespace, self.wanted)
        # a conflict can come after an attempt wrote some bindings: those writes stay in the result (the next
        # attempt finds them done), and the bindings are compared with what the first attempt read
        self._done = []
        self._first_before = {}
        self.after = {}

    def attempt(self):
        self.after = self._reconcile(self.resource, self.role, self.namespace, self.wanted)

    def outcome(self):
        role, namespace = self.role, self.namespace
        before, after = self._first_before, self.after
        actions = [a for i, a in enumerate(self._done) if not any(b["name"] == a["name"] for b in self._done[i + 1:])]
        granted = sorted(set(_all(after)) - set(_all(before)))
        revoked = sorted(set(_all(before)) - set(_all(after)))
        where = namespace or "every namespace"
        words = []
        if granted:
            words.append("granted to " + ", ".join(subject_text(k) for k in granted))
        if revoked:
            words.append("revoked from " + ", ".join(subject_text(k) for k in revoked))
        summary = "%s %s: %s" % (where, role, "; ".join(words) or "no change")
        return dict(
            changed=bool(actions), role=role, namespace=namespace, cluster_wide=namespace is None,
            summary=summary,
            subjects=[subject_text(k) for k in _all(after)], granted=[subject_text(k) for k in granted],
            revoked=[subject_text(k) for k in revoked], bindings=actions,
            diff=dict(before=dict((n, [subject_text(k) for k in s]) for n, s in sorted(before.items())),
                      after=dict((n, [subject_text(k) for k in s]) for n, s in sorted(after.items()))))

    def _check_references(self, namespace, wanted):
        """The namespace must exist, and so must every namespace a service account (or its group) is in."""
        needed = []
        if namespace:
            needed.append((namespace, "the namespace"))
        for kind, name, sa_ns in wanted:
            if kind == "ServiceAccount" and sa_ns != namespace:
                needed.append((sa_ns, "the namespace of service account %s/%s" % (sa_ns, name)))
            match = SA_GROUP.match(name) if kind == "Group" else None
            if match and match.group(1) != namespace:
                needed.append((match.group(1), "the namespace of group %s" % name))
        seen = set()
        for ns, what in needed:
            if ns in seen:
                continue
            seen.add(ns)
            if self.client.get(RESOURCES["namespace"], ns, missing_ok=True) is None:
                raise AccessError("%s %s does not exist; nothing was written" % (what, ns))
        if self.params.get("state") == "absent":
            return
        for kind, name, sa_ns in wanted:
            if kind == "ServiceAccount" and \
                    self.client.get(RESOURCES["serviceaccount"], name, sa_ns, missing_ok=True) is None:
                self.warn("service account %s/%s does not exist (yet): the grant applies once it is made" % (sa_ns, name))
            if kind == "Group" and name == "system:unauthenticated" and self.params.get("state") == "present":
                self.warn("%s lets anyone who reaches the registry use %s without credentials"
                          % (name, "these images" if namespace else "every image in the cluster"))

    def _reconcile(self, resource, role, namespace, wanted):
        listed = self.client.list(resource, namespace)
        items = listed.get("items") or []
        taken = set(i["metadata"]["name"] for i in items)
        binding_name = self.params.get("binding_name")
        of_role = [i for i in items if _binds(i, role)]
        if binding_name:
            named = next((i for i in items if i["metadata"]["name"] == binding_name), None)
            if named is not None and named not in of_role:
                raise AccessError("binding %s exists for %s %s, not for %s; nothing was written"
                                  % (binding_name, named["roleRef"].get("kind"), named["roleRef"].get("name"), role))
        by_name = dict((i["metadata"]["name"], i) for i in of_role)
        before = dict((i["metadata"]["name"], [subject_key(s) for s in i.get("subjects") or []]) for i in of_role)
        for name, keys in before.items():
            self._first_before.setdefault(name, keys)
        after = copy.deepcopy(before)
        state = self.params.get("state")
        scope = [binding_name] if binding_name and state == "absent" else list(before)
        if state == "absent":
            for name in scope:
                if name in after:
                    after[name] = [k for k in after[name] if k not in wanted]
        else:
            held = set(_all(before))
            missing = [k for k in wanted if k not in held]
            if missing:
                target = binding_name or unique_name(role, taken)
                after[target] = after.get(target, []) + missing
            if self.params.get("exclusive"):
                # OpenShift's own bindings stay: the namespace defaults, and any binding the API server reconciles
                # (autoupdate "true", as the cluster's bootstrap ClusterRoleBindings are)
                own = set(n for n in after if _openshifts_own(n, by_name.get(n)))
                for name in after:
                    if name not in own:
                        after[name] = [k for k in after[name] if k in wanted]
                kept = sorted(n for n in own if after[n])
                note = "exclusive left OpenShift's own binding(s) %s alone: %s" \
                    % (", ".join(kept), ", ".join(subject_text(k) for n in kept for k in after[n]))
                if kept and note not in self.notes:
                    self.notes.append(note)
        for name in sorted(after):
            if name in by_name and after[name] == before[name]:
                continue
            self._done.append(self._write(resource, role, namespace, name, by_name.get(name), after[name]))
        # what stays: a binding deleted for having no subject left is gone
        return dict((n, s) for n, s in after.items() if s or (n in by_name and _keeps_empty(by_name[n])))

    def _write(self, resource, role, namespace, name, live, subjects):
        body_subjects = [subject_body(k) for k in subjects]
        if live is None:
            body = {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": {"name": name},
                    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role}, "subjects": body_subjects}
            if namespace:
                body["metadata"]["namespace"] = namespace
            if self.client.get(CLUSTERROLE, role, missing_ok=True) is None:
                self.warn("ClusterRole %s does not exist on this cluster: the binding grants nothing until it does"
                          % role)
            self.create(resource, body, namespace)
            return dict(name=name, action="created", subjects=[subject_text(k) for k in subjects])
        if not subjects and not _keeps_empty(live):
            self.delete(resource, name, namespace)
            return dict(name=name, action="deleted", subjects=[])
        body = copy.deepcopy(live)
        body["subjects"] = _merge_bodies(live.get("subjects") or [], subjects)
        self.replace(resource, body, namespace)
        if _annotations(live).get(AUTOUPDATE) == "true":
            self.warn("binding %s is reconciled by the cluster (%s=true): the API server may put back what this task "
                      "changed when it restarts" % (name, AUTOUPDATE))
        return dict(name=name, action="updated", subjects=[subject_text(k) for k in subjects])


def _binds(binding, role):
    """Whether a binding's roleRef is the ClusterRole role."""
    ref = binding.get("roleRef") or {}
    return ref.get("kind") == "ClusterRole" and ref.get("name") == role


def _openshifts_own(name, binding):
    """A binding exclusive leaves alone: a namespace default, or one the API server reconciles."""
    return name in DEFAULT_BINDINGS or _annotations(binding).get(AUTOUPDATE) == "true"


def _annotations(binding):
    return ((binding or {}).get("metadata") or {}).get("annotations") or {}


def _keeps_empty(binding):
    """oc keeps a binding with no subject left when the cluster's reconciliation of it is off."""
    return _annotations(binding).get(AUTOUPDATE) == "false"


def _merge_bodies(live_subjects, keys):
    """The live subjects that stay, as they were written (other fields kept), then the new ones."""
    out = [s for s in live_subjects if subject_key(s) in keys]
    present = [subject_key(s) for s in out]
    return out + [subject_body(k) for k in keys if k not in present]


def _all(bindings):
    out = []
    for name in sorted(bindings):
        for key in bindings[name]:
            if key not in out:
                out.append(key)
    return out
