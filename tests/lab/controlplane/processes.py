"""One lab cluster's real control plane: etcd, kube-apiserver and kube-controller-manager on 127.0.0.1.

`prepare()` writes what the processes need (certificates, the static token file, the service-account keys, a
kubeconfig for the controller manager) and returns their command lines; the lab's process manager (labctl) starts
them. The binaries come from build.sh (a cache keyed by the pinned versions).
"""

from __future__ import annotations

import os
import secrets
import subprocess

from .. import pki

HERE = os.path.dirname(os.path.abspath(__file__))
# the Kubernetes release that OpenShift 4.21 ships; build/kubernetes/go.mod pins it
SERVICE_CIDR = "172.30.0.0/16"  # OpenShift's default service network
SA_ISSUER = "https://kubernetes.default.svc"
# the controllers of kube-controller-manager whose behaviour the lab relies on: the garbage collector (owner
# references), namespace deletion, CronJob to Job, Job to its status, a namespace's default service account and
# kube-root-ca.crt, the PVC protection finalizer's removal; no node, pod-network or cloud controllers
KCM_CONTROLLERS = "garbage-collector-controller,namespace-controller,cronjob-controller,job-controller," \
                  "serviceaccount-controller,root-ca-certificate-publisher-controller," \
                  "persistentvolumeclaim-protection-controller"


def binaries() -> str:
    """The bin/ directory of the built control plane (builds it on first use: minutes on a fresh machine)."""
    out = subprocess.run([os.path.join(HERE, "build.sh")], check=True, stdout=subprocess.PIPE, text=True)
    return os.path.join(out.stdout.strip().splitlines()[-1], "bin")


def crd_dir() -> str:
    return os.path.join(os.path.dirname(binaries()), "crds")


def prepare(base: str, ca_cert: str, ca_key: str, tokens: dict[str, str], ports: dict[str, int],
            bin_dir: str, max_token_seconds: int = 172800) -> dict:
    """Files and command lines for one cluster's etcd, kube-apiserver and kube-controller-manager.

    tokens maps a lab user (admin, viewer, editor) to its bearer token; a token for the lab's own controllers is
    added (in system:masters, as an operator's service account is effectively). Returns a dict with the commands,
    the API URL and the controllers' token."""
    pki_dir = os.path.join(base, "pki")
    os.makedirs(pki_dir, mode=0o700, exist_ok=True)
    etcd_cert, etcd_key = pki.make_leaf(pki_dir, "etcd", ca_cert, ca_key)
    etcd_client_cert, etcd_client_key = pki.make_leaf(pki_dir, "apiserver-etcd-client", ca_cert, ca_key, client=True)
    api_cert, api_key = pki.make_leaf(pki_dir, "kube-apiserver", ca_cert, ca_key,
                                      dns_names=("kubernetes", "kubernetes.default", "kubernetes.default.svc"))
    sa_key = pki.make_key(pki_dir, "service-account")
    controllers_token = secrets.token_urlsafe(32)
    token_file = os.path.join(base, "tokens.csv")
    groups = {"admin": "system:masters", "lab-controllers": "system:masters"}
    with open(token_file, "w", encoding="utf-8") as handle:
        for user, token in dict(tokens, **{"lab-controllers": controllers_token}).items():
            handle.write('%s,%s,%s,"%s"\n' % (token, user, "lab-" + user, groups.get(user, "")))
    os.chmod(token_file, 0o600)
    api_url = "https://127.0.0.1:%d" % ports["kube-apiserver"]
    kubeconfig = os.path.join(base, "kube-controller-manager.kubeconfig")
    with open(kubeconfig, "w", encoding="utf-8") as handle:
        handle.write(KUBECONFIG % {"server": api_url, "ca": ca_cert, "token": controllers_token})
    os.chmod(kubeconfig, 0o600)
    data_dir = os.path.join(base, "etcd")
    etcd = [os.path.join(bin_dir, "etcd"), "--name", "lab", "--data-dir", data_dir,
            "--listen-client-urls", "https://127.0.0.1:%d" % ports["etcd"],
            "--advertise-client-urls", "https://127.0.0.1:%d" % ports["etcd"],
            "--listen-peer-urls", "http://127.0.0.1:%d" % ports["etcd-peer"],
            "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % ports["etcd-peer"],
            "--initial-cluster", "lab=http://127.0.0.1:%d" % ports["etcd-peer"],
            "--cert-file", etcd_cert, "--key-file", etcd_key, "--client-cert-auth", "--trusted-ca-file", ca_cert,
            "--listen-metrics-urls", "", "--log-level", "warn",
            # a test cluster: no fsync per write, a small backend, no snapshots to speak of
            "--unsafe-no-fsync", "--quota-backend-bytes", str(512 << 20), "--snapshot-count", "100000"]
    apiserver = [os.path.join(bin_dir, "kube-apiserver"),
                 "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
                 "--secure-port", str(ports["kube-apiserver"]),
                 "--etcd-servers", "https://127.0.0.1:%d" % ports["etcd"], "--etcd-cafile", ca_cert,
                 "--etcd-certfile", etcd_client_cert, "--etcd-keyfile", etcd_client_key,
                 "--tls-cert-file", api_cert, "--tls-private-key-file", api_key, "--client-ca-file", ca_cert,
                 "--token-auth-file", token_file, "--authorization-mode", "RBAC",
                 "--service-account-issuer", SA_ISSUER, "--service-account-key-file", sa_key,
                 "--service-account-signing-key-file", sa_key, "--api-audiences", SA_ISSUER,
                 "--service-cluster-ip-range", SERVICE_CIDR, "--endpoint-reconciler-type", "none",
                 "--enable-priority-and-fairness=false", "--profiling=false", "--cert-dir", pki_dir,
                 "--v", "0"]
    if max_token_seconds:
        apiserver += ["--service-account-max-token-expiration", "%ds" % max_token_seconds]
    kcm = [os.path.join(bin_dir, "kube-controller-manager"), "--kubeconfig", kubeconfig,
           "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
           "--bind-address", "127.0.0.1", "--secure-port", str(ports["kube-controller-manager"]),
           "--leader-elect=false", "--controllers", KCM_CONTROLLERS, "--root-ca-file", ca_cert,
           "--service-account-private-key-file", sa_key, "--use-service-account-credentials=false",
           "--cert-dir", pki_dir, "--concurrent-gc-syncs", "2", "--v", "0"]
    return {"etcd": etcd, "kube-apiserver": apiserver, "kube-controller-manager": kcm, "api_url": api_url,
            "controllers_token": controllers_token, "kubeconfig": kubeconfig}


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster: {server: "%(server)s", certificate-authority: "%(ca)s"}
users:
- name: lab-controllers
  user: {token: "%(token)s"}
contexts:
- name: lab
  context: {cluster: lab, user: lab-controllers}
current-context: lab
"""
