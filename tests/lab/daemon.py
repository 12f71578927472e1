"""The lab's API process: API emulator, test controls, controllers and the registry token issuer."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from cryptography.hazmat.primitives import serialization

from . import bound_tokens, kube, openshift, server
from .pki import libtrust_key_id
from . import rbac_eval
from .token_issuer import ClusterTokenIssuer, TokenIssuer


class Lab:
    def __init__(self, config: dict):
        self.config = config
        self.ca_file = config["ca_file"]
        self.front = None  # on a real control plane: the upstream kube-apiserver (controlplane.front.Upstream)
        self.real = None  # on a real control plane: controlplane.cluster.RealCluster
        with open(config["service_ca_file"], encoding="utf-8") as handle:
            self.service_ca = handle.read()
        self.ingress_ca = ""
        if config.get("integrated_registry"):
            with open(config["integrated_registry"]["ingress_ca"], encoding="utf-8") as handle:
                self.ingress_ca = handle.read()
        with open(config["token_key"], "rb") as handle:
            self.signing_key = serialization.load_pem_private_key(handle.read(), password=None)
        if config.get("control_plane"):
            from .controlplane import cluster  # pylint: disable=import-outside-toplevel
            self.real = cluster.RealCluster(self, config["control_plane"])
            self.store = self.real.store
            self.users = self.real.users
            self.front = self.real.upstream
        else:
            self.store = kube.Store()
            self.users = server.Users({config["tokens"][u]: u for u in config["tokens"]})
            self.users.bound = bound_tokens.BoundTokens(self.signing_key,
                                                        libtrust_key_id(self.signing_key.public_key()))
            self.users.service_account_uid = self._service_account_uid
        self.faults = server.Faults()
        self.log = server.RequestLog()
        self.settings = dict(openshift.DEFAULT_SETTINGS)
        self.openshift = openshift.OpenShift(self)
        self.api = server.Api(self)
        self.reset()

    def _service_account_uid(self, namespace, name):
        sa = self.store.get(kube.find("", "serviceaccounts"), namespace, name)
        return sa["metadata"].get("uid") if sa else None

    def reset(self):
        if self.real is not None:
            self.real.reset()
            return
        self.users.bound.reset()
        with self.store.lock:
            self.store.objects = {r: {} for r in kube.RESOURCES}
            self.openshift.reset()
            self.settings.clear()
            self.settings.update(openshift.DEFAULT_SETTINGS)
            self.settings.update(self.config.get("settings") or {})  # this cluster's own (its apps domain)
            for res, obj in openshift.initial_objects(self.config["registries"], self.service_ca, self.ingress_ca):
                self.store.put(res, obj)
            # the bindings a real cluster of the lab starts with (its roles are read where they are evaluated)
            for res, obj in rbac_eval.bindings():
                self.store.put(res, obj)
            self.openshift.reconcile()
        self.log.clear()
        with self.faults.lock:
            self.faults.rules = []


def token_handler(issuers: dict):
    class TokenHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            return

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            issuer = issuers.get(url.path)
            if issuer is None:
                self._send(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
                return
            query = urllib.parse.parse_qs(url.query)
            ok, user = issuer.authenticate(self.headers.get("Authorization"))
            if not ok:
                self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]},
                           {"WWW-Authenticate": 'Basic realm="lab-token-issuer"'})
                return
            if query.get("service", [issuer.service])[0] != issuer.service:
                self._send(400, {"errors": [{"code": "UNSUPPORTED", "message": "unknown service"}]})
                return
            self._send(200, issuer.token(user, query.get("scope", [])))

        def _send(self, code, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
    return TokenHandler


def main():
    parser = argparse.ArgumentParser(description="run the lab's API emulator and token issuer")
    parser.add_argument("config")
    args = parser.parse_args()
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    lab = Lab(config)
    api = server.make_server(lab, config["api_port"], config["api_cert"], config["api_key"])
    token_reg = config["registries"]["token"]
    issuer = TokenIssuer(lab.signing_key, config["token_issuer_name"], config["token_service"],
                         {token_reg["user"]: token_reg["password"], token_reg["push_user"]: token_reg["push_password"]},
                         pushers=(token_reg["push_user"],))
    integrated = config["integrated_registry"]
    cluster_issuer = ClusterTokenIssuer(lab.signing_key, integrated["issuer"], integrated["service"], lab.users,
                                        lab.store)
    servers = [api]
    if config.get("serve_token_issuer", True):
        servers.append(server.serve_tls(token_handler({"/token": issuer}), config["token_port"], config["api_cert"],
                                        config["api_key"]))
    # the integrated registry's token endpoint sits behind the same route, with the router's certificate
    servers.append(server.serve_tls(token_handler({"/openshift/token": cluster_issuer}), integrated["realm_port"],
                                    integrated["cert"], integrated["key"]))
    for httpd in servers:
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    lab.openshift.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    print("lab api ready on 127.0.0.1:%d" % config["api_port"], flush=True)
    done.wait()
    lab.openshift.stop.set()
    for httpd in servers:
        httpd.shutdown()


if __name__ == "__main__":
    main()
