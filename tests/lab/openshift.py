"""OpenShift behaviour in the lab: ImageStreamImport, ImageStreamTags, the image registry operator's
reconcile, the deployment/route status a real cluster would report, and the samples operator's copy of
the global pull secret."""

from __future__ import annotations

import base64
import copy
import json
import secrets as pysecrets
import threading
import time

from . import importer, kube
from .kube import ApiError

NS_REGISTRY = "openshift-image-registry"
INTERNAL_HOSTNAME = "image-registry.openshift-image-registry.svc:5000"
OWNER_ANNOTATION = "imageregistry.openshift.io"
SAMPLES_VERSION = "4.18.0"
BACKENDS = [("emptyDir", "EmptyDir"), ("s3", "S3"), ("swift", "Swift"), ("gcs", "GCS"), ("ibmcos", "IBMCOS"),
            ("pvc", "PVC"), ("azure", "Azure")]
STORAGE_KEYS = {
    "s3": ["REGISTRY_STORAGE_S3_ACCESSKEY", "REGISTRY_STORAGE_S3_SECRETKEY"],
    "gcs": ["REGISTRY_STORAGE_GCS_KEYFILE"],
    "ibmcos": ["REGISTRY_STORAGE_IBMCOS_IAMAPIKEY"],
    "azure": ["REGISTRY_STORAGE_AZURE_ACCOUNTKEY"],
}
USER_SECRET = "image-registry-private-configuration-user"

R = {name: kube.find(group, plural) for name, (group, plural) in {
    "ns": ("", "namespaces"), "secret": ("", "secrets"), "cm": ("", "configmaps"), "sa": ("", "serviceaccounts"),
    "pvc": ("", "persistentvolumeclaims"), "svc": ("", "services"), "deploy": ("apps", "deployments"),
    "route": ("route.openshift.io", "routes"), "is": ("image.openshift.io", "imagestreams"),
    "isi": ("image.openshift.io", "imagestreamimports"), "istag": ("image.openshift.io", "imagestreamtags"),
    "image": ("image.openshift.io", "images"), "imagecfg": ("config.openshift.io", "images"),
    "co": ("config.openshift.io", "clusteroperators"), "idms": ("config.openshift.io", "imagedigestmirrorsets"),
    "itms": ("config.openshift.io", "imagetagmirrorsets"),
    "registry": ("imageregistry.operator.openshift.io", "configs"),
    "pruner": ("imageregistry.operator.openshift.io", "imagepruners"),
    "samples": ("samples.operator.openshift.io", "configs"),
    "icsp": ("operator.openshift.io", "imagecontentsourcepolicies"),
}.items()}

DEFAULT_SETTINGS = {"operator_delay": 1.0, "deployment_ready": True, "routes_admitted": True,
                    "progress_deadline": 8.0, "apps_domain": "apps.lab.ocp.example", "max_images_bulk": 50}


def condition(ctype, status, reason="", message="", previous=None):
    old = next((c for c in previous or [] if c.get("type") == ctype), None)
    when = old["lastTransitionTime"] if old and old.get("status") == status else kube.now()
    return {"type": ctype, "status": status, "lastTransitionTime": when, "reason": reason, "message": message}


class OpenShift:
    def __init__(self, lab):
        self.lab = lab
        self.store: kube.Store = lab.store
        self.images: dict[str, dict] = {}
        self.timers: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = None

    def reset(self):
        self.images = {}
        self.timers = {}

    # ------------------------------------------------------------ admission
    def admission_hook(self, res):
        if res is R["is"]:
            return self._admit_stream
        return None

    def _admit_stream(self, obj, current):
        obj.setdefault("spec", {}).setdefault("lookupPolicy", {"local": False})
        status = obj.setdefault("status", (current or {}).get("status") or {})
        ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        status.update(self._repository_names(ns, name))
        return obj

    def _repository_names(self, ns, name):
        cfg = self.store.get(R["imagecfg"], "", "cluster") or {}
        st = cfg.get("status") or {}
        out = {}
        if st.get("internalRegistryHostname"):
            out["dockerImageRepository"] = "%s/%s/%s" % (st["internalRegistryHostname"], ns, name)
        if st.get("externalRegistryHostnames"):
            out["publicDockerImageRepository"] = "%s/%s/%s" % (st["externalRegistryHostnames"][0], ns, name)
        return out

    # ------------------------------------------------------------ image API reads
    def image(self, name):
        if name not in self.images:
            raise kube.not_found(R["image"], name)
        return copy.deepcopy(self.images[name])

    def image_list(self):
        return {"kind": "ImageList", "apiVersion": "image.openshift.io/v1", "metadata": {},
                "items": [copy.deepcopy(i) for _dummy, i in sorted(self.images.items())]}

    def imagestreamtag(self, ns, name):
        stream_name, _dummy, tag = name.partition(":")
        stream = self.store.get(R["is"], ns, stream_name)
        if not tag or stream is None:
            raise kube.not_found(R["istag"], name)
        found = self._istag(stream, tag)
        if found is None:
            raise kube.not_found(R["istag"], name)
        return found

    def _istag(self, stream, tag):
        status_tag = next((t for t in stream.get("status", {}).get("tags", []) if t["tag"] == tag), None)
        if not status_tag or not status_tag.get("items"):
            return None
        event = status_tag["items"][0]
        spec_tag = next((t for t in stream.get("spec", {}).get("tags", []) if t["name"] == tag), None)
        image = copy.deepcopy(self.images.get(event["image"], {"metadata": {"name": event["image"]}}))
        image["dockerImageReference"] = event["dockerImageReference"]
        meta = stream["metadata"]
        return {"kind": "ImageStreamTag", "apiVersion": "image.openshift.io/v1",
                "metadata": {"name": "%s:%s" % (meta["name"], tag), "namespace": meta["namespace"],
                             "uid": meta["uid"], "resourceVersion": meta["resourceVersion"],
                             "creationTimestamp": event.get("created")},
                "tag": spec_tag, "generation": event.get("generation"),
                "lookupPolicy": stream.get("spec", {}).get("lookupPolicy", {"local": False}),
                "conditions": status_tag.get("conditions"), "image": image}

    def imagestreamtag_list(self, ns, query):
        items = []
        for stream in self.store.list(R["is"], ns):
            for status_tag in stream.get("status", {}).get("tags", []):
                found = self._istag(stream, status_tag["tag"])
                if found:
                    items.append(found)
        return {"kind": "ImageStreamTagList", "apiVersion": "image.openshift.io/v1", "metadata": {}, "items": items}

    def stream_secrets(self, ns, name):
        if self.store.get(R["is"], ns, name) is None:
            raise kube.not_found(R["is"], name)
        return {"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": self._pull_secrets(ns)}

    def _pull_secrets(self, ns):
        return [s for s in self.store.list(R["secret"], ns)
                if s.get("type") in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson")
                and (s["metadata"].get("annotations") or {}).get("openshift.io/image.excludeSecret") != "true"]

    def _keyrings(self, ns):
        def entries(secret):
            data = kube.decode_secret_data(secret.get("data"))
            if secret["type"] == "kubernetes.io/dockercfg":
                return importer.parse_dockerconfig(data.get(".dockercfg", b"{}"), legacy=True)
            return importer.parse_dockerconfig(data.get(".dockerconfigjson", b"{}"))
        namespace = [e for s in self._pull_secrets(ns) for e in entries(s)]
        node = []
        global_secret = self.store.get(R["secret"], "openshift-config", "pull-secret")
        if global_secret:
            node = entries(global_secret)
        return namespace, node

    # ------------------------------------------------------------ ImageStreamImport
    def import_images(self, ns, isi, user, dry_run):
        name = (isi.get("metadata") or {}).get("name", "")
        res = R["isi"]
        spec = isi.get("spec") or {}
        images = spec.get("images") or []
        repo = spec.get("repository")
        cfg = self.store.get(R["imagecfg"], "", "cluster")
        default_mode = ((cfg or {}).get("status") or {}).get("imageStreamImportMode") or "Legacy"
        causes = self._validate_isi(images, repo)
        if causes:
            raise kube.invalid(res, name, causes)
        if "import" not in spec or not isinstance(spec.get("import"), bool):
            raise kube.invalid(res, name, [("spec.import", "FieldValueRequired", "Required value")])
        for item in images + ([repo] if repo else []):
            if item.get("to") is None and item is not repo:
                ref = importer.Reference(item["from"]["name"])
                if ref.tag and not ref.digest:
                    item["to"] = {"name": ref.tag}
            item.setdefault("referencePolicy", {}).setdefault("type", "Source")
            item.setdefault("importPolicy", {})
            if not item["importPolicy"].get("importMode"):
                item["importPolicy"]["importMode"] = default_mode
        self._check_allowlist(res, name, ns, user, images, repo, cfg)
        meta = isi.get("metadata") or {}
        stream = self.store.get(R["is"], ns, name)
        if stream is None and (meta.get("resourceVersion") or meta.get("uid")):
            raise ApiError(404, "NotFound", 'imagestreams.image.openshift.io "%s" not found' % name,
                           {"name": name, "group": "image.openshift.io", "kind": "imagestreams"})
        if stream is not None:
            if meta.get("resourceVersion") and meta["resourceVersion"] != stream["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on imagestream.image.openshift.io "%s": '
                               'the image stream was updated from "%s" to "%s"'
                               % (name, meta["resourceVersion"], stream["metadata"]["resourceVersion"]),
                               {"name": name, "group": "image.openshift.io", "kind": "imagestream"})
            if meta.get("uid") and meta["uid"] != stream["metadata"]["uid"]:
                raise ApiError(404, "NotFound", 'imagestream.image.openshift.io "%s" not found' % name,
                               {"name": name, "group": "image.openshift.io", "kind": "imagestream"})
        sources = (cfg or {}).get("spec", {}).get("registrySources") or {}
        keyrings = self._keyrings(ns)
        status = {}
        session = {}
        if images:
            status["images"] = [self._import_item(item, keyrings, sources, session) for item in images]
            if any(_wrong_credentials(s) for s in status["images"]):
                retry = {}
                for i, item in enumerate(images):
                    if _wrong_credentials(status["images"][i]):
                        again = self._import_item(item, ([], []), sources, retry)
                        if again["status"]["status"] == "Success":
                            status["images"][i] = again
        if repo:
            status["repository"] = self._import_repository(repo, keyrings, sources, session)
        out = {"kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1",
               "metadata": {"name": name, "namespace": ns, "uid": str(kube.uuid.uuid4()),
                            "creationTimestamp": kube.now()},
               "spec": spec, "status": status}
        if not spec["import"] or dry_run:
            for entry in status.get("images", []) + (status.get("repository") or {}).get("images", []):
                entry.get("image", {}).get("metadata", {}).pop("uid", None)
            return out
        stored = self._update_stream(ns, name, stream, images, repo, status)
        out["status"]["import"] = stored
        return out

    @staticmethod
    def _validate_isi(images, repo):
        causes = []
        if not images and not repo:
            causes.append(("spec.images", "FieldValueInvalid",
                           'Invalid value: "null": you must specify at least one image or a repository import'))
        for i, item in enumerate(images):
            src = item.get("from") or {}
            field = "spec.images[%d]" % i
            if src.get("kind") != "DockerImage":
                causes.append((field + ".from.kind", "FieldValueInvalid",
                               'Invalid value: "%s": only DockerImage is supported' % src.get("kind", "")))
            if not src.get("name"):
                causes.append((field + ".from.name", "FieldValueRequired", "Required value"))
            else:
                try:
                    importer.Reference(src["name"])
                except ValueError as exc:
                    causes.append((field + ".from.name", "FieldValueInvalid", 'Invalid value: "%s": %s' % (src["name"], exc)))
            if item.get("to") is not None and not item["to"].get("name"):
                causes.append((field + ".to.name", "FieldValueInvalid",
                               'Invalid value: "": the name of the target tag must be specified'))
            mode = (item.get("importPolicy") or {}).get("importMode", "")
            if mode not in ("", "Legacy", "PreserveOriginal"):
                causes.append((field + ".importPolicy.importMode", "FieldValueInvalid",
                               "Invalid value: \"%s\": invalid import mode, valid modes are '', 'Legacy', "
                               "'PreserveOriginal'" % mode))
        if repo:
            src = repo.get("from") or {}
            if not src.get("name"):
                causes.append(("spec.repository.from.name", "FieldValueRequired",
                               "Required value: container image references require a name"))
            else:
                try:
                    ref = importer.Reference(src["name"])
                    if ref.tag or ref.digest:
                        causes.append(("spec.repository.from.name", "FieldValueInvalid",
                                       'Invalid value: "%s": you must specify an image repository, not a tag or ID'
                                       % src["name"]))
                except ValueError as exc:
                    causes.append(("spec.repository.from.name", "FieldValueInvalid",
                                   'Invalid value: "%s": %s' % (src["name"], exc)))
        return causes

    def _check_allowlist(self, res, name, ns, user, images, repo, cfg):
        users = self.lab.users
        if users.allowed(user, "create", "image.openshift.io", "images", None) or \
                users.allowed(user, "create", "image.openshift.io", "imagestreammappings", ns):
            return
        allowed = ((cfg or {}).get("spec") or {}).get("allowedRegistriesForImport")
        if not allowed:
            return
        entries = []
        for entry in allowed:
            domain = entry.get("domainName", "")
            if ":" not in domain:
                domain += ":80" if entry.get("insecure") else ":443"
            entries.append(domain)
        causes = []
        items = [("spec.images[%d].from.name" % i, item) for i, item in enumerate(images)]
        if repo:
            items.append(("spec.repository.from.name", repo))
        for field, item in items:
            ref = importer.Reference(item["from"]["name"])
            host = ref.registry
            if ":" not in host:
                host += ":80" if (item.get("importPolicy") or {}).get("insecure") else ":443"
            if not any(_host_match(pattern, host) for pattern in entries):
                listed = ", ".join('"%s"' % e for e in entries[:4])
                if len(entries) > 4:
                    listed += ", and %d more ..." % (len(entries) - 4)
                causes.append((field, "FieldValueForbidden",
                               'Forbidden: importing images from registry "%s" is forbidden: registry "%s" not allowed '
                               "by whitelist: %s" % (host, host, listed)))
        if causes:
            raise kube.invalid(res, name, causes)

    def _client(self, ref, keyrings, insecure, session):
        namespace, node = keyrings
        creds = importer.keyring_lookup(namespace, ref) or importer.keyring_lookup(node, ref)
        key = (ref.registry, ref.repository, creds, insecure)
        if key not in session:
            session[key] = importer.RegistryClient(ref.registry, creds, self.lab.ca_file, insecure)
        return session[key]

    def _gate(self, ref, ref_text, sources, insecure):
        host = ref.registry
        blocked = sources.get("blockedRegistries") or []
        allowed = sources.get("allowedRegistries")
        if host in blocked or (allowed is not None and host not in allowed and "%s" % host not in allowed):
            raise importer.ImportFailure("Forbidden", 403, "forbidden: registry %s blocked" % host, {})
        return insecure or host in (sources.get("insecureRegistries") or [])

    def _import_item(self, item, keyrings, sources, session):
        ref_text = item["from"]["name"]
        ref = importer.Reference(ref_text)
        policy = item.get("importPolicy") or {}
        result = {"tag": ref.tag} if ref.tag else {}
        try:
            insecure = self._gate(ref, ref_text, sources, bool(policy.get("insecure")))
            client = self._client(ref, keyrings, insecure, session)
            if client.token is None and client.challenge is None:
                client.ping(ref.exact(), "repository:%s:pull" % ref.repository)
            found = importer.import_one(client, ref, ref_text, policy.get("importMode") or "Legacy",
                                        bool(item.get("includeManifest")))
        except importer.ImportFailure as failure:
            result["status"] = failure.status()
            return result
        image = found["image"]
        image["dockerImageReference"] = "%s@%s" % (_without_tag(ref_text), image["metadata"]["name"])
        result["status"] = {"metadata": {}, "status": "Success"}
        result["image"] = self._remember(image)
        if found.get("manifests"):
            result["manifests"] = [self._remember(m) for m in found["manifests"]]
        return result

    def _remember(self, image):
        digest = image["metadata"]["name"]
        stored = self.images.get(digest)
        if stored is None:
            stored = copy.deepcopy(image)
            stored["kind"], stored["apiVersion"] = "Image", "image.openshift.io/v1"
            stored["metadata"].update(uid=str(kube.uuid.uuid4()), resourceVersion=str(self.store.revision),
                                      creationTimestamp=kube.now())
            stored.pop("dockerImageManifest", None)
            stored.pop("dockerImageConfig", None)
            self.images[digest] = stored
        out = copy.deepcopy(image)
        out["metadata"] = dict(stored["metadata"], **{k: v for k, v in image["metadata"].items() if k != "uid"})
        return out

    def _import_repository(self, repo, keyrings, sources, session):
        ref_text = repo["from"]["name"]
        ref = importer.Reference(ref_text)
        policy = repo.get("importPolicy") or {}
        try:
            insecure = self._gate(ref, ref_text, sources, bool(policy.get("insecure")))
            client = self._client(ref, keyrings, insecure, session)
            client.ping(ref_text + ":latest", "repository:%s:pull" % ref.repository)
            tags = importer.prioritize_tags(client.tags(ref, ref_text))
        except importer.ImportFailure as failure:
            return {"status": failure.status()}
        limit = int(self.lab.settings.get("max_images_bulk", 50))
        chosen, extra = (tags, []) if limit < 0 else (tags[:limit], tags[limit:])
        images = []
        for tag in chosen:
            item = {"from": {"kind": "DockerImage", "name": "%s:%s" % (ref_text, tag)}, "importPolicy": policy,
                    "includeManifest": repo.get("includeManifest", False)}
            images.append(self._import_item(item, keyrings, sources, session))
        failed = sum(1 for i in images if i["status"]["status"] != "Success")
        status = {"metadata": {}, "status": "Success"}
        if failed:
            status = {"metadata": {}, "status": "Failure", "reason": "ImportFailed",
                      "message": "one of the images from this repository failed to import" if failed == 1
                      else "%d of the images from this repository failed to import" % failed}
        out = {"status": status, "images": images}
        if extra:
            out["additionalTags"] = extra
        return out

    def _update_stream(self, ns, name, stream, images, repo, status):
        with self.store.lock:
            current = self.store.get(R["is"], ns, name)
            if current is None:
                if self.store.get(R["ns"], "", ns) is None:
                    raise kube.not_found(R["ns"], ns)
                current = {"metadata": {"name": name, "namespace": ns, "annotations": {}},
                           "spec": {"lookupPolicy": {"local": False}, "tags": []}, "status": {}}
            updated = copy.deepcopy(current)
            next_generation = updated["metadata"].get("generation", 0) + 1
            pairs = []
            for item, result in zip(images, status.get("images", [])):
                if item.get("to"):
                    pairs.append((item["to"]["name"], item, result))
            if repo:
                for result in status["repository"].get("images", []):
                    tag = result.get("tag") or "latest"
                    item = dict(repo, **{"from": {"kind": "DockerImage", "name": "%s:%s" % (repo["from"]["name"], tag)}})
                    pairs.append((tag, item, result))
            for tag, item, result in pairs:
                self._apply_tag(updated, tag, item, result, next_generation)
            annotations = updated["metadata"].setdefault("annotations", {}) or {}
            updated["metadata"]["annotations"] = annotations
            unchanged = kube._without_rv(updated) == kube._without_rv(current) and \
                "openshift.io/image.dockerRepositoryCheck" in annotations and "uid" in current["metadata"]
            if unchanged:
                return current
            annotations["openshift.io/image.dockerRepositoryCheck"] = kube.now()
            spec_changed = updated.get("spec") != current.get("spec")
            generation = current["metadata"].get("generation", 0) + (1 if spec_changed or "uid" not in current["metadata"] else 0)
            for tag in updated["spec"].get("tags", []):
                if tag.get("generation") == 0:
                    tag["generation"] = generation
            for status_tag in updated.get("status", {}).get("tags", []):
                for event in status_tag.get("items", []):
                    if event.get("generation") == -1:
                        event["generation"] = generation
                for cond in status_tag.get("conditions", []) or []:
                    if cond.get("generation") == -1:
                        cond["generation"] = generation
            updated["status"].update(self._repository_names(ns, name))
            previous = current if "uid" in current["metadata"] else None
            return self.store.put(R["is"], updated, previous=previous)

    @staticmethod
    def _apply_tag(stream, tag, item, result, next_generation):
        spec_tags = stream["spec"].setdefault("tags", [])
        spec_tag = next((t for t in spec_tags if t["name"] == tag), None)
        status_tags = stream.setdefault("status", {}).setdefault("tags", [])
        status_tag = next((t for t in status_tags if t["tag"] == tag), None)
        if status_tag is None:
            status_tag = {"tag": tag, "items": []}
            status_tags.append(status_tag)
        source = {"kind": "DockerImage", "name": item["from"]["name"]}
        if result["status"]["status"] == "Success":
            image = result["image"]
            ref, digest = image["dockerImageReference"], image["metadata"]["name"]
            items = status_tag.setdefault("items", []) or []
            status_tag["items"] = items
            moved = not items or items[0].get("dockerImageReference") != ref or items[0].get("image") != digest
            if moved:
                items.insert(0, {"created": kube.now(), "dockerImageReference": ref, "image": digest,
                                 "generation": -1})
            status_tag.pop("conditions", None)
            if spec_tag is None:
                spec_tag = {"name": tag, "annotations": None}
                spec_tags.append(spec_tag)
            if moved or spec_tag.get("from") != source:
                spec_tag["from"] = source
                spec_tag["generation"] = 0
                if not spec_tag.get("referencePolicy"):
                    spec_tag["referencePolicy"] = item.get("referencePolicy") or {"type": "Source"}
            spec_tag["importPolicy"] = {k: v for k, v in (item.get("importPolicy") or {}).items() if v}
        else:
            failure = result["status"]
            old = (status_tag.get("conditions") or [None])[0]
            if not old or old.get("reason") != failure.get("reason") or old.get("message") != failure.get("message"):
                status_tag["conditions"] = [{"type": "ImportSuccess", "status": "False",
                                             "lastTransitionTime": kube.now(), "reason": failure.get("reason", ""),
                                             "message": failure.get("message") or "unknown error prevented import",
                                             "generation": -1}]
                if spec_tag is not None:
                    spec_tag["generation"] = 0
            if spec_tag is None:
                spec_tags.append({"name": tag, "annotations": None, "from": source, "generation": 0,
                                  "importPolicy": {k: v for k, v in (item.get("importPolicy") or {}).items() if v},
                                  "referencePolicy": item.get("referencePolicy") or {"type": "Source"}})

    # ------------------------------------------------------------ controllers
    def start(self):
        self.thread = threading.Thread(target=self._loop, name="lab-controllers", daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop.is_set():
            try:
                self.reconcile()
            except Exception as exc:  # pylint: disable=broad-except
                print("lab controller error: %r" % exc, flush=True)
            self.stop.wait(0.1)

    def reconcile(self):
        self.sync_samples_secret()
        self.sync_deployments()
        self.sync_registry()

    def _update(self, res, ns, name, mutate):
        """Re-read under the store lock and write only what mutate changed (the controller's own update)."""
        with self.store.lock:
            current = self.store.get(res, ns, name)
            if current is None:
                return None
            updated = copy.deepcopy(current)
            mutate(updated)
            if updated == current:
                return current
            return self.store.put(res, updated, previous=current)

    def sync_samples_secret(self):
        samples = self.store.get(R["samples"], "", "cluster") or {}
        if samples.get("spec", {}).get("managementState") == "Unmanaged":
            return
        source = self.store.get(R["secret"], "openshift-config", "pull-secret")
        copy_ = self.store.get(R["secret"], "openshift", "samples-registry-credentials")
        if source is None:
            if copy_ is not None:
                self.store.delete(R["secret"], "openshift", "samples-registry-credentials")
            return
        if self.store.get(R["ns"], "", "openshift") is None:
            return
        wanted = {"type": source["type"], "data": source.get("data", {})}
        if copy_ is None:
            self.store.put(R["secret"], dict(wanted, metadata={
                "name": "samples-registry-credentials", "namespace": "openshift",
                "annotations": {"samples.operator.openshift.io/version": SAMPLES_VERSION}}))
        elif copy_.get("data") != wanted["data"] or copy_.get("type") != wanted["type"]:
            def mutate(obj):
                obj["data"] = wanted["data"]
            self._update(R["secret"], "openshift", "samples-registry-credentials", mutate)

    def sync_deployments(self):
        delay = float(self.lab.settings["operator_delay"])
        for deploy in self.store.list(R["deploy"], NS_REGISTRY):
            meta = deploy["metadata"]
            key = "deploy/%s/%s" % (meta["name"], meta["generation"])
            started = self.timers.setdefault(key, time.time())
            want = deploy["spec"].get("replicas", 1)
            ready = self.lab.settings["deployment_ready"] and time.time() - started >= delay

            def mutate(obj, want=want, ready=ready, gen=meta["generation"]):
                status = obj.setdefault("status", {})
                status["observedGeneration"] = gen
                status["replicas"] = want
                status["updatedReplicas"] = want if ready else 0
                status["readyReplicas"] = want if ready else 0
                status["availableReplicas"] = want if ready else 0
                previous = status.get("conditions")
                status["conditions"] = [
                    condition("Available", "True" if ready else "False",
                              "MinimumReplicasAvailable" if ready else "MinimumReplicasUnavailable",
                              "Deployment has minimum availability." if ready
                              else "Deployment does not have minimum availability.", previous),
                    condition("Progressing", "True", "NewReplicaSetAvailable" if ready else "ReplicaSetUpdated",
                              'ReplicaSet "image-registry-5d8f9c7b6d" has successfully progressed.' if ready
                              else 'ReplicaSet "image-registry-5d8f9c7b6d" is progressing.', previous)]
            self._update(R["deploy"], NS_REGISTRY, meta["name"], mutate)

    # the image registry operator
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
        names = [r.get("name") for r in spec.get("routes") or []]
        if spec.get("defaultRoute"):
            names.append("default-route")
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
        key = "deploy/image-registry/%s" % deploy["metadata"]["generation"]
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
        pod = {"metadata": {"labels": {"docker-registry": "default"}},
               "spec": {"serviceAccountName": "registry", "nodeSelector": spec.get("nodeSelector") or {},
                        "tolerations": spec.get("tolerations") or [], "affinity": spec.get("affinity") or {},
                        "containers": [{"name": "registry", "image": "quay.io/openshift/origin-docker-registry:4.18",
                                        "ports": [{"containerPort": 5000, "protocol": "TCP"}],
                                        "resources": spec.get("resources") or {},
                                        "volumeMounts": [{"name": "registry-storage", "mountPath": "/registry"}]}],
                        "volumes": [volume] if not any(storage.get(k) is not None for k in STORAGE_KEYS) and
                        storage.get("swift") is None else []}}
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


def _without_tag(ref_text):
    """The user's reference without its tag or digest (busybox:1 -> busybox, host:5000/a/b@sha256:.. -> host:5000/a/b)."""
    name = ref_text.split("@", 1)[0]
    head, sep, last = name.rpartition("/")
    return head + sep + last.split(":", 1)[0]


def _admitted(route):
    return all(c.get("status") == "True" for i in route.get("status", {}).get("ingress", [])
               for c in i.get("conditions", []) if c.get("type") == "Admitted")


def _host_match(pattern, host):
    if pattern.startswith("*."):
        p_host, _dummy, p_port = pattern[2:].partition(":")
        h_host, _dummy, h_port = host.partition(":")
        return h_host.endswith("." + p_host) and (not p_port or p_port == h_port)
    return pattern == host


def _wrong_credentials(entry):
    status = entry.get("status") or {}
    return status.get("reason") == "Unauthorized" and "username or password" in status.get("message", "")


def bootstrap_registry_config():
    """What the operator creates on bare metal: Removed, no storage."""
    return {"metadata": {"name": "cluster", "finalizers": ["imageregistry.operator.openshift.io/finalizer"]},
            "spec": {"managementState": "Removed", "replicas": 1, "rolloutStrategy": "RollingUpdate",
                     "logLevel": "Normal", "operatorLogLevel": "Normal", "httpSecret": pysecrets.token_hex(64),
                     "proxy": {}, "storage": {}},
            "status": {"storage": {}, "storageManaged": False}}


def dockerconfigjson(entries: dict[str, tuple[str, str]]) -> str:
    auths = {host: {"auth": base64.b64encode(("%s:%s" % cred).encode()).decode(), "email": "lab@example.com"}
             for host, cred in entries.items()}
    return base64.b64encode(json.dumps({"auths": auths}, separators=(",", ":")).encode()).decode()


def initial_objects(registries: dict) -> list[tuple]:
    """A fresh OpenShift 4 cluster installed on bare metal, with the lab registries in the global pull secret."""
    objs = []
    namespaces = ["openshift-config", "openshift-image-registry", "openshift", "default", "lab-apps", "kube-system"]
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
        pull[reg["host"]] = (reg["user"], reg["password"])
    objs.append((R["secret"], {"metadata": {"name": "pull-secret", "namespace": "openshift-config"},
                               "type": "kubernetes.io/dockerconfigjson",
                               "data": {".dockerconfigjson": dockerconfigjson(pull)}}))
    objs.append((R["cm"], {"metadata": {"name": "openshift-service-ca.crt", "namespace": "openshift-config"},
                           "data": {"service-ca.crt": "placeholder"}}))
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
