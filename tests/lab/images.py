"""Small container images built without docker, pushed to the lab registries over the Registry v2 API."""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import io
import json
import re
import tarfile

import requests

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CREATED = "2026-01-01T00:00:00Z"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer(text: str) -> tuple[bytes, str]:
    """A gzip'd tar with one file; returns (blob, diff_id). Deterministic for the same text."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime, info.mode = len(data), 0, 0o644
        tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    blob = gzip.compress(plain, mtime=0)
    return blob, _digest(plain)


class Pusher:
    """Pushes blobs and manifests to one registry, with basic auth or the bearer-token flow."""

    def __init__(self, host: str, user: str | None, password: str | None, ca_file: str, scheme: str = "https"):
        self.host = host
        self.base = "%s://%s" % (scheme, host)
        self.auth = (user, password) if user else None
        self.session = requests.Session()
        self.session.trust_env = False
        self.ca_file = ca_file
        self.tokens: dict[str, str] = {}

    def headers(self, repo: str) -> dict:
        if repo not in self.tokens:
            probe = self.session.get(self.base + "/v2/", verify=self.ca_file, timeout=10)
            challenge = probe.headers.get("WWW-Authenticate", "")
            if challenge.lower().startswith("bearer"):
                fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
                resp = self.session.get(fields["realm"], params={"service": fields["service"],
                                                                 "scope": "repository:%s:pull,push" % repo},
                                        auth=self.auth, verify=self.ca_file, timeout=10)
                resp.raise_for_status()
                self.tokens[repo] = "Bearer " + resp.json()["token"]
            elif self.auth and probe.status_code == 401:
                user, password = self.auth
                self.tokens[repo] = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
            else:
                self.tokens[repo] = None
        return {"Authorization": self.tokens[repo]} if self.tokens[repo] else {}

    def blob(self, repo: str, data: bytes) -> str:
        digest = _digest(data)
        url = "%s/v2/%s/blobs/%s" % (self.base, repo, digest)
        headers = self.headers(repo)
        if self.session.head(url, headers=headers, verify=self.ca_file, timeout=10).status_code == 200:
            return digest
        start = self.session.post("%s/v2/%s/blobs/uploads/" % (self.base, repo), headers=headers,
                                  verify=self.ca_file, timeout=10)
        start.raise_for_status()
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        done = self.session.put(location + sep + "digest=" + digest, data=data,
                                headers=dict(headers, **{"Content-Type": "application/octet-stream"}),
                                verify=self.ca_file, timeout=30)
        done.raise_for_status()
        return digest

    def manifest(self, repo: str, reference: str, body: bytes, media: str) -> str:
        resp = self.session.put("%s/v2/%s/manifests/%s" % (self.base, repo, reference), data=body,
                                headers=dict(self.headers(repo), **{"Content-Type": media}),
                                verify=self.ca_file, timeout=30)
        resp.raise_for_status()
        return _digest(body)

    def image(self, repo: str, tags: list[str], text: str, arch: str = "amd64", oci: bool = False) -> tuple[str, bytes]:
        """Push a single-arch image under tags; returns (manifest digest, manifest bytes)."""
        blob, diff_id = layer(text)
        config = json.dumps({"architecture": arch, "os": "linux", "created": CREATED,
                             "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                                        "Cmd": ["/bin/true"], "Labels": {"lab.image": text}},
                             "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                             "history": [{"created": CREATED, "created_by": "ocp.registry lab"}]},
                            sort_keys=True).encode()
        config_digest = self.blob(repo, config)
        layer_digest = self.blob(repo, blob)
        media = OCI_MANIFEST if oci else DOCKER_MANIFEST
        manifest = {"schemaVersion": 2, "mediaType": media,
                    "config": {"mediaType": OCI_CONFIG if oci else DOCKER_CONFIG, "size": len(config),
                               "digest": config_digest},
                    "layers": [{"mediaType": OCI_LAYER if oci else DOCKER_LAYER, "size": len(blob),
                                "digest": layer_digest}]}
        body = json.dumps(manifest, indent=2).encode()
        digest = self.manifest(repo, digest_of(body), body, media)
        for tag in tags:
            self.manifest(repo, tag, body, media)
        return digest, body

    def index(self, repo: str, tags: list[str], text: str) -> str:
        """Push an OCI index with linux/amd64 and linux/arm64 images; returns the index digest."""
        entries = []
        for arch in ("amd64", "arm64"):
            digest, body = self.image(repo, [], "%s %s" % (text, arch), arch=arch, oci=True)
            entries.append({"mediaType": OCI_MANIFEST, "size": len(body), "digest": digest,
                            "platform": {"architecture": arch, "os": "linux"}})
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, indent=2).encode()
        for tag in tags:
            self.manifest(repo, tag, body, OCI_INDEX)
        return _digest(body)


def digest_of(body: bytes) -> str:
    return _digest(body)


MANY_TAGS = (["latest"] + ["1.%d" % i for i in range(25)] + ["2.%d.0" % i for i in range(20)]
             + ["build-%02d" % i for i in range(15)])


def seed(pusher: Pusher, label: str):
    """The repositories every lab registry carries."""
    seed_mirror(pusher, label)
    pusher.image("lab/many", MANY_TAGS, "%s many" % label)


def seed_mirror(pusher: Pusher, label: str):
    """lab/app, lab/tools and lab/multiarch with the content registry `label` has: a mirror that gets the same
    label holds copies with the same digests, as a registry mirrored with `skopeo copy` would."""
    pusher.image("lab/app", ["latest", "2.0"], "%s app 2.0" % label)
    pusher.image("lab/app", ["1.0"], "%s app 1.0" % label)
    pusher.image("lab/app", ["1.1"], "%s app 1.1" % label)
    pusher.image("lab/tools", ["latest", "1.0"], "%s tools 1.0" % label)
    pusher.index("lab/multiarch", ["latest", "1.0"], "%s multiarch" % label)


def main():
    parser = argparse.ArgumentParser(description="push a small image to a lab registry")
    parser.add_argument("--host", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-env", default="LAB_PUSH_PASSWORD")
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--tag", action="append", required=True)
    parser.add_argument("--content", required=True, help="text that makes the image unique")
    args = parser.parse_args()
    import os  # pylint: disable=import-outside-toplevel
    pusher = Pusher(args.host, args.user, os.environ[args.password_env], args.ca_file)
    digest, _dummy = pusher.image(args.repo, args.tag, args.content)
    print(digest)


if __name__ == "__main__":
    main()
