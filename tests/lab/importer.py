"""The image importer behind ImageStreamImport: Registry HTTP API v2 with basic and bearer-token auth.

Maps registry answers to the per-image statuses openshift-apiserver reports (Success, NotFound,
Unauthorized, BadRequest, Forbidden, InternalError).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import requests

MEDIA_LIST = ("application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json")
MEDIA_MANIFEST = ("application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json")
ACCEPT = ", ".join(MEDIA_LIST + MEDIA_MANIFEST)
DEFAULT_REGISTRY = "docker.io"


class ImportFailure(Exception):
    def __init__(self, reason: str, code: int, message: str, details: dict | None = None):
        super().__init__(message)
        self.reason, self.code, self.message, self.details = reason, code, message, details

    def status(self) -> dict:
        out = {"metadata": {}, "status": "Failure", "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            out["details"] = self.details
        return out


class Reference:
    """A container image reference: registry, repository, tag, digest."""

    _RE = re.compile(r"^(?:(?P<host>[^/]+(?:\.|:)[^/]*|localhost)/)?(?P<repo>[a-z0-9]+(?:[._/-]+[a-z0-9]+)*)"
                     r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")

    def __init__(self, text: str):
        match = self._RE.match(text or "")
        if not match:
            raise ValueError("invalid reference format")
        self.registry = match.group("host") or DEFAULT_REGISTRY
        self.repository = match.group("repo")
        if self.registry == DEFAULT_REGISTRY and "/" not in self.repository:
            self.repository = "library/" + self.repository
        self.tag = match.group("tag")
        self.digest = match.group("digest")
        self.text = text

    @property
    def name(self) -> str:
        return "%s/%s" % (self.registry, self.repository)

    def with_tag(self, tag):
        return "%s:%s" % (self.name, tag)

    def exact(self) -> str:
        if self.digest:
            return "%s@%s" % (self.name, self.digest)
        return "%s:%s" % (self.name, self.tag or "latest")


def keyring_lookup(keyring: list[dict], ref: Reference) -> tuple[str, str] | None:
    """The first credential whose key matches the reference (registry, then path prefix), most specific first."""
    target = ref.name
    best = None
    for entry in keyring:
        key = re.sub(r"^https?://", "", entry["key"]).rstrip("/")
        if key in ("index.docker.io/v1", "index.docker.io", "registry-1.docker.io"):
            key = "docker.io"
        if target == key or target.startswith(key + "/"):
            if best is None or len(key) > len(best[0]):
                best = (key, entry)
    return (best[1]["username"], best[1]["password"]) if best else None


def parse_dockerconfig(raw: bytes, legacy: bool = False) -> list[dict]:
    """Entries of a .dockerconfigjson (or legacy .dockercfg) Secret as [{key, username, password}]."""
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    auths = data if legacy else data.get("auths", {})
    out = []
    for key, value in (auths or {}).items():
        if not isinstance(value, dict):
            continue
        user, password = value.get("username", ""), value.get("password", "")
        if value.get("auth"):
            try:
                padded = value["auth"] + "=" * (-len(value["auth"]) % 4)
                user, _dummy, password = base64.b64decode(padded).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
        out.append({"key": key, "username": user, "password": password})
    return out


class RegistryClient:
    """One registry host, one repository at a time; TLS verified against the given CA bundle."""

    def __init__(self, registry: str, credentials: tuple[str, str] | None, ca_file: str | None, insecure: bool):
        self.registry = registry
        self.credentials = credentials
        self.session = requests.Session()
        self.session.trust_env = False
        self.verify = False if insecure else (ca_file or True)
        self.insecure = insecure
        self.scheme = "https"
        self.token = None
        self.challenge = None
        self.bad_credentials = False

    def _url(self, path):
        return "%s://%s%s" % (self.scheme, self.registry, path)

    def _get(self, path, headers=None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        elif self.challenge == "basic" and self.credentials:
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % self.credentials).encode()).decode()
        return self.session.get(self._url(path), headers=headers, verify=self.verify, timeout=20)

    def ping(self, ref_text: str, scope: str):
        """GET /v2/, learn the challenge, authenticate. Raises ImportFailure like the importer does."""
        try:
            resp = self.session.get(self._url("/v2/"), verify=self.verify, timeout=20)
        except requests.exceptions.SSLError as exc:
            if "wrong version number" in str(exc) or "WRONG_VERSION_NUMBER" in str(exc):
                if not self.insecure:
                    repo = ref_text.rsplit(":", 1)[0] if "@" not in ref_text else ref_text.split("@")[0]
                    raise ImportFailure("BadRequest", 400, "the repository %s is HTTP only and requires the insecure "
                                        "flag to import" % repo)
                self.scheme = "http"
                return self.ping(ref_text, scope)
            text = '%s: Get "%s": %s' % (ref_text, self._url("/v2/"), _tls_text(exc))
            raise ImportFailure("InternalError", 500, "Internal error occurred: " + text, {"causes": [{"message": text}]})
        except requests.exceptions.RequestException as exc:
            if "refused" in str(exc):
                text = '%s: Get "%s": dial tcp %s: connect: connection refused' % (
                    ref_text, self._url("/v2/"), self.registry)
            else:
                text = "%s: pinging container registry %s: %s" % (ref_text, self.registry, exc.__class__.__name__)
            raise ImportFailure("InternalError", 500, "Internal error occurred: " + text, {"causes": [{"message": text}]})
        if resp.status_code == 404:
            raise ImportFailure("NotFound", 404, 'dockerimage.image.openshift.io "%s" not found' % ref_text,
                                {"name": ref_text, "group": "image.openshift.io", "kind": "dockerimage"})
        if resp.status_code != 401:
            return
        header = resp.headers.get("WWW-Authenticate", "")
        scheme, _dummy, params = header.partition(" ")
        if scheme.lower() == "basic":
            self.challenge = "basic"
            if not self.credentials:
                raise ImportFailure("Unauthorized", 401, 'you may not have access to the container image "%s" and did '
                                    "not have credentials to the repository" % ref_text)
            check = self._get("/v2/")
            if check.status_code == 401:
                self.bad_credentials = True
                raise ImportFailure("Unauthorized", 401, 'incorrect username or password for image "%s"' % ref_text)
        elif scheme.lower() == "bearer":
            self.challenge = "bearer"
            fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
            query = {"service": fields.get("service", ""), "scope": scope}
            auth = self.credentials if self.credentials else None
            try:
                token = self.session.get(fields["realm"], params=query, auth=auth, verify=self.verify, timeout=20)
            except requests.exceptions.RequestException as exc:
                text = "%s: unable to retrieve auth token: %s" % (ref_text, exc.__class__.__name__)
                raise ImportFailure("InternalError", 500, "Internal error occurred: " + text,
                                    {"causes": [{"message": text}]})
            if token.status_code == 401:
                self.bad_credentials = True
                raise ImportFailure("Unauthorized", 401, 'incorrect username or password for image "%s"' % ref_text)
            if token.status_code != 200:
                raise ImportFailure("Unauthorized", 401, 'you may not have access to the container image "%s"' % ref_text)
            body = token.json()
            self.token = body.get("token") or body.get("access_token")

    def manifest(self, ref: Reference, ref_text: str, reference: str) -> tuple[dict, str, str, bytes]:
        resp = self._get("/v2/%s/manifests/%s" % (ref.repository, reference), {"Accept": ACCEPT})
        if resp.status_code == 200:
            digest = "sha256:" + hashlib.sha256(resp.content).hexdigest()
            media = resp.headers.get("Content-Type", "").split(";")[0]
            return resp.json(), digest, media, resp.content
        self._fail(resp, ref_text)
        raise AssertionError("unreachable")

    def blob_json(self, ref: Reference, digest: str) -> dict:
        resp = self._get("/v2/%s/blobs/%s" % (ref.repository, digest))
        if resp.status_code != 200:
            return {}
        try:
            return resp.json()
        except ValueError:
            return {}

    def tags(self, ref: Reference, ref_text: str) -> list[str]:
        resp = self._get("/v2/%s/tags/list?n=10000" % ref.repository)
        if resp.status_code == 200:
            return resp.json().get("tags") or []
        codes = _error_codes(resp)
        if resp.status_code == 404 or "NAME_UNKNOWN" in codes:
            raise ImportFailure("NotFound", 404, 'dockerimage.image.openshift.io "%s" not found' % ref_text,
                                {"name": ref_text, "group": "image.openshift.io", "kind": "dockerimage"})
        self._fail(resp, ref_text)
        return []

    def _fail(self, resp, ref_text):
        codes = _error_codes(resp)
        if resp.status_code in (401, 403) or "UNAUTHORIZED" in codes or "DENIED" in codes:
            raise ImportFailure("Unauthorized", 401, 'you may not have access to the container image "%s"' % ref_text)
        if "MANIFEST_UNKNOWN" in codes or (resp.status_code == 404 and not codes):
            raise ImportFailure("NotFound", 404, 'dockerimage.image.openshift.io "%s" not found' % ref_text,
                                {"name": ref_text, "group": "image.openshift.io", "kind": "dockerimage"})
        if "NAME_UNKNOWN" in codes:
            text = "%s: name unknown: repository name not known to registry" % ref_text
        else:
            text = "%s: unexpected status %d from the registry" % (ref_text, resp.status_code)
        raise ImportFailure("InternalError", 500, "Internal error occurred: " + text, {"causes": [{"message": text}]})


def _error_codes(resp) -> list[str]:
    try:
        return [e.get("code") for e in resp.json().get("errors", [])]
    except (ValueError, AttributeError):
        return []


def _tls_text(exc) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    return "tls: handshake failure"


def image_object(ref: Reference, digest: str, manifest: dict, media: str, config: dict, raw: bytes,
                 include_manifest: bool) -> dict:
    """The image.openshift.io/v1 Image the importer builds from a manifest and its config."""
    layers = [{"name": layer.get("digest"), "size": layer.get("size", 0), "mediaType": layer.get("mediaType")}
              for layer in manifest.get("layers", [])]
    cfg = config.get("config") or {}
    image = {
        "metadata": {"name": digest, "annotations": {"image.openshift.io/dockerLayersOrder": "ascending"}},
        "dockerImageReference": "%s@%s" % (ref.name, digest),
        "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0",
                                "Id": manifest.get("config", {}).get("digest", digest),
                                "Created": config.get("created"), "ContainerConfig": {},
                                "Config": {k: v for k, v in cfg.items() if k in ("Env", "Cmd", "Labels", "Entrypoint")},
                                "Architecture": config.get("architecture"),
                                "Size": sum(layer["size"] or 0 for layer in layers)},
        "dockerImageMetadataVersion": "1.0",
        "dockerImageLayers": layers,
        "dockerImageManifestMediaType": media,
    }
    if include_manifest:
        image["dockerImageManifest"] = raw.decode()
        image["dockerImageConfig"] = json.dumps(config)
    return image


def import_one(client: RegistryClient, ref: Reference, ref_text: str, mode: str, include_manifest: bool,
               prefer_arch: str = "amd64", prefer_os: str = "linux") -> dict:
    """Import one reference; returns {image, manifests?} or raises ImportFailure."""
    manifest, digest, media, raw = client.manifest(ref, ref_text, ref.digest or ref.tag or "latest")
    if media in MEDIA_LIST or manifest.get("manifests"):
        entries = manifest.get("manifests", [])
        if mode == "PreserveOriginal":
            subs = []
            for entry in entries:
                platform = entry.get("platform", {})
                subs.append({"digest": entry["digest"], "mediaType": entry.get("mediaType"),
                             "manifestSize": entry.get("size", 0), "architecture": platform.get("architecture", ""),
                             "os": platform.get("os", ""), "variant": platform.get("variant", "")})
            image = {"metadata": {"name": digest}, "dockerImageReference": "%s@%s" % (ref.name, digest),
                     "dockerImageManifestMediaType": media, "dockerImageManifests": subs,
                     "dockerImageMetadata": {"kind": "DockerImage", "apiVersion": "image.openshift.io/1.0"},
                     "dockerImageMetadataVersion": "1.0"}
            sub_images = []
            for sub in subs:
                sub_manifest, sub_digest, sub_media, sub_raw = client.manifest(ref, ref_text, sub["digest"])
                config = client.blob_json(ref, sub_manifest.get("config", {}).get("digest", ""))
                sub_images.append(image_object(ref, sub_digest, sub_manifest, sub_media, config, sub_raw, False))
            return {"image": image, "manifests": sub_images}
        chosen = None
        for entry in entries:
            platform = entry.get("platform", {})
            if platform.get("architecture") == prefer_arch and platform.get("os") == prefer_os:
                chosen = entry
                break
        chosen = chosen or (entries[0] if entries else None)
        if chosen is None:
            raise ImportFailure("InternalError", 500, "Internal error occurred: %s: empty manifest list" % ref_text)
        manifest, digest, media, raw = client.manifest(ref, ref_text, chosen["digest"])
    config = client.blob_json(ref, manifest.get("config", {}).get("digest", ""))
    return {"image": image_object(ref, digest, manifest, media, config, raw, include_manifest)}


def prioritize_tags(tags: list[str]) -> list[str]:
    """latest, then X.Y descending, then X.Y.Z descending, then the rest lexicographically."""
    def version(tag, parts):
        match = re.match(r"^v?(\d+)" + r"\.(\d+)" * (parts - 1) + "$", tag)
        return tuple(int(g) for g in match.groups()) if match else None
    latest = [t for t in tags if t == "latest"]
    two = sorted((t for t in tags if version(t, 2)), key=lambda t: version(t, 2), reverse=True)
    three = sorted((t for t in tags if version(t, 3)), key=lambda t: version(t, 3), reverse=True)
    rest = sorted(t for t in tags if t != "latest" and not version(t, 2) and not version(t, 3))
    return latest + two + three + rest
