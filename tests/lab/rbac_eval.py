"""RBAC for the API emulator's integrated registry: what kube-apiserver's RBAC authorizer answers a
SubjectAccessReview, evaluated over the emulator's RoleBindings and ClusterRoleBindings and the roles the lab's
cluster starts with (controlplane/bootstrap.py). On the real control plane kube-apiserver answers instead."""

from __future__ import annotations

from . import kube
from .controlplane import bootstrap

RB = kube.find("rbac.authorization.k8s.io", "rolebindings")
CRB = kube.find("rbac.authorization.k8s.io", "clusterrolebindings")


def _roles():
    cluster, namespaced = {}, {}
    for path, obj in bootstrap.rbac_objects():
        meta = obj["metadata"]
        if path.endswith("/clusterroles"):
            cluster[meta["name"]] = obj.get("rules") or []
        elif path.endswith("/roles"):
            namespaced[(meta["namespace"], meta["name"])] = obj.get("rules") or []
    return cluster, namespaced


CLUSTER_ROLES, ROLES = _roles()


def bindings() -> list[tuple]:
    """(collection resource, object) of every binding the lab's cluster starts with."""
    return [(RB if "/namespaces/" in path else CRB, obj) for path, obj in bootstrap.rbac_objects()
            if path.endswith("bindings")]


def groups_of(user: str) -> list[str]:
    if user == "system:anonymous":
        return ["system:unauthenticated"]
    if user.startswith("system:serviceaccount:"):
        namespace = user.split(":")[2]
        return ["system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"]
    return ["system:authenticated"]


def _subject(subject: dict, user: str, groups: list[str]) -> bool:
    kind = subject.get("kind")
    if kind == "User":
        return subject.get("name") == user
    if kind == "Group":
        return subject.get("name") in groups
    if kind == "ServiceAccount":
        return user == "system:serviceaccount:%s:%s" % (subject.get("namespace"), subject.get("name"))
    return False


def _rule(rule: dict, verb: str, group: str, resource: str, name: str | None) -> bool:
    def has(values, value):
        return "*" in (values or []) or value in (values or [])
    if not (has(rule.get("verbs"), verb) and has(rule.get("apiGroups"), group) and has(rule.get("resources"), resource)):
        return False
    return not rule.get("resourceNames") or name in rule["resourceNames"]


def allowed(store, user: str, verb: str, group: str, resource: str, namespace: str | None,
            name: str | None = None) -> bool:
    groups = groups_of(user)
    candidates = [(b, None) for b in store.list(CRB)]
    if namespace:
        candidates += [(b, namespace) for b in store.list(RB, namespace)]
    for binding, where in candidates:
        if not any(_subject(s, user, groups) for s in binding.get("subjects") or []):
            continue
        ref = binding.get("roleRef") or {}
        rules = CLUSTER_ROLES.get(ref.get("name")) if ref.get("kind") == "ClusterRole" else \
            ROLES.get((where, ref.get("name")))
        if any(_rule(r, verb, group, resource, name) for r in rules or []):
            return True
    return False
