"""The image registry operator in the lab: the registry config's reconcile (storage union, PVC rules,
Deployment, Service, routes, conditions), images.config status hostnames, the ClusterOperator."""

from __future__ import annotations

import copy
import secrets as pysecrets
import time

from .. import kube
from .base import INTERNAL_HOSTNAME, NS_CONFIG, NS_REGISTRY, OWNER_ANNOTATION, R, Controller, condition

BACKENDS = [("emptyDir", "EmptyDir"), ("s3", "S3"), ("swift", "Swift"), ("gcs", "GCS"), ("ibmcos", "IBMCOS"),
            ("pvc", "PVC"), ("azure", "Azure")]
STORAGE_KEYS = {
    "s3": ["REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"],
    "gcs": ["REGISTRY_STORAGE_GCS_KEYFILE"],
    "ibmcos": ["REGISTRY_STORAGE_IBMCOS_IAMAPIKEY"],
    "azure": ["REGISTRY_STORAGE_AZURE_ACCOUNTKEY"],
}
USER_SECRET = "image-registry-private-configuration-user"


class RegistryOperator(Controller):
    def __init__(self, lab):
        super().__init__(lab)
        self.timers: dict[str, float] = {}
        self.certificates = None

    def reset(self):
        self.timers = {}
        self.certificates = None

    def reconcile(self):
        self.certificates = self.sync_certificates()
        self.sync_registry()

    def sync_certificates(self):
        """image-registry-certificates: the additionalTrustedCA ConfigMap's data plus the service CA under the
        registry service's hostnames; the condition the operator's certificates controller reports."""
        data = {}
        service_ca = (self.get("cm", NS_REGISTRY, "serviceca") or {}).get("data", {}).get("service-ca.crt")
        service = self.get("svc", NS_REGISTRY, "image-registry")
        if service_ca and service is not None:
            port = service["spec"]["ports"][0]["port"]
            suffix = "" if port == 443 else "..%d" % port
            for host in ("image-registry.%s.svc" % NS_REGISTRY, "image-registry.%s.svc.cluster.local" % NS_REGISTRY):
                data[host + suffix] = service_ca
        image_config = self.get("imagecfg", "", "cluster") or {}
        name = ((image_config.get("spec") or {}).get("additionalTrustedCA") or {}).get("name")
        if name:
            upstream = self.get("cm", NS_CONFIG, name)
            if upstream is None:
                return condition("ImageRegistryCertificatesControllerDegraded", "True", "Error",
                                 'image-registry-certificates: configmap "%s" not found' % name,
                                 self._conditions())
            data.update(upstream.get("data") or {})
        wanted = {"metadata": {"name": "image-registry-certificates", "namespace": NS_REGISTRY,
                               "annotations": {"openshift.io/owning-component": "Image Registry"}}, "data": data}
        current = self.get("cm", NS_REGISTRY, "image-registry-certificates")
        if current is None:
            self.put("cm", wanted)
        elif (current.get("data") or {}) != data:
            def mutate(obj):
                obj["data"] = data
            self.update("cm", NS_REGISTRY, "image-registry-certificates", mutate)
        return condition("ImageRegistryCertificatesControllerDegraded", "False", "AsExpected", "", self._conditions())

    def _conditions(self):
        return ((self.get("registry", "", "cluster") or {}).get("status") or {}).get("conditions") or []

    def sync_registry(self):
        cfg = self.store.get(R["registry"], "", "cluster")
        if cfg is None:
            self.store.put(R["registry"], bootstrap_registry_config())
            return
        spec = cfg["spec"]
        state = spec.get("managementState")
        if state == "Managed" and self._write_defaults(cfg):
            return
        conditions = (cfg.get("status") or {}).get("conditions") or []
        generation = cfg["metadata"].get("generation", 1)
        if state == "Managed":
            status = self._sync_managed(cfg, conditions)
        elif state == "Removed":
            status = self._sync_removed(cfg, conditions)
        elif state == "Unmanaged":
            msg = "The registry configuration is set to unmanaged mode"
            status = {"conditions": [condition("Available", "True", "Unmanaged", msg, conditions),
                                     condition("Progressing", "False", "Unmanaged", msg, conditions),
                                     condition("Degraded", "False", "Unmanaged", msg, conditions),
                                     condition("Removed", "False", "", "", conditions)]}
        else:
            return  # "unknown custom resource state": the operator logs and does nothing
        status["observedGeneration"] = generation
        if self.certificates:
            status["conditions"] = status["conditions"] + [self.certificates]

        def mutate(obj):
            new = obj.setdefault("status", {})
            new.update(status)
            new.setdefault("storage", {})
            new.setdefault("storageManaged", False)
        self._update(R["registry"], "", "cluster", mutate)
        self._sync_cluster_operator(status["conditions"])
        self._sync_image_config(state)

    def _write_defaults(self, cfg) -> bool:
        """What the operator writes back into spec: httpSecret, rollout strategy, default claim, bucket names."""
        def mutate(obj):
            spec = obj["spec"]
            if not spec.get("httpSecret"):
                spec["httpSecret"] = pysecrets.token_hex(64)
            spec.setdefault("rolloutStrategy", "RollingUpdate")
            spec.setdefault("proxy", {})
            storage = spec.get("storage") or {}
            configured = [k for k, _dummy in BACKENDS if storage.get(k) is not None]
            if configured == ["pvc"] and not storage["pvc"].get("claim"):
                storage["pvc"]["claim"] = "image-registry-storage"
                storage.setdefault("managementState", "Managed")
            elif len(configured) == 1 and configured[0] in ("s3", "gcs", "ibmcos", "swift", "azure"):
                block = storage[configured[0]]
                field = {"azure": "container", "swift": "container"}.get(configured[0], "bucket")
                if not block.get(field):
                    block[field] = "lab-image-registry-%s" % pysecrets.token_hex(6)
                    storage.setdefault("managementState", "Managed")
                else:
                    storage.setdefault("managementState", "Unmanaged")
            elif configured == ["pvc"]:
                storage.setdefault("managementState", "Unmanaged")
            elif configured == ["emptyDir"]:
                storage.setdefault("managementState", "Managed")
        before = cfg["metadata"].get("resourceVersion")
        after = self._update(R["registry"], "", "cluster", mutate)
        return after is not None and after["metadata"].get("resourceVersion") != before

    def _storage_error(self, spec):
        """(error, StorageExists reason, storageManaged) for spec.storage, with the operator's rules."""
        storage = spec.get("storage") or {}
        configured = [label for key, label in BACKENDS if storage.get(key) is not None]
        if not configured:
            return "storage backend not configured", None, True
        if len(configured) > 1:
            return ("unable to sync storage configuration: exactly one storage type should be configured at the "
                    "same time, got %d: [%s]" % (len(configured), " ".join(configured))), None, False
        kind = next(key for key, label in BACKENDS if label == configured[0])
        managed = storage.get("managementState") == "Managed"
        if kind == "emptyDir":
            return None, "Creation Successful", managed
        if kind == "pvc":
            return self._pvc_check(spec, storage["pvc"].get("claim") or "image-registry-storage")
        if kind in STORAGE_KEYS or kind == "swift":
            secret = self.store.get(R["secret"], NS_REGISTRY, USER_SECRET)
            data = kube.decode_secret_data((secret or {}).get("data"))
            if kind == "swift":
                if not (data.get("REGISTRY_STORAGE_SWIFT_USERNAME") or data.get(
                        "REGISTRY_STORAGE_SWIFT_APPLICATIONCREDENTIALID") or data.get("REGISTRY_STORAGE_SWIFT_TOKENID")):
                    return ('unable to sync storage configuration: secret "%s/%s" does not contain required key '
                            '"REGISTRY_STORAGE_SWIFT_USERNAME"' % (NS_REGISTRY, USER_SECRET)), "Storage does not exist", managed
                return None, "Swift container Exists", managed
            for key in STORAGE_KEYS[kind]:
                if kind == "azure" and key in data and not data[key]:
                    return ("unable to sync storage configuration: the secret %s/%s has an empty value for %s; the "
                            "secret should be removed so that the operator can use cluster-wide secrets or it should "
                            "contain a valid storage account access key" % (NS_REGISTRY, USER_SECRET, key)), None, managed
                if key not in data:
                    return ('unable to sync storage configuration: secret "%s/%s" does not contain required key "%s"'
                            % (NS_REGISTRY, USER_SECRET, key)), None, managed
            reason = {"s3": "S3 Bucket Exists", "gcs": "GCS Bucket Exists", "ibmcos": "IBM COS Instance Exists",
                      "azure": "Azure Container Exists"}[kind]
            return None, reason, managed
        return None, "Creation Successful", managed

    def _pvc_check(self, spec, claim):
        pvc = self.store.get(R["pvc"], NS_REGISTRY, claim)
        storage = spec.get("storage") or {}
        managed = storage.get("managementState") == "Managed"
        reason = "PVC Exists"
        if pvc is None:
            if claim != "image-registry-storage":
                return ('unable to sync storage configuration: persistentvolumeclaims "%s" not found' % claim,
                        "PVC does not exist", managed)
            self.store.put(R["pvc"], {"metadata": {"name": claim, "namespace": NS_REGISTRY,
                                                   "annotations": {OWNER_ANNOTATION: "true"}},
                                      "spec": {"accessModes": ["ReadWriteMany"], "volumeMode": "Filesystem",
                                               "resources": {"requests": {"storage": "100Gi"}}},
                                      "status": {"phase": "Bound", "accessModes": ["ReadWriteMany"],
                                                 "capacity": {"storage": "100Gi"}}})
            return None, "PVC Created", True
        if claim == "image-registry-storage" and (pvc["metadata"].get("annotations") or {}).get(OWNER_ANNOTATION) != "true" \
                and managed:
            return ("unable to sync storage configuration: could not create default PVC, it already exists and is not "
                    "owned by the operator", "PVC Already Exists", managed)
        modes = pvc.get("spec", {}).get("accessModes") or []
        if "ReadWriteMany" in modes:
            return None, reason, managed
        if "ReadWriteOnce" in modes:
            if spec.get("replicas", 1) > 1:
                return ("unable to sync storage configuration: cannot use ReadWriteOnce access mode with more than one "
                        "replica of the image registry", "PVC Issues Found", managed)
            if spec.get("rolloutStrategy") != "Recreate":
                return ("unable to sync storage configuration: cannot use ReadWriteOnce access mode with %s rollout "
                        "strategy" % spec.get("rolloutStrategy", "RollingUpdate"), "PVC Issues Found", managed)
            return None, reason, managed
        return ("unable to sync storage configuration: PVC %s does not contain the necessary access modes: "
                "ReadWriteMany or ReadWriteOnce" % claim, "PVC Issues Found", managed)

    def _sync_managed(self, cfg, conditions):
        spec = cfg["spec"]
        # the operator reserves default-route whether or not defaultRoute is set
        names = ["default-route"] + [r.get("name") for r in spec.get("routes") or []]
        permanent = None
        if spec.get("replicas", 1) < 0:
            permanent = ("VerificationFailed", "unable to complete resource: replicas must be greater than or equal to 0")
        elif len(names) != len(set(names)):
            permanent = ("VerificationFailed",
                         "unable to complete resource: duplication of names has been detected in the additional routes")
        error, storage_reason, storage_managed = (None, None, False) if permanent else self._storage_error(spec)
        if error == "storage backend not configured":
            permanent, error = ("StorageNotConfigured", error), None
        if permanent:
            reason, message = permanent
            return {"conditions": [
                condition("Available", "False", reason, "Error: " + message, conditions),
                condition("Progressing", "False", "Error", "Unable to apply resources: " + message, conditions),
                condition("Degraded", "True", reason, "Error: " + message, conditions),
                condition("Removed", "False", "", "", conditions)], "readyReplicas": 0}
        storage_cond = [] if storage_reason is None else [
            condition("StorageExists", "False" if error else "True", storage_reason,
                      error.split(": ", 1)[-1] if error else "", conditions)]
        deploy = self.store.get(R["deploy"], NS_REGISTRY, "image-registry")
        if error:
            available = self._available(deploy, conditions)
            return {"conditions": storage_cond + [
                available,
                condition("Progressing", "True", "Error", "Unable to apply resources: " + error, conditions),
                condition("Degraded", "False", "", "", conditions),
                condition("Removed", "False", "", "", conditions)],
                "readyReplicas": ((deploy or {}).get("status") or {}).get("readyReplicas", 0)}
        deploy = self._apply_registry_resources(spec)
        route_problem = self._route_problem()
        dstatus = deploy.get("status") or {}
        complete = dstatus.get("observedGeneration") == deploy["metadata"]["generation"] and \
            dstatus.get("readyReplicas", 0) == spec.get("replicas", 1)
        # a Deployment made again after Removed starts at generation 1 again: its uid tells the two apart
        key = "deploy/%s/%s" % (deploy["metadata"].get("uid"), deploy["metadata"]["generation"])
        started = self.timers.setdefault(key, time.time())
        if complete:
            progressing = condition("Progressing", "False", "Ready", "The registry is ready", conditions)
        else:
            progressing = condition("Progressing", "True", "DeploymentNotCompleted", "The deployment has not completed",
                                    conditions)
        degraded = condition("Degraded", "False", "", "", conditions)
        if route_problem:
            degraded = condition("Degraded", "True", "RouteDegraded", route_problem, conditions)
        elif not complete and time.time() - started > float(self.lab.settings["progress_deadline"]):
            degraded = condition("Degraded", "True", "ProgressDeadlineExceeded",
                                 'Registry deployment has timed out progressing: ReplicaSet "image-registry-5d8f9c7b6d" '
                                 "has timed out progressing.", conditions)
        storage = copy.deepcopy(spec.get("storage") or {})
        return {"conditions": storage_cond + [self._available(deploy, conditions), progressing, degraded,
                                              condition("Removed", "False", "", "", conditions)],
                "readyReplicas": dstatus.get("readyReplicas", 0), "storage": storage,
                "storageManaged": storage.get("managementState") == "Managed" or storage_managed}

    @staticmethod
    def _available(deploy, conditions):
        if deploy is None:
            return condition("Available", "False", "DeploymentNotFound", "The deployment does not exist", conditions)
        status = deploy.get("status") or {}
        ready = status.get("readyReplicas", 0)
        if ready and ready >= deploy["spec"].get("replicas", 1):
            return condition("Available", "True", "Ready", "The registry is ready", conditions)
        if ready:
            return condition("Available", "True", "MinimumAvailability", "The registry has minimum availability",
                             conditions)
        return condition("Available", "False", "NoReplicasAvailable", "The deployment does not have available replicas",
                         conditions)

    def _apply_registry_resources(self, spec):
        strategy = spec.get("rolloutStrategy") or "RollingUpdate"
        storage = spec.get("storage") or {}
        volume = {"name": "registry-storage", "emptyDir": {}}
        if storage.get("pvc") is not None:
            volume = {"name": "registry-storage", "persistentVolumeClaim": {"claimName": storage["pvc"]["claim"]}}
        # object storage needs no volume, and then no mount (the API server refuses a mount of a missing volume)
        local = not any(storage.get(k) is not None for k in STORAGE_KEYS) and storage.get("swift") is None
        pod = {"metadata": {"labels": {"docker-registry": "default"}},
               "spec": {"serviceAccountName": "registry", "nodeSelector": spec.get("nodeSelector") or {},
                        "tolerations": spec.get("tolerations") or [], "affinity": spec.get("affinity") or {},
                        "containers": [{"name": "registry", "image": "quay.io/openshift/origin-docker-registry:4.18",
                                        "ports": [{"containerPort": 5000, "protocol": "TCP"}],
                                        "resources": spec.get("resources") or {},
                                        "volumeMounts": [{"name": "registry-storage", "mountPath": "/registry"}]
                                        if local else []}],
                        "volumes": [volume] if local else []}}
        desired = {"replicas": spec.get("replicas", 1), "strategy": {"type": strategy},
                   "selector": {"matchLabels": {"docker-registry": "default"}}, "template": pod}
        with self.store.lock:
            current = self.store.get(R["deploy"], NS_REGISTRY, "image-registry")
            if current is None:
                current = self.store.put(R["deploy"], {"metadata": {"name": "image-registry", "namespace": NS_REGISTRY,
                                                                    "annotations": {OWNER_ANNOTATION: "true"}},
                                                       "spec": desired})
            elif current["spec"] != desired:
                updated = copy.deepcopy(current)
                updated["spec"] = desired
                current = self.store.put(R["deploy"], updated, previous=current)
            if self.store.get(R["svc"], NS_REGISTRY, "image-registry") is None:
                self.store.put(R["svc"], {"metadata": {"name": "image-registry", "namespace": NS_REGISTRY,
                                                       "annotations": {OWNER_ANNOTATION: "true"}},
                                          "spec": {"ports": [{"name": "5000-tcp", "port": 5000, "protocol": "TCP",
                                                              "targetPort": 5000}],
                                                   "selector": {"docker-registry": "default"},
                                                   "clusterIP": "172.30.0.50", "type": "ClusterIP"}})
            self._sync_routes(spec)
        return current

    def _route_host(self, name):
        return "%s-%s.%s" % (name, NS_REGISTRY, self.lab.settings["apps_domain"])

    def _sync_routes(self, spec):
        wanted = {}
        if spec.get("defaultRoute"):
            wanted["default-route"] = {"host": self._route_host("default-route")}
        for route in spec.get("routes") or []:
            entry = {"host": route.get("hostname") or self._route_host(route["name"])}
            if route.get("secretName"):
                entry["secretName"] = route["secretName"]
            wanted[route["name"]] = entry
        admitted = bool(self.lab.settings["routes_admitted"])
        for existing in self.store.list(R["route"], NS_REGISTRY):
            meta = existing["metadata"]
            if (meta.get("annotations") or {}).get(OWNER_ANNOTATION) == "true" and meta["name"] not in wanted:
                self.store.delete(R["route"], NS_REGISTRY, meta["name"])
        for name, entry in wanted.items():
            tls = {"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect"}
            if entry.get("secretName"):
                secret = self.store.get(R["secret"], NS_REGISTRY, entry["secretName"])
                data = kube.decode_secret_data((secret or {}).get("data"))
                for field, key in (("certificate", "tls.crt"), ("key", "tls.key"), ("caCertificate", "tls.cacrt")):
                    if key in data:
                        tls[field] = data[key].decode(errors="replace")
            route = {"metadata": {"name": name, "namespace": NS_REGISTRY, "annotations": {OWNER_ANNOTATION: "true"}},
                     "spec": {"host": entry["host"], "to": {"kind": "Service", "name": "image-registry", "weight": 100},
                              "port": {"targetPort": "5000-tcp"}, "tls": tls, "wildcardPolicy": "None"},
                     "status": {"ingress": [{
                         "host": entry["host"], "routerName": "default", "wildcardPolicy": "None",
                         "routerCanonicalHostname": "router-default." + self.lab.settings["apps_domain"],
                         "conditions": [{"type": "Admitted", "status": "True" if admitted else "False",
                                         "reason": "" if admitted else "HostAlreadyClaimed",
                                         "message": "" if admitted else "route %s already exposes %s and is older"
                                         % ("other", entry["host"]),
                                         "lastTransitionTime": kube.now()}]}]}}
            current = self.store.get(R["route"], NS_REGISTRY, name)
            if current is None:
                self.store.put(R["route"], route)
            elif current["spec"] != route["spec"] or _admitted(current) != admitted:
                updated = copy.deepcopy(current)
                updated["spec"], updated["status"] = route["spec"], route["status"]
                self.store.put(R["route"], updated, previous=current)

    def _route_problem(self):
        for route in self.store.list(R["route"], NS_REGISTRY):
            if (route["metadata"].get("annotations") or {}).get(OWNER_ANNOTATION) != "true":
                continue
            for ingress in route.get("status", {}).get("ingress", []):
                for cond in ingress.get("conditions", []):
                    if cond["type"] == "Admitted" and cond["status"] != "True":
                        return "route %s (host %s, router %s) not admitted: %s" % (
                            route["metadata"]["name"], ingress["host"], ingress["routerName"], cond["message"])
        return None

    def _sync_removed(self, cfg, conditions):
        deploy = self.store.get(R["deploy"], NS_REGISTRY, "image-registry")
        removing = self.timers.get("removing")
        if deploy is not None:
            self.store.delete(R["deploy"], NS_REGISTRY, "image-registry")
            self.store.delete(R["svc"], NS_REGISTRY, "image-registry")
            for route in self.store.list(R["route"], NS_REGISTRY):
                if (route["metadata"].get("annotations") or {}).get(OWNER_ANNOTATION) == "true":
                    self.store.delete(R["route"], NS_REGISTRY, route["metadata"]["name"])
            storage = (cfg.get("status") or {}).get("storage") or {}
            if storage.get("managementState") == "Managed" and storage.get("pvc"):
                self.store.delete(R["pvc"], NS_REGISTRY, storage["pvc"].get("claim") or "image-registry-storage")
            self.timers["removing"] = removing = time.time()
        if removing and time.time() - removing < float(self.lab.settings["operator_delay"]):
            return {"conditions": [
                condition("Available", "False", "DeploymentDeleted", "The deployment is being deleted", conditions),
                condition("Progressing", "True", "DeletingDeployment", "The deployment is being removed", conditions),
                condition("Degraded", "False", "", "", conditions),
                condition("Removed", "False", "", "", conditions)], "readyReplicas": 0}
        self.timers.pop("removing", None)
        msg = "The registry is removed"
        return {"conditions": [condition("Available", "True", "Removed", msg, conditions),
                               condition("Progressing", "False", "Removed", "All registry resources are removed",
                                         conditions),
                               condition("Degraded", "False", "Removed", msg, conditions),
                               condition("Removed", "True", "Removed", msg, conditions)],
                "readyReplicas": 0, "storage": {}, "storageManaged": False}

    def _sync_cluster_operator(self, conditions):
        def mutate(obj):
            previous = obj.setdefault("status", {}).get("conditions")
            wanted = [condition(c["type"], c["status"], c["reason"], c["message"], previous) for c in conditions
                      if c["type"] in ("Available", "Progressing", "Degraded")]
            obj["status"]["conditions"] = wanted
        self._update(R["co"], "", "image-registry", mutate)

    def _sync_image_config(self, state):
        hosts = []
        if state == "Managed":
            routes = [r for r in self.store.list(R["route"], NS_REGISTRY)
                      if (r["metadata"].get("annotations") or {}).get(OWNER_ANNOTATION) == "true" and _admitted(r)]
            default = [r["spec"]["host"] for r in routes if r["metadata"]["name"] == "default-route"]
            hosts = default + sorted(r["spec"]["host"] for r in routes if r["metadata"]["name"] != "default-route")

        def mutate(obj):
            status = obj.setdefault("status", {})
            extra = [h for h in obj.get("spec", {}).get("externalRegistryHostnames") or [] if h not in hosts]
            if state == "Managed" and self.store.get(R["svc"], NS_REGISTRY, "image-registry") is not None:
                status["internalRegistryHostname"] = INTERNAL_HOSTNAME
            elif state == "Removed":
                status.pop("internalRegistryHostname", None)
            if hosts + extra:
                status["externalRegistryHostnames"] = hosts + extra
            else:
                status.pop("externalRegistryHostnames", None)
            status["imageStreamImportMode"] = obj.get("spec", {}).get("imageStreamImportMode") or "Legacy"
        if state in ("Managed", "Removed"):
            self._update(R["imagecfg"], "", "cluster", mutate)


def bootstrap_registry_config():
    """What the operator creates on bare metal: Removed, no storage."""
    return {"metadata": {"name": "cluster", "finalizers": ["imageregistry.operator.openshift.io/finalizer"]},
            "spec": {"managementState": "Removed", "replicas": 1, "rolloutStrategy": "RollingUpdate",
                     "logLevel": "Normal", "operatorLogLevel": "Normal", "httpSecret": pysecrets.token_hex(64),
                     "proxy": {}, "storage": {}},
            "status": {"storage": {}, "storageManaged": False}}


def _admitted(route):
    return all(c.get("status") == "True" for i in route.get("status", {}).get("ingress", [])
               for c in i.get("conditions", []) if c.get("type") == "Admitted")
