"""The machine config operator and node-ca in the lab: what the nodes get from the cluster's configuration.

A change to the global pull secret, images.config registrySources or any ICSP/IDMS/ITMS renders a new
MachineConfig for each pool; the pools go Updating for `mco_delay` seconds, then Updated on the new rendered
config. The files a node holds (registries.conf, policy.json, the kubelet's config.json) are those of the
configuration its pool has rolled out; node-ca's certs.d follows image-registry-certificates at once.
Rules from openshift/machine-config-operator `pkg/controller/container-runtime-config` and
openshift/runtime-utils `pkg/registries`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time

from .. import kube, registries_conf
from .base import NS_CONFIG, NS_REGISTRY, R, Controller, condition

POOLS = {"master": 3, "worker": 2}
REGISTRIES_CONF = "/etc/containers/registries.conf"
SEARCH_DROP_IN = "/etc/containers/registries.conf.d/01-image-searchRegistries.conf"
POLICY_JSON = "/etc/containers/policy.json"
KUBELET_CONFIG = "/var/lib/kubelet/config.json"
TEMPLATE_REGISTRIES = "unqualified-search-registries = ['registry.access.redhat.com', 'docker.io']\n"
ACCEPT = [{"type": "insecureAcceptAnything"}]
REJECT = [{"type": "reject"}]
RELEASE_IMAGE = "quay.io/openshift-release-dev/ocp-release@sha256:" + "5" * 64


class MachineConfigOperator(Controller):
    def __init__(self, lab):
        super().__init__(lab)
        self.rendered: dict[str, dict] = {}
        self.log: list[str] = []
        self.timers: dict[str, float] = {}

    def reset(self):
        self.rendered, self.log, self.timers = {}, [], {}

    # ------------------------------------------------------------ rendering
    def render(self) -> tuple[str, dict]:
        """(content hash, {path: content}) for the cluster's current configuration."""
        image_config = self.get("imagecfg", "", "cluster") or {}
        sources = (image_config.get("spec") or {}).get("registrySources") or {}
        idms, itms, icsp = self.list("idms"), self.list("itms"), self.list("icsp")
        pull = self.get("secret", NS_CONFIG, "pull-secret") or {}
        version = self.get("cv", "", "version") or {}
        release = ((version.get("status") or {}).get("desired") or {}).get("image", "")
        files = {}
        blocked, policy_blocked, allowed = self._blocked_and_allowed(release, sources, idms, icsp)
        insecure = sources.get("insecureRegistries") or []
        if insecure or blocked or idms or itms or icsp:
            entries = registries_conf.edit_registries(insecure, blocked,
                                                      registries_conf.digest_mirror_entries(idms, icsp),
                                                      registries_conf.tag_mirror_entries(itms))
            files[REGISTRIES_CONF] = registries_conf.render(entries, registries_conf.BASE_SEARCH)
        else:
            files[REGISTRIES_CONF] = TEMPLATE_REGISTRIES
        search = sources.get("containerRuntimeSearchRegistries")
        if search:
            files[SEARCH_DROP_IN] = registries_conf.render([], search)
        files[POLICY_JSON] = self._policy(policy_blocked, allowed)
        data = kube.decode_secret_data(pull.get("data"))
        files[KUBELET_CONFIG] = data.get(".dockerconfigjson", b"").decode(errors="replace")
        digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:32]
        return digest, files

    def _blocked_and_allowed(self, release, sources, idms, icsp):
        """The blocked scopes for registries.conf and policy.json, and the allowed ones: a blocked scope that
        holds the release payload is dropped unless a mirror the cluster may use serves the payload."""
        blocked_in = sources.get("blockedRegistries") or []
        allowed_in = sources.get("allowedRegistries") or []
        if not release:
            return blocked_in, blocked_in, allowed_in
        payload = release.split("@", 1)[0].rsplit(":", 1)[0] if "@" not in release else release.split("@", 1)[0]
        blocked, policy_blocked, allowed, refused = [], [], [], []
        for scope in blocked_in:
            if not registries_conf.scope_nested(payload, scope):
                blocked.append(scope)
                policy_blocked.append(scope)
                continue
            probe = registries_conf.edit_registries(sources.get("insecureRegistries") or [], blocked_in,
                                                    registries_conf.digest_mirror_entries(idms, icsp), [])
            usable = [s for s in registries_conf.pull_sources(probe, payload, True)
                      if not any(registries_conf.scope_nested(s["name"], b) for b in blocked_in)]
            if not usable:
                refused.append(scope)
                continue
            blocked.append(scope)
            if payload != scope:
                policy_blocked.append(scope)
            allowed.append(payload)
        if refused:
            line = ("error adding [%s] to blocked registries, cannot block the repository being used by the payload, "
                    "skipping...." % " ".join(json.dumps(s) for s in refused))
            if not self.log or self.log[-1] != line:
                self.log.append(line)
        return blocked, policy_blocked, allowed + allowed_in

    @staticmethod
    def _policy(blocked, allowed) -> str:
        policy = {"default": ACCEPT, "transports": {"docker-daemon": {"": ACCEPT}}}
        if not blocked and not allowed:
            return json.dumps(policy, indent=4) + "\n"
        scopes = {}
        if allowed:
            policy["default"] = REJECT
            scopes.update({scope: ACCEPT for scope in allowed})
        if blocked:
            policy["default"] = ACCEPT
            scopes.update({scope: REJECT for scope in blocked})
        policy["transports"]["docker"] = scopes
        policy["transports"]["atomic"] = {k: v for k, v in scopes.items() if k.count("/") < 3}
        return json.dumps(policy, indent=2, sort_keys=True)

    # ------------------------------------------------------------ pools
    def reconcile(self):
        digest, files = self.render()
        delay = float(self.settings.get("mco_delay", 1.0))
        for pool, machines in POOLS.items():
            name = "rendered-%s-%s" % (pool, digest)
            self.rendered.setdefault(name, files)
            current = self.get("mcp", "", pool)
            if current is None:
                continue
            wanted = (current.get("spec") or {}).get("configuration", {}).get("name")
            if wanted != name:
                def retarget(obj, name=name, pool=pool):
                    obj.setdefault("spec", {})["configuration"] = {"name": name, "source": [
                        {"apiVersion": "machineconfiguration.openshift.io/v1", "kind": "MachineConfig",
                         "name": "99-%s-generated-registries" % pool}]}
                current = self.update("mcp", "", pool, retarget)
                # a fresh cluster starts rolled out; later changes take mco_delay seconds
                self.timers[pool] = time.time() if wanted else 0.0
            started = self.timers.get(pool, 0.0)
            target = current["spec"]["configuration"]
            done = (current.get("status") or {}).get("configuration", {}).get("name") == target["name"] or \
                time.time() - started >= delay

            def mutate(obj, done=done, target=target, machines=machines):
                status = obj.setdefault("status", {})
                previous = status.get("conditions")
                updated = machines if done else 0
                line = "MachineConfig " + target["name"]
                if done:
                    status["configuration"] = copy.deepcopy(target)
                status.update(observedGeneration=obj["metadata"].get("generation", 1), machineCount=machines,
                              readyMachineCount=updated, updatedMachineCount=updated, degradedMachineCount=0,
                              unavailableMachineCount=0 if done else 1)
                status["conditions"] = [
                    condition("RenderDegraded", "False", "", "", previous),
                    condition("NodeDegraded", "False", "", "", previous),
                    condition("Degraded", "False", "", "", previous),
                    condition("Updated", "True" if done else "False", "",
                              "All nodes are updated with " + line if done else "", previous),
                    condition("Updating", "False" if done else "True", "",
                              "" if done else "All nodes are updating to " + line, previous)]
            self.update("mcp", "", pool, mutate)

    # ------------------------------------------------------------ what a node holds
    def node_files(self, pool: str = "worker") -> dict:
        current = self.get("mcp", "", pool) or {}
        name = ((current.get("status") or {}).get("configuration") or {}).get("name", "")
        files = dict(self.rendered.get(name) or self.render()[1])
        certs = self.get("cm", NS_REGISTRY, "image-registry-certificates") or {}
        for key, pem in sorted((certs.get("data") or {}).items()):
            host = key[::-1].replace("..", ":", 1)[::-1] if ".." in key else key
            files["/etc/docker/certs.d/%s/ca.crt" % host] = pem
        return {"pool": pool, "renderedConfig": name, "files": files, "log": list(self.log)}


def initial_objects() -> list[tuple]:
    """The pools and ClusterVersion of a fresh cluster (the pools pick up their rendered config at once)."""
    installed = "2026-11-02T08:00:00Z"
    objs = [(R["cv"], {"metadata": {"name": "version"},
                       "spec": {"channel": "stable-4.21", "clusterID": "6b3c4a5e-1ab0-4c1b-9a43-0cf8e0d0b4a1"},
                       "status": {"desired": {"image": RELEASE_IMAGE, "version": "4.21.3"},
                                  "history": [{"state": "Completed", "image": RELEASE_IMAGE, "version": "4.21.3",
                                               "verified": False, "startedTime": installed,
                                               "completionTime": installed}],
                                  "availableUpdates": None, "observedGeneration": 1,
                                  "versionHash": "lab-4.21.3"}})]
    for pool, machines in POOLS.items():
        objs.append((R["mcp"], {"metadata": {"name": pool, "labels": {
            "machineconfiguration.openshift.io/mco-built-in": "", "pools.operator.machineconfiguration.openshift.io/"
            + pool: ""}},
            "spec": {"machineConfigSelector": {"matchLabels": {
                "machineconfiguration.openshift.io/role": pool}},
                "nodeSelector": {"matchLabels": {"node-role.kubernetes.io/" + pool: ""}},
                "paused": False, "configuration": {"name": ""}},
            "status": {"machineCount": machines, "conditions": []}}))
    return objs
