# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP transport for everything the collection talks to: the API server and container registries.

Standard library only: ssl for TLS (the CA file, or the system trust store; client certificates;
validate_certs), http.client for connections, kept open and reused for the whole module run (urllib, under
ansible.module_utils.urls' Request, closes every connection after one request, and importing that module costs
a cluster task about a tenth of its start-up). Proxies are
given per transport (an option) or read from the usual *_proxy variables, never written to the environment.
Failures to connect are worded here, once, for every peer: unreachable or untrusted, with the CA option and
path named.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import http.client as http_client
import select
import socket
import ssl
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import getproxies, proxy_bypass_environment

from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
REDIRECTS = (301, 302, 303, 307, 308)


class Peer(object):
    """Who is at the other end, for messages: 'the API server' at https://api..., with its CA option."""

    def __init__(self, what, ca_option="ca_cert", ca_what="its CA certificate", insecure_hint=None):
        self.what = what
        self.ca_option = ca_option
        self.ca_what = ca_what
        self.insecure_hint = insecure_hint


class TransportError(OcpRegistryError):
    """No HTTP answer: outcome is 'unreachable' (DNS, refused, reset, timeout) or 'untrusted' (TLS verification).
    str() names the peer, the address and, for TLS, the CA option and path. Never a credential."""

    def __init__(self, message, outcome):
        super(TransportError, self).__init__(message)
        self.message = message
        self.outcome = outcome

    def __str__(self):
        return self.message


class _StaleConnection(Exception):
    """A kept-open connection failed before any answer: the server may have closed it while it was idle."""

    def __init__(self, error):
        super(_StaleConnection, self).__init__(str(error))
        self.error = error


class Response(object):
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def basic_auth(username, password):
    return "Basic " + base64.b64encode(("%s:%s" % (username, password or "")).encode("utf-8")).decode("ascii")


def describe_failure(err, peer, address, ca_cert=None):
    """(message, outcome) for an exception raised while connecting, sending or reading."""
    text = _reason(err)
    verify = isinstance(err, getattr(ssl, "SSLCertVerificationError", ())) or \
        "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text
    if verify:
        detail = getattr(err, "verify_message", None) or text
        if ca_cert:
            hint = "the CA in %s (%s) did not sign its certificate (%s); point %s at %s" % (
                peer.ca_option, ca_cert, detail, peer.ca_option, peer.ca_what)
        else:
            hint = "its certificate is not signed by a CA this host trusts (%s); set %s to %s" % (
                detail, peer.ca_option, peer.ca_what)
            if peer.insecure_hint:
                hint += " (%s)" % peer.insecure_hint
        return "TLS verification failed for %s at %s: %s" % (peer.what, address, hint), "untrusted"
    if isinstance(err, ssl.SSLError):
        return "TLS handshake with %s at %s failed: %s" % (peer.what, address, text), "untrusted"
    return "cannot reach %s at %s: %s" % (peer.what, address, text), "unreachable"


def _reason(err):
    reason = getattr(err, "reason", None)
    if isinstance(reason, str) and reason and not isinstance(err, ssl.SSLError):
        return reason
    text = str(err) or err.__class__.__name__
    if isinstance(err, socket.timeout) or "timed out" in text:
        return "timed out"
    if isinstance(err, http_client.RemoteDisconnected) or isinstance(err, (ConnectionResetError, BrokenPipeError)):
        return "the connection was closed (%s)" % (text or err.__class__.__name__)
    return text


def _dropped(sock):
    """An idle keep-alive socket that is readable has been closed by the peer (or holds garbage): do not reuse it."""
    if sock is None:
        return True
    try:
        readable, _dummy, _dummy = select.select([sock], [], [], 0)
    except (ValueError, OSError):
        return True
    return bool(readable)


class Transport(object):
    """HTTP(S) with kept-open connections. One instance per peer and per module run."""

    def __init__(self, peer, ca_cert=None, client_cert=None, client_key=None, validate_certs=True, timeout=30.0,
                 proxy=None, no_proxy=None, proxy_basic_auth=None, environ_proxies=True, ca_data=None):
        self.peer = peer
        self.ca_cert = ca_cert
        self.ca_data = ca_data
        self.timeout = timeout
        self.proxy = proxy
        self.no_proxy = no_proxy
        self.proxy_basic_auth = proxy_basic_auth
        self.environ_proxies = environ_proxies
        self.validate_certs = validate_certs
        self._tls = None
        self.client_cert = client_cert
        self.client_key = client_key
        self._connections = {}
        self.connections_opened = 0

    def _context(self):
        """The TLS context: only the given CA file when there is one, else the system trust store."""
        if self._tls is None:
            context = ssl.create_default_context(cafile=self.ca_cert or None, cadata=self.ca_data or None)
            if not self.validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if self.client_cert:
                context.load_cert_chain(self.client_cert, keyfile=self.client_key)
            self._tls = context
        return self._tls

    def _proxy_for(self, scheme, host):
        """The proxy URL for a target, or None: the option (with its no_proxy), else the environment's."""
        if self.proxy:
            if self.no_proxy and proxy_bypass_environment(host, {"no": self.no_proxy}):
                return None
            return self.proxy
        if not self.environ_proxies:
            return None
        proxies = getproxies()
        if proxy_bypass_environment(host, proxies):
            return None
        return proxies.get(scheme)

    def _connection(self, scheme, netloc):
        host = netloc.rsplit("@", 1)[-1]
        hostname, port = _split_host(host, 443 if scheme == "https" else 80)
        proxy = self._proxy_for(scheme, hostname)
        key = (scheme, hostname, port, proxy)
        conn = self._connections.get(key)
        if conn is not None and not _dropped(conn.sock):
            return conn, proxy, True
        if conn is not None:
            conn.close()
        if proxy:
            parts = urlsplit(proxy if "://" in proxy else "http://" + proxy)
            p_host, p_port = _split_host(parts.netloc.rsplit("@", 1)[-1], 3128)
            auth = self._proxy_auth(parts)
            if scheme == "https":
                conn = http_client.HTTPSConnection(p_host, p_port, timeout=self.timeout, context=self._context())
                conn.set_tunnel(hostname, port, headers={"Proxy-Authorization": auth} if auth else None)
            else:
                conn = http_client.HTTPConnection(p_host, p_port, timeout=self.timeout)
        elif scheme == "https":
            conn = http_client.HTTPSConnection(hostname, port, timeout=self.timeout, context=self._context())
        else:
            conn = http_client.HTTPConnection(hostname, port, timeout=self.timeout)
        self._connections[key] = conn
        self.connections_opened += 1
        return conn, proxy, False

    def _proxy_auth(self, parts):
        if parts.username:
            return basic_auth(unquote(parts.username), unquote(parts.password or ""))
        if self.proxy_basic_auth:
            user, _dummy, password = self.proxy_basic_auth.partition(":")
            return basic_auth(user, password)
        return None

    def request(self, method, url, body=None, headers=None, follow_redirects=False, replayable=None):
        """Send one request; a Response for any HTTP answer (4xx and 5xx included), TransportError otherwise.
        With follow_redirects, GET follows up to five redirects and drops Authorization when the host changes.
        A replayable request (GET and HEAD unless told otherwise) that meets a kept-open connection the server
        has just closed is sent once more on a new connection, as HTTP clients do for idle connections."""
        headers = dict(headers or {})
        if replayable is None:
            replayable = method in ("GET", "HEAD")
        for _hop in range(6):
            try:
                response = self._once(method, url, body, headers)
            except _StaleConnection as stale:
                if not replayable:
                    raise stale.error
                response = self._once(method, url, body, headers)
            location = response.header("Location")
            if not (follow_redirects and method == "GET" and response.status in REDIRECTS and location):
                return response
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                headers = dict((k, v) for k, v in headers.items() if k.lower() != "authorization")
            url = target
        return response

    def _once(self, method, url, body, headers):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        address = "%s://%s" % (scheme, parts.netloc)
        try:
            conn, proxy, reused = self._connection(scheme, parts.netloc)
        except (ssl.SSLError, OSError) as err:  # the client certificate or key cannot be loaded
            raise TransportError("cannot use the client certificate for %s at %s: %s"
                                 % (self.peer.what, address, _reason(err)), "untrusted")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        send_headers = dict(headers)
        if proxy and scheme == "http":
            target = "%s://%s%s" % (scheme, parts.netloc, target)
            auth = self._proxy_auth(urlsplit(proxy if "://" in proxy else "http://" + proxy))
            if auth:
                send_headers["Proxy-Authorization"] = auth
        try:
            conn.request(method, target, body=body, headers=send_headers)
            answer = conn.getresponse()
            data = answer.read()
        except Exception as err:  # socket, TLS and protocol errors differ by Python version
            conn.close()
            message, outcome = describe_failure(err, self.peer, address, self.ca_cert)
            error = TransportError(message, outcome)
            if reused and isinstance(err, (http_client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)):
                raise _StaleConnection(error)
            raise error
        if answer.will_close:
            conn.close()
        return Response(answer.status, list(answer.getheaders()), data)

    def close(self):
        for conn in self._connections.values():
            conn.close()
        self._connections = {}


def _split_host(netloc, default_port):
    if netloc.startswith("["):
        host, _dummy, rest = netloc[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif netloc.count(":") == 1:
        host, port = netloc.split(":")
    else:
        host, port = netloc, ""
    return host, int(port) if port else default_port
