"""Start and stop the lab: `python -m tests.lab.labctl start|stop|status` from the project root.

start: certificates, htpasswd, two docker-registry instances (basic auth, bearer token), the API emulator
with its token issuer, seeded images, then .lab/kubeconfig and .lab/lab.env. stop: every process by PID.
"""

from __future__ import annotations

import argparse
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.environ.get("LAB_DIR", os.path.join(ROOT, ".lab"))
PIDS = os.path.join(LAB_DIR, "pids")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def htpasswd_line(user: str, password: str) -> str:
    out = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True).stdout
    return out.strip() + "\n"


def registry_config(path, port, storage, cert, key, auth):
    config = {"version": 0.1, "log": {"level": "warn", "formatter": "text", "accesslog": {"disabled": True}},
              "storage": {"filesystem": {"rootdirectory": storage}, "delete": {"enabled": True},
                          "cache": {"blobdescriptor": "inmemory"}},
              "http": {"addr": "127.0.0.1:%d" % port, "tls": {"certificate": cert, "key": key},
                       "headers": {"X-Content-Type-Options": ["nosniff"]}},
              "auth": auth}
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(config, handle)


def spawn(name: str, argv: list[str], env=None):
    log = open(os.path.join(LAB_DIR, "logs", name + ".log"), "ab")  # pylint: disable=consider-using-with
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            start_new_session=True, cwd=ROOT, env=env)
    with open(PIDS, "a", encoding="utf-8") as handle:
        handle.write("%d %s\n" % (proc.pid, name))
    return proc


def wait_https(url: str, ca_file: str, proc, name: str, timeout: float = 10.0):
    session = requests.Session()
    session.trust_env = False
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("lab: %s exited with %s; see %s" % (name, proc.returncode,
                                                                 os.path.join(LAB_DIR, "logs", name + ".log")))
        try:
            session.get(url, verify=ca_file, timeout=1)
            return
        except requests.exceptions.RequestException:
            time.sleep(0.05)
    raise SystemExit("lab: %s did not answer on %s within %.0fs" % (name, url, timeout))


def start():
    began = time.time()
    if os.path.exists(PIDS):
        stop(quiet=True)
    if os.path.isdir(LAB_DIR):
        shutil.rmtree(LAB_DIR)
    for sub in ("pki", "logs", "registry-basic", "registry-token"):
        os.makedirs(os.path.join(LAB_DIR, sub), mode=0o700)
    pki_dir = os.path.join(LAB_DIR, "pki")
    ca_cert, ca_key = pki.make_ca(pki_dir)
    api_cert, api_key = pki.make_leaf(pki_dir, "api", ca_cert, ca_key)
    reg_cert, reg_key = pki.make_leaf(pki_dir, "registry", ca_cert, ca_key)
    token_cert, token_key = pki.make_leaf(pki_dir, "token-signer", ca_cert, ca_key, client=True)
    other_ca, _dummy = pki.make_ca(pki_dir, "untrusted-ca")

    ports = {name: free_port() for name in ("api", "token", "basic", "bearer")}

    def password():
        return secrets.token_urlsafe(18)
    regs = {
        "basic": {"host": "127.0.0.1:%d" % ports["basic"], "user": "lab-puller", "password": password(),
                  "push_user": "lab-pusher", "push_password": password()},
        "token": {"host": "127.0.0.1:%d" % ports["bearer"], "user": "lab-robot+puller", "password": password(),
                  "push_user": "lab-robot+pusher", "push_password": password()},
    }
    htpasswd = os.path.join(LAB_DIR, "htpasswd")
    with open(htpasswd, "w", encoding="utf-8") as handle:
        handle.write(htpasswd_line(regs["basic"]["user"], regs["basic"]["password"]))
        handle.write(htpasswd_line(regs["basic"]["push_user"], regs["basic"]["push_password"]))
    token_service, token_issuer = "lab-token-registry", "lab-token-issuer"
    registry_config(os.path.join(LAB_DIR, "registry-basic.yml"), ports["basic"],
                    os.path.join(LAB_DIR, "registry-basic"), reg_cert, reg_key,
                    {"htpasswd": {"realm": "lab-basic-registry", "path": htpasswd}})
    registry_config(os.path.join(LAB_DIR, "registry-token.yml"), ports["bearer"],
                    os.path.join(LAB_DIR, "registry-token"), reg_cert, reg_key,
                    {"token": {"realm": "https://127.0.0.1:%d/token" % ports["token"], "service": token_service,
                               "issuer": token_issuer, "rootcertbundle": token_cert}})
    tokens = {user: secrets.token_urlsafe(32) for user in ("admin", "viewer", "editor")}
    config = {"api_port": ports["api"], "token_port": ports["token"], "api_cert": api_cert, "api_key": api_key,
              "ca_file": ca_cert, "token_key": token_key, "token_service": token_service,
              "token_issuer_name": token_issuer, "tokens": tokens, "registries": regs}
    config_path = os.path.join(LAB_DIR, "lab.json")
    with open(config_path, "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)
    os.chmod(config_path, 0o600)

    env = dict(os.environ, PYTHONPATH=ROOT)
    api = spawn("api", [sys.executable, "-m", "tests.lab.daemon", config_path], env=env)
    basic = spawn("registry-basic", ["docker-registry", "serve", os.path.join(LAB_DIR, "registry-basic.yml")])
    bearer = spawn("registry-token", ["docker-registry", "serve", os.path.join(LAB_DIR, "registry-token.yml")])
    api_url = "https://127.0.0.1:%d" % ports["api"]
    wait_https(api_url + "/version", ca_cert, api, "api")
    wait_https("https://%s/v2/" % regs["basic"]["host"], ca_cert, basic, "registry-basic")
    wait_https("https://%s/v2/" % regs["token"]["host"], ca_cert, bearer, "registry-token")

    for name, reg in regs.items():
        images.seed(images.Pusher(reg["host"], reg["push_user"], reg["push_password"], ca_cert), name)

    write_kubeconfig(api_url, ca_cert, tokens)
    env_lines = {
        "LAB_DIR": LAB_DIR, "LAB_API_URL": api_url, "LAB_CA_FILE": ca_cert, "LAB_UNTRUSTED_CA_FILE": other_ca,
        "LAB_KUBECONFIG": os.path.join(LAB_DIR, "kubeconfig"),
        "LAB_ADMIN_TOKEN": tokens["admin"], "LAB_VIEWER_TOKEN": tokens["viewer"], "LAB_EDITOR_TOKEN": tokens["editor"],
        "LAB_CONTROL_URL": api_url + "/lab", "LAB_TOKEN_ISSUER_URL": "https://127.0.0.1:%d/token" % ports["token"],
        "LAB_REGISTRY_BASIC": regs["basic"]["host"], "LAB_REGISTRY_BASIC_USER": regs["basic"]["user"],
        "LAB_REGISTRY_BASIC_PASSWORD": regs["basic"]["password"],
        "LAB_REGISTRY_BASIC_PUSH_USER": regs["basic"]["push_user"],
        "LAB_REGISTRY_BASIC_PUSH_PASSWORD": regs["basic"]["push_password"],
        "LAB_REGISTRY_TOKEN": regs["token"]["host"], "LAB_REGISTRY_TOKEN_USER": regs["token"]["user"],
        "LAB_REGISTRY_TOKEN_PASSWORD": regs["token"]["password"],
        "LAB_REGISTRY_TOKEN_PUSH_USER": regs["token"]["push_user"],
        "LAB_REGISTRY_TOKEN_PUSH_PASSWORD": regs["token"]["push_password"],
    }
    path = os.path.join(LAB_DIR, "lab.env")
    with open(path, "w", encoding="utf-8") as handle:
        for key, value in env_lines.items():
            handle.write("export %s='%s'\n" % (key, value))
    os.chmod(path, 0o600)
    print("lab: ready in %.1fs (API %s); source %s" % (time.time() - began, api_url, path))


def write_kubeconfig(api_url, ca_cert, tokens):
    with open(ca_cert, "rb") as handle:
        ca_data = base64.b64encode(handle.read()).decode()
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": "admin",
        "clusters": [{"name": "lab", "cluster": {"server": api_url, "certificate-authority-data": ca_data}}],
        "users": [{"name": user, "user": {"token": token}} for user, token in tokens.items()],
        "contexts": [{"name": user, "context": {"cluster": "lab", "user": user, "namespace": "default"}}
                     for user in tokens],
    }
    path = os.path.join(LAB_DIR, "kubeconfig")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(kubeconfig, handle)
    os.chmod(path, 0o600)


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
    args = parser.parse_args()
    if args.action == "start":
        start()
    elif args.action == "stop":
        stop()
    else:
        print("lab: running" if os.path.exists(PIDS) else "lab: not running")


if __name__ == "__main__":
    main()
