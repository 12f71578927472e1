"""The lab's HTTPS API server: Kubernetes REST conventions, bearer-token users, RBAC, test controls."""

from __future__ import annotations

import copy
import functools
import json
import re
import socket
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import kube, schema
from .controlplane.front import describe, conflict as front_conflict
from .controlplane.remote import LOCAL_GROUPS
from .kube import ApiError, Resource

K8S_VERSION = {"major": "1", "minor": "31", "gitVersion": "v1.31.6", "gitCommit": "lab", "gitTreeState": "clean",
               "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.6", "compiler": "gc",
               "platform": "linux/amd64"}
STRICT_HINT = "strict decoding error"


class Users:
    """Bearer tokens and what each user may do. A rule is (verbs, groups, resources, namespaces), '*' = any."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = tokens
        self.bound = None  # bound_tokens.BoundTokens: service account tokens from the TokenRequest API
        self.service_account_uid = None  # (ns, name) -> the live service account's uid, or None
        read = ("get", "list", "watch")
        self.rules = {
            "admin": [("*", "*", "*", "*")],
            "viewer": [(read, "*", "*", "*")],
            "editor": [(read, "*", "*", "*"), ("*", "*", "*", ("lab-apps",))],
        }
        # editors may not create images or image stream mappings, so the import allow-list applies to them
        self.denied = {"editor": {"images", "imagestreammappings"}}

    def user(self, header: str | None) -> str | None:
        if not header or not header.lower().startswith("bearer "):
            return "system:anonymous"
        token = header.split(" ", 1)[1].strip()
        user = self.tokens.get(token)
        if user is None and self.bound is not None:
            user = self.bound.user(token, self.service_account_uid)
        return user

    def allowed(self, user: str, verb: str, group: str, resource: str, namespace: str | None,
                name: str | None = None) -> bool:  # pylint: disable=unused-argument
        if resource.split("/")[0] in self.denied.get(user, ()) and verb not in ("get", "list", "watch"):
            return False
        for verbs, groups, resources, namespaces in self.rules.get(user, []):
            if verbs != "*" and verb not in verbs:
                continue
            if groups != "*" and group not in groups:
                continue
            if resources != "*" and resource not in resources:
                continue
            if namespaces != "*" and namespace not in namespaces:
                continue
            return True
        return False


def forbidden(user: str, verb: str, res_name: str, group: str, name: str | None, namespace: str | None) -> ApiError:
    qualified = "%s.%s" % (res_name.split("/")[0], group) if group else res_name.split("/")[0]
    subject = '%s "%s"' % (qualified, name) if name else qualified
    where = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    message = '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        subject, user, verb, res_name, group, where)
    return ApiError(403, "Forbidden", message, {"name": name, "group": group, "kind": res_name.split("/")[0]}
                    if name else {"group": group, "kind": res_name.split("/")[0]})


class Faults:
    """Fault rules for the next N matching requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules: list[dict] = []

    def add(self, rule: dict) -> dict:
        rule = dict(rule)
        rule.setdefault("count", 1)
        rule.setdefault("verb", "*")
        rule.setdefault("path", ".*")
        re.compile(rule["path"])
        with self.lock:
            self.rules.append(rule)
        return rule

    def take(self, method: str, verb: str, path: str) -> dict | None:
        with self.lock:
            for rule in self.rules:
                want = rule["verb"]
                if want not in ("*", method.upper(), verb) or not re.search(rule["path"], path):
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.rules.remove(rule)
                return dict(rule)
        return None


class RequestLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[dict] = []
        self.seq = 0

    def add(self, entry: dict):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)

    def clear(self):
        with self.lock:
            self.entries = []


def _parse_path(path: str):
    """Split an API path into (resource, namespace, name, subresource) or raise 404."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif parts and parts[0] == "apis" and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces" and (group, version, rest[2]) in kube.BY_PATH:
        namespace, rest = rest[1], rest[2:]
    if not rest or (group, version, rest[0]) not in kube.BY_PATH:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    res = kube.BY_PATH[(group, version, rest[0])]
    if res.namespaced is False and namespace is not None:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if len(rest) > 3:
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return res, namespace, name, sub


def _gv_path(group, version):
    return "apis/%s/%s" % (group, version) if group else "api/%s" % version


def _op_verb(method):
    return {"put": "update"}.get(method, method)


def _verb(method: str, name: str | None, query: dict) -> str:
    if method == "GET":
        if query.get("watch") in ("true", "1"):
            return "watch"
        return "get" if name else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if name else "deletecollection"}.get(method, method.lower())


class Api:
    """Request handling independent of the HTTP plumbing."""

    def __init__(self, lab):
        self.lab = lab
        self.store: kube.Store = lab.store

    # -- discovery
    def discovery(self, path: str, host: str):
        if path == "/version":
            return 200, K8S_VERSION
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [self._group(g) for g in self._groups()]}
        if path == "/openapi/v2":
            # an empty OpenAPI v2 document: older clients (kubectl < 1.27) download it before validating and
            # skip kinds it does not describe; they ask for protobuf, newer ones for JSON
            return 200, {"swagger": "2.0", "info": {"title": "Kubernetes", "version": K8S_VERSION["gitVersion"]},
                         "paths": {}, "definitions": {}}
        if path == "/openapi/v3":
            gvs = sorted({(r.group, r.version) for r in kube.RESOURCES})
            return 200, {"paths": {_gv_path(g, v): {"serverRelativeURL": "/openapi/v3/%s?hash=lab" % _gv_path(g, v)}
                                   for g, v in gvs}}
        if path.startswith("/openapi/v3/"):
            return 200, self._openapi(path[len("/openapi/v3/"):])
        match = re.match(r"^/apis/([^/]+)$", path)
        if match and match.group(1) in self._groups():
            return 200, dict(self._group(match.group(1)), kind="APIGroup", apiVersion="v1")
        match = re.match(r"^/(?:api/(v1)|apis/([^/]+)/([^/]+))$", path)
        if match:
            group = match.group(2) or ""
            version = match.group(1) or match.group(3)
            return 200, self._resource_list(group, version)
        return None

    @staticmethod
    def _openapi(gv_path):
        """A minimal OpenAPI v3 document per group-version: enough for clients to see fieldValidation support."""
        paths = {}
        for res in kube.RESOURCES:
            if _gv_path(res.group, res.version) != gv_path:
                continue
            prefix = "/" + gv_path + ("/namespaces/{namespace}" if res.namespaced else "")
            gvk = {"group": res.group, "version": res.version, "kind": res.kind}
            params = [{"name": n, "in": "query", "schema": {"type": "string"}, "uniqueItems": True}
                      for n in ("dryRun", "fieldManager", "fieldValidation")]
            ops = {verb: {"x-kubernetes-group-version-kind": gvk, "parameters": params,
                          "responses": {"200": {"description": "OK"}}}
                   for verb in ("get", "put", "patch", "delete") if _op_verb(verb) in res.verbs}
            if ops:
                paths["%s/%s/{name}" % (prefix, res.plural)] = ops
        if not paths:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": K8S_VERSION["gitVersion"]},
                "paths": paths, "components": {"schemas": {}}}

    def _groups(self):
        """The API groups this server serves: all of them as the emulator; on a real control plane only what a
        cluster's openshift-apiserver would (the rest is kube-apiserver's)."""
        seen = []
        for res in kube.RESOURCES:
            if res.group and res.group not in seen:
                seen.append(res.group)
        if self.lab.front is not None:
            seen = [g for g in seen if g in LOCAL_GROUPS]
        return seen

    def local(self, path: str) -> bool:
        """On a real control plane: whether this server answers the path itself (else kube-apiserver does)."""
        return any(path == "/apis/" + g or path.startswith("/apis/%s/" % g) or path == "/openapi/v3/apis/" + g
                   or path.startswith("/openapi/v3/apis/%s/" % g) for g in LOCAL_GROUPS)

    @staticmethod
    def _group(group):
        versions = sorted({r.version for r in kube.RESOURCES if r.group == group})
        entries = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    @staticmethod
    def _resource_list(group, version):
        items = [r for r in kube.RESOURCES if r.group == group and r.version == version]
        if not items:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        resources = []
        for res in items:
            resources.append({"name": res.plural, "singularName": res.kind.lower(), "namespaced": res.namespaced,
                              "kind": res.kind, "verbs": list(res.verbs), "shortNames": list(res.short)})
            if res.status:
                resources.append({"name": res.plural + "/status", "singularName": "", "namespaced": res.namespaced,
                                  "kind": res.kind, "verbs": ["get", "patch", "update"]})
        if group == "image.openshift.io":
            resources.append({"name": "imagestreams/secrets", "singularName": "", "namespaced": True,
                              "kind": "SecretList", "group": "", "version": "v1", "verbs": ["get"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": "%s/%s" % (group, version) if group else version, "resources": resources}

    # -- resources
    def handle(self, method: str, path: str, query: dict, body: bytes, content_type: str, user: str, ctx: dict):
        res, namespace, name, sub = _parse_path(path)
        verb = _verb(method, name, query)
        ctx.update(resource=res.qualified, namespace=namespace, name=name, verb=verb)
        rbac_resource = res.plural + ("/" + sub if sub else "")
        if not self.lab.users.allowed(user, verb, res.group, rbac_resource, namespace):
            raise forbidden(user, verb, rbac_resource, res.group, name, namespace)
        if verb not in res.verbs and not (sub == "status" and verb in ("get", "update", "patch")):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        token_request = res.plural == "serviceaccounts" and sub == "token" and verb == "create"
        if sub not in (None, "status") and not token_request and \
                not (res.plural == "imagestreams" and sub == "secrets" and verb == "get"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if sub == "status" and not res.status:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        dry_run = query.get("dryRun") == "All"
        if query.get("dryRun") not in (None, "All"):
            raise bad_request_dry_run(query.get("dryRun"), verb)
        ctx["dry_run"] = dry_run
        if token_request:
            return 201, self._token_request(namespace, name, body, dry_run, ctx)
        strict = query.get("fieldValidation") == "Strict"
        if res.namespaced and namespace is not None and verb not in ("get", "list", "watch") \
                and self.store.get(kube.find("", "namespaces"), "", namespace) is None:
            raise kube.not_found(kube.find("", "namespaces"), namespace)

        if verb == "watch":
            raise ApiError(405, "MethodNotAllowed", "watch is not supported by the lab")
        if res.plural == "imagestreamtags":
            return 200, self.lab.openshift.imagestreamtag(namespace, name) if name \
                else self.lab.openshift.imagestreamtag_list(namespace, query)
        if res.group == "image.openshift.io" and res.plural == "images":
            return 200, self.lab.openshift.image(name) if name else self.lab.openshift.image_list()
        if sub == "secrets":
            return 200, self.lab.openshift.stream_secrets(namespace, name)
        if res.plural == "imagestreamimports":
            obj = self._decode(body, res)
            ctx["import"] = (obj.get("spec") or {}).get("import")
            ctx["name"] = (obj.get("metadata") or {}).get("name")  # the stream it imports into
            return 201, self.lab.openshift.import_images(namespace, obj, user, dry_run)

        if verb == "get":
            obj = self.store.get(res, namespace, name)
            if obj is None:
                raise kube.not_found(res, name)
            return 200, obj
        if verb == "list":
            return 200, self._list(res, namespace, query)
        if verb == "create":
            obj = self._decode(body, res)
            return 201, self.create(res, namespace, obj, dry_run, strict, ctx)
        if verb == "update":
            obj = self._decode(body, res)
            return 200, self.update(res, namespace, name, obj, dry_run, strict, ctx, status=sub == "status")
        if verb == "patch":
            return 200, self.patch(res, namespace, name, body, content_type, dry_run, strict, ctx, status=sub == "status")
        if verb == "delete":
            return 200, self.delete(res, namespace, name, dry_run)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _token_request(self, namespace, name, body, dry_run, ctx):
        """TokenRequest: a bound token for an existing service account, as long as the server allows."""
        sa = self.store.get(kube.find("", "serviceaccounts"), namespace, name)
        if sa is None:
            raise kube.not_found(kube.find("", "serviceaccounts"), name)
        try:
            request = json.loads(body or b"{}")
        except ValueError as exc:
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format: %s" % exc) from exc
        return self.lab.users.bound.request(sa, request, float(self.lab.settings.get("token_max_expiration_seconds") or 0),
                                            dry_run=dry_run, warnings=ctx.setdefault("warnings", []))

    def _list(self, res, namespace, query):
        labels = kube.label_matcher(query.get("labelSelector"))
        fields = kube.field_matcher(query.get("fieldSelector"))
        items = [o for o in self.store.list(res, namespace)
                 if labels(o.get("metadata", {}).get("labels")) and fields(o)]
        return {"kind": res.kind + "List", "apiVersion": res.api_version,
                "metadata": {"resourceVersion": str(self.store.revision)}, "items": items}

    @staticmethod
    def _decode(body: bytes, res: Resource):
        try:
            obj = json.loads(body or b"null")
        except ValueError as exc:
            raise kube.bad_request('%s in version "%s" cannot be handled as a %s: %s'
                                   % (res.kind, res.version, res.kind, exc))
        if not isinstance(obj, dict):
            raise kube.bad_request('%s in version "%s" cannot be handled as a %s: json: cannot unmarshal into '
                                   'Go value of type %s' % (res.kind, res.version, res.kind, res.kind))
        return obj

    def create(self, res, namespace, obj, dry_run, strict, ctx):
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + kube.uuid.uuid4().hex[:5]
        name = meta.get("name")
        if res.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise kube.bad_request("the namespace of the provided object does not match the namespace sent on "
                                       "the request")
            meta["namespace"] = namespace
        if not name:
            raise kube.invalid(res, "", [("metadata.name", "FieldValueRequired",
                                          "Required value: name or generateName is required")])
        for key in ("resourceVersion", "uid", "creationTimestamp", "generation"):
            meta.pop(key, None)
        with self.store.lock:
            if self.store.get(res, namespace, name) is not None:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (res.qualified, name),
                               {"name": name, "group": res.group, "kind": res.plural})
            obj = self.admit(res, obj, None, strict, ctx)
            return self.store.put(res, obj, dry_run)

    def update(self, res, namespace, name, obj, dry_run, strict, ctx, status=False):
        meta = obj.setdefault("metadata", {})
        if meta.get("name") and meta["name"] != name:
            raise kube.bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                   % (meta["name"], name))
        meta["name"] = name
        if res.namespaced:
            meta["namespace"] = namespace
        with self.store.lock:
            current = self.store.get(res, namespace, name)
            if current is None:
                raise kube.not_found(res, name)
            fault = ctx.get("force_conflict")
            sent_rv = meta.get("resourceVersion")
            if not sent_rv and not unconditional_update(res):
                if res.group == "image.openshift.io":  # openshift-apiserver's own wording
                    raise kube.invalid(res, name, [("metadata.resourceVersion", "FieldValueInvalid",
                                                    "Invalid value: 0x0: must be specified for an update")])
                # a custom resource: kube-apiserver names the resource, not the kind
                message = "Invalid value: 0: must be specified for an update"
                raise ApiError(422, "Invalid", '%s "%s" is invalid: metadata.resourceVersion: %s'
                               % (res.qualified, name, message),
                               {"name": name, "group": res.group, "kind": res.plural, "causes": [
                                   {"reason": "FieldValueInvalid", "message": message,
                                    "field": "metadata.resourceVersion"}]})
            if fault or (sent_rv and sent_rv != current["metadata"]["resourceVersion"]):
                raise kube.conflict(res, name)
            if res.status:
                if status:
                    merged = copy.deepcopy(current)
                    merged["status"] = obj.get("status", {})
                    obj = merged
                else:
                    obj["status"] = copy.deepcopy(current.get("status")) if "status" in current else None
                    if obj["status"] is None:
                        obj.pop("status")
            obj = self.admit(res, obj, current, strict, ctx)
            return self.store.put(res, obj, dry_run, previous=current)

    def patch(self, res, namespace, name, body, content_type, dry_run, strict, ctx, status=False):
        media = (content_type or "").split(";")[0].strip()
        try:
            patch = json.loads(body or b"null")
        except ValueError as exc:
            raise kube.bad_request("error decoding patch: %s" % exc)
        with self.store.lock:
            current = self.store.get(res, namespace, name)
            if current is None:
                raise kube.not_found(res, name)
            if media == "application/merge-patch+json":
                patched = kube.merge_patch(current, patch)
            elif media == "application/json-patch+json":
                patched = kube.json_patch(current, patch)
            elif media == "application/strategic-merge-patch+json" and res.group in kube.CORE_GROUPS:
                patched = kube.strategic_merge_patch(current, patch, res.kind)
            else:
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                               + (", application/strategic-merge-patch+json" if res.group in kube.CORE_GROUPS else ""))
            if not isinstance(patched, dict):
                raise kube.bad_request("the patch did not produce an object")
            sent = patched.get("metadata", {}).get("resourceVersion")
            if isinstance(patch, dict) and (patch.get("metadata") or {}).get("resourceVersion") is None:
                patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
            elif sent is None:
                patched.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
            ctx["patched"] = True
            return self.update(res, namespace, name, patched, dry_run, strict, ctx, status=status)

    def delete(self, res, namespace, name, dry_run):
        obj = self.store.delete(res, namespace, name, dry_run)
        if obj is None:
            raise kube.not_found(res, name)
        if res.group in kube.CORE_GROUPS and res.plural != "namespaces":
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                    "details": {"name": name, "kind": res.plural, "uid": obj["metadata"]["uid"]}}
        if res.plural == "namespaces" and not dry_run:
            for other in kube.RESOURCES:
                if other.namespaced:
                    for item in self.store.list(other, name):
                        self.store.delete(other, name, item["metadata"]["name"])
        return obj

    # -- admission: defaulting and validation as the real API server does
    def admit(self, res: Resource, obj: dict, current: dict | None, strict: bool, ctx: dict) -> dict:
        meta = obj["metadata"]
        name = meta.get("name", "")
        pattern = kube.DNS1123_LABEL if res.plural in ("namespaces", "services") else kube.DNS1123_SUBDOMAIN
        if res.group == "rbac.authorization.k8s.io":
            # RBAC names are path segments (system:image-puller): not '.' or '..', no '/' or '%'
            problem = ("may not be '%s'" % name if name in (".", "..") else
                       next(("may not contain '%s'" % c for c in ("/", "%") if c in name), None))
            if current is None and problem:
                raise kube.invalid(res, name, [("metadata.name", "FieldValueInvalid",
                                                'Invalid value: "%s": %s' % (name, problem))])
            pattern = re.compile(r"^.+$")
        if res.plural == "imagestreams":
            pattern = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
        if current is None and pattern is kube.DNS1123_LABEL and (len(name) > 63 or not pattern.match(name)):
            raise kube.invalid(res, name, [("metadata.name", "FieldValueInvalid",
                                            'Invalid value: "%s": a lowercase RFC 1123 label must consist of lower '
                                            "case alphanumeric characters or '-', and must start and end with an "
                                            "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                                            "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" % name)])
        if current is None and (len(name) > 253 or not pattern.match(name)):
            raise kube.invalid(res, name, [("metadata.name", "FieldValueInvalid",
                                            'Invalid value: "%s": a lowercase RFC 1123 subdomain must consist of lower '
                                            "case alphanumeric characters, '-' or '.', and must start and end with an "
                                            "alphanumeric character (e.g. 'example.com', regex used for validation is "
                                            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" % name)])
        known = CORE_FIELDS.get(res.plural)
        if strict and known is not None:
            unknown = sorted(k for k in obj if k not in known)
            if unknown:
                fields = ", ".join('unknown field "%s"' % u for u in unknown)
                if ctx.get("patched"):
                    raise strict_patch_error(obj, fields)
                raise kube.bad_request('%s in version "%s" cannot be handled as a %s: %s: %s'
                                       % (res.kind, res.version, res.kind, STRICT_HINT, fields))
        if res.plural == "cronjobs":
            self._admit_cronjob(res, obj)
        for field in ("labels", "annotations"):
            if meta.get(field) is not None and not isinstance(meta[field], dict):
                raise kube.bad_request('%s in version "%s" cannot be handled as a %s: json: cannot unmarshal into Go '
                                       "struct field ObjectMeta.metadata.%s of type map[string]string"
                                       % (res.kind, res.version, res.kind, field))
        if res.plural == "secrets":
            obj = self._admit_secret(res, obj, current)
        elif res.plural == "configmaps":
            bad = [k for k in (obj.get("data") or {}) if not kube.CONFIG_KEY.match(k)]
            if bad:
                raise kube.invalid(res, name, [("data[%s]" % bad[0], "FieldValueInvalid", 'Invalid value: "%s": a valid '
                                                "config key must consist of alphanumeric characters, '-', '_' or '.' "
                                                "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                                                "validation is '[-._a-zA-Z0-9]+')" % bad[0])])
        spec = schema.SCHEMAS.get((res.group, res.plural))
        if spec is not None:
            pruned, result = schema.validate(spec, obj, (res.group, res.plural))
            if result.unknown:
                if strict:
                    fields = ", ".join('unknown field "%s"' % u for u in result.unknown)
                    if ctx.get("patched"):
                        # a patch is decoded after it is applied: the API server names the whole patched object
                        raise strict_patch_error(obj, fields)
                    raise kube.bad_request('%s in version "%s" cannot be handled as a %s: %s: %s'
                                           % (res.kind, res.version, res.kind, STRICT_HINT, fields))
                ctx.setdefault("warnings", []).extend('unknown field "%s"' % u for u in result.unknown)
            if result.errors:
                raise kube.invalid(res, name, result.errors)
            obj = pruned
        hook = self.lab.openshift.admission_hook(res)
        if hook:
            obj = hook(obj, current)
        return obj

    @staticmethod
    def _admit_cronjob(res, obj):
        """The batch API parses the schedule when the CronJob is written (standard five fields or a descriptor)."""
        schedule = ((obj.get("spec") or {}).get("schedule") or "").strip()
        text = re.sub(r"^(CRON_)?TZ=\S+\s+", "", schedule)
        if text.startswith("@"):
            if text not in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly") \
                    and not text.startswith("@every "):
                raise kube.invalid(res, obj["metadata"]["name"], [("spec.schedule", "FieldValueInvalid",
                                                                   'Invalid value: "%s": unrecognized descriptor: %s'
                                                                   % (schedule, text))])
            return
        fields = text.split()
        if len(fields) != 5:
            raise kube.invalid(res, obj["metadata"]["name"], [("spec.schedule", "FieldValueInvalid",
                                                               'Invalid value: "%s": expected exactly 5 fields, found '
                                                               "%d: [%s]" % (schedule, len(fields), " ".join(fields)))])

    @staticmethod
    def _admit_secret(res, obj, current):
        name = obj["metadata"]["name"]
        string_data = obj.pop("stringData", None) or {}
        data = kube.decode_secret_data(obj.get("data"))
        for key, value in string_data.items():
            data[key] = value.encode()
        obj["type"] = obj.get("type") or "Opaque"
        causes = []
        for key in data:
            if not kube.CONFIG_KEY.match(key):
                causes.append(("data[%s]" % key, "FieldValueInvalid", 'Invalid value: "%s": a valid config key must '
                               "consist of alphanumeric characters, '-', '_' or '.'" % key))
        if current is not None and current.get("type") != obj["type"]:
            causes.append(("type", "FieldValueInvalid", 'Invalid value: "%s": field is immutable' % obj["type"]))
        required = {"kubernetes.io/dockerconfigjson": ".dockerconfigjson", "kubernetes.io/dockercfg": ".dockercfg"}
        key = required.get(obj["type"])
        if key:
            if key not in data:
                causes.append(("data[%s]" % key, "FieldValueRequired", "Required value"))
            else:
                error = kube.go_json_error(data[key])
                if error:
                    causes.append(("data[%s]" % key, "FieldValueInvalid",
                                   'Invalid value: "<secret contents redacted>": %s' % error))
        if obj["type"] == "kubernetes.io/service-account-token" and \
                "kubernetes.io/service-account.name" not in (obj["metadata"].get("annotations") or {}):
            causes.append(("metadata.annotations[kubernetes.io/service-account.name]", "FieldValueRequired",
                           "Required value"))
        if sum(len(v) for v in data.values()) > 1024 * 1024:
            causes.append(("data", "FieldValueTooLong", "Too long: must have at most 1048576 bytes"))
        if causes:
            raise kube.invalid(res, name, causes)
        obj["data"] = {k: kube.base64.b64encode(v).decode() for k, v in data.items()}
        if not obj["data"]:
            obj.pop("data")  # an empty map is omitted, as the API server stores it
        return obj


def _add_groups(groups, payload):
    payload["groups"] = payload.get("groups", []) + groups
    return payload


def _add_openapi_paths(groups, payload):
    for group in groups:
        gv = _gv_path(group, "v1")
        payload.setdefault("paths", {})[gv] = {"serverRelativeURL": "/openapi/v3/%s?hash=lab" % gv}
    return payload


def strict_patch_error(obj: dict, fields: str) -> ApiError:
    """422 for a patch whose result has unknown fields under fieldValidation=Strict, as kube-apiserver words it:
    the whole patched object is in the message (so a client must never show it for a Secret)."""
    value = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    message = 'Invalid value: "%s": %s: %s' % (value.replace("\\", "\\\\").replace('"', '\\"'), STRICT_HINT, fields)
    return ApiError(422, "Invalid", ' "" is invalid: patch: ' + message,
                    {"causes": [{"reason": "FieldValueInvalid", "message": message, "field": "patch"}]})


def unconditional_update(res: Resource) -> bool:
    """Whether a PUT without metadata.resourceVersion is accepted. Kubernetes' own types (Secrets, ConfigMaps,
    Deployments, ...) allow it; custom resources and openshift-apiserver's routes and image streams do not
    (their strategies' AllowUnconditionalUpdate is false, so the generic store answers 422). RBAC's strategies allow
    it too."""
    return res.group in kube.CORE_GROUPS or res.group == "rbac.authorization.k8s.io"


def bad_request_dry_run(value, verb="create"):
    options = {"create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions"}.get(verb, "DeleteOptions")
    message = 'dryRun: Unsupported value: ["%s"]: supported values: "All"' % value
    return ApiError(422, "Invalid", '%s.meta.k8s.io "" is invalid: %s' % (options, message),
                    {"group": "meta.k8s.io", "kind": options, "causes": [
                        {"reason": "FieldValueNotSupported", "message": message[len("dryRun: "):], "field": "dryRun"}]})


# the top-level fields of the core types the lab checks under fieldValidation=Strict
CORE_FIELDS = {"secrets": ("apiVersion", "kind", "metadata", "data", "stringData", "type", "immutable"),
               "configmaps": ("apiVersion", "kind", "metadata", "data", "binaryData", "immutable"),
               "serviceaccounts": ("apiVersion", "kind", "metadata", "secrets", "imagePullSecrets",
                                   "automountServiceAccountToken")}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ocp-registry-lab"
    lab = None  # set by make_server

    def log_message(self, *args):  # quiet: the request log is the record
        return

    def setup(self):
        super().setup()
        # a remote API server: a new connection costs the TCP and TLS handshakes, two round trips
        latency = float(self.lab.settings.get("latency_ms") or 0) / 1000.0
        if latency:
            time.sleep(2 * latency)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, code: int, body, headers=None):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(code)
        if "Content-Type" not in (headers or {}):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        lab = self.lab
        latency = float(lab.settings.get("latency_ms") or 0) / 1000.0
        if latency:
            time.sleep(latency)  # one round trip per request
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = dict(urllib.parse.parse_qsl(url.query))
        body = self._body()
        user = lab.users.user(self.headers.get("Authorization"))
        if path.startswith("/lab/") or path == "/lab":
            self._control(method, path, body, user, url.query)
            return
        ctx = {}
        entry = {"time": time.time(), "method": method, "path": path, "query": url.query,
                 "content_type": self.headers.get("Content-Type", ""), "user": user}
        status, headers = 500, {}
        forward = lab.front is not None and not lab.api.local(path)
        # what the client asked for, whatever answer it gets (a dry run refused with 403 is still a dry run)
        ctx["dry_run"] = query.get("dryRun") == "All"
        try:
            if user is None and not forward:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if forward:
                info = describe(method, path, query)
                verb = info["verb"]
                ctx.update(resource=info.get("resource"), namespace=info.get("namespace"), name=info.get("name"),
                           dry_run=query.get("dryRun") == "All")
            else:
                try:
                    verb = _verb(method, _parse_path(path)[2], query)
                except ApiError:
                    verb = method.lower()
            entry["verb"] = verb
            fault = lab.faults.take(method, verb, path)
            if fault:
                if fault.get("delay"):
                    time.sleep(float(fault["delay"]))
                if fault.get("reset"):
                    entry["status"] = 0
                    entry["fault"] = "reset"
                    lab.log.add(entry)
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    return
                if fault.get("conflict"):
                    ctx["force_conflict"] = True
                if fault.get("status"):
                    entry["fault"] = "status"
                    code = int(fault["status"])
                    if fault.get("retry_after") is not None:
                        headers["Retry-After"] = str(fault["retry_after"])
                    reasons = {429: "TooManyRequests", 500: "InternalError", 502: "InternalError",
                               503: "ServiceUnavailable", 504: "Timeout"}
                    messages = {429: "Too many requests, please try again later.",
                                503: "the server is currently unable to handle the request"}
                    raise ApiError(code, fault.get("reason") or reasons.get(code, "InternalError"),
                                   fault.get("message") or messages.get(code, "Internal error occurred: injected fault"))
            if forward:
                if ctx.get("force_conflict") and verb in ("update", "patch"):
                    raise front_conflict(info)

                def logged(status):
                    # logged before the client has its answer: a client that reads the log next finds its request
                    entry.update(status=status, resource=ctx.get("resource"), namespace=ctx.get("namespace"),
                                 name=ctx.get("name"), dry_run=ctx.get("dry_run", False), upstream=True)
                    lab.log.add(entry)
                self._forward(method, path, body, info, ctx.get("dry_run"), logged)
                return
            if path == "/openapi/v2" and "protobuf" in self.headers.get("Accept", ""):
                entry.update(status=200)
                lab.log.add(entry)
                self._send(200, b"\x0a\x032.0", {"Content-Type": "application/octet-stream"})
                return
            found = lab.api.discovery(path, self.headers.get("Host", ""))
            if found is not None:
                status, payload = found
                if user == "system:anonymous" and path != "/version":
                    raise ApiError(403, "Forbidden", 'forbidden: User "system:anonymous" cannot get path "%s"' % path)
            else:
                if not path.startswith(("/api/", "/apis/")):
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                status, payload = lab.api.handle(method, path, query, body, self.headers.get("Content-Type", ""),
                                                 user, ctx)
            if ctx.get("warnings"):
                headers["Warning"] = ", ".join('299 - "%s"' % w.replace("\\", "\\\\").replace('"', '\\"')
                                               for w in ctx["warnings"])
        except ApiError as exc:
            status, payload = exc.code, exc.status()
        except Exception as exc:  # pylint: disable=broad-except
            status, payload = 500, ApiError(500, "InternalError", "Internal error occurred: %s" % exc).status()
        entry.update(status=status, resource=ctx.get("resource"), namespace=ctx.get("namespace"),
                     name=ctx.get("name"), dry_run=ctx.get("dry_run", False))
        if "import" in ctx:
            entry["import"] = ctx["import"]  # an ImageStreamImport with import: false writes nothing
        lab.log.add(entry)
        self._send(status, payload, headers)

    def _forward(self, method, path, body, info=None, dry_run=False, logged=None) -> int:
        """Pass the request to kube-apiserver; discovery answers get the lab's own groups added."""
        api = self.lab.api
        accept = rewrite = None
        if path in ("/apis", "/api"):
            # the legacy discovery documents (not the aggregated ones), with image.openshift.io added to /apis:
            # clients fall back to them, as they do for any server without aggregated discovery
            accept = "application/json"
            if path == "/apis":
                rewrite = functools.partial(_add_groups, [api._group(g) for g in api._groups()])  # pylint: disable=protected-access
        elif path == "/openapi/v3":
            rewrite = functools.partial(_add_openapi_paths, api._groups())  # pylint: disable=protected-access

        def before_answer(status, answer):
            if method != "GET" and 200 <= status < 300 and answer and not dry_run:
                # what a client wrote is what the lab's controllers and image API read next (their cache would see
                # it a moment later from its watch; a test writes and then imports at once)
                self.lab.real.observe_write(method, info or {}, answer)
            if logged is not None:
                logged(status)
        status, _answer = self.lab.front.forward(self, method, self.path, body, accept=accept, rewrite=rewrite,
                                                 before_answer=before_answer)
        return status

    def _control(self, method, path, body, user, query=""):
        lab = self.lab
        if user != "admin":
            code = 401 if user in (None, "system:anonymous") else 403
            self._send(code, ApiError(code, "Unauthorized" if code == 401 else "Forbidden",
                                      "the lab controls need the admin token").status())
            return
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            self._send(400, {"error": "body must be JSON"})
            return
        if path == "/lab/requests":
            if method == "DELETE":
                lab.log.clear()
                self._send(200, {"cleared": True})
            else:
                with lab.log.lock:
                    self._send(200, {"items": list(lab.log.entries)})
        elif path == "/lab/faults":
            if method == "POST":
                try:
                    self._send(201, lab.faults.add(payload))
                except re.error as exc:
                    self._send(400, {"error": "bad path pattern: %s" % exc})
            elif method == "DELETE":
                with lab.faults.lock:
                    lab.faults.rules = []
                self._send(200, {"cleared": True})
            else:
                with lab.faults.lock:
                    self._send(200, {"items": list(lab.faults.rules)})
        elif path == "/lab/nodes/files" and method == "GET":
            self._send(200, lab.openshift.node_files(urllib.parse.parse_qs(query).get("pool", ["worker"])[0]))
        elif path == "/lab/registry/events" and method == "POST":
            self._send(200, lab.openshift.registry_events(payload))
        elif path == "/lab/reset" and method == "POST":
            try:
                lab.reset()
            except Exception as exc:  # pylint: disable=broad-except
                self._send(500, {"error": "the reset failed: %r" % exc})
                return
            self._send(200, {"reset": True})
        elif path == "/lab/settings":
            if method in ("POST", "PUT", "PATCH"):
                unknown = set(payload) - set(lab.settings)
                if unknown:
                    self._send(400, {"error": "unknown settings: %s" % sorted(unknown)})
                    return
                fixed = [k for k in ("token_max_expiration_seconds",)
                         if lab.front is not None and k in payload and payload[k] != lab.settings[k]]
                if fixed:
                    self._send(400, {"error": "%s is fixed when the real control plane starts (a kube-apiserver "
                                              "flag)" % fixed[0]})
                    return
                lab.settings.update(payload)
            self._send(200, lab.settings)
        else:
            self._send(404, {"error": "no such control: %s %s" % (method, path)})


def serve_tls(handler, port: int, cert: str, key: str) -> ThreadingHTTPServer:
    """A threading HTTPS server on 127.0.0.1 only."""
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return httpd


def make_server(lab, port: int, cert: str, key: str) -> ThreadingHTTPServer:
    return serve_tls(type("LabHandler", (Handler,), {"lab": lab}), port, cert, key)
