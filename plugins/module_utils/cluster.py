# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection to the cluster: options and K8S_AUTH_* fallbacks as kubernetes.core names them, credentials
loaded by the kubernetes package's config loader, and a small REST client on known resource paths.

No API discovery: every resource this collection touches has a known path (see RESOURCES).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import json
import os
import random
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, urlencode
from ansible.module_utils.urls import Request

AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="raw"),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    client_cert=dict(type="path", aliases=["cert_file"]),
    client_key=dict(type="path", aliases=["key_file"], no_log=False),
    proxy=dict(type="str"),
    no_proxy=dict(type="str"),
    proxy_headers=dict(type="dict", options=dict(
        proxy_basic_auth=dict(type="str", no_log=True),
        basic_auth=dict(type="str", no_log=True),
        user_agent=dict(type="str"),
    )),
    persist_config=dict(type="bool"),
    impersonate_user=dict(type="str"),
    impersonate_groups=dict(type="list", elements="str"),
    request_timeout=dict(type="float", default=30.0),
    request_retries=dict(type="int", default=4),
)

# option name -> the environment names kubernetes.core reads for it (its own name, then the client's name)
ENV_NAMES = dict(
    kubeconfig=("K8S_AUTH_KUBECONFIG",),
    context=("K8S_AUTH_CONTEXT",),
    host=("K8S_AUTH_HOST",),
    api_key=("K8S_AUTH_API_KEY",),
    username=("K8S_AUTH_USERNAME",),
    password=("K8S_AUTH_PASSWORD",),
    validate_certs=("K8S_AUTH_VALIDATE_CERTS", "K8S_AUTH_VERIFY_SSL"),
    ca_cert=("K8S_AUTH_CA_CERT", "K8S_AUTH_SSL_CA_CERT"),
    client_cert=("K8S_AUTH_CLIENT_CERT", "K8S_AUTH_CERT_FILE"),
    client_key=("K8S_AUTH_CLIENT_KEY", "K8S_AUTH_KEY_FILE"),
    proxy=("K8S_AUTH_PROXY",),
    no_proxy=("K8S_AUTH_NO_PROXY",),
    persist_config=("K8S_AUTH_PERSIST_CONFIG",),
    impersonate_user=("K8S_AUTH_IMPERSONATE_USER",),
    impersonate_groups=("K8S_AUTH_IMPERSONATE_GROUPS",),
)
BOOL_OPTIONS = ("validate_certs", "persist_config")
SAFE_METHODS = ("GET", "HEAD")


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


class ClusterError(Exception):
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


class ConfigError(ClusterError):
    """The connection options cannot produce a usable connection."""


def resolve_auth(params, environ=None):
    """Module options first, then the K8S_AUTH_* environment, exactly as kubernetes.core resolves them."""
    environ = os.environ if environ is None else environ
    auth = {}
    for name in ENV_NAMES:
        value = params.get(name)
        if value is None:
            for env_name in ENV_NAMES[name]:
                if environ.get(env_name) is not None:
                    value = environ[env_name]
                    break
            if value is not None and name in BOOL_OPTIONS:
                value = value.lower() not in ("0", "false", "no")
            if value is not None and name == "impersonate_groups":
                value = [g.strip() for g in value.split(",") if g.strip()]
        if value is not None:
            auth[name] = value
    if auth.get("host"):
        auth["host"] = auth["host"].rstrip("/")
    auth["proxy_headers"] = params.get("proxy_headers")
    return auth


def _has_inline_credentials(auth):
    return bool(auth.get("host") and (auth.get("api_key") or (auth.get("username") and auth.get("password"))
                                      or (auth.get("client_cert") and auth.get("client_key"))))


class Connection(object):
    """Everything needed to talk to the API server, after kubeconfig / in-cluster loading and overrides."""

    def __init__(self, host, token=None, username=None, password=None, ca_cert=None, client_cert=None,
                 client_key=None, validate_certs=True, proxy=None, no_proxy=None, proxy_headers=None,
                 impersonate_user=None, impersonate_groups=None):
        self.host = host
        self.token = token
        self.username = username
        self.password = password
        self.ca_cert = ca_cert
        self.client_cert = client_cert
        self.client_key = client_key
        self.validate_certs = validate_certs
        self.proxy = proxy
        self.no_proxy = no_proxy
        self.proxy_headers = proxy_headers or {}
        self.impersonate_user = impersonate_user
        self.impersonate_groups = impersonate_groups or []


def _load_with_kubernetes(auth):
    """kubeconfig (path or dict), context, exec plugins, in-cluster: the kubernetes package's own loader."""
    try:
        from kubernetes.client import Configuration
        from kubernetes.config import ConfigException, incluster_config, kube_config
    except ImportError:
        raise ConfigError("the kubernetes Python package is needed to read a kubeconfig or in-cluster credentials; "
                          "install it (pip install kubernetes) or give host and api_key")
    configuration = Configuration()
    kubeconfig = auth.get("kubeconfig")
    try:
        if kubeconfig is None and not auth.get("context"):
            try:
                incluster_config.load_incluster_config(client_configuration=configuration)
                return configuration
            except ConfigException:
                pass
        persist = bool(auth.get("persist_config"))
        if isinstance(kubeconfig, dict):
            kube_config.load_kube_config_from_dict(kubeconfig, context=auth.get("context"),
                                                   client_configuration=configuration, persist_config=persist)
        else:
            path = os.path.expanduser(kubeconfig) if kubeconfig else None
            if path and not os.path.exists(path):
                raise ConfigError("kubeconfig %s does not exist; set kubeconfig (K8S_AUTH_KUBECONFIG) to the path "
                                  "of a kubeconfig file" % path)
            kube_config.load_kube_config(config_file=path, context=auth.get("context"),
                                         client_configuration=configuration, persist_config=persist)
    except ConfigError:
        raise
    except (ConfigException, ValueError, IOError, OSError, TypeError) as exc:
        where = "the given kubeconfig" if kubeconfig else "~/.kube/config (or KUBECONFIG)"
        raise ConfigError("could not load cluster credentials from %s: %s; set kubeconfig/context, or host with "
                          "api_key (K8S_AUTH_HOST, K8S_AUTH_API_KEY)" % (where, _first_line(exc)))
    return configuration


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def connect(auth):
    """Build a Connection from resolved options (see resolve_auth)."""
    base = None
    if not _has_inline_credentials(auth):
        base = _load_with_kubernetes(auth)
    token = None
    if base is not None:
        header = (base.api_key or {}).get("authorization") or (base.api_key or {}).get("BearerToken")
        prefix = (base.api_key_prefix or {}).get("authorization")
        if header:
            token = header.split(" ", 1)[1] if header.lower().startswith("bearer ") else header
            if prefix and prefix.lower() != "bearer":
                token = header
    host = auth.get("host") or (base.host if base is not None else None)
    if not host:
        raise ConfigError("no API server: set host (K8S_AUTH_HOST) or a kubeconfig with a current context")
    scheme, sep, rest = host.partition("://")
    if not sep:
        host = "https://" + host
    else:
        host = scheme.lower() + sep + rest
    if len(auth.get("impersonate_groups") or []) > 1:
        raise ConfigError("impersonate_groups: one group can be impersonated per connection (the API server reads "
                          "one group per Impersonate-Group header); give a single group")
    validate = auth.get("validate_certs")
    if validate is None:
        validate = base.verify_ssl if base is not None else True
    token = auth.get("api_key") or token
    username = auth.get("username") or (base.username if base is not None else None)
    password = auth.get("password") or (base.password if base is not None else None)
    if host.lower().startswith("http://") and (token or password):
        raise ConfigError("host %s is plain HTTP: the %s would be sent in clear text, so nothing was sent. Use the "
                          "API server's https:// address (with ca_cert for its CA); plain HTTP is only for a local "
                          "`oc proxy`/`kubectl proxy`, without api_key, username or password"
                          % (host.rstrip("/"), "bearer token" if token else "password"))
    ca_cert = auth.get("ca_cert") or (base.ssl_ca_cert if base is not None else None)
    _check_file("ca_cert (K8S_AUTH_SSL_CA_CERT)", ca_cert, "-----BEGIN CERTIFICATE-----",
                "the PEM bundle of the CAs that sign the API server's certificate")
    client_cert = auth.get("client_cert") or (base.cert_file if base is not None else None)
    client_key = auth.get("client_key") or (base.key_file if base is not None else None)
    _check_file("client_cert (K8S_AUTH_CERT_FILE)", client_cert, "-----BEGIN CERTIFICATE-----", "a PEM certificate")
    _check_file("client_key (K8S_AUTH_KEY_FILE)", client_key, "PRIVATE KEY-----", "a PEM private key")
    return Connection(
        host=host.rstrip("/"),
        token=token,
        username=username,
        password=password,
        ca_cert=ca_cert,
        client_cert=client_cert,
        client_key=client_key,
        validate_certs=validate,
        proxy=auth.get("proxy") or (base.proxy if base is not None else None),
        no_proxy=auth.get("no_proxy"),
        proxy_headers=auth.get("proxy_headers"),
        impersonate_user=auth.get("impersonate_user"),
        impersonate_groups=auth.get("impersonate_groups"),
    )


def error_message(status, body, method, path, conn_host=None):
    """A message that names the problem and the fix, from an API Status body."""
    message = (body or {}).get("message") or ""
    reason = (body or {}).get("reason") or ""
    causes = ((body or {}).get("details") or {}).get("causes") or []
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
        self._request = Request()

    @contextlib.contextmanager
    def _proxy_env(self):
        """The proxy option, for the API server's requests only. urllib (under ansible.module_utils.urls) reads the
        proxy from the environment when it opens a request, so the variables are set for that moment and restored
        right after: nothing else this process sends (registry checks) goes through the API server's proxy."""
        conn = self.conn
        if not conn.proxy:
            yield
            return
        proxy = conn.proxy
        basic = conn.proxy_headers.get("proxy_basic_auth")
        if basic and "@" not in proxy and "://" in proxy:
            scheme, rest = proxy.split("://", 1)
            proxy = "%s://%s@%s" % (scheme, basic, rest)
        names = ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY")
        saved = dict((name, os.environ.get(name)) for name in names)
        try:
            for name in names[:4]:
                os.environ[name] = proxy
            for name in names[4:]:
                if conn.no_proxy:
                    os.environ[name] = conn.no_proxy
                else:
                    os.environ.pop(name, None)
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _headers(self, content_type=None):
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.conn.token:
            headers["Authorization"] = "Bearer " + self.conn.token
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
        while True:
            attempt += 1
            try:
                return self._send(method, url, data, headers, path)
            except ClusterError as exc:
                wait = self._retry_wait(exc, method, attempt, started, repeatable)
                if wait is None:
                    raise
                self.sleep(wait)

    def _retry_wait(self, exc, method, attempt, started, repeatable=False):
        if attempt > self.retries:
            return None
        retry_after = getattr(exc, "retry_after", None)
        if exc.status == 429 or exc.status == 503:
            pass  # the server did not process the request: safe to repeat for any verb
        elif not (method in SAFE_METHODS or repeatable) or not (exc.status is None or exc.status >= 500):
            return None
        if isinstance(exc, ConfigError) or getattr(exc, "tls", False):
            return None
        if retry_after is not None:
            wait = min(float(retry_after), self.max_retry_wait)
        else:
            wait = min(0.2 * (2 ** (attempt - 1)), self.max_retry_wait) * (0.5 + random.random() / 2)
        if time.time() - started + wait > self.budget:
            return None
        return wait

    def _send(self, method, url, data, headers, path):
        self.requests += 1
        kwargs = dict(data=data, headers=headers, timeout=self.timeout, validate_certs=self.conn.validate_certs,
                      follow_redirects="none", use_proxy=True)
        if self.conn.ca_cert:
            kwargs["ca_path"] = self.conn.ca_cert
        if self.conn.client_cert:
            kwargs["client_cert"] = self.conn.client_cert
            kwargs["client_key"] = self.conn.client_key
        if self.conn.username and self.conn.password and not self.conn.token:
            kwargs.update(url_username=self.conn.username, url_password=self.conn.password, force_basic_auth=True)
        try:
            with self._proxy_env():
                response = self._request.open(method, url, **kwargs)
                raw = response.read()
        except HTTPError as err:
            raw = err.read() if hasattr(err, "read") else b""
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"message": (raw or b"").decode("utf-8", "replace")[:200]}
            exc = ClusterError(error_message(err.code, body, method, path), status=err.code,
                               reason=body.get("reason"),
                               causes=((body.get("details") or {}).get("causes") or []), method=method, path=path)
            exc.retry_after = _retry_after(err.headers)
            exc.body = body
            raise exc
        except Exception as err:  # connection, TLS and socket errors come in several types across Python versions
            raise _transport_error(err, self.conn, method, path)
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


def _retry_after(headers):
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _transport_error(err, conn, method, path):
    reason = getattr(err, "reason", err)
    text = str(reason)
    tls = "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text or \
        err.__class__.__name__ == "SSLValidationError"
    if tls:
        if conn.ca_cert:
            hint = "the CA in ca_cert (%s) did not sign the API server's certificate; point ca_cert " \
                   "(K8S_AUTH_SSL_CA_CERT) at the cluster's CA bundle" % conn.ca_cert
        else:
            hint = "the API server's certificate is not signed by a CA this host trusts; set ca_cert " \
                   "(K8S_AUTH_SSL_CA_CERT) to the cluster's CA bundle (validate_certs: false skips the check and " \
                   "is insecure)"
        exc = ClusterError("TLS verification of %s failed: %s" % (conn.host, hint), method=method, path=path)
        exc.tls = True
        return exc
    if isinstance(err, URLError) or isinstance(err, (IOError, OSError)):
        return ClusterError("cannot reach the API server at %s (%s %s): %s" % (conn.host, method, path, text),
                            method=method, path=path)
    return ClusterError("request to the API server at %s failed (%s %s): %s: %s"
                        % (conn.host, method, path, err.__class__.__name__, text), method=method, path=path)


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


def _repeatable(method, path, body):
    """Whether a request whose outcome is unknown (a reset, a 5xx) may simply be sent again. Reads may; so may an
    update that carries its resourceVersion (if the first one landed, the second gets 409 and the caller reads and
    merges again), a DELETE (the second finds nothing), and an ImageStreamImport (it carries the stream's
    resourceVersion, or creates the stream at most once)."""
    if method in SAFE_METHODS or method == "DELETE":
        return True
    if method == "PUT" and isinstance(body, dict) and (body.get("metadata") or {}).get("resourceVersion"):
        return True
    return method == "POST" and path.endswith("/imagestreamimports")


def _check_file(option, path, marker, what):
    """A file option names a readable file of the right kind, or the task stops before any request, naming both."""
    if not path:
        return
    try:
        with open(path, "rb") as handle:
            head = handle.read(1024 * 1024)
    except (IOError, OSError) as exc:
        raise ConfigError("%s: %s cannot be read (%s); give %s" % (option, path, exc.strerror or exc, what))
    if marker.encode("ascii") not in head:
        raise ConfigError("%s: %s is not %s" % (option, path, what))


def client_from_params(params, environ=None):
    auth = resolve_auth(params, environ)
    connection = connect(auth)
    return Client(connection, timeout=params.get("request_timeout") or 30.0,
                  retries=params.get("request_retries") if params.get("request_retries") is not None else 4)
