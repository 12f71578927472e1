"""The lab's front on a real control plane: what openshift-apiserver serves stays in the lab's process, with
authentication and authorization asked of the real kube-apiserver (TokenReview, SubjectAccessReview) as an
aggregated API server does; every other request is passed to kube-apiserver as it came, after the front has logged
it and applied the test controls' faults and latency."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import threading
import time
import urllib.parse

from ..kube import ApiError
from .remote import Client

IMAGE_PREFIX = "/apis/image.openshift.io"
# hop-by-hop headers, and those the front sets itself
DROP_RESPONSE_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}
FORWARD_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "User-Agent", "Impersonate-User",
                           "Impersonate-Group")


class DelegatedUsers:
    """The lab's `Users` interface answered by the real API server: who a bearer token is (TokenReview, cached
    for a few seconds) and what that user may do (SubjectAccessReview, asked every time: grants apply at once)."""

    def __init__(self, client: Client, static_tokens: dict[str, str]):
        self.client = client
        self.tokens = static_tokens  # token -> user, the static token file's users (known without a review)
        self.groups: dict[str, list[str]] = {}
        self.reviews: dict[str, tuple[float, str | None]] = {}
        self.lock = threading.Lock()
        self.bound = BoundTokens(client)

    def user(self, header: str | None) -> str | None:
        if not header or not header.lower().startswith("bearer "):
            return "system:anonymous"
        token = header.split(" ", 1)[1].strip()
        known = self.tokens.get(token)
        if known is not None:
            return known
        digest = hashlib.sha256(token.encode()).hexdigest()
        with self.lock:
            cached = self.reviews.get(digest)
        if cached and cached[0] > time.time():
            return cached[1]
        review = self.client.call("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                  {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                   "spec": {"token": token}})
        status = review.get("status") or {}
        user = (status.get("user") or {}).get("username") if status.get("authenticated") else None
        with self.lock:
            self.reviews[digest] = (time.time() + 1, user)
            if user:
                self.groups[user] = (status.get("user") or {}).get("groups") or []
        return user

    def allowed(self, user: str, verb: str, group: str, resource: str, namespace: str | None,
                name: str | None = None) -> bool:
        plural, _dummy, sub = resource.partition("/")
        attributes = {"verb": verb, "group": group, "resource": plural}
        if sub:
            attributes["subresource"] = sub
        if namespace:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        groups = self.groups.get(user)
        if groups is None:
            groups = ["system:masters", "system:authenticated"] if user == "admin" else \
                (["system:unauthenticated"] if user == "system:anonymous" else ["system:authenticated"])
        review = self.client.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                                  {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                                   "spec": {"user": user, "groups": groups, "resourceAttributes": attributes}})
        return bool((review.get("status") or {}).get("allowed"))


class BoundTokens:
    """A bound service-account token from the real TokenRequest API (for the lab's own registry process)."""

    def __init__(self, client: Client):
        self.client = client

    def reset(self):
        return

    def request(self, sa: dict, request: dict, *_args, **_kwargs) -> dict:
        meta = sa["metadata"]
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": dict(request.get("spec") or {})}
        body["spec"]["expirationSeconds"] = min(int(body["spec"].get("expirationSeconds") or 3600), 1 << 31)
        return self.client.call("POST", "/api/v1/namespaces/%s/serviceaccounts/%s/token"
                                % (meta["namespace"], meta["name"]), body)


PATH = re.compile(r"^/(?:api/(?P<cv>v1)|apis/(?P<group>[^/]+)/(?P<version>[^/]+))"
                  r"(?:/namespaces/(?P<ns>[^/]+))?(?:/(?P<plural>[^/]+)(?:/(?P<name>[^/]+)(?:/(?P<sub>.+))?)?)?$")


def describe(method: str, path: str, query: dict) -> dict:
    """What the request log records of a request the front passes on: resource, namespace, name, verb."""
    match = PATH.match(path)
    if not match:
        return {"verb": method.lower()}
    group = match.group("group") or ""
    ns, plural, name, sub = match.group("ns"), match.group("plural"), match.group("name"), match.group("sub")
    if ns and not group and (not plural or (plural in ("status", "finalize") and not name)):
        plural, name, sub, ns = "namespaces", ns, plural, None  # /api/v1/namespaces/<name>[/status]
    if plural is None:
        return {"verb": method.lower()}
    watch = query.get("watch") in ("1", "true")
    verb = {"GET": "watch" if watch else ("get" if name else "list"), "POST": "create", "PUT": "update",
            "PATCH": "patch", "DELETE": "delete" if name else "deletecollection"}.get(method, method.lower())
    resource = "%s.%s" % (plural, group) if group else plural
    return {"verb": verb, "resource": resource, "namespace": ns, "name": name, "subresource": sub}


def conflict(info: dict) -> ApiError:
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    "please apply your changes to the latest version and try again"
                    % (info.get("resource"), info.get("name")),
                    {"name": info.get("name"), "kind": (info.get("resource") or "").split(".")[0]})


class Upstream:
    """Requests passed on to kube-apiserver: a keep-alive connection per front thread; watches streamed."""

    def __init__(self, url: str, ca_file: str):
        self.client = Client(url, ca_file, "")

    def forward(self, handler, method: str, raw_path: str, body: bytes, accept: str | None = None,
                rewrite=None, before_answer=None) -> tuple[int, bytes | None]:
        """Send the request upstream and the answer back to the client; returns the status code and the body
        (None when it was streamed).
        rewrite(status, payload) may change a JSON answer (discovery merges the lab's own groups in).
        before_answer(status, body) runs before the client has its answer (the request log and the lab's view of
        the write are then up to date when the client reads them next)."""
        headers = {k: handler.headers[k] for k in FORWARD_REQUEST_HEADERS if handler.headers.get(k)}
        if accept:
            headers["Accept"] = accept
        if body:
            headers["Content-Length"] = str(len(body))
        streaming = "watch=" in raw_path and re.search(r"[?&]watch=(1|true)", raw_path)
        conn = self.client.connection(fresh=bool(streaming), timeout=3600 if streaming else None)
        for attempt in range(2):
            try:
                conn.request(method, raw_path, body=body or None, headers=headers)
                resp = conn.getresponse()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                if not streaming:
                    self.client.local.conn = None
                    conn = self.client.connection()
                if attempt:
                    raise
        if streaming:
            if before_answer is not None:
                before_answer(resp.status, None)
            return self._stream(handler, resp, conn), None
        data = resp.read()
        if rewrite is not None and resp.status == 200:
            data = json.dumps(rewrite(json.loads(data))).encode()
        if before_answer is not None:
            before_answer(resp.status, data)
        handler.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in DROP_RESPONSE_HEADERS:
                handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return resp.status, data

    @staticmethod
    def _stream(handler, resp, conn) -> int:
        handler.send_response(resp.status)
        for key, value in resp.getheaders():
            if key.lower() not in DROP_RESPONSE_HEADERS:
                handler.send_header(key, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            while True:
                chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
                if not chunk:
                    break
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                handler.wfile.flush()
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            handler.close_connection = True
        finally:
            if conn is not None:
                conn.close()
        return resp.status


def split(raw_path: str) -> tuple[str, dict]:
    url = urllib.parse.urlsplit(raw_path)
    return url.path.rstrip("/") or "/", dict(urllib.parse.parse_qsl(url.query))
