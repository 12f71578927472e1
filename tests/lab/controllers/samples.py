"""The samples operator in the lab: `openshift/samples-registry-credentials` follows the global pull secret."""

from __future__ import annotations

from .base import R, Controller

SAMPLES_VERSION = "4.18.0"


class SamplesOperator(Controller):
    def reconcile(self):
        self.sync_samples_secret()

    def sync_samples_secret(self):
        samples = self.store.get(R["samples"], "", "cluster") or {}
        if samples.get("spec", {}).get("managementState") == "Unmanaged":
            return
        source = self.store.get(R["secret"], "openshift-config", "pull-secret")
        copy_ = self.store.get(R["secret"], "openshift", "samples-registry-credentials")
        if source is None:
            if copy_ is not None:
                self.store.delete(R["secret"], "openshift", "samples-registry-credentials")
            return
        if self.store.get(R["ns"], "", "openshift") is None:
            return
        wanted = {"type": source["type"], "data": source.get("data", {})}
        if copy_ is None:
            self.store.put(R["secret"], dict(wanted, metadata={
                "name": "samples-registry-credentials", "namespace": "openshift",
                "annotations": {"samples.operator.openshift.io/version": SAMPLES_VERSION}}))
        elif copy_.get("data") != wanted["data"] or copy_.get("type") != wanted["type"]:
            def mutate(obj):
                obj["data"] = wanted["data"]
            self._update(R["secret"], "openshift", "samples-registry-credentials", mutate)
