# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import tempfile
import threading

import pytest

from ansible.module_utils.six.moves import BaseHTTPServer

from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, Client, ClusterError, error_message
from ansible_collections.ocp.registry.plugins.module_utils.api.options import resolve_auth
from ansible_collections.ocp.registry.plugins.module_utils.api.kubeconfig import ConfigError, Connection, connect


# ------------------------------------------------------------------ option / environment precedence

@pytest.mark.parametrize("params, environ, expected", [
    ({"host": "https://a:6443/"}, {"K8S_AUTH_HOST": "https://b"}, {"host": "https://a:6443"}),
    ({}, {"K8S_AUTH_HOST": "https://b", "K8S_AUTH_API_KEY": "t"}, {"host": "https://b", "api_key": "t"}),
    ({}, {"K8S_AUTH_VERIFY_SSL": "false"}, {"validate_certs": False}),
    ({}, {"K8S_AUTH_VALIDATE_CERTS": "no", "K8S_AUTH_VERIFY_SSL": "true"}, {"validate_certs": False}),
    ({"validate_certs": True}, {"K8S_AUTH_VERIFY_SSL": "false"}, {"validate_certs": True}),
    ({}, {"K8S_AUTH_VERIFY_SSL": "True"}, {"validate_certs": True}),
    ({}, {"K8S_AUTH_SSL_CA_CERT": "/ca.crt"}, {"ca_cert": "/ca.crt"}),
    ({}, {"K8S_AUTH_CERT_FILE": "/c", "K8S_AUTH_KEY_FILE": "/k"}, {"client_cert": "/c", "client_key": "/k"}),
    ({}, {"K8S_AUTH_IMPERSONATE_GROUPS": "a, b"}, {"impersonate_groups": ["a", "b"]}),
    ({"context": "ctx"}, {"K8S_AUTH_CONTEXT": "other", "K8S_AUTH_KUBECONFIG": "/k"}, {"context": "ctx", "kubeconfig": "/k"}),
])
def test_resolve_auth_precedence(params, environ, expected):
    auth = resolve_auth(params, environ)
    for key, value in expected.items():
        assert auth[key] == value
    assert set(k for k in auth if k != "proxy_headers") == set(expected)


def test_inline_credentials_do_not_need_a_kubeconfig():
    conn = connect(resolve_auth({"host": "api.example.com:6443", "api_key": "sekrit"}, {}))
    assert conn.host == "https://api.example.com:6443" and conn.token == "sekrit" and conn.validate_certs is True


def test_kubeconfig_is_loaded_by_the_kubernetes_loader(tmp_path):
    pytest.importorskip("kubernetes")
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "one",
              "clusters": [{"name": "c", "cluster": {"server": "https://one.example:6443"}},
                           {"name": "d", "cluster": {"server": "https://two.example:6443",
                                                     "insecure-skip-tls-verify": True}}],
              "users": [{"name": "u", "user": {"token": "token-one"}}, {"name": "v", "user": {"token": "token-two"}}],
              "contexts": [{"name": "one", "context": {"cluster": "c", "user": "u"}},
                           {"name": "two", "context": {"cluster": "d", "user": "v"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    conn = connect(resolve_auth({"kubeconfig": str(path)}, {}))
    assert (conn.host, conn.token) == ("https://one.example:6443", "token-one")
    conn = connect(resolve_auth({"kubeconfig": str(path), "context": "two"}, {}))
    assert (conn.host, conn.token, conn.validate_certs) == ("https://two.example:6443", "token-two", False)
    conn = connect(resolve_auth({"kubeconfig": config, "api_key": "override"}, {}))
    assert conn.token == "override"
    conn = connect(resolve_auth({}, {"K8S_AUTH_KUBECONFIG": str(path), "K8S_AUTH_CONTEXT": "two"}))
    assert conn.host == "https://two.example:6443"


def test_missing_kubeconfig_is_a_clear_error(tmp_path):
    pytest.importorskip("kubernetes")
    with pytest.raises(ConfigError) as err:
        connect(resolve_auth({"kubeconfig": str(tmp_path / "nope")}, {}))
    assert "does not exist" in str(err.value) and "K8S_AUTH_KUBECONFIG" in str(err.value)


def test_two_impersonated_groups_are_refused():
    with pytest.raises(ConfigError):
        connect(resolve_auth({"host": "https://h", "api_key": "t", "impersonate_groups": ["a", "b"]}, {}))


# ------------------------------------------------------------------ error messages

@pytest.mark.parametrize("status, body, words", [
    (401, {"reason": "Unauthorized", "message": "Unauthorized"}, ["401", "credentials", "api_key"]),
    (403, {"reason": "Forbidden",
           "message": 'secrets "pull-secret" is forbidden: User "viewer" cannot update resource "secrets" in API '
                      'group "" in the namespace "openshift-config"'},
     ['User "viewer" cannot update resource "secrets"', "openshift-config", "grant"]),
    (404, {"message": 'secrets "x" not found'}, ['secrets "x" not found', "404"]),
    (409, {"reason": "Conflict", "message": "the object has been modified"}, ["409", "modified"]),
    (422, {"message": "invalid", "details": {"causes": [{"field": "spec.replicas", "message": "Invalid value: -1"}]}},
     ["422", "spec.replicas: Invalid value: -1"]),
    (429, {}, ["429", "request_retries"]),
    (500, {"reason": "InternalError", "message": "boom"}, ["500", "boom"]),
])
def test_error_messages_say_what_to_do(status, body, words):
    message = error_message(status, body, "PUT", "/api/v1/namespaces/openshift-config/secrets/pull-secret")
    for word in words:
        assert word in message


def test_an_object_the_server_quotes_whole_is_not_in_the_message():
    # kube-apiserver's answer to a strict patch with an unknown field quotes the patched object, data and all
    quoted = 'Invalid value: "{\\"apiVersion\\":\\"v1\\",\\"data\\":{\\"k\\":\\"cGxhbnRlZC1zZWNyZXQ=\\"}}"'
    body = {"reason": "Invalid", "message": ' "" is invalid: patch: %s: strict decoding error: unknown field "bogus"'
            % quoted, "details": {"causes": [{"field": "patch", "message": quoted + ': strict decoding error'}]}}
    message = error_message(422, body, "PATCH", "/api/v1/namespaces/lab-apps/secrets/s")
    assert "cGxhbnRlZC1zZWNyZXQ=" not in message and "apiVersion" not in message
    assert "patch: Invalid value: (the object, not shown): strict decoding error" in message


# ------------------------------------------------------------------ retries against a real local HTTP server

class Script(object):
    """Answers for the next requests: (status, headers, body) or 'reset'."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = []


def serve(script):
    class Handler(BaseHTTPServer.BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append((self.command, self.path, dict(self.headers), body))
            answer = script.answers.pop(0) if script.answers else (200, {}, {"kind": "Secret"})
            if answer == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()
                return
            status, headers, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_PATCH = do_POST = do_DELETE = _answer

        def log_message(self, *args):
            return

    server = BaseHTTPServer.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    return server


@pytest.fixture()
def api():
    servers = []

    def make(answers, **kwargs):
        script = Script(answers)
        server = serve(script)
        servers.append(server)
        sleeps = []
        conn = Connection("http://127.0.0.1:%d" % server.server_address[1], token="planted-token-abc")
        client = Client(conn, timeout=5, sleep=sleeps.append, **kwargs)
        return client, script, sleeps
    yield make
    for server in servers:
        server.shutdown()


def test_get_retries_5xx_and_honours_retry_after(api):
    client, script, sleeps = api([(500, {}, {"reason": "InternalError"}), (429, {"Retry-After": "2"}, {}),
                                  (200, {}, {"metadata": {"name": "x"}})])
    assert client.get(RESOURCES["secret"], "x", "ns") == {"metadata": {"name": "x"}}
    assert len(script.seen) == 3 and client.requests == 3
    assert sleeps[1] == 2.0 and 0 < sleeps[0] <= 0.2
    assert script.seen[0][2]["Authorization"] == "Bearer planted-token-abc"


def test_get_retries_connection_resets(api):
    client, script, sleeps = api(["reset", (200, {}, {"ok": True})])
    assert client.get(RESOURCES["secret"], "x", "ns") == {"ok": True}
    assert len(sleeps) == 1


def test_unguarded_writes_are_not_repeated_after_a_server_error(api):
    client, script, sleeps = api([(500, {}, {"reason": "InternalError", "message": "etcd"})] * 2)
    with pytest.raises(ClusterError) as err:
        client.patch(RESOURCES["secret"], "x", {"data": {}}, "ns")
    assert err.value.status == 500 and len(script.seen) == 1 and sleeps == []
    with pytest.raises(ClusterError):
        client.create(RESOURCES["secret"], {"metadata": {"generateName": "x-"}}, "ns")
    assert len(script.seen) == 2


ALREADY = (409, {}, {"reason": "AlreadyExists", "message": 'secrets "x" already exists'})


def test_a_named_create_is_repeated_and_a_copy_that_landed_is_taken_as_created(api):
    body = {"metadata": {"name": "x", "labels": {"app": "a"}}, "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": "e30="}}
    stored = dict(body, metadata={"name": "x", "labels": {"app": "a"}, "uid": "1", "resourceVersion": "7"})
    client, script, sleeps = api([(500, {}, {"reason": "InternalError"}), ALREADY, (200, {}, stored)])
    assert client.create(RESOURCES["secret"], body, "ns") == stored
    assert [s[0] for s in script.seen] == ["POST", "POST", "GET"]
    assert script.seen[2][1] == "/api/v1/namespaces/ns/secrets/x"
    assert client.writes == ["POST /api/v1/namespaces/ns/secrets"]


def test_a_named_create_that_finds_someone_elses_object_fails_with_already_exists(api):
    body = {"metadata": {"name": "x"}, "data": {"a": "bWluZQ=="}}
    theirs = {"metadata": {"name": "x"}, "data": {"a": "dGhlaXJz"}}
    client, script, sleeps = api(["reset", ALREADY, (200, {}, theirs)])
    with pytest.raises(ClusterError) as err:
        client.create(RESOURCES["secret"], body, "ns")
    assert err.value.status == 409 and client.writes == []


def test_a_create_that_finds_the_object_on_its_first_try_is_not_read_back(api):
    client, script, sleeps = api([ALREADY])
    with pytest.raises(ClusterError):
        client.create(RESOURCES["secret"], {"metadata": {"name": "x"}, "data": {}}, "ns")
    assert len(script.seen) == 1


def test_writes_guarded_by_resource_version_are_repeated_after_a_server_error(api):
    client, script, sleeps = api([(500, {}, {"reason": "InternalError", "message": "etcd"}), (200, {}, {"ok": 1})])
    body = {"metadata": {"name": "x", "resourceVersion": "1"}}
    assert client.replace(RESOURCES["secret"], body, "ns") == {"ok": 1}
    assert [s[0] for s in script.seen] == ["PUT", "PUT"] and len(sleeps) == 1


def test_writes_are_repeated_after_429(api):
    client, script, sleeps = api([(429, {"Retry-After": "1"}, {}), (200, {}, {"done": True})])
    assert client.patch(RESOURCES["secret"], "x", {"data": {}}, "ns") == {"done": True}
    assert [s[0] for s in script.seen] == ["PATCH", "PATCH"] and sleeps == [1.0]


def test_retries_are_bounded(api):
    client, script, sleeps = api([(503, {}, {})] * 10, retries=2)
    with pytest.raises(ClusterError) as err:
        client.get(RESOURCES["secret"], "x", "ns")
    assert err.value.status == 503 and len(script.seen) == 3


def test_retry_after_is_capped(api):
    client, script, sleeps = api([(429, {"Retry-After": "3600"}, {}), (200, {}, {})])
    client.get(RESOURCES["secret"], "x", "ns")
    assert sleeps == [10.0]


def test_requests_carry_known_paths_and_options(api):
    client, script, sleeps = api([(200, {}, {})] * 4)
    client.patch(RESOURCES["registry_config"], "cluster", {"spec": {}}, dry_run=True)
    client.list(RESOURCES["route"], "openshift-image-registry", label_selector="a=b")
    client.create(RESOURCES["imagestreamimport"], {"metadata": {"name": "s"}}, namespace="ns")
    client.patch(RESOURCES["secret"], "x", [{"op": "remove", "path": "/data/a"}], "ns", patch_type="json")
    methods = [(seen[0], seen[1]) for seen in script.seen]
    assert methods[0] == ("PATCH", "/apis/imageregistry.operator.openshift.io/v1/configs/cluster?dryRun=All&"
                                   "fieldValidation=Strict")
    assert methods[1] == ("GET", "/apis/route.openshift.io/v1/namespaces/openshift-image-registry/routes?"
                                 "labelSelector=a%3Db")
    assert methods[2][1].startswith("/apis/image.openshift.io/v1/namespaces/ns/imagestreamimports")
    assert script.seen[0][2]["Content-Type"] == "application/merge-patch+json"
    assert script.seen[3][2]["Content-Type"] == "application/json-patch+json"


def test_not_found_can_be_allowed(api):
    client, script, sleeps = api([(404, {}, {"reason": "NotFound", "message": 'secrets "x" not found'})] * 2)
    assert client.get(RESOURCES["secret"], "x", "ns", missing_ok=True) is None
    assert client.delete(RESOURCES["secret"], "x", "ns") is None


def test_errors_never_carry_the_token(api):
    client, script, sleeps = api([(403, {}, {"reason": "Forbidden", "message": "forbidden"})])
    with pytest.raises(ClusterError) as err:
        client.get(RESOURCES["secret"], "x", "ns")
    assert "planted-token-abc" not in str(err.value)


def test_unreachable_server_is_reported_with_its_address():
    conn = Connection("http://127.0.0.1:9", token="t")
    client = Client(conn, timeout=2, retries=1, sleep=lambda s: None)
    with pytest.raises(ClusterError) as err:
        client.get(RESOURCES["secret"], "x", "ns")
    assert "cannot reach the API server at http://127.0.0.1:9" in str(err.value)


def test_tls_failure_names_the_ca_option():
    # a TLS server whose certificate nobody trusts: the system trust store refuses it
    ssl = pytest.importorskip("ssl")
    if not hasattr(ssl, "SSLContext"):
        pytest.skip("no ssl")
    trustme = pytest.importorskip("cryptography")
    del trustme
    pki = _self_signed()
    server = serve(Script([]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki[0], pki[1])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    try:
        conn = Connection("https://127.0.0.1:%d" % server.server_address[1], token="t")
        client = Client(conn, timeout=2, retries=3, sleep=lambda s: None)
        with pytest.raises(ClusterError) as err:
            client.get(RESOURCES["secret"], "x", "ns")
        assert "TLS verification" in str(err.value) and "ca_cert" in str(err.value) and client.requests == 1
    finally:
        server.shutdown()


def _self_signed():
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, u"untrusted")])
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(u"127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    directory = tempfile.mkdtemp()
    cert_path, key_path = os.path.join(directory, "c.pem"), os.path.join(directory, "k.pem")
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("params", [
    {"host": "http://api.example.com:8080", "api_key": "planted-token-http"},
    {"host": "http://api.example.com:8080", "username": "admin", "password": "planted-password-http"},
    {"host": "HTTP://api.example.com:8080", "api_key": "planted-token-http"},
])
def test_credentials_are_never_sent_over_plain_http(params):
    with pytest.raises(ConfigError) as err:
        connect(resolve_auth(params, {}))
    text = str(err.value)
    assert "plain HTTP" in text and "https://" in text and "nothing was sent" in text
    assert "planted-" not in text


def test_plain_http_without_credentials_is_a_local_proxy():
    pytest.importorskip("kubernetes")
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "proxy",
              "clusters": [{"name": "p", "cluster": {"server": "http://127.0.0.1:8001"}}],
              "users": [{"name": "nobody", "user": {}}],
              "contexts": [{"name": "proxy", "context": {"cluster": "p", "user": "nobody"}}]}
    conn = connect(resolve_auth({"kubeconfig": config}, {}))
    assert conn.host == "http://127.0.0.1:8001" and conn.token is None


def test_kubeconfig_token_over_plain_http_is_refused(tmp_path):
    pytest.importorskip("kubernetes")
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "c",
              "clusters": [{"name": "c", "cluster": {"server": "http://plain.example:8080"}}],
              "users": [{"name": "u", "user": {"token": "planted-token-kubeconfig"}}],
              "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError) as err:
        connect(resolve_auth({"kubeconfig": str(path)}, {}))
    assert "plain HTTP" in str(err.value) and "planted-" not in str(err.value)


@pytest.mark.parametrize("params, environ, warned", [
    ({"validate_certs": False}, {}, True),
    ({}, {"K8S_AUTH_VERIFY_SSL": "false"}, True),
    ({}, {}, False),
])
def test_skipping_certificate_verification_warns_naming_the_host(monkeypatch, params, environ, warned):
    from ansible.module_utils.common import warnings
    from ansible.module_utils.testing import patch_module_args
    from ansible_collections.ocp.registry.plugins.module_utils.core.cluster_module import ClusterModule
    for key in [k for k in os.environ if k.startswith("K8S_AUTH_")]:
        monkeypatch.delenv(key)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    warnings._global_warnings.clear()  # pylint: disable=protected-access
    args = dict({"host": "https://api.warn.example:6443", "api_key": "planted-token-warn"}, **params)
    with patch_module_args(args):
        module = ClusterModule(argument_spec={}, supports_check_mode=True)
        assert module.client is module.client
    found = [w for w in warnings.get_warning_messages() if "validate_certs is false" in w]
    assert len(found) == (1 if warned else 0)
    if warned:
        assert "https://api.warn.example:6443" in found[0] and "planted-" not in found[0]


@pytest.mark.parametrize("option, content, words", [
    ("ca_cert", None, "ca_cert (K8S_AUTH_SSL_CA_CERT): %s cannot be read (No such file or directory)"),
    ("ca_cert", b"garbage", "ca_cert (K8S_AUTH_SSL_CA_CERT): %s is not the PEM bundle"),
    ("client_cert", b"garbage", "client_cert (K8S_AUTH_CERT_FILE): %s is not a PEM certificate"),
])
def test_file_options_are_checked_before_any_request(tmp_path, option, content, words):
    path = tmp_path / "file.pem"
    if content is not None:
        path.write_bytes(content)
    params = {"host": "https://api.example.com:6443", "api_key": "planted-token-files", option: str(path)}
    if option == "client_cert":
        params["client_key"] = str(path)
    with pytest.raises(ConfigError) as err:
        connect(resolve_auth(params, {}))
    assert words % path in str(err.value) and "planted-" not in str(err.value)


def test_registry_checks_tell_unreachable_untrusted_and_missing_ca_apart(tmp_path):
    from ansible_collections.ocp.registry.plugins.module_utils.credentials import entries as credentials
    from ansible_collections.ocp.registry.plugins.module_utils.credentials.registry_api import RegistryCheck
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    unreachable = RegistryCheck("127.0.0.1:%d" % port, "u", "planted-secret-p", timeout=2).run()
    assert unreachable["outcome"] == "unreachable" and unreachable["error"].startswith("cannot reach the registry 127.0.0.1:%d" % port)
    missing = RegistryCheck("127.0.0.1:%d" % port, "u", "p", ca_cert=str(tmp_path / "nope.crt")).run()
    assert missing["outcome"] == "untrusted" and str(tmp_path / "nope.crt") in missing["error"]
    entries = [{"registry": "127.0.0.1:%d" % port, "username": "u", "password": "planted-secret-p", "state": "present"}]
    with pytest.raises(credentials.CredentialsError) as err:
        credentials.check_all(entries, timeout=2)
    assert "cannot be reached to check the credentials of u" in str(err.value)
    assert "refused the credentials" not in str(err.value) and "planted-" not in str(err.value)
    with pytest.raises(credentials.CredentialsError) as err:
        credentials.check_all(entries, ca_cert=str(tmp_path / "nope.crt"))
    assert "is not trusted, so the credentials of u were not checked" in str(err.value)


def test_the_proxy_option_serves_the_api_server_only_and_leaves_the_environment_alone(monkeypatch):
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    script = Script([(200, {}, {"kind": "Secret", "metadata": {"name": "x"}})])
    proxy = serve(script)
    try:
        conn = Connection("http://api.proxied.invalid:6443", proxy="http://127.0.0.1:%d" % proxy.server_address[1])
        client = Client(conn, timeout=5)
        before = dict(os.environ)
        assert client.get(RESOURCES["secret"], "x", "ns")["metadata"]["name"] == "x"
        assert script.seen[0][1] == "http://api.proxied.invalid:6443/api/v1/namespaces/ns/secrets/x"
        assert dict(os.environ) == before
        assert not any(k.lower().endswith("_proxy") for k in os.environ)
    finally:
        proxy.shutdown()
