"""openshift-apiserver's image API in the lab: ImageStreamImport (a real import over the Registry v2 API),
ImageStreamTags, Images, `imagestreams/<name>/secrets`, and the ImageStream admission defaults."""

from __future__ import annotations

import copy
import hashlib
import os

from .. import importer, kube, registries_conf
from ..kube import ApiError
from .base import INTERNAL_HOSTNAME, NS_CONFIG, R, Controller


class ImageApi(Controller):
    def __init__(self, lab):
        super().__init__(lab)
        self.images: dict[str, dict] = {}

    def reset(self):
        self.images = {}

    def trust_bundle(self, extra_pem: str) -> str:
        """A CA file with the lab's public CA (the stand-in for the well-known CAs) and extra_pem."""
        if not extra_pem:
            return self.lab.ca_file
        with open(self.lab.ca_file, encoding="utf-8") as handle:
            text = handle.read().rstrip("\n") + "\n" + extra_pem.strip() + "\n"
        folder = os.path.join(os.path.dirname(self.lab.ca_file), "trust")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, hashlib.sha256(text.encode()).hexdigest()[:16] + ".pem")
        if not os.path.exists(path):
            with open(path + ".tmp", "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(path + ".tmp", path)
        return path

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
        context = ImportContext(self, ns, cfg)
        status = {}
        if images:
            status["images"] = [self._import_item(item, context) for item in images]
            if any(_wrong_credentials(s) for s in status["images"]):
                anonymous = context.anonymous()
                for i, item in enumerate(images):
                    if _wrong_credentials(status["images"][i]):
                        again = self._import_item(item, anonymous)
                        if again["status"]["status"] == "Success":
                            status["images"][i] = again
        if repo:
            status["repository"] = self._import_repository(repo, context)
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

    def _import_item(self, item, context):
        ref_text = item["from"]["name"]
        ref = importer.Reference(ref_text)
        policy = item.get("importPolicy") or {}
        result = {"tag": ref.tag} if ref.tag else {}
        try:
            insecure = context.gate(ref, bool(policy.get("insecure")))
            found = context.fetch(ref, ref_text, insecure, lambda client, source, text: importer.import_one(
                client, source, text, policy.get("importMode") or "Legacy", bool(item.get("includeManifest"))))
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

    def record_push(self, ns, name, tag, found):
        """A tag pushed to the integrated registry: the Image and the stream's status tag, as the registry's
        ImageStreamMapping records them (no spec tag; the stream is created when missing)."""
        digest = found["image"]["metadata"]["name"]
        found["image"]["dockerImageReference"] = "%s/%s/%s@%s" % (INTERNAL_HOSTNAME, ns, name, digest)
        self._remember(found["image"])
        for sub in found.get("manifests") or []:
            sub["dockerImageReference"] = "%s/%s/%s@%s" % (INTERNAL_HOSTNAME, ns, name, sub["metadata"]["name"])
            self._remember(sub)
        reference = found["image"]["dockerImageReference"]
        with self.store.lock:
            current = self.store.get(R["is"], ns, name)
            if current is None:
                current = {"metadata": {"name": name, "namespace": ns, "annotations": {}},
                           "spec": {"lookupPolicy": {"local": False}, "tags": []}, "status": {}}
            updated = copy.deepcopy(current)
            tags = updated.setdefault("status", {}).setdefault("tags", []) or []
            updated["status"]["tags"] = tags
            status_tag = next((t for t in tags if t["tag"] == tag), None)
            if status_tag is None:
                status_tag = {"tag": tag, "items": []}
                tags.append(status_tag)
            items = status_tag.setdefault("items", []) or []
            status_tag["items"] = items
            if items and items[0].get("image") == digest:
                return current
            items.insert(0, {"created": kube.now(), "dockerImageReference": reference, "image": digest,
                             "generation": current["metadata"].get("generation", 1)})
            updated["status"].update(self._repository_names(ns, name))
            return self.store.put(R["is"], updated, previous=current if "uid" in current["metadata"] else None)

    def _import_repository(self, repo, context):
        ref_text = repo["from"]["name"]
        ref = importer.Reference(ref_text)
        policy = repo.get("importPolicy") or {}
        try:
            insecure = context.gate(ref, bool(policy.get("insecure")))
            client = context.client(ref, insecure)
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
            images.append(self._import_item(item, context))
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


class ImportContext:
    """What one ImageStreamImport request works with, as openshift-apiserver builds it: the registries
    configuration from images.config and the mirror sets, the trusted CAs, and the pull credentials."""

    def __init__(self, api: ImageApi, ns: str, image_config: dict | None, keyrings=None):
        self.api = api
        spec = (image_config or {}).get("spec") or {}
        sources = spec.get("registrySources") or {}
        self.registries = registries_conf.edit_registries(
            sources.get("insecureRegistries") or [], sources.get("blockedRegistries") or [],
            registries_conf.digest_mirror_entries(api.list("idms"), api.list("icsp")),
            registries_conf.tag_mirror_entries(api.list("itms")))
        # the apiserver matches registries by location: wildcard scopes play no part in imports
        for reg in self.registries:
            if reg["prefix"].startswith("*."):
                reg["prefix"] = reg["location"] = ""
        self.image_config = image_config
        self.ns = ns
        self.trusted = self._trusted_cas(spec)
        self.keyrings = keyrings if keyrings is not None else api._keyrings(ns)  # pylint: disable=protected-access
        self.clients: dict = {}

    def anonymous(self):
        return ImportContext(self.api, self.ns, self.image_config, keyrings=([], []))

    def _trusted_cas(self, spec) -> dict:
        name = (spec.get("additionalTrustedCA") or {}).get("name")
        if not name:
            return {}
        config_map = self.api.get("cm", NS_CONFIG, name) or {}
        return dict(config_map.get("data") or {})

    def ca_bundle(self, host: str) -> str:
        """The public CAs plus the additionalTrustedCA entry for host ("host..port" for host:port)."""
        extra = self.trusted.get(host.replace(":", "..")) or ("" if ":" in host else self.trusted.get(host, ""))
        return self.api.trust_bundle(extra)

    def gate(self, ref, insecure: bool) -> bool:
        """Forbidden for a blocked registry; otherwise whether the import may skip TLS verification."""
        for reg in self.registries:
            if reg["location"] == ref.registry and not reg["mirrors"]:
                if reg["blocked"]:
                    raise importer.ImportFailure("Forbidden", 403, "forbidden: registry %s blocked" % ref.registry, {})
                break
        return insecure or any(r["location"] == ref.registry and r["insecure"] for r in self.registries)

    def client(self, ref, insecure: bool):
        namespace, node = self.keyrings
        creds = importer.keyring_lookup(namespace, ref) or importer.keyring_lookup(node, ref)
        key = (ref.registry, ref.repository, creds, insecure)
        if key not in self.clients:
            self.clients[key] = importer.RegistryClient(ref.registry, creds, self.ca_bundle(ref.registry), insecure)
        return self.clients[key]

    def fetch(self, ref, ref_text, insecure, work):
        """Run work(client, reference, text) against each pull source in order (mirrors, then the source unless
        it may not be contacted); the first success wins, otherwise the error(s) of every source."""
        failures = []
        sources = registries_conf.pull_sources(self.registries, ref.name, bool(ref.digest))
        if not sources:
            raise importer.ImportFailure("Forbidden", 403, "forbidden: registry %s blocked" % ref.registry, {})
        for source in sources:
            text = source["name"] + ("@" + ref.digest if ref.digest else ":" + (ref.tag or "latest"))
            target = ref if not source["mirror"] else importer.Reference(text)
            shown = ref_text if not source["mirror"] else text
            try:
                client = self.client(target, insecure)
                if client.token is None and client.challenge is None:
                    client.ping(target.exact() if not source["mirror"] else text,
                                "repository:%s:pull" % target.repository)
                return work(client, target, shown)
            except importer.ImportFailure as failure:
                failures.append(failure)
        if len(failures) == 1:
            raise failures[0]
        inner = [f.message.replace("Internal error occurred: ", "", 1) for f in failures]
        text = "[%s]" % ", ".join(inner)
        raise importer.ImportFailure("InternalError", 500, "Internal error occurred: " + text,
                                     {"causes": [{"message": m} for m in inner]})


def _without_tag(ref_text):
    """The user's reference without its tag or digest (busybox:1 -> busybox, host:5000/a/b@sha256:.. -> host:5000/a/b)."""
    name = ref_text.split("@", 1)[0]
    head, sep, last = name.rpartition("/")
    return head + sep + last.split(":", 1)[0]


def _host_match(pattern, host):
    if pattern.startswith("*."):
        p_host, _dummy, p_port = pattern[2:].partition(":")
        h_host, _dummy, h_port = host.partition(":")
        return h_host.endswith("." + p_host) and (not p_port or p_port == h_port)
    return pattern == host


def _wrong_credentials(entry):
    status = entry.get("status") or {}
    return status.get("reason") == "Unauthorized" and "username or password" in status.get("message", "")
