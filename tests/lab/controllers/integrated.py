"""The integrated registry's pods, played by a real docker-registry.

While the registry operator's Deployment has ready replicas, one docker-registry process serves the registry at
the lab's integrated-registry address (TLS from the ingress CA, as the router presents the public route), storing
on a directory that stands for the volume: emptyDir is new at every start, a PVC keeps its data per claim, object
storage keeps one directory per backend. It accepts bearer tokens from /openshift/token on the lab's token port,
which knows the API's users and service accounts. Its notifications reach the API (the lab's registry-events
endpoint), which records every pushed tag in the namespace's imagestream, as the registry's ImageStreamMapping does.
No Deployment, or no ready replica (Removed, or scaled to zero), stops it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import yaml

from .base import NS_REGISTRY, R, Controller
from .. import importer

MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json",
                  "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json")
OBJECT_STORAGE = ("s3", "gcs", "azure", "swift", "ibmcos", "oss")


class IntegratedRegistry(Controller):
    def __init__(self, lab):
        super().__init__(lab)
        self.config = lab.config.get("integrated_registry")
        self.proc = None
        self.volume = None
        self.internal_token = None

    @property
    def address(self):
        return "127.0.0.1:%d" % self.config["port"]

    def reset(self):
        self._stop()
        self.internal_token = None

    def reconcile(self):
        if not self.config:
            return
        deploy = self.get("deploy", NS_REGISTRY, "image-registry")
        if deploy is None:
            self._stop()
            return
        if not (deploy.get("status") or {}).get("readyReplicas"):
            if not deploy["spec"].get("replicas", 1):
                self._stop()
            return
        volume = self._volume(deploy)
        if self.proc is not None and self.proc.poll() is None and volume == self.volume:
            return
        self._stop()
        self._start(volume)

    def _volume(self, deploy):
        volumes = deploy["spec"]["template"]["spec"].get("volumes") or []
        for volume in volumes:
            if volume.get("persistentVolumeClaim"):
                return "pvc-" + volume["persistentVolumeClaim"]["claimName"]
            if "emptyDir" in volume:
                return "emptydir"
        cfg = self.get("registry", "", "cluster") or {}
        storage = (cfg.get("spec") or {}).get("storage") or {}
        return "object-" + next((kind for kind in OBJECT_STORAGE if storage.get(kind) is not None), "storage")

    def _start(self, volume):
        base = self.config["dir"]
        storage = os.path.join(base, volume)
        if volume == "emptydir" and os.path.isdir(storage):
            shutil.rmtree(storage)  # a new pod gets a new emptyDir
        os.makedirs(storage, mode=0o700, exist_ok=True)
        cfg = {"version": 0.1, "log": {"level": "warn", "formatter": "text", "accesslog": {"disabled": True}},
               "storage": {"filesystem": {"rootdirectory": storage}, "delete": {"enabled": True},
                           "cache": {"blobdescriptor": "inmemory"}},
               "http": {"addr": self.address, "tls": {"certificate": self.config["cert"], "key": self.config["key"]},
                        "headers": {"X-Content-Type-Options": ["nosniff"]}},
               "auth": {"token": {"realm": self.config["realm"], "service": self.config["service"],
                                  "issuer": self.config["issuer"], "rootcertbundle": self.config["token_cert"]}},
               "notifications": {"endpoints": [{
                   "name": "lab-api", "url": self.config["events_url"], "timeout": "5s", "threshold": 3,
                   "backoff": "1s", "headers": {"Authorization": ["Bearer " + self.config["events_token"]]}}]}}
        path = os.path.join(base, "config.yml")
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(cfg, handle)
        os.chmod(path, 0o600)
        log_path = os.path.join(self.config["log_dir"], self.config.get("log_name", "registry-integrated") + ".log")
        log = open(log_path, "ab")  # pylint: disable=consider-using-with
        # the notifications go to the API over TLS: Go's verifier reads SSL_CERT_FILE for the lab CA
        env = dict(os.environ, SSL_CERT_FILE=self.lab.ca_file)
        # same process group as the lab daemon, so stopping the lab stops it too
        self.proc = subprocess.Popen(["docker-registry", "serve", path], stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                     stdin=subprocess.DEVNULL, env=env)
        log.close()
        self.volume = volume
        deadline = time.time() + 10
        while time.time() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection(("127.0.0.1", self.config["port"]), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        print("lab: the integrated registry did not start; see registry-integrated.log", flush=True)

    def _stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None
            self.volume = None

    # ------------------------------------------------------------ pushes reach the API
    def events(self, envelope: dict) -> dict:
        """The registry's notifications: each pushed tag of a manifest is recorded in its imagestream."""
        recorded = []
        for event in (envelope or {}).get("events") or []:
            target = event.get("target") or {}
            if event.get("action") != "push" or not target.get("tag") or target.get("mediaType") not in MANIFEST_TYPES:
                continue
            parts = (target.get("repository") or "").split("/")
            if len(parts) != 2:
                continue
            ns, name = parts
            if self.store.get(R["ns"], "", ns) is None:
                continue
            found = self._read(target["repository"], target["digest"])
            if found is not None:
                self.lab.openshift.images.record_push(ns, name, target["tag"], found)
                recorded.append("%s:%s@%s" % (target["repository"], target["tag"], target["digest"]))
        return {"recorded": recorded}

    def _read(self, repository, digest):
        """Read the pushed manifest back as the registry's service account (what the registry itself knows)."""
        if self.internal_token is None:
            sa = self.get("sa", NS_REGISTRY, "registry")
            answer = self.lab.users.bound.request(sa, {"spec": {"expirationSeconds": 1 << 31}})
            self.internal_token = answer["status"]["token"]
        text = "%s/%s@%s" % (self.address, repository, digest)
        client = importer.RegistryClient(self.address, ("registry", self.internal_token), self.config["ingress_ca"],
                                         False)
        try:
            client.ping(text, "repository:%s:pull" % repository)
            return importer.import_one(client, importer.Reference(text), text, "PreserveOriginal", False)
        except importer.ImportFailure as failure:
            print("lab: cannot read the pushed %s: %s" % (text, failure.status()), flush=True)
            return None
