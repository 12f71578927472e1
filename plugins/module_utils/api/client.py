# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The REST client for the API server, on known resource paths (no discovery: every resource this collection
touches has a known path, see RESOURCES), with retries of what is safe to repeat. Connection options are in
api.options, kubeconfig loading in api.kubeconfig, HTTP in api.transport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import random
import threading
import time

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.transport import Peer, Transport, TransportError, basic_auth

SAFE_METHODS = ("GET", "HEAD")
API_SERVER = Peer("the API server", ca_option="ca_cert (K8S_AUTH_SSL_CA_CERT)", ca_what="the cluster's CA bundle",
                  insecure_hint="validate_certs: false skips the check and is insecure")


class Resource(object):
    """A resource with a known REST path."""

    def __init__(self, api_version, plural, kind, namespaced):
        self.api_version = api_version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced

    @property
    def group(self):
        return self.api_version.split("/")[0] if "/" in self.api_version else ""

    def path(self, name=None, namespace=None, subresource=None):
        base = "/apis/" + self.api_version if "/" in self.api_version else "/api/" + self.api_version
        if self.namespaced:
            if not namespace:
                raise ValueError("a namespace is required for %s" % self.plural)
            base += "/namespaces/" + quote(namespace, safe="")
        base += "/" + self.plural
        if name:
            base += "/" + quote(name, safe=":")
        if subresource:
            base += "/" + subresource
        return base


RESOURCES = dict(
    namespace=Resource("v1", "namespaces", "Namespace", False),
    secret=Resource("v1", "secrets", "Secret", True),
    configmap=Resource("v1", "configmaps", "ConfigMap", True),
    serviceaccount=Resource("v1", "serviceaccounts", "ServiceAccount", True),
    pvc=Resource("v1", "persistentvolumeclaims", "PersistentVolumeClaim", True),
    deployment=Resource("apps/v1", "deployments", "Deployment", True),
    route=Resource("route.openshift.io/v1", "routes", "Route", True),
    imagestream=Resource("image.openshift.io/v1", "imagestreams", "ImageStream", True),
    imagestreamimport=Resource("image.openshift.io/v1", "imagestreamimports", "ImageStreamImport", True),
    image_config=Resource("config.openshift.io/v1", "images", "Image", False),
    clusteroperator=Resource("config.openshift.io/v1", "clusteroperators", "ClusterOperator", False),
    registry_config=Resource("imageregistry.operator.openshift.io/v1", "configs", "Config", False),
    samples_config=Resource("samples.operator.openshift.io/v1", "configs", "Config", False),
)


class ClusterError(OcpRegistryError):
    """A failed request, with the API's reason. str() is a message that says what to do; never a secret."""

    def __init__(self, message, status=None, reason=None, causes=None, method=None, path=None):
        super(ClusterError, self).__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.causes = causes or []
        self.method = method
        self.path = path

    def __str__(self):
        return self.message


# a value the API server quotes whole: kube-apiserver's 422 for a strict patch names the entire patched object
# ("patch: Invalid value: \"{...}\": strict decoding error: ..."), a Secret's data included
QUOTED_OBJECT = re.compile(r'Invalid value: "\{.*\}"', re.S)


def _unquote_objects(text):
    return QUOTED_OBJECT.sub("Invalid value: (the object, not shown)", text) if isinstance(text, str) else text


def error_message(status, body, method, path, conn_host=None):
    """A message that names the problem and the fix, from an API Status body. An object the server quotes whole
    is left out: it may be a Secret."""
    message = _unquote_objects((body or {}).get("message") or "")
    reason = (body or {}).get("reason") or ""
    causes = [dict(c, message=_unquote_objects(c.get("message", ""))) for c in
              ((body or {}).get("details") or {}).get("causes") or []]
    where = "%s %s" % (method, path)
    if status == 401:
        return ("the API server rejected the credentials (401 Unauthorized) for %s: the token or client certificate "
                "is missing, wrong or expired; log in again or set api_key (K8S_AUTH_API_KEY) / kubeconfig" % where)
    if status == 403:
        return ("%s (403 Forbidden). Ask a cluster administrator to grant this user that permission, or use "
                "credentials that have it" % (message or "forbidden: " + where))
    if status == 404:
        return "%s (404 NotFound on %s)" % (message or "not found", where)
    if status == 409:
        return "%s (409 %s on %s)" % (message or "conflict", reason or "Conflict", where)
    if status == 422:
        details = "; ".join("%s: %s" % (c.get("field", ""), c.get("message", "")) for c in causes)
        return "the API server refused the object as invalid (422): %s" % (details or message)
    if status == 429:
        return "the API server is throttling requests (429 TooManyRequests) on %s and retries ran out; try again " \
               "later or raise request_retries" % where
    if status and status >= 500:
        return "the API server failed (%d %s) on %s: %s" % (status, reason or "error", where, message)
    return "%s (%s %s on %s)" % (message or "request failed", status, reason, where)


class Client(object):
    """REST on known paths: get, list, create, replace, patch (merge / JSON patch), delete, dry-run."""

    def __init__(self, connection, timeout=30.0, retries=4, max_retry_wait=10.0, budget=60.0, sleep=time.sleep):
        self.conn = connection
        self.timeout = timeout
        self.retries = max(0, retries)
        self.max_retry_wait = max_retry_wait
        self.budget = budget
        self.sleep = sleep
        self.requests = 0
        self.writes = []  # "METHOD path" of every write the API server accepted (dry runs and reviews are not writes)
        self._lock = threading.Lock()
        self._local = threading.local()
        self.transports = []

    @property
    def transport(self):
        """This thread's transport: kept-open connections are not shared between threads."""
        transport = getattr(self._local, "transport", None)
        if transport is None:
            conn = self.conn
            transport = Transport(
                API_SERVER, ca_cert=conn.ca_cert, client_cert=conn.client_cert, client_key=conn.client_key,
                validate_certs=conn.validate_certs, timeout=self.timeout, proxy=conn.proxy, no_proxy=conn.no_proxy,
                proxy_basic_auth=conn.proxy_headers.get("proxy_basic_auth"))
            self._local.transport = transport
            with self._lock:
                self.transports.append(transport)
        return transport

    def _headers(self, content_type=None):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.conn.token:
            headers["Authorization"] = "Bearer " + self.conn.token
        elif self.conn.username and self.conn.password:
            headers["Authorization"] = basic_auth(self.conn.username, self.conn.password)
        if self.conn.impersonate_user:
            headers["Impersonate-User"] = self.conn.impersonate_user
        if self.conn.impersonate_groups:
            headers["Impersonate-Group"] = self.conn.impersonate_groups[0]
        ua = self.conn.proxy_headers.get("user_agent")
        headers["User-Agent"] = ua or "ocp.registry"
        return headers

    def request(self, method, path, body=None, query=None, content_type="application/json"):
        url = self.conn.host + path
        if query:
            url += "?" + urlencode(sorted((k, v) for k, v in query.items() if v is not None))
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = self._headers(content_type if data is not None else None)
        started = time.time()
        attempt = 0
        repeatable = _repeatable(method, path, body)
        uncertain = False  # an earlier attempt may have been applied (no answer, or a 5xx other than 503)
        while True:
            attempt += 1
            try:
                answer = self._send(method, url, data, headers, path, repeatable)
            except ClusterError as exc:
                if uncertain and exc.status == 409 and exc.reason == "AlreadyExists" and _named_create(method, body):
                    answer = self._created_before(path, body)
                    if answer is None:
                        raise
                else:
                    wait = self._retry_wait(exc, method, attempt, started, repeatable)
                    if wait is None:
                        raise
                    uncertain = uncertain or exc.status is None or (exc.status >= 500 and exc.status != 503)
                    self.sleep(wait)
                    continue
            if _is_write(method, path, body, query):
                with self._lock:
                    self.writes.append("%s %s" % (method, path))
            return answer

    def _created_before(self, path, body):
        """After a create whose outcome was unknown, the retry found the object there: it is ours when it holds what
        was sent (then it is returned as the create's answer), someone else's otherwise (None)."""
        url = "%s%s/%s" % (self.conn.host, path.split("?")[0], quote(body["metadata"]["name"], safe=":"))
        try:
            existing = self._send("GET", url, None, self._headers(), path, True)
        except ClusterError:
            return None
        for key, value in body.items():
            if key in ("apiVersion", "kind", "metadata", "status"):
                continue
            if existing.get(key) != value:
                return None
        meta, sent = existing.get("metadata") or {}, body.get("metadata") or {}
        for field in ("labels", "annotations"):
            if any((meta.get(field) or {}).get(k) != v for k, v in (sent.get(field) or {}).items()):
                return None
        return existing

    def _retry_wait(self, exc, method, attempt, started, repeatable=False):
        if attempt > self.retries:
            return None
        retry_after = getattr(exc, "retry_after", None)
        if exc.status == 429 or exc.status == 503:
            pass  # the server did not process the request: safe to repeat for any verb
        elif not (method in SAFE_METHODS or repeatable) or not (exc.status is None or exc.status >= 500):
            return None
        if getattr(exc, "tls", False):
            return None
        if retry_after is not None:
            wait = min(float(retry_after), self.max_retry_wait)
        else:
            wait = min(0.2 * (2 ** (attempt - 1)), self.max_retry_wait) * (0.5 + random.random() / 2)
        if time.time() - started + wait > self.budget:
            return None
        return wait

    def _send(self, method, url, data, headers, path, repeatable=False):
        with self._lock:
            self.requests += 1
        try:
            response = self.transport.request(method, url, body=data, headers=headers, replayable=repeatable)
        except TransportError as err:
            message = err.message if err.outcome == "untrusted" else "%s (%s %s)" % (err.message, method, path)
            exc = ClusterError(message, method=method, path=path)
            exc.tls = err.outcome == "untrusted"
            raise exc
        raw = response.body
        if response.status >= 400:
            try:
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise ValueError(raw)
            except ValueError:
                body = {"message": (raw or b"").decode("utf-8", "replace")[:200]}
            exc = ClusterError(error_message(response.status, body, method, path), status=response.status,
                               reason=body.get("reason"),
                               causes=[dict(c, message=_unquote_objects(c.get("message", "")))
                                       for c in (body.get("details") or {}).get("causes") or []],
                               method=method, path=path)
            exc.retry_after = _retry_after(response.header("Retry-After"))
            exc.body = body
            raise exc
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise ClusterError("the API server answered %s %s with something that is not JSON" % (method, path),
                               method=method, path=path)

    # -- verbs on known resources
    def get(self, resource, name, namespace=None, subresource=None, missing_ok=False):
        try:
            return self.request("GET", resource.path(name, namespace, subresource))
        except ClusterError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise

    def list(self, resource, namespace=None, label_selector=None):
        return self.request("GET", resource.path(None, namespace), query={"labelSelector": label_selector})

    def create(self, resource, body, namespace=None, dry_run=False):
        return self.request("POST", resource.path(None, namespace), body=body, query=_query(dry_run))

    def replace(self, resource, body, namespace=None, dry_run=False, subresource=None):
        """PUT the whole object; body carries metadata.resourceVersion, so a stale copy gets 409."""
        name = body["metadata"]["name"]
        return self.request("PUT", resource.path(name, namespace, subresource), body=body, query=_query(dry_run))

    def patch(self, resource, name, patch, namespace=None, patch_type="merge", dry_run=False, subresource=None):
        content_type = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
                        "strategic": "application/strategic-merge-patch+json"}[patch_type]
        return self.request("PATCH", resource.path(name, namespace, subresource), body=patch,
                            query=_query(dry_run), content_type=content_type)

    def delete(self, resource, name, namespace=None, dry_run=False, missing_ok=True):
        try:
            return self.request("DELETE", resource.path(name, namespace), query=_query(dry_run))
        except ClusterError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise


def _query(dry_run):
    query = {"fieldValidation": "Strict"}
    if dry_run:
        query["dryRun"] = "All"
    return query


def _retry_after(value):
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def dry_run_or_predict(check_mode, write, predicted, notes):
    """In check mode, the server's dry run of write() (what it would store, with its defaults); when the credentials
    may only read (403), the module's own prediction, and a note that says so. Outside check mode, write()."""
    try:
        return write()
    except ClusterError as exc:
        if not (check_mode and exc.status == 403):
            raise
        note = "check mode predicted without the API server's dry run: these credentials may not write, so server " \
               "defaults are not in the prediction"
        if note not in notes:
            notes.append(note)
        return predicted


# requests that create nothing that stays: reviews, a bound token (TokenRequest), an import that only looks
NOT_STORED = ("/subjectaccessreviews", "/selfsubjectaccessreviews", "/localsubjectaccessreviews", "/tokenreviews",
              "/token")


def _is_write(method, path, body, query):
    if method in SAFE_METHODS or (query or {}).get("dryRun"):
        return False
    if method == "POST" and path.endswith(NOT_STORED):
        return False
    if method == "POST" and path.endswith("/imagestreamimports"):
        return bool(((body or {}).get("spec") or {}).get("import"))
    return True


def _named_create(method, body):
    return method == "POST" and isinstance(body, dict) and bool((body.get("metadata") or {}).get("name"))


def _repeatable(method, path, body):
    """Whether a request whose outcome is unknown (a reset, a 5xx) may simply be sent again. Reads may; so may an
    update that carries its resourceVersion (if the first one landed, the second gets 409 and the caller reads and
    merges again), a DELETE (the second finds nothing), an ImageStreamImport (it carries the stream's
    resourceVersion, or creates the stream at most once), and a create of a named object (the second gets 409
    AlreadyExists, and request() reads the object: ours when it holds what was sent)."""
    if method in SAFE_METHODS or method == "DELETE":
        return True
    if method == "PUT" and isinstance(body, dict) and (body.get("metadata") or {}).get("resourceVersion"):
        return True
    if method == "POST" and path.endswith(NOT_STORED):
        return False
    # a named create: a second one finds the first applied (409 AlreadyExists) and request() reads it back
    return _named_create(method, body) or (method == "POST" and path.endswith("/imagestreamimports"))
