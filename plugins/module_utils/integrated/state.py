# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integrated registry's state as the image registry operator reports it: pure functions over the
operator config, its routes and images.config.openshift.io/cluster."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


BACKENDS = ("emptyDir", "pvc", "s3", "gcs", "azure", "swift", "ibmcos", "oss")
INTERNAL_HOSTNAME = "image-registry.openshift-image-registry.svc:5000"
NAMESPACE = "openshift-image-registry"
OWNER_ANNOTATION = "imageregistry.openshift.io"


def storage_kind(storage):
    """The configured backend's name, 'none', or 'multiple'."""
    configured = [b for b in BACKENDS if (storage or {}).get(b) is not None]
    if not configured:
        return "none"
    return configured[0] if len(configured) == 1 else "multiple"


def conditions_by_type(status):
    return dict((c.get("type"), c) for c in (status or {}).get("conditions") or [] if isinstance(c, dict))


def route_admitted(route):
    ingress = (route.get("status") or {}).get("ingress") or []
    if not ingress:
        return False
    for entry in ingress:
        for cond in entry.get("conditions") or []:
            if cond.get("type") == "Admitted" and cond.get("status") != "True":
                return False
    return True


def rollout_state(config, routes=None, image_config=None):
    """(rolled_out, reason): all the operator's signs that the registry really rolled out, or the first one missing."""
    spec = config.get("spec") or {}
    status = config.get("status") or {}
    state = spec.get("managementState")
    conds = conditions_by_type(status)
    generation = (config.get("metadata") or {}).get("generation")
    if status.get("observedGeneration") != generation:
        return False, "the operator has not observed generation %s yet (observedGeneration %s)" % (
            generation, status.get("observedGeneration"))
    if state == "Removed":
        removed = conds.get("Removed", {})
        if removed.get("status") == "True":
            return True, "the registry is removed"
        return False, _describe(conds.get("Progressing")) or "removal is in progress"
    if state == "Unmanaged":
        return True, "the registry is unmanaged: the operator does not change it"
    checks = (("Available", "True"), ("Progressing", "False"), ("Degraded", "False"), ("StorageExists", "True"))
    for ctype, wanted in checks:
        cond = conds.get(ctype)
        if cond is None or cond.get("status") != wanted:
            detail = ": " + _describe(cond) if cond else ""
            return False, "%s is %s%s" % (ctype, (cond or {}).get("status", "missing"), detail)
    if conds["Available"].get("reason") != "Ready" or conds["Progressing"].get("reason") != "Ready":
        return False, "the operator reports %s" % _describe(conds["Progressing"])
    if status.get("readyReplicas") != spec.get("replicas"):
        return False, "%s of %s replicas are ready" % (status.get("readyReplicas", 0), spec.get("replicas"))
    external = ((image_config or {}).get("status") or {}).get("externalRegistryHostnames") or []
    for route in routes or []:
        name = route["metadata"]["name"]
        host = (route.get("spec") or {}).get("host")
        if not route_admitted(route):
            return False, "route %s (host %s) is not admitted" % (name, host)
        if host and image_config is not None and host not in external:
            return False, "route %s host %s is not yet in images.config status" % (name, host)
    return True, _describe(conds["Available"]) or "The registry is ready"


def _describe(cond):
    if not cond:
        return ""
    parts = [p for p in (cond.get("reason"), cond.get("message")) if p]
    return ": ".join(parts)


def owned_routes(routes):
    return [r for r in routes if ((r.get("metadata") or {}).get("annotations") or {}).get(OWNER_ANNOTATION) == "true"]


def summary(config, routes=None, image_config=None):
    """The registry config without secrets (httpSecret is never returned)."""
    spec = config.get("spec") or {}
    status = config.get("status") or {}
    storage = dict((k, v) for k, v in (spec.get("storage") or {}).items() if k != "managementState")
    kind = storage_kind(storage)
    rolled_out, reason = rollout_state(config, routes, image_config)
    return dict(
        management_state=spec.get("managementState"),
        storage=dict(kind=kind, config=storage.get(kind) if kind not in ("none", "multiple") else None,
                     backends=sorted(storage) if kind == "multiple" else None,
                     management_state=(spec.get("storage") or {}).get("managementState"),
                     managed=status.get("storageManaged")),
        replicas=spec.get("replicas"),
        ready_replicas=status.get("readyReplicas"),
        rollout_strategy=spec.get("rolloutStrategy"),
        default_route=bool(spec.get("defaultRoute")),
        routes=[dict(name=r.get("name"), hostname=r.get("hostname"), secret_name=r.get("secretName"))
                for r in spec.get("routes") or []],
        generation=(config.get("metadata") or {}).get("generation"),
        observed_generation=status.get("observedGeneration"),
        conditions=[dict(type=c.get("type"), status=c.get("status"), reason=c.get("reason"), message=c.get("message"))
                    for c in status.get("conditions") or []],
        rolled_out=rolled_out,
        rolled_out_reason=reason,
    )


def hostnames(image_config, routes):
    """Internal and public hostnames from images.config status, and every admitted registry route."""
    status = (image_config or {}).get("status") or {}
    public = list(status.get("externalRegistryHostnames") or [])
    for route in routes:
        host = (route.get("spec") or {}).get("host")
        if host and route_admitted(route) and host not in public:
            public.append(host)
    return dict(internal=status.get("internalRegistryHostname") or None, public=public)


def failure_reason(config):
    """A condition that will not clear by waiting, in the operator's words, or None."""
    conds = conditions_by_type(config.get("status"))
    generation = (config.get("metadata") or {}).get("generation")
    if (config.get("status") or {}).get("observedGeneration") != generation:
        return None
    degraded = conds.get("Degraded") or {}
    permanent = ("VerificationFailed", "StorageNotConfigured", "ProgressDeadlineExceeded", "RouteDegraded", "RemoveFailed")
    if degraded.get("status") == "True" and degraded.get("reason") in permanent:
        return "Degraded %s: %s" % (degraded.get("reason"), degraded.get("message"))
    storage = conds.get("StorageExists") or {}
    if storage.get("status") == "False" and storage.get("reason") in ("PVC Issues Found", "PVC Already Exists",
                                                                      "Creation Failed"):
        return "StorageExists %s: %s" % (storage.get("reason"), storage.get("message"))
    return None
