"""What every lab controller shares: the resource table, conditions, and a small store interface.

A controller reads and writes cluster objects only through `Controller.get/list/put/delete/update`, so the
API emulator stays generic and each OpenShift component lives in a file of its own.
"""

from __future__ import annotations

import copy

from .. import kube

NS_REGISTRY = "openshift-image-registry"
NS_CONFIG = "openshift-config"
INTERNAL_HOSTNAME = "image-registry.openshift-image-registry.svc:5000"
OWNER_ANNOTATION = "imageregistry.openshift.io"

R = {name: kube.find(group, plural) for name, (group, plural) in {
    "ns": ("", "namespaces"), "secret": ("", "secrets"), "cm": ("", "configmaps"), "sa": ("", "serviceaccounts"),
    "pvc": ("", "persistentvolumeclaims"), "svc": ("", "services"), "deploy": ("apps", "deployments"),
    "cronjob": ("batch", "cronjobs"), "sts": ("apps", "statefulsets"), "ds": ("apps", "daemonsets"),
    "route": ("route.openshift.io", "routes"), "is": ("image.openshift.io", "imagestreams"),
    "isi": ("image.openshift.io", "imagestreamimports"), "istag": ("image.openshift.io", "imagestreamtags"),
    "image": ("image.openshift.io", "images"), "bc": ("build.openshift.io", "buildconfigs"),
    "build": ("build.openshift.io", "builds"), "imagecfg": ("config.openshift.io", "images"),
    "co": ("config.openshift.io", "clusteroperators"), "idms": ("config.openshift.io", "imagedigestmirrorsets"),
    "itms": ("config.openshift.io", "imagetagmirrorsets"), "cv": ("config.openshift.io", "clusterversions"),
    "registry": ("imageregistry.operator.openshift.io", "configs"),
    "pruner": ("imageregistry.operator.openshift.io", "imagepruners"),
    "samples": ("samples.operator.openshift.io", "configs"),
    "icsp": ("operator.openshift.io", "imagecontentsourcepolicies"),
    "mcp": ("machineconfiguration.openshift.io", "machineconfigpools"),
    "rb": ("rbac.authorization.k8s.io", "rolebindings"), "crb": ("rbac.authorization.k8s.io", "clusterrolebindings"),
}.items()}


def condition(ctype, status, reason="", message="", previous=None):
    """A status condition that keeps its lastTransitionTime while its status stays the same."""
    old = next((c for c in previous or [] if c.get("type") == ctype), None)
    when = old["lastTransitionTime"] if old and old.get("status") == status else kube.now()
    return {"type": ctype, "status": status, "lastTransitionTime": when, "reason": reason, "message": message}


class Controller:
    """One OpenShift component of the lab. Subclasses implement reset() and reconcile()."""

    def __init__(self, lab):
        self.lab = lab
        self.store: kube.Store = lab.store

    @property
    def settings(self) -> dict:
        return self.lab.settings

    def reset(self):
        """Forget in-memory state (timers, caches) when the lab goes back to its initial objects."""

    def reconcile(self):
        """One pass of the control loop."""

    def get(self, kind, ns, name):
        return self.store.get(R[kind], ns, name)

    def list(self, kind, ns=None):
        return self.store.list(R[kind], ns)

    def put(self, kind, obj, previous=None):
        return self.store.put(R[kind], obj, previous=previous)

    def delete(self, kind, ns, name):
        return self.store.delete(R[kind], ns, name)

    def update(self, kind, ns, name, mutate):
        return self._update(R[kind], ns, name, mutate)

    def _update(self, res, ns, name, mutate):
        """Re-read under the store lock and write only what mutate changed (the controller's own update)."""
        with self.store.lock:
            current = self.store.get(res, ns, name)
            if current is None:
                return None
            updated = copy.deepcopy(current)
            mutate(updated)
            if updated == current:
                return current
            return self.store.put(res, updated, previous=current)
