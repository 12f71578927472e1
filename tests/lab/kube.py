"""Kubernetes API machinery for the lab: resource table, object store, patches, selectors and Status errors."""

from __future__ import annotations

import base64
import copy
import datetime
import json
import re
import threading
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    status: bool = False
    generation: bool = False
    verbs: tuple = ("create", "delete", "get", "list", "patch", "update", "watch")
    short: tuple = ()

    @property
    def api_version(self) -> str:
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def qualified(self) -> str:
        """How the API server names the resource in messages: plural, or plural.group."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural


READ_ONLY = ("get", "list", "watch")
RESOURCES = [
    Resource("", "v1", "namespaces", "Namespace", False, status=True, short=("ns",)),
    Resource("", "v1", "secrets", "Secret", True),
    Resource("", "v1", "configmaps", "ConfigMap", True, short=("cm",)),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", True, short=("sa",)),
    Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, status=True, short=("pvc",)),
    Resource("", "v1", "services", "Service", True, status=True, short=("svc",)),
    Resource("apps", "v1", "deployments", "Deployment", True, status=True, generation=True, short=("deploy",)),
    Resource("batch", "v1", "cronjobs", "CronJob", True, status=True, generation=True, short=("cj",)),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True, status=True, generation=True, short=("sts",)),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, status=True, generation=True, short=("ds",)),
    Resource("route.openshift.io", "v1", "routes", "Route", True, status=True),
    Resource("image.openshift.io", "v1", "imagestreams", "ImageStream", True, status=True, generation=True, short=("is",)),
    Resource("image.openshift.io", "v1", "imagestreamtags", "ImageStreamTag", True, verbs=READ_ONLY, short=("istag",)),
    Resource("image.openshift.io", "v1", "imagestreamimports", "ImageStreamImport", True, verbs=("create",)),
    Resource("image.openshift.io", "v1", "images", "Image", False, verbs=READ_ONLY),
    Resource("build.openshift.io", "v1", "buildconfigs", "BuildConfig", True, status=True, generation=True,
             short=("bc",)),
    Resource("build.openshift.io", "v1", "builds", "Build", True, status=True),
    Resource("config.openshift.io", "v1", "images", "Image", False, status=True, generation=True),
    Resource("config.openshift.io", "v1", "clusteroperators", "ClusterOperator", False, status=True, generation=True,
             short=("co",)),
    Resource("config.openshift.io", "v1", "imagedigestmirrorsets", "ImageDigestMirrorSet", False, status=True,
             generation=True, short=("idms",)),
    Resource("config.openshift.io", "v1", "imagetagmirrorsets", "ImageTagMirrorSet", False, status=True,
             generation=True, short=("itms",)),
    Resource("config.openshift.io", "v1", "clusterversions", "ClusterVersion", False, status=True, generation=True),
    Resource("machineconfiguration.openshift.io", "v1", "machineconfigpools", "MachineConfigPool", False, status=True,
             generation=True, short=("mcp",)),
    Resource("imageregistry.operator.openshift.io", "v1", "configs", "Config", False, status=True, generation=True),
    Resource("imageregistry.operator.openshift.io", "v1", "imagepruners", "ImagePruner", False, status=True,
             generation=True),
    Resource("samples.operator.openshift.io", "v1", "configs", "Config", False, status=True, generation=True),
    Resource("operator.openshift.io", "v1alpha1", "imagecontentsourcepolicies", "ImageContentSourcePolicy", False,
             status=True, generation=True),
    # who may pull and push: the integrated registry asks the API (a SubjectAccessReview) against these
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
]
BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
CORE_GROUPS = ("", "apps", "batch")


def find(group: str, plural: str) -> Resource:
    for res in RESOURCES:
        if res.group == group and res.plural == plural:
            return res
    raise KeyError((group, plural))


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An API error carried as a Kubernetes Status object."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            body["details"] = self.details
        return body


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", '%s "%s" not found' % (res.qualified, name),
                    {"name": name, "group": res.group, "kind": res.plural})


def conflict(res: Resource, name: str) -> ApiError:
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    "please apply your changes to the latest version and try again" % (res.qualified, name),
                    {"name": name, "group": res.group, "kind": res.plural})


def invalid(res: Resource, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid; causes are (field, reason, message)."""
    kind = "%s.%s" % (res.kind, res.group) if res.group else res.kind
    text = "; ".join("%s: %s" % (f, m) for f, _dummy, m in causes)
    if len(causes) > 1:
        text = "[" + ", ".join("%s: %s" % (f, m) for f, _dummy, m in causes) + "]"
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (kind, name, text),
                    {"name": name, "group": res.group, "kind": res.kind,
                     "causes": [{"reason": r, "message": m, "field": f} for f, r, m in causes]})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


# ---------------------------------------------------------------- patches

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request('the server rejected our request due to an error in our request: invalid path "%s"' % path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    for part in parts:
        if isinstance(doc, list):
            doc = doc[int(part)]
        elif isinstance(doc, dict):
            doc = doc[part]
        else:
            raise KeyError(part)
    return doc


def json_patch(target, ops):
    """RFC 6902 JSON patch."""
    doc = copy.deepcopy(target)
    if not isinstance(ops, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for op in ops:
        kind = op.get("op")
        parts = _pointer(op.get("path", ""))
        try:
            if kind == "test":
                if _walk(doc, parts) != op.get("value"):
                    raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request")
                continue
            if kind in ("move", "copy"):
                value = copy.deepcopy(_walk(doc, _pointer(op["from"])))
                if kind == "move":
                    doc = _remove(doc, _pointer(op["from"]))
                doc = _add(doc, parts, value)
            elif kind == "add":
                doc = _add(doc, parts, copy.deepcopy(op.get("value")))
            elif kind == "remove":
                doc = _remove(doc, parts)
            elif kind == "replace":
                _walk(doc, parts)
                doc = _add(_remove(doc, parts), parts, copy.deepcopy(op.get("value")))
            else:
                raise bad_request('Unexpected kind: %s' % kind)
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request: "
                           "doc is missing path: \"%s\": missing value" % op.get("path"))
    return doc


def _add(doc, parts, value):
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            index = int(last)
            if index > len(parent):
                raise IndexError(last)
            parent.insert(index, value)
    elif isinstance(parent, dict):
        parent[last] = value
    else:
        raise KeyError(last)
    return doc


def _remove(doc, parts):
    parent = _walk(doc, parts[:-1])
    if isinstance(parent, list):
        del parent[int(parts[-1])]
    else:
        del parent[parts[-1]]
    return doc


# merge keys of the list fields of the core types the lab serves (from their patchMergeKey tags)
MERGE_KEYS = {"containers": "name", "initContainers": "name", "volumes": "name", "env": "name",
              "volumeMounts": "mountPath", "ports": "containerPort", "secrets": "name",
              "imagePullSecrets": "name", "finalizers": None, "ownerReferences": "uid"}


# top-level list fields of a kind that carry no patch strategy although a field of that name elsewhere does:
# ServiceAccount.imagePullSecrets is replaced by a strategic merge patch (PodSpec.imagePullSecrets is merged)
REPLACED_FIELDS = {"ServiceAccount": ("imagePullSecrets",)}


def strategic_merge_patch(target, patch, kind=None):
    """Strategic merge patch for the core types in use: maps merge, lists with a merge key merge by it."""
    if kind and isinstance(patch, dict) and isinstance(target, dict):
        replaced = {k: copy.deepcopy(v) for k, v in patch.items() if k in REPLACED_FIELDS.get(kind, ())}
        result = strategic_merge_patch(target, {k: v for k, v in patch.items() if k not in replaced})
        for key, value in replaced.items():
            if value is None:
                result.pop(key, None)
            else:
                result[key] = value
        return result
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: v for k, v in copy.deepcopy(patch).items() if k != "$patch"}
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$setElementOrder/") or key in ("$retainKeys", "$patch"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name, []) if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and key in MERGE_KEYS and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, MERGE_KEYS[key])
        elif isinstance(value, dict):
            result[key] = strategic_merge_patch(result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _merge_list(current, patch, key):
    if key is None:  # a set of primitives
        merged = list(current)
        merged.extend(v for v in patch if v not in merged)
        return merged
    server_order = [existing.get(key) for existing in current]
    deleted = {item.get(key) for item in patch if isinstance(item, dict) and item.get("$patch") == "delete"}
    patched = []
    for item in patch:
        if not isinstance(item, dict) or item.get("$patch") == "delete":
            continue
        match = [existing for existing in current if existing.get(key) == item.get(key)]
        patched.append(strategic_merge_patch(match[0], item) if match
                       else {k: v for k, v in item.items() if k != "$patch"})
    in_patch = {item.get(key) for item in patched}
    server_only = [copy.deepcopy(e) for e in current if e.get(key) not in in_patch and e.get(key) not in deleted]
    # the API server's element order: the patch's items and the server-only items each keep their own order and are
    # merged by their position on the server; a patch item the server does not have goes before the next one
    merged = []
    while patched and server_only:
        left = patched[0].get(key)
        if left not in server_order or server_order.index(left) < server_order.index(server_only[0].get(key)):
            merged.append(patched.pop(0))
        else:
            merged.append(server_only.pop(0))
    return merged + patched + server_only


# ---------------------------------------------------------------- selectors

_REQ = re.compile(r"\s*(!?)([A-Za-z0-9./_-]+)\s*(?:(==|=|!=|\s+in\s+|\s+notin\s+)\s*(\([^)]*\)|[A-Za-z0-9._-]*))?\s*$")


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def label_matcher(selector: str | None):
    if not selector:
        return lambda labels: True
    checks = []
    for req in _split_selector(selector):
        match = _REQ.match(req)
        if not match:
            raise bad_request('unable to parse requirement: invalid label selector "%s"' % selector)
        negate, key, op, value = match.groups()
        op = (op or "").strip()
        if not op:
            checks.append(lambda l, k=key, n=negate: (k in l) != bool(n))
        elif op in ("=", "=="):
            checks.append(lambda l, k=key, v=value: l.get(k) == v)
        elif op == "!=":
            checks.append(lambda l, k=key, v=value: l.get(k) != v)
        else:
            values = {v.strip() for v in value.strip("()").split(",")}
            if op == "in":
                checks.append(lambda l, k=key, vs=values: l.get(k) in vs)
            else:
                checks.append(lambda l, k=key, vs=values: l.get(k) not in vs)
    return lambda labels: all(check(labels or {}) for check in checks)


def field_matcher(selector: str | None):
    if not selector:
        return lambda obj: True
    checks = []
    for req in selector.split(","):
        key, op, value = re.match(r"^([^=!]+)(==|=|!=)(.*)$", req.strip()).groups()
        path = key.split(".")

        def get(obj, path=path):
            for part in path:
                obj = obj.get(part) if isinstance(obj, dict) else None
            return obj
        if op == "!=":
            checks.append(lambda o, g=get, v=value: g(o) != v)
        else:
            checks.append(lambda o, g=get, v=value: g(o) == v)
    return lambda obj: all(check(obj) for check in checks)


# ---------------------------------------------------------------- store

class Store:
    """Objects by resource and (namespace, name), with resourceVersion, uid and generation handling."""

    def __init__(self):
        self.lock = threading.RLock()
        self.objects: dict[Resource, dict[tuple[str, str], dict]] = {r: {} for r in RESOURCES}
        self.revision = 1000
        self.listeners = []

    def _next_rv(self) -> str:
        self.revision += 1
        return str(self.revision)

    def get(self, res: Resource, namespace: str, name: str) -> dict | None:
        with self.lock:
            obj = self.objects[res].get((namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, res: Resource, namespace: str | None = None) -> list[dict]:
        with self.lock:
            items = [copy.deepcopy(o) for (ns, _dummy), o in sorted(self.objects[res].items())
                     if namespace is None or ns == namespace]
            return items

    def put(self, res: Resource, obj: dict, dry_run: bool = False, previous: dict | None = None) -> dict:
        """Store obj (create or replace): set rv, uid, timestamps, generation. Returns the stored copy."""
        with self.lock:
            obj = copy.deepcopy(obj)
            meta = obj.setdefault("metadata", {})
            obj["apiVersion"] = res.api_version
            obj["kind"] = res.kind
            if previous is None:
                meta["uid"] = str(uuid.uuid4())
                meta["creationTimestamp"] = now()
                if res.generation:
                    meta["generation"] = 1
            else:
                meta["uid"] = previous["metadata"]["uid"]
                meta["creationTimestamp"] = previous["metadata"]["creationTimestamp"]
                if res.generation:
                    gen = previous["metadata"].get("generation", 1)
                    if _spec_view(obj) != _spec_view(previous):
                        gen += 1
                    meta["generation"] = gen
                if _without_rv(obj) == _without_rv(previous):
                    return copy.deepcopy(previous)  # a no-op write keeps the resourceVersion, as etcd does
            meta.pop("managedFields", None)
            if not dry_run:
                meta["resourceVersion"] = self._next_rv()
                key = (meta.get("namespace", "") if res.namespaced else "", meta["name"])
                self.objects[res][key] = obj
                for listener in self.listeners:
                    listener(res, obj)
            else:
                meta["resourceVersion"] = previous["metadata"]["resourceVersion"] if previous else ""
            return copy.deepcopy(obj)

    def delete(self, res: Resource, namespace: str, name: str, dry_run: bool = False) -> dict | None:
        with self.lock:
            key = (namespace or "", name)
            obj = self.objects[res].get(key)
            if obj is not None and not dry_run:
                del self.objects[res][key]
                self._next_rv()
                for listener in self.listeners:
                    listener(res, None)
            return copy.deepcopy(obj) if obj is not None else None


def _without_rv(obj):
    clone = copy.deepcopy(obj)
    clone.get("metadata", {}).pop("resourceVersion", None)
    return clone


def _spec_view(obj):
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


# ---------------------------------------------------------------- core validation

def decode_secret_data(data: dict, kind: str = "Secret") -> dict[str, bytes]:
    out = {}
    for key, value in (data or {}).items():
        if not isinstance(value, str):
            raise bad_request('%s in version "v1" cannot be handled as a %s: json: cannot unmarshal %s into Go '
                              'struct field %s.data of type []uint8' % (kind, kind, type(value).__name__, kind))
        try:
            out[key] = base64.b64decode(value, validate=True)
        except ValueError:
            bad = next((i for i, c in enumerate(value) if c not in
                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="), len(value))
            raise bad_request('%s in version "v1" cannot be handled as a %s: illegal base64 data at input byte %d'
                              % (kind, kind, bad))
    return out


def go_json_error(text: bytes) -> str | None:
    """None when text is JSON; otherwise a message in the shape of Go's encoding/json errors."""
    try:
        json.loads(text)
        return None
    except ValueError as exc:
        pos = getattr(exc, "pos", 0) or 0
        if pos >= len(text):
            return "unexpected end of JSON input"
        char = chr(text[pos]) if isinstance(text, bytes) else text[pos]
        if pos == 0 or not text.strip():
            return "invalid character '%s' looking for beginning of value" % char
        return "invalid character '%s' after object key:value pair" % char if "delimiter" in str(exc) else \
            "invalid character '%s' looking for beginning of object key string" % char
