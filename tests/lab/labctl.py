"""Start and stop the lab: `python -m tests.lab.labctl start|stop|status` from the project root.

start [--clusters N]: certificates, htpasswd, the docker-registry instances, one API emulator per cluster (the
first also serves the registry token issuer), seeded images, then .lab/kubeconfig and .lab/lab.env (the first
cluster), .lab/clusters/lab-<n>/ for the others, and .lab/fleet.yml (an inventory of them all). stop: every
process by PID.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

import requests
import yaml

from . import images, pki
from .controlplane import processes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.environ.get("LAB_DIR", os.path.join(ROOT, ".lab"))
PIDS = os.path.join(LAB_DIR, "pids")
# the registries' ports: basic (htpasswd), token-auth (bearer tokens from the lab issuer), mirror (copies of
# basic's images), private (TLS from its own CA, which the cluster does not trust by default), http (plain HTTP)
REGISTRIES = ("basic", "token-auth", "mirror", "private", "http")
APPS_DOMAIN = "apps.lab.ocp.example"  # the lab's default apps_domain setting


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def htpasswd_line(user: str, password: str) -> str:
    out = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True).stdout
    return out.strip() + "\n"


def registry_config(path, port, storage, cert, key, auth):
    """A docker-registry configuration; no cert means plain HTTP, no auth means anonymous access."""
    config = {"version": 0.1, "log": {"level": "warn", "formatter": "text", "accesslog": {"disabled": True}},
              "storage": {"filesystem": {"rootdirectory": storage}, "delete": {"enabled": True},
                          "cache": {"blobdescriptor": "inmemory"}},
              "http": {"addr": "127.0.0.1:%d" % port, "headers": {"X-Content-Type-Options": ["nosniff"]}}}
    if cert:
        config["http"]["tls"] = {"certificate": cert, "key": key}
    if auth:
        config["auth"] = auth
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle)


def spawn(name: str, argv: list[str], env=None):
    log = open(os.path.join(LAB_DIR, "logs", name + ".log"), "ab")  # pylint: disable=consider-using-with
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            start_new_session=True, cwd=ROOT, env=env)
    with open(PIDS, "a", encoding="utf-8") as handle:
        handle.write("%d %s\n" % (proc.pid, name))
    return proc


class PortTaken(SystemExit):
    """A lab process could not bind the port chosen for it: something else took it after it was chosen."""


def wait_https(url: str, ca_file: str, proc, name: str, timeout: float = 10.0):
    session = requests.Session()
    session.trust_env = False
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            log = os.path.join(LAB_DIR, "logs", name + ".log")
            message = "lab: %s exited with %s; see %s" % (name, proc.returncode, log)
            with open(log, encoding="utf-8", errors="replace") as handle:
                if "address already in use" in handle.read().lower():
                    raise PortTaken(message)
            raise SystemExit(message)
        try:
            session.get(url, verify=ca_file, timeout=1)
            return
        except requests.exceptions.RequestException:
            time.sleep(0.05)
    raise SystemExit("lab: %s did not answer on %s within %.0fs" % (name, url, timeout))


def cluster_name(index: int) -> str:
    """Cluster 1 is the lab's single cluster (its files at the top of .lab); the others live under .lab/clusters/."""
    return "lab" if index == 1 else "lab-%d" % index


def cluster_dir(index: int) -> str:
    return LAB_DIR if index == 1 else os.path.join(LAB_DIR, "clusters", cluster_name(index))


def start(clusters: int = 1, control_plane: str = "real"):
    began = time.time()
    if os.path.exists(PIDS):
        stop(quiet=True)
    if os.path.isdir(LAB_DIR):
        shutil.rmtree(LAB_DIR)
    for sub in ("pki", "logs"):
        os.makedirs(os.path.join(LAB_DIR, sub), mode=0o700)
    pki_dir = os.path.join(LAB_DIR, "pki")
    ca_cert, ca_key = pki.make_ca(pki_dir)
    api_cert, api_key = pki.make_leaf(pki_dir, "api", ca_cert, ca_key)
    reg_cert, reg_key = pki.make_leaf(pki_dir, "registry", ca_cert, ca_key)
    token_cert, token_key = pki.make_leaf(pki_dir, "token-signer", ca_cert, ca_key, client=True)
    other_ca, _dummy = pki.make_ca(pki_dir, "untrusted-ca")
    private_ca, private_ca_key = pki.make_ca(pki_dir, "private-registry-ca")
    private_cert, private_key = pki.make_leaf(pki_dir, "registry-private", private_ca, private_ca_key)
    service_ca, _dummy = pki.make_ca(pki_dir, "openshift-service-serving-signer")

    ports = {name: free_port() for name in ("token", "unreachable") + REGISTRIES}

    def password():
        return secrets.token_urlsafe(18)

    def host(name):
        return "127.0.0.1:%d" % ports[name]
    regs = {
        "basic": {"host": host("basic"), "user": "lab-puller", "password": password(),
                  "push_user": "lab-pusher", "push_password": password()},
        "token": {"host": host("token-auth"), "user": "lab-robot+puller", "password": password(),
                  "push_user": "lab-robot+pusher", "push_password": password()},
        "mirror": {"host": host("mirror"), "user": "mirror-puller", "password": password(),
                   "push_user": "mirror-pusher", "push_password": password()},
        "private": {"host": host("private"), "user": "onprem+robot", "password": password(),
                    "push_user": "onprem+pusher", "push_password": password(), "pull_secret": False,
                    "ca_file": private_ca},
        "http": {"host": host("http"), "pull_secret": False, "scheme": "http"},
    }
    token_service, token_issuer = "lab-token-registry", "lab-token-issuer"
    auth = {"token": {"token": {"realm": "https://127.0.0.1:%d/token" % ports["token"], "service": token_service,
                                "issuer": token_issuer, "rootcertbundle": token_cert}}}
    for name in ("basic", "mirror", "private"):
        path = os.path.join(LAB_DIR, "htpasswd-" + name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(htpasswd_line(regs[name]["user"], regs[name]["password"]))
            handle.write(htpasswd_line(regs[name]["push_user"], regs[name]["push_password"]))
        auth[name] = {"htpasswd": {"realm": "lab-%s-registry" % name, "path": path}}
    certs = {"private": (private_cert, private_key), "http": (None, None)}
    procs = {}
    for name, reg in regs.items():
        config_file = os.path.join(LAB_DIR, "registry-%s.yml" % name)
        cert, key = certs.get(name, (reg_cert, reg_key))
        port = int(reg["host"].rsplit(":", 1)[1])
        storage = os.path.join(LAB_DIR, "registry-" + name)
        os.makedirs(storage, mode=0o700)
        registry_config(config_file, port, storage, cert, key, auth.get(name))
    # what a host that talks to every lab registry trusts: the lab CA and the private registry's own CA
    bundle = os.path.join(pki_dir, "registries-ca-bundle.crt")
    with open(bundle, "w", encoding="utf-8") as handle:
        for path in (ca_cert, private_ca):
            with open(path, encoding="utf-8") as part:
                handle.write(part.read())
    shared = {"api_cert": api_cert, "api_key": api_key, "ca_file": ca_cert, "ca_key": ca_key,
              "service_ca_file": service_ca, "control_plane": control_plane,
              "token_key": token_key, "token_cert": token_cert, "token_service": token_service,
              "token_issuer_name": token_issuer, "token_port": ports["token"], "registries": regs}
    shared_env = {
        "LAB_CA_FILE": ca_cert, "LAB_UNTRUSTED_CA_FILE": other_ca,
        "LAB_TOKEN_ISSUER_URL": "https://127.0.0.1:%d/token" % ports["token"],
        "LAB_SOURCE_UNREACHABLE": "127.0.0.1:%d" % ports["unreachable"],
        "LAB_SERVICE_CA_FILE": service_ca, "LAB_REGISTRIES_CA_BUNDLE": bundle, "LAB_CONTROL_PLANE": control_plane,
    }
    if control_plane == "real":
        shared["cp_bin"] = processes.binaries()  # built once per machine (build.sh); at once when cached
        shared["crd_dir"] = os.path.join(os.path.dirname(shared["cp_bin"]), "crds")
    for name, reg in regs.items():
        prefix = "LAB_REGISTRY_" + name.upper()
        shared_env[prefix] = reg["host"]
        for field in ("user", "password", "push_user", "push_password", "ca_file"):
            if reg.get(field):
                shared_env["%s_%s" % (prefix, field.upper())] = reg[field]

    apis = [spawn_cluster(index, shared) for index in range(1, clusters + 1)]
    for name in regs:
        procs[name] = spawn("registry-" + name, ["docker-registry", "serve",
                                                 os.path.join(LAB_DIR, "registry-%s.yml" % name)])
    for api, url, name in apis:
        wait_https(url + "/version", ca_cert, api, name, timeout=120.0 if control_plane == "real" else 10.0)
    for name, reg in regs.items():
        wait_https("%s://%s/v2/" % (reg.get("scheme", "https"), reg["host"]), reg.get("ca_file", ca_cert),
                   procs[name], "registry-" + name)
    seed_all(regs, ca_cert)
    envs = [write_cluster_files(index, shared_env) for index in range(1, clusters + 1)]
    write_fleet_inventory(envs)
    print("lab: %d cluster(s) ready in %.1fs (API %s); source %s" % (
        clusters, time.time() - began, envs[0]["LAB_API_URL"], os.path.join(LAB_DIR, "lab.env")))


def spawn_cluster(index: int, shared: dict):
    """One cluster's API emulator (its own state, tokens, integrated registry, ingress CA); returns (proc, url, name)."""
    name = cluster_name(index)
    base = cluster_dir(index)
    os.makedirs(base, mode=0o700, exist_ok=True)
    pki_dir = os.path.join(base, "pki")
    os.makedirs(pki_dir, mode=0o700, exist_ok=True)
    apps_domain = APPS_DOMAIN if index == 1 else "apps.%s.ocp.example" % name
    # the ingress operator's CA: it signs the routers' default certificate, which the registry's routes present
    ingress_ca, ingress_ca_key = pki.make_ca(pki_dir, "ingress-operator")
    router_cert, router_key = pki.make_leaf(pki_dir, "router-default", ingress_ca, ingress_ca_key,
                                            dns_names=("*." + apps_domain,))
    ports = {part: free_port() for part in ("api", "integrated", "integrated-realm")}
    tokens = {user: secrets.token_urlsafe(32) for user in ("admin", "viewer", "editor")}
    integrated_dir = os.path.join(base, "registry-integrated")
    os.makedirs(integrated_dir, mode=0o700)
    integrated = {"port": ports["integrated"], "cert": router_cert, "key": router_key, "ingress_ca": ingress_ca,
                  "token_cert": shared["token_cert"],
                  "realm": "https://127.0.0.1:%d/openshift/token" % ports["integrated-realm"],
                  "realm_port": ports["integrated-realm"],
                  "service": "image-registry.openshift-image-registry.svc:5000", "issuer": "lab-integrated-registry",
                  "events_url": "https://127.0.0.1:%d/lab/registry/events" % ports["api"],
                  "events_token": tokens["admin"], "dir": integrated_dir, "log_dir": os.path.join(LAB_DIR, "logs"),
                  "log_name": "registry-integrated" if index == 1 else "registry-integrated-" + name}
    # the token-auth registry's issuer is shared: the first cluster's process serves it
    config = dict(shared, name=name, api_port=ports["api"], tokens=tokens, integrated_registry=integrated,
                  settings={"apps_domain": apps_domain}, serve_token_issuer=index == 1)
    config.pop("ca_key")
    suffix = "" if index == 1 else "-" + name
    if shared["control_plane"] == "real":
        # this cluster's etcd, kube-apiserver and kube-controller-manager; the lab's daemon is their front
        cp_ports = {part: free_port() for part in ("etcd", "etcd-peer", "kube-apiserver", "kube-controller-manager")}
        plane = processes.prepare(os.path.join(base, "control-plane"), shared["ca_file"], shared["ca_key"], tokens,
                                  cp_ports, shared["cp_bin"])
        for part in ("etcd", "kube-apiserver", "kube-controller-manager"):
            spawn(part + suffix, plane[part])
        config["control_plane"] = {"url": plane["api_url"], "controllers_token": plane["controllers_token"],
                                   "crd_dir": shared["crd_dir"]}
    else:
        config.pop("control_plane")
    config_path = os.path.join(base, "lab.json")
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
    os.chmod(config_path, 0o600)
    env = dict(os.environ, PYTHONPATH=ROOT)
    log_name = "api" if index == 1 else "api-" + name
    proc = spawn(log_name, [sys.executable, "-m", "tests.lab.daemon", config_path], env=env)
    return proc, "https://127.0.0.1:%d" % ports["api"], log_name


def write_cluster_files(index: int, shared_env: dict) -> dict:
    """The cluster's kubeconfig and lab.env (shared registries, its own API, tokens and integrated registry)."""
    base = cluster_dir(index)
    with open(os.path.join(base, "lab.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    api_url = "https://127.0.0.1:%d" % config["api_port"]
    tokens = config["tokens"]
    kubeconfig = write_kubeconfig(base, config["name"], api_url, config["ca_file"], tokens)
    env_lines = {"LAB_DIR": LAB_DIR, "LAB_CLUSTER": config["name"], "LAB_API_URL": api_url,
                 "LAB_KUBECONFIG": kubeconfig, "LAB_ADMIN_TOKEN": tokens["admin"],
                 "LAB_VIEWER_TOKEN": tokens["viewer"], "LAB_EDITOR_TOKEN": tokens["editor"],
                 "LAB_CONTROL_URL": api_url + "/lab",
                 "LAB_INTEGRATED_REGISTRY": "127.0.0.1:%d" % config["integrated_registry"]["port"],
                 "LAB_INGRESS_CA_FILE": config["integrated_registry"]["ingress_ca"]}
    env_lines.update(shared_env)
    path = os.path.join(base, "lab.env")
    with open(path, "w", encoding="utf-8") as handle:
        for key, value in env_lines.items():
            handle.write("export %s='%s'\n" % (key, value))
    os.chmod(path, 0o600)
    return env_lines


def write_fleet_inventory(envs: list):
    """.lab/fleet.yml: the lab's inventory with one host per cluster (its own connection options, its hosts) and
    one host (lab-node-<n>) per cluster in registry_hosts; shared settings stay the lab inventory's group vars."""
    with open(os.path.join(ROOT, "tests", "lab", "inventory.yml"), encoding="utf-8") as handle:
        base = yaml.safe_load(handle)
    groups = base["all"]["children"]
    clusters, nodes = {}, {}
    for index, env in enumerate(envs, start=1):
        cluster = "lab-cluster" if index == 1 else "lab-cluster-%d" % index
        node = "lab-node-1" if index == 1 else "lab-node-%d" % index
        clusters[cluster] = {"registry_cluster_auth": {"host": env["LAB_API_URL"], "api_key": env["LAB_ADMIN_TOKEN"],
                                                       "ca_cert": env["LAB_CA_FILE"]},
                             "lab_env_file": os.path.join(cluster_dir(index), "lab.env"),
                             "lab_integrated_registry": env["LAB_INTEGRATED_REGISTRY"]}
        nodes[node] = {"registry_cluster": cluster, "lab_integrated_registry": env["LAB_INTEGRATED_REGISTRY"]}
    groups["cluster"]["hosts"] = clusters
    groups["registry_hosts"]["hosts"] = nodes
    path = os.path.join(LAB_DIR, "fleet.yml")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# written by `make lab CLUSTERS=%d`: the lab inventory with every cluster of the lab\n" % len(envs))
        yaml.safe_dump(base, handle, sort_keys=False)
    os.chmod(path, 0o600)


def seed_all(regs, ca_cert):
    """Seed every registry at once. The mirror holds copies of the basic registry's images: the same
    content gives the same digests, as `oc adm release mirror` or `skopeo copy` would leave them."""
    def seed(name, reg):
        pusher = images.Pusher(reg["host"], reg.get("push_user"), reg.get("push_password"),
                               reg.get("ca_file", ca_cert), scheme=reg.get("scheme", "https"))
        if name == "mirror":
            images.seed_mirror(pusher, "basic")
        else:
            images.seed(pusher, name)
    with concurrent.futures.ThreadPoolExecutor(len(regs)) as pool:
        for done in [pool.submit(seed, name, reg) for name, reg in regs.items()]:
            done.result()


def write_kubeconfig(base, name, api_url, ca_cert, tokens) -> str:
    with open(ca_cert, "rb") as handle:
        ca_data = base64.b64encode(handle.read()).decode()
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "admin",
        "clusters": [{"name": name, "cluster": {"server": api_url, "certificate-authority-data": ca_data}}],
        "users": [{"name": user, "user": {"token": token}} for user, token in tokens.items()],
        "contexts": [{"name": user, "context": {"cluster": name, "user": user, "namespace": "default"}}
                     for user in tokens],
    }
    path = os.path.join(base, "kubeconfig")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(kubeconfig, handle)
    os.chmod(path, 0o600)
    return path


def stop(quiet=False):
    if not os.path.exists(PIDS):
        if not quiet:
            print("lab: not running")
        return
    with open(PIDS, encoding="utf-8") as handle:
        entries = [line.split() for line in handle if line.strip()]
    for pid, _dummy in entries:
        try:
            os.killpg(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    for pid, name in entries:
        while time.time() < deadline and _alive(int(pid)):
            time.sleep(0.05)
        if _alive(int(pid)):
            os.killpg(int(pid), signal.SIGKILL)
            if not quiet:
                print("lab: killed %s (%s)" % (name, pid))
    # what a daemon started while it was being stopped (its controllers restart the integrated registry) is still in
    # its process group: nothing of the group may outlive the stop
    for pid, _dummy in entries:
        try:
            os.killpg(int(pid), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    os.remove(PIDS)
    if not quiet:
        print("lab: stopped %d processes" % len(entries))


def _alive(pid: int) -> bool:
    try:
        waited, _dummy = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().split()[2] != "Z"
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("--clusters", type=int, default=int(os.environ.get("CLUSTERS") or 1),
                        help="how many clusters (each its own API emulator and state, sharing the registries)")
    parser.add_argument("--control-plane", choices=("real", "emulated"),
                        default=os.environ.get("CONTROL_PLANE") or "real",
                        help="real: etcd, kube-apiserver and kube-controller-manager per cluster behind the lab's "
                             "front (default); emulated: the lab's own API emulator")
    args = parser.parse_args()
    if args.action == "start":
        if args.clusters < 1:
            raise SystemExit("lab: --clusters must be at least 1")
        # ports are chosen free, then bound by the lab's processes: another process (another lab starting, a
        # client's ephemeral port) may take one in between; start again with other ports
        for attempt in range(3):
            try:
                start(args.clusters, args.control_plane)
                break
            except PortTaken as exc:
                if attempt == 2:
                    raise
                print("%s (a port was taken meanwhile); starting again with other ports" % exc, flush=True)
    elif args.action == "stop":
        stop()
    else:
        print("lab: running" if os.path.exists(PIDS) else "lab: not running")


if __name__ == "__main__":
    main()
