# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""From resolved connection options to a Connection: inline host and credentials, or the kubernetes package's
own loader for kubeconfig files, contexts, exec plugins and in-cluster service accounts. Files named by the
options are checked here, before any request."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError


class ConfigError(ClusterError):
    """The connection options cannot produce a usable connection."""


def has_inline_credentials(auth):
    """Whether the options alone make a connection, so the kubernetes package is not needed."""
    token = auth.get("api_key")
    password = auth.get("username") and auth.get("password")
    certificate = auth.get("client_cert") and auth.get("client_key")
    return bool(auth.get("host") and (token or password or certificate))


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


def _load_with_kubernetes(auth, temp_dir=None):
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
                                                   client_configuration=configuration, persist_config=persist,
                                                   temp_file_path=temp_dir)
        else:
            path = os.path.expanduser(kubeconfig) if kubeconfig else None
            if path and not os.path.exists(path):
                raise ConfigError("kubeconfig %s does not exist; set kubeconfig (K8S_AUTH_KUBECONFIG) to the path "
                                  "of a kubeconfig file" % path)
            kube_config.load_kube_config(config_file=path, context=auth.get("context"),
                                         client_configuration=configuration, persist_config=persist,
                                         temp_file_path=temp_dir)
    except ConfigError:
        raise
    except (ConfigException, ValueError, IOError, OSError, TypeError) as exc:
        where = "the given kubeconfig" if kubeconfig else "~/.kube/config (or KUBECONFIG)"
        raise ConfigError("could not load cluster credentials from %s: %s; set kubeconfig/context, or host with "
                          "api_key (K8S_AUTH_HOST, K8S_AUTH_API_KEY)" % (where, _first_line(exc)))
    finally:
        if temp_dir:
            _forget_files_in(kube_config, temp_dir)
    return configuration


def _forget_files_in(kube_config, temp_dir):
    """The loader remembers the files it wrote, by content, for the life of the process, and hands the same path
    out again for the same content. The caller removes temp_dir, so a later load (another task's directory) must
    not be given a path in it: forget what was written there."""
    written = getattr(kube_config, "_temp_files", None)
    if not isinstance(written, dict):
        return
    prefix = os.path.join(os.path.abspath(temp_dir), "")
    for content, path in list(written.items()):
        if os.path.abspath(path).startswith(prefix):
            del written[content]


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def api_server_url(host):
    """The API server's URL from host (https:// when it has no scheme), or ConfigError naming what is wrong: a URL
    with a scheme other than http or https, no host name, a port that is not a number, spaces."""
    text = host.strip() if isinstance(host, str) else ""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "https", text
    scheme = scheme.lower()
    netloc = rest.split("/", 1)[0]
    name, _colon, port = netloc.rpartition(":") if netloc.count(":") == 1 else (netloc, "", "")
    problem = None
    if not text or any(c.isspace() for c in text):
        problem = "it is empty or has spaces"
    elif scheme not in ("http", "https"):
        problem = "its scheme is %s, not https (or http for a local proxy)" % scheme
    elif not netloc or not (name or netloc).strip("[]"):
        problem = "it names no host"
    elif port and not (port.isdigit() and 0 < int(port) < 65536):
        problem = "its port %r is not a number from 1 to 65535" % port
    elif not netloc.startswith("[") and not names.HOSTNAME.match(name or netloc):
        problem = "%r is not a host name or address" % (name or netloc)
    if problem:
        raise ConfigError("host (K8S_AUTH_HOST) %r is not an API server URL: %s. Give https://api.<cluster>:6443"
                          % (host, problem))
    return scheme + "://" + rest


def connect(auth, temp_dir=None):
    """Build a Connection from resolved options (see resolve_auth). Files the kubeconfig holds inline (CA,
    client certificate and key) are written under temp_dir when given (the caller removes it)."""
    base = None
    if not has_inline_credentials(auth):
        base = _load_with_kubernetes(auth, temp_dir)
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
    host = api_server_url(host)
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
