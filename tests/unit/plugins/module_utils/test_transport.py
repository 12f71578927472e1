# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import http.server
import os
import socket
import threading

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, Client, ClusterError
from ansible_collections.ocp.registry.plugins.module_utils.api.kubeconfig import Connection
from ansible_collections.ocp.registry.plugins.module_utils.api.transport import Peer, Transport, TransportError


class Server(object):
    """A real HTTP/1.1 server that keeps connections open; it records each request and the client port it came
    from, so a test can count connections."""

    def __init__(self, answer=None, keep_alive=True):
        self.seen = []
        self.ports = set()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.seen.append((self.command, self.path, dict(self.headers), body))
                outer.ports.add(self.client_address[1])
                status, headers, data = (answer or (lambda h: (200, {}, b'{"kind": "Secret"}')))(self)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_CONNECT = _answer

            def log_message(self, *args):
                return

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    servers = []

    def make(**kwargs):
        s = Server(**kwargs)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.stop()


def test_a_module_run_reuses_one_connection(server):
    api = server()
    client = Client(Connection(api.url, token="planted-token-t"), timeout=5)
    for _dummy in range(5):
        client.get(RESOURCES["secret"], "x", "ns")
    assert client.requests == 5 and len(api.seen) == 5
    assert len(api.ports) == 1 and client.transport.connections_opened == 1


def test_a_server_that_closes_each_connection_still_works(server):
    api = server(keep_alive=False)
    client = Client(Connection(api.url, token="t"), timeout=5)
    for _dummy in range(3):
        client.get(RESOURCES["secret"], "x", "ns")
    assert len(api.seen) == 3 and len(api.ports) == 3


def test_an_idle_connection_closed_by_the_server_is_replaced_not_failed(server):
    def hang_up(handler):
        # the server keeps nothing open after this answer but does not say so (an idle timeout on a real server)
        handler.close_connection = True
        return 200, {}, b"{}"
    api = server(answer=hang_up)
    transport = Transport(Peer("the test server"), timeout=5)
    for path in ("/a", "/b", "/c"):
        assert transport.request("GET", api.url + path).status == 200
    assert [seen[1] for seen in api.seen] == ["/a", "/b", "/c"] and transport.connections_opened == 3
    # a write that is not known to be repeatable is never sent twice by the transport: the caller decides
    api.seen[:] = []
    outcomes = []
    for path in ("/d", "/e", "/f"):
        try:
            outcomes.append(transport.request("POST", api.url + path, body=b"{}").status)
        except TransportError as err:
            outcomes.append(err.outcome)
    assert len(api.seen) == len([o for o in outcomes if o == 200]) and set(outcomes) <= set([200, "unreachable"])


def test_redirects_drop_the_authorization_header_on_another_host(server):
    target = server()
    origin = server(answer=lambda h: (302, {"Location": target.url.replace("127.0.0.1", "localhost") + "/token"}, b""))
    transport = Transport(Peer("the registry"), timeout=5, environ_proxies=False)
    answer = transport.request("GET", origin.url + "/v2/", headers={"Authorization": "Basic planted-secret"},
                               follow_redirects=True)
    assert answer.status == 200 and target.seen[0][1] == "/token"
    assert "Authorization" not in target.seen[0][2]
    assert origin.seen[0][2]["Authorization"] == "Basic planted-secret"
    # without follow_redirects (the API server) the 302 is the answer
    assert transport.request("GET", origin.url + "/v2/").status == 302


def test_the_proxy_option_and_no_proxy_apply_per_host_without_touching_the_environment(server, monkeypatch):
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    proxy = server()
    direct = server()
    transport = Transport(Peer("the API server"), timeout=5, proxy=proxy.url, no_proxy="127.0.0.1",
                          proxy_basic_auth="puser:planted-secret-proxy")
    before = dict(os.environ)
    transport.request("GET", "http://api.proxied.invalid:6443/api")
    assert proxy.seen[0][1] == "http://api.proxied.invalid:6443/api"
    assert proxy.seen[0][2]["Proxy-Authorization"].startswith("Basic ")
    transport.request("GET", direct.url + "/healthz")
    assert direct.seen[0][1] == "/healthz" and len(proxy.seen) == 1
    assert dict(os.environ) == before


def test_https_through_a_proxy_opens_a_tunnel(server):
    proxy = server(answer=lambda h: (502, {}, b"no upstream"))
    transport = Transport(Peer("the API server"), timeout=5, proxy=proxy.url)
    with pytest.raises(TransportError):
        transport.request("GET", "https://api.tunnelled.invalid:6443/api")
    assert proxy.seen[0][0] == "CONNECT" and proxy.seen[0][1] == "api.tunnelled.invalid:6443"


def test_refused_connections_name_the_peer_and_never_a_credential():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = Client(Connection("http://127.0.0.1:%d" % port), timeout=2, retries=0)
    with pytest.raises(ClusterError) as err:
        client.get(RESOURCES["secret"], "x", "ns")
    assert str(err.value).startswith("cannot reach the API server at http://127.0.0.1:%d" % port)
    assert "GET /api/v1/namespaces/ns/secrets/x" in str(err.value)
