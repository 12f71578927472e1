"""OpenShift in the lab: the components that act on the API emulator's objects, and the initial cluster.

Each component is a controller in tests/lab/controllers/ (image API, image registry operator, samples operator,
machine config operator, deployment status); this module wires them to the emulator and runs their loop.
"""

from __future__ import annotations

import base64
import json
import threading

from .controllers.base import NS_REGISTRY, R
from .controllers.deployments import DeploymentController
from .controllers import machineconfig
from .controllers.images import ImageApi
from .controllers.integrated import IntegratedRegistry
from .controllers.pruner import ImagePrunerController
from .controllers.rbac import DefaultRoleBindings
from .controllers.builds import BuildTriggers
from .controllers.triggers import ImageTriggers
from .controllers.registry import RegistryOperator, bootstrap_registry_config
from .controllers.samples import SAMPLES_VERSION, SamplesOperator

DEFAULT_SETTINGS = {"operator_delay": 1.0, "deployment_ready": True, "routes_admitted": True,
                    "progress_deadline": 8.0, "apps_domain": "apps.lab.ocp.example", "max_images_bulk": 50,
                    "mco_delay": 1.0, "latency_ms": 0, "pruner_last_job": "",
                    # the API server's maximum bound-token lifetime: 48 hours (on a real control plane it is
                    # kube-apiserver's --service-account-max-token-expiration, fixed when it starts)
                    "token_max_expiration_seconds": 172800}


class OpenShift:
    def __init__(self, lab):
        self.lab = lab
        self.images = ImageApi(lab)
        self.machine_config = machineconfig.MachineConfigOperator(lab)
        self.integrated = IntegratedRegistry(lab)
        self.controllers = [DefaultRoleBindings(lab), SamplesOperator(lab), DeploymentController(lab),
                            RegistryOperator(lab), ImagePrunerController(lab), self.machine_config, self.integrated,
                            ImageTriggers(lab), BuildTriggers(lab)]
        self.stop = threading.Event()
        self.thread = None

    def reset(self):
        for part in [self.images] + self.controllers:
            part.reset()

    # what the API emulator delegates
    def admission_hook(self, res):
        return self.images.admission_hook(res)

    def image(self, name):
        return self.images.image(name)

    def image_list(self):
        return self.images.image_list()

    def imagestreamtag(self, ns, name):
        return self.images.imagestreamtag(ns, name)

    def imagestreamtag_list(self, ns, query):
        return self.images.imagestreamtag_list(ns, query)

    def stream_secrets(self, ns, name):
        return self.images.stream_secrets(ns, name)

    def import_images(self, ns, isi, user, dry_run):
        return self.images.import_images(ns, isi, user, dry_run)

    def registry_events(self, envelope):
        return self.integrated.events(envelope)

    def node_files(self, pool):
        return self.machine_config.node_files(pool)

    # the control loop
    def start(self):
        self.thread = threading.Thread(target=self._loop, name="lab-controllers", daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop.is_set():
            # each controller on its own: one that fails (a conflict with a write on a real API server, which the
            # next pass retries from the newer object) does not hold the others back
            for controller in self.controllers:
                try:
                    # one controller at a time against the store: a reset of the lab waits for the pass to end
                    with self.lab.store.lock:
                        controller.reconcile()
                except Exception as exc:  # pylint: disable=broad-except
                    print("lab controller %s: %r" % (type(controller).__name__, exc), flush=True)
            self.stop.wait(0.1)

    def reconcile(self):
        for controller in self.controllers:
            controller.reconcile()


def dockerconfigjson(entries: dict[str, tuple[str, str]]) -> str:
    auths = {host: {"auth": base64.b64encode(("%s:%s" % cred).encode()).decode(), "email": "lab@example.com"}
             for host, cred in entries.items()}
    return base64.b64encode(json.dumps({"auths": auths}, separators=(",", ":")).encode()).decode()


def initial_objects(registries: dict, service_ca_pem: str = "", ingress_ca_pem: str = "") -> list[tuple]:
    """A fresh OpenShift 4 cluster installed on bare metal, with the lab registries in the global pull secret."""
    objs = machineconfig.initial_objects()
    namespaces = ["openshift-config", "openshift-config-managed", "openshift-image-registry", "openshift", "default",
                  "lab-apps", "kube-system"]
    for ns in namespaces:
        objs.append((R["ns"], {"metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                               "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}))
        for sa in ("default", "builder", "deployer"):
            secrets = [{"name": "%s-dockercfg-lab%02d" % (sa, len(ns))}]
            objs.append((R["sa"], {"metadata": {"name": sa, "namespace": ns}, "secrets": secrets,
                                   "imagePullSecrets": list(secrets)}))
            objs.append((R["secret"], {"metadata": {"name": "%s-dockercfg-lab%02d" % (sa, len(ns)), "namespace": ns,
                                                    "annotations": {"kubernetes.io/service-account.name": sa}},
                                       "type": "kubernetes.io/dockercfg",
                                       "data": {".dockercfg": base64.b64encode(b"{}").decode()}}))
    objs.append((R["sa"], {"metadata": {"name": "registry", "namespace": NS_REGISTRY}}))
    pull = {"cloud.openshift.com": ("b3BlbnNoaWZ0LXJlbGVhc2UtZGV2", "lab-made-up-cloud-token"),
            "quay.io": ("openshift-release-dev+lab", "lab-made-up-quay-token"),
            "registry.redhat.io": ("12345678|lab-service-account", "lab-made-up-redhat-token")}
    for reg in registries.values():
        if reg.get("pull_secret", True):
            pull[reg["host"]] = (reg["user"], reg["password"])
    objs.append((R["secret"], {"metadata": {"name": "pull-secret", "namespace": "openshift-config"},
                               "type": "kubernetes.io/dockerconfigjson",
                               "data": {".dockerconfigjson": dockerconfigjson(pull)}}))
    objs.append((R["cm"], {"metadata": {"name": "openshift-service-ca.crt", "namespace": "openshift-config"},
                           "data": {"service-ca.crt": "placeholder"}}))
    # the service CA operator's bundle for the registry's service certificate
    objs.append((R["cm"], {"metadata": {"name": "serviceca", "namespace": NS_REGISTRY,
                                        "annotations": {"service.beta.openshift.io/inject-cabundle": "true"}},
                           "data": {"service-ca.crt": service_ca_pem}}))
    # the ingress operator publishes the CA of the routers' default certificate here (what signs the routes)
    if ingress_ca_pem:
        objs.append((R["cm"], {"metadata": {"name": "default-ingress-cert", "namespace": "openshift-config-managed"},
                               "data": {"ca-bundle.crt": ingress_ca_pem}}))
    objs.append((R["registry"], bootstrap_registry_config()))
    objs.append((R["pruner"], {"metadata": {"name": "cluster"},
                               "spec": {"schedule": "0 0 * * *", "suspend": False, "keepTagRevisions": 3,
                                        "keepYoungerThanDuration": "60m", "successfulJobsHistoryLimit": 3,
                                        "failedJobsHistoryLimit": 3, "ignoreInvalidImageReferences": True}}))
    objs.append((R["imagecfg"], {"metadata": {"name": "cluster", "annotations": {
        "include.release.openshift.io/self-managed-high-availability": "true"}},
        "spec": {}, "status": {"imageStreamImportMode": "Legacy"}}))
    objs.append((R["co"], {"metadata": {"name": "image-registry"}, "spec": {}, "status": {"conditions": []}}))
    objs.append((R["samples"], {"metadata": {"name": "cluster"},
                                "spec": {"managementState": "Managed", "architectures": ["x86_64"]},
                                "status": {"managementState": "Managed", "version": SAMPLES_VERSION}}))
    for name, tag in (("cli", "latest"), ("tools", "latest"), ("must-gather", "latest")):
        objs.append((R["is"], {"metadata": {"name": name, "namespace": "openshift"},
                               "spec": {"lookupPolicy": {"local": False}, "tags": [{
                                   "name": tag, "annotations": None,
                                   "from": {"kind": "DockerImage",
                                            "name": "quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:" + "0" * 64},
                                   "generation": 1, "importPolicy": {"importMode": "Legacy"},
                                   "referencePolicy": {"type": "Source"}}]},
                               "status": {}}))
    return objs
