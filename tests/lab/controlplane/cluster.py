"""A lab cluster on a real control plane: the lab daemon's view of its kube-apiserver.

It bootstraps the API server (OpenShift's CRDs, RBAC), gives the lab's controllers their store (`HybridStore`:
informer-backed on the real server, image.openshift.io in the lab), answers who a token is and what it may do by
asking the real server, and resets the cluster to its first state for the next test: objects a test made are
deleted, objects it changed are written back as they were (status through the status subresource)."""

from __future__ import annotations

import copy
import json
import time

from .. import kube, openshift
from ..kube import ApiError
from . import bootstrap
from .front import DelegatedUsers, Upstream
from .remote import LOCAL_GROUPS, Client, HybridStore, RemoteStore, object_path

# what kube-apiserver and kube-controller-manager make and keep themselves: a reset leaves them alone
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
MANAGED = {("", "configmaps"): ("kube-root-ca.crt",), ("", "serviceaccounts"): ("default",)}
KEEP_META = ("name", "namespace", "labels", "annotations", "ownerReferences", "finalizers")


def _content(obj: dict) -> dict:
    """An object as a reset compares and writes it: the user-set metadata and everything else."""
    clone = copy.deepcopy(obj)
    meta = clone.get("metadata") or {}
    clone["metadata"] = {k: meta[k] for k in KEEP_META if meta.get(k) not in (None, {}, [])}
    return clone


class RealCluster:
    def __init__(self, lab, config: dict):
        self.lab = lab
        self.config = config
        self.client = Client(config["url"], lab.ca_file, config["controllers_token"])
        bootstrap.wait_ready(self.client, timeout=float(config.get("ready_timeout", 90)))
        self.crds = bootstrap.install_crds(self.client, config["crd_dir"])
        bootstrap.install_rbac(self.client, namespaced=False)
        watched = [r for r in kube.RESOURCES if r.group not in LOCAL_GROUPS]
        self.remote = RemoteStore(self.client, watched)
        self.remote.start()
        self.store = HybridStore(kube.Store(), self.remote)
        self.users = DelegatedUsers(self.client, {token: user for user, token in lab.config["tokens"].items()})
        self.upstream = Upstream(config["url"], lab.ca_file)
        self.baseline: dict | None = None

    def reset(self):
        lab = self.lab
        with self.store.lock:
            self.store.local.objects = {r: {} for r in kube.RESOURCES}
            lab.openshift.reset()
            lab.settings.clear()
            lab.settings.update(openshift.DEFAULT_SETTINGS)
            lab.settings.update(lab.config.get("settings") or {})
            if self.baseline is None:
                self._seed()
            else:
                self._restore()
            for res, obj in openshift.initial_objects(lab.config["registries"], lab.service_ca, lab.ingress_ca):
                if res.group in LOCAL_GROUPS:
                    self.store.local.put(res, obj)
            lab.openshift.reconcile()
            if self.baseline is None:
                self.baseline = {res: copy.deepcopy(items) for res, items in self.remote.cache.items()}
        lab.log.clear()
        with lab.faults.lock:
            lab.faults.rules = []

    def observe_write(self, method: str, info: dict, answer: bytes):
        """A write the front passed on: its answer goes into the controllers' cache at once."""
        res = BY_QUALIFIED.get(info.get("resource"))
        if res is None or res not in self.remote.cache or info.get("subresource") not in (None, "status"):
            return
        try:
            obj = json.loads(answer)
        except ValueError:
            return
        if obj.get("kind") == "Status":
            if method == "DELETE" and info.get("name"):
                with self.remote.lock:
                    self.remote.cache[res].pop(((info.get("namespace") or "") if res.namespaced else "",
                                                info["name"]), None)
            return
        if obj.get("kind") != res.kind:
            return
        deleted = method == "DELETE" and not (obj.get("metadata") or {}).get("deletionTimestamp")
        self.remote.observe(res, obj, deleted=deleted)

    def _seed(self):
        for res, obj in openshift.initial_objects(self.lab.config["registries"], self.lab.service_ca,
                                                  self.lab.ingress_ca):
            if res.group in LOCAL_GROUPS:
                continue
            meta = obj["metadata"]
            current = self.remote.get(res, meta.get("namespace", ""), meta["name"])
            self._put(res, obj, current)  # the controller manager may make it meanwhile (a default account)
        bootstrap.install_rbac(self.client, namespaced=True)
        # into the cache now, not when the watch brings them: the baseline taken next must hold them
        for path, obj in bootstrap.rbac_objects():
            res = BY_COLLECTION.get(path.rsplit("/", 1)[-1])
            if "/namespaces/" in path and res is not None:
                status, live = self.client.request("GET", object_path(res, obj["metadata"]["namespace"],
                                                                      obj["metadata"]["name"]))
                if status == 200:
                    self.remote.observe(res, live)

    def _restore(self):
        """Back to the baseline: delete what a test made, write back what it changed."""
        gone = []
        for res, items in self.remote.cache.items():
            base = self.baseline[res]
            for key, obj in list(items.items()):
                if key in base or self._system(res, key, obj):
                    continue
                if res.namespaced and key[0] not in {k[1] for k in self.baseline[_NS]}:
                    continue  # its namespace goes with it
                self.remote.delete(res, key[0], key[1])
                if res.plural == "namespaces":
                    gone.append(key[1])
        self._wait_gone(gone)
        order = sorted(self.baseline, key=lambda r: r.plural != "namespaces")
        for res in order:
            for key, obj in self.baseline[res].items():
                current = self.remote.get(res, key[0], key[1])
                wanted = _content(obj)
                if current is not None and _content(current) == wanted:
                    continue
                if current is not None and current["metadata"].get("deletionTimestamp"):
                    self._wait_gone([key[1]] if res.plural == "namespaces" else [])
                    current = None
                self._put(res, wanted, current)

    def _put(self, res, obj, current):
        """Write obj over current; on a conflict (made or changed meanwhile by a client of the previous test or the
        controller manager) once more over the newest version."""
        try:
            self.remote.put(res, obj, previous=current)
        except ApiError as exc:
            if exc.code != 409:
                raise
            meta = obj["metadata"]
            status, newest = self.client.request("GET", object_path(res, meta.get("namespace"), meta["name"]))
            self.remote.put(res, obj, previous=newest if status == 200 else None)

    def _wait_gone(self, namespaces: list[str], timeout: float = 30.0):
        """Wait until the controller manager has finished deleting these namespaces (asked of the server: the
        cache is fed by informers that need the lock this thread holds)."""
        deadline = time.time() + timeout
        for name in namespaces:
            while self.client.request("GET", "/api/v1/namespaces/" + name)[0] != 404:
                if time.time() > deadline:
                    raise RuntimeError("namespace %s was not deleted within %.0fs" % (name, timeout))
                time.sleep(0.05)
            with self.remote.lock:
                self.remote.cache[_NS].pop(("", name), None)

    @staticmethod
    def _system(res, key, obj) -> bool:
        if res.plural == "namespaces" and key[1] in SYSTEM_NAMESPACES:
            return True
        if res.namespaced and key[0] in SYSTEM_NAMESPACES:
            return True
        return key[1] in MANAGED.get((res.group, res.plural), ()) or bool(obj["metadata"].get("ownerReferences"))


_NS = kube.find("", "namespaces")
BY_QUALIFIED = {r.qualified: r for r in kube.RESOURCES}
BY_COLLECTION = {r.plural: r for r in kube.RESOURCES if r.group == "rbac.authorization.k8s.io"}
