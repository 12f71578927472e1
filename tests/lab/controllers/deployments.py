"""The Deployment controller's part the lab needs: the registry Deployment's status after `operator_delay`."""

from __future__ import annotations

import time

from .base import NS_REGISTRY, R, Controller, condition


class DeploymentController(Controller):
    def __init__(self, lab):
        super().__init__(lab)
        self.timers: dict[str, float] = {}

    def reset(self):
        self.timers = {}

    def reconcile(self):
        self.sync_deployments()

    def sync_deployments(self):
        delay = float(self.lab.settings["operator_delay"])
        for deploy in self.store.list(R["deploy"], NS_REGISTRY):
            meta = deploy["metadata"]
            key = "deploy/%s/%s/%s" % (meta["name"], meta.get("uid"), meta["generation"])
            started = self.timers.setdefault(key, time.time())
            want = deploy["spec"].get("replicas", 1)
            ready = self.lab.settings["deployment_ready"] and time.time() - started >= delay

            def mutate(obj, want=want, ready=ready, gen=meta["generation"]):
                status = obj.setdefault("status", {})
                status["observedGeneration"] = gen
                status["replicas"] = want
                status["updatedReplicas"] = want if ready else 0
                status["readyReplicas"] = want if ready else 0
                status["availableReplicas"] = want if ready else 0
                previous = status.get("conditions")
                status["conditions"] = [
                    condition("Available", "True" if ready else "False",
                              "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                              "Deployment has minimum availability." if ready
                              else "Deployment does not have minimum availability.", previous),
                    condition("Progressing", "True", "NewReplicaSetAvailable" if ready else "ReplicaSetUpdated",
                              'ReplicaSet "image-registry-5d8f9c7b6d" has successfully progressed.' if ready
                              else 'ReplicaSet "image-registry-5d8f9c7b6d" is progressing.', previous)]
            self._update(R["deploy"], NS_REGISTRY, meta["name"], mutate)

    # the image registry operator
