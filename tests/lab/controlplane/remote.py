"""The lab's controllers on a real kube-apiserver: a small REST client and an informer-backed store.

The lab's controllers (registry operator, pruner, machine config, samples, ...) read and write through the store
interface of `kube.Store` (get, list, put, delete, lock). `RemoteStore` gives them that interface on the real API
server, the way a real operator works: every resource it serves is listed and then watched into a local cache, reads
come from that cache, and writes go to the API server (spec and metadata with an update, status through the status
subresource), whose answer goes back into the cache. `HybridStore` keeps what the lab's own image API serves
(image.openshift.io, which a real cluster's openshift-apiserver keeps in its etcd) in the lab's process.
"""

from __future__ import annotations

import copy
import http.client
import json
import ssl
import threading
import time
import urllib.parse

from .. import kube
from ..kube import ApiError, Resource

LOCAL_GROUPS = ("image.openshift.io", "build.openshift.io")


def collection_path(res: Resource, namespace: str | None) -> str:
    base = "/api/v1" if not res.group else "/apis/%s/%s" % (res.group, res.version)
    if res.namespaced and namespace:
        base += "/namespaces/%s" % namespace
    return "%s/%s" % (base, res.plural)


def object_path(res: Resource, namespace: str | None, name: str) -> str:
    return "%s/%s" % (collection_path(res, namespace), urllib.parse.quote(name, safe=""))


class Client:
    """HTTPS requests to the API server with one bearer token; a keep-alive connection per thread."""

    def __init__(self, url: str, ca_file: str, token: str, timeout: float = 30.0):
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port or 443
        self.token = token
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=ca_file)
        self.local = threading.local()

    def connection(self, fresh: bool = False, timeout: float | None = None) -> http.client.HTTPSConnection:
        if fresh:
            return http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                               timeout=timeout or self.timeout)
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                                                 timeout=self.timeout)
        return conn

    def request(self, method: str, path: str, body=None, query: dict | None = None,
                content_type: str = "application/json") -> tuple[int, dict]:
        """One request; returns (status, decoded body). Retries once on a connection the server closed."""
        if query:
            path += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
        headers = {"Authorization": "Bearer " + self.token, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        for attempt in range(2):
            conn = self.connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt:
                    raise
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            payload = {"message": raw.decode("utf-8", "replace")}
        return resp.status, payload

    def call(self, method: str, path: str, body=None, query: dict | None = None,
             content_type: str = "application/json") -> dict:
        """A request that must succeed: an error answer is raised as the server's ApiError."""
        status, payload = self.request(method, path, body, query, content_type)
        if status >= 400:
            raise ApiError(status, payload.get("reason") or "Unknown", payload.get("message") or str(payload),
                           payload.get("details"))
        return payload


def _rv(obj: dict | None) -> int:
    try:
        return int(((obj or {}).get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0


def _key(res: Resource, obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "") if res.namespaced else "", meta.get("name") or ""


def _without_status(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k != "status"}


class Informer(threading.Thread):
    """List, then watch one resource into the store's cache; list again when the watch expires (410)."""

    def __init__(self, store: "RemoteStore", res: Resource):
        super().__init__(name="informer-" + res.qualified, daemon=True)
        self.store = store
        self.res = res
        self.synced = threading.Event()

    def run(self):
        while not self.store.stopped.is_set():
            try:
                rv = self._list()
                self.synced.set()
                self._watch(rv)
            except (OSError, http.client.HTTPException, ValueError, ApiError) as exc:
                if self.store.stopped.is_set():
                    return
                print("lab informer %s: %r; listing again" % (self.res.qualified, exc), flush=True)
                time.sleep(0.2)

    def _list(self) -> str:
        payload = self.store.client.call("GET", collection_path(self.res, None))
        items = {}
        for item in payload.get("items") or []:
            item.setdefault("apiVersion", self.res.api_version)
            item.setdefault("kind", self.res.kind)
            items[_key(self.res, item)] = item
        with self.store.lock:
            self.store.cache[self.res] = items
        return payload["metadata"]["resourceVersion"]

    def _watch(self, rv: str):
        query = urllib.parse.urlencode({"watch": "1", "resourceVersion": rv, "allowWatchBookmarks": "true",
                                        "timeoutSeconds": "300"})
        conn = self.store.client.connection(fresh=True, timeout=330)
        try:
            conn.request("GET", collection_path(self.res, None) + "?" + query,
                         headers={"Authorization": "Bearer " + self.store.client.token, "Accept": "application/json"})
            resp = conn.getresponse()
            if resp.status != 200:
                raise ApiError(resp.status, "Watch", resp.read().decode("utf-8", "replace"))
            while not self.store.stopped.is_set():
                line = resp.readline()
                if not line:
                    return  # the server ended the watch: list again
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return  # 410 Gone and friends: list again
                if kind == "BOOKMARK":
                    continue
                obj.setdefault("apiVersion", self.res.api_version)
                obj.setdefault("kind", self.res.kind)
                self.store.observe(self.res, obj, deleted=kind == "DELETED")
        finally:
            conn.close()


class RemoteStore:
    """kube.Store's interface on a real API server, with a watch-fed cache (see the module's docstring)."""

    def __init__(self, client: Client, resources: list[Resource]):
        self.client = client
        self.lock = threading.RLock()
        self.cache: dict[Resource, dict[tuple[str, str], dict]] = {r: {} for r in resources}
        self.stopped = threading.Event()
        self.informers = [Informer(self, r) for r in resources]

    def start(self, timeout: float = 30.0):
        for informer in self.informers:
            informer.start()
        deadline = time.time() + timeout
        for informer in self.informers:
            if not informer.synced.wait(max(0.0, deadline - time.time())):
                raise RuntimeError("the lab's cache of %s did not sync within %.0fs" % (informer.res.qualified, timeout))

    def stop(self):
        self.stopped.set()

    def observe(self, res: Resource, obj: dict, deleted: bool = False):
        """A watch event or a write's answer: keep the newest version of each object."""
        key = _key(res, obj)
        with self.lock:
            items = self.cache[res]
            current = items.get(key)
            if deleted:
                if current is not None and _rv(current) <= _rv(obj):
                    del items[key]
            elif current is None or _rv(current) <= _rv(obj):
                items[key] = obj

    # -- kube.Store's interface
    def get(self, res: Resource, namespace: str, name: str) -> dict | None:
        with self.lock:
            obj = self.cache[res].get(((namespace or "") if res.namespaced else "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, res: Resource, namespace: str | None = None) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(o) for (ns, _dummy), o in sorted(self.cache[res].items())
                    if namespace is None or ns == namespace]

    def put(self, res: Resource, obj: dict, dry_run: bool = False, previous: dict | None = None) -> dict:
        """Create obj, or update it from previous: spec and metadata with an update when they changed, status
        through the status subresource when it changed (as an operator writes). Returns the stored object."""
        obj = copy.deepcopy(obj)
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        meta = obj.setdefault("metadata", {})
        meta.pop("managedFields", None)
        ns = meta.get("namespace") if res.namespaced else None
        query = {"dryRun": "All"} if dry_run else None
        status = obj.get("status") if res.status else None
        if previous is None:
            meta.pop("resourceVersion", None)
            stored = self.client.call("POST", collection_path(res, ns), _without_status(obj) if res.status else obj,
                                      query)
        else:
            meta["resourceVersion"] = previous["metadata"]["resourceVersion"]
            stored = previous
            if (_without_status(obj) if res.status else obj) != (_without_status(previous) if res.status else previous):
                stored = self.client.call("PUT", object_path(res, ns, meta["name"]), obj, query)
        if res.status and status is not None and status != stored.get("status") and not dry_run:
            update = dict(stored, status=status)
            stored = self.client.call("PUT", object_path(res, ns, meta["name"]) + "/status", update)
        if not dry_run:
            self.observe(res, stored)
        return copy.deepcopy(stored)

    def delete(self, res: Resource, namespace: str, name: str, dry_run: bool = False) -> dict | None:
        ns = namespace if res.namespaced else None
        status, payload = self.client.request("DELETE", object_path(res, ns, name),
                                              query={"dryRun": "All"} if dry_run else None)
        if status == 404:
            return None
        if status >= 400:
            raise ApiError(status, payload.get("reason") or "Unknown", payload.get("message") or "")
        if not dry_run:
            with self.lock:
                previous = self.cache[res].pop(((namespace or "") if res.namespaced else "", name), None)
            return previous or payload
        return payload


class HybridStore:
    """The lab's own objects (image.openshift.io) in a local kube.Store; everything else on the real API server."""

    def __init__(self, local: kube.Store, remote: RemoteStore):
        self.local = local
        self.remote = remote
        self.lock = local.lock
        remote.lock = local.lock  # one lock: a controller's read-modify-write spans both

    def _for(self, res: Resource):
        return self.local if res.group in LOCAL_GROUPS else self.remote

    @property
    def revision(self):
        return self.local.revision

    @property
    def objects(self):
        return self.local.objects

    @objects.setter
    def objects(self, value):
        self.local.objects = value

    @property
    def listeners(self):
        return self.local.listeners

    def get(self, res, namespace, name):
        return self._for(res).get(res, namespace, name)

    def list(self, res, namespace=None):
        return self._for(res).list(res, namespace)

    def put(self, res, obj, dry_run=False, previous=None):
        return self._for(res).put(res, obj, dry_run=dry_run, previous=previous)

    def delete(self, res, namespace, name, dry_run=False):
        return self._for(res).delete(res, namespace, name, dry_run=dry_run)
