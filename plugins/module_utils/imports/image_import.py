# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Imagestream imports through the ImageStreamImport API, with `oc import-image` semantics.

Pure functions build one ImageStreamImport per stream from the requested tags and the live stream, and read
the answer into per-tag results (digest before and after, changed, the registry's reason); Importer sends them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import concurrent.futures
import re

from ansible_collections.ocp.registry.plugins.module_utils.api import retry
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, ClusterError, dry_run_or_predict

INSECURE_ANNOTATION = "openshift.io/image.insecureRepository"
REF = re.compile(r"^(?:(?P<host>[^/]+(?:\.|:)[^/]*|localhost)/)?(?P<repo>[a-z0-9]+(?:[._/-]+[a-z0-9]+)*)"
                 r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
STREAM_NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
TAG_NAME = re.compile(r"^[\w][\w.-]{0,127}$")


class ImportRequestError(OcpRegistryError, ValueError):
    """Bad request or a refusal with oc import-image's reasoning; nothing was sent."""


def parse_ref(text):
    match = REF.match(text or "")
    if not match:
        return None
    return match.groupdict()


def registry_of(text):
    ref = parse_ref(text) or {}
    return ref.get("host") or "docker.io"


def validate(images, namespace=None):
    """Problems with the namespace and the requested images that need no request."""
    problems = []
    problem = names.kube_name_error("namespace", namespace)
    if problem:
        problems.append(problem)
    if not images:
        problems.append("images: give at least one image to import")
    for index, item in enumerate(images):
        where = "images[%d] (%s)" % (index, item.get("stream") or "no stream")
        if not item.get("stream") or not STREAM_NAME.match(item["stream"]):
            problems.append("%s: stream must be an image stream name (lowercase letters, digits, '.', '_', '-')" % where)
        if item.get("all") and item.get("tag"):
            problems.append("%s: cannot specify a tag %r as well as all: true" % (where, item["tag"]))
        if item.get("tag") and not TAG_NAME.match(item["tag"]):
            problems.append("%s: tag %r is not a valid tag name" % (where, item["tag"]))
        source = item.get("from")
        if source:
            ref = parse_ref(source)
            if ref is None:
                problems.append("%s: from %r must be a valid container image pull spec (e.g. "
                                "myregistry/myteam/image:tag)" % (where, source))
            elif item.get("all") and (ref["tag"] or ref["digest"]):
                problems.append("%s: with all: true, from must be a repository, not a tag or digest (%s)"
                                % (where, source))
    seen = set()
    for item in images:
        key = (item.get("stream"), "*" if item.get("all") else (item.get("tag") or "latest"))
        if key in seen:
            problems.append("%s:%s is listed twice" % key)
        seen.add(key)
    if problems:
        raise ImportRequestError("; ".join(problems))


def _spec_tag(stream, tag):
    for entry in ((stream or {}).get("spec") or {}).get("tags") or []:
        if entry.get("name") == tag:
            return entry
    return None


def current_digest(stream, tag):
    for entry in ((stream or {}).get("status") or {}).get("tags") or []:
        if entry.get("tag") == tag and entry.get("items"):
            return entry["items"][0].get("image")
    return None


def _policy(item, stream, existing):
    """importPolicy as oc sends it: insecure and scheduled ORed with the live tag and the stream annotation."""
    old = (existing or {}).get("importPolicy") or {}
    annotation = (((stream or {}).get("metadata") or {}).get("annotations") or {}).get(INSECURE_ANNOTATION) == "true"
    policy = {}
    if item.get("insecure") or old.get("insecure") or (annotation and item.get("insecure") is not False):
        policy["insecure"] = True
    # scheduled: false turns a scheduled import off (the server stores the request's importPolicy as it is);
    # left out, the live tag's setting stays, as oc import-image keeps it
    if item.get("scheduled") or (old.get("scheduled") and item.get("scheduled") is not False):
        policy["scheduled"] = True
    mode = item.get("import_mode") or old.get("importMode")
    if mode:
        policy["importMode"] = mode
    return policy


def _reference_policy(item, existing):
    wanted = item.get("reference_policy")
    if wanted:
        return {"type": "Local" if wanted.lower() == "local" else "Source"}
    return (existing or {}).get("referencePolicy") or {"type": "Source"}


def build_request(namespace, name, items, stream, dry_run):
    """One ImageStreamImport for one stream, or raise ImportRequestError with oc import-image's reasoning."""
    spec = {"import": not dry_run}
    images = []
    for item in items:
        if item.get("all"):
            source = item.get("from") or ((stream or {}).get("spec") or {}).get("dockerImageRepository")
            if not source:
                raise ImportRequestError("%s/%s: all: true needs from (the repository to import) for a stream that does not "
                                         "track a repository" % (namespace, name))
            spec["repository"] = {"from": {"kind": "DockerImage", "name": source},
                                  "importPolicy": _policy(item, stream, None),
                                  "referencePolicy": _reference_policy(item, None)}
            continue
        tag = item.get("tag") or "latest"
        existing = _spec_tag(stream, tag)
        source = item.get("from")
        if existing is not None and (existing.get("from") or {}).get("kind") not in (None, "DockerImage"):
            target = existing["from"]
            raise ImportRequestError('%s/%s: tag "%s" points to existing %s "%s", it cannot be re-imported; change it with '
                                     "oc tag, or import to another tag"
                                     % (namespace, name, tag, target.get("kind"), target.get("name")))
        live_source = ((existing or {}).get("from") or {}).get("name")
        if source and live_source and source != live_source and not item.get("force"):
            raise ImportRequestError('%s/%s: tag "%s" already imports %s; set force: true to change its source to %s'
                                     % (namespace, name, tag, live_source, source))
        source = source or live_source
        if not source and tag == "latest":
            repo = ((stream or {}).get("spec") or {}).get("dockerImageRepository")
            source = repo
        if not source:
            if stream is None:
                raise ImportRequestError("%s/%s: the image stream does not exist; give from (the image to import) to "
                                         "create it" % (namespace, name))
            raise ImportRequestError('%s/%s: the tag "%s" does not exist on the image stream; give from to create it'
                                     % (namespace, name, tag))
        images.append({"from": {"kind": "DockerImage", "name": source}, "to": {"name": tag},
                       "importPolicy": _policy(item, stream, existing),
                       "referencePolicy": _reference_policy(item, existing)})
    if images:
        spec["images"] = images
    metadata = {"name": name, "namespace": namespace}
    if stream is not None:
        metadata["resourceVersion"] = stream["metadata"]["resourceVersion"]
    return {"kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1", "metadata": metadata, "spec": spec}


HINTS = {
    "Unauthorized": "add credentials for %(registry)s to a dockerconfigjson Secret in namespace %(namespace)s, or to the "
                    "global pull secret (ocp.registry.pull_secret)",
    "NotFound": "check the repository and tag at %(registry)s",
    "BadRequest": "the registry speaks plain HTTP; set insecure: true only if it really has no TLS",
    "Forbidden": "images.config.openshift.io/cluster registrySources blocks %(registry)s",
    "InternalError": "the registry could not be reached or answered badly; check its address and TLS trust",
}


def _result(namespace, name, tag, source, stream, status, image, reference_policy=None):
    before = current_digest(stream, tag)
    state = (status or {}).get("status")
    out = {"namespace": namespace, "stream": name, "tag": tag, "source": source, "digest_before": before,
           "digest_after": None, "status": state or "Unknown", "changed": False,
           "created": _spec_tag(stream, tag) is None}
    if state == "Success":
        out["digest_after"] = ((image or {}).get("metadata") or {}).get("name")
        out["changed"] = out["digest_after"] != before
        # what an image change trigger would set (module_utils/imports/reactions): kept out of the module's result
        out["_move"] = {"digest": out["digest_after"], "pull_spec": (image or {}).get("dockerImageReference"),
                        "reference_policy": (reference_policy or {}).get("type") or "Source",
                        "local_repository": ((stream or {}).get("status") or {}).get("dockerImageRepository")}
    else:
        reason = (status or {}).get("reason") or "Unknown"
        out.update(reason=reason, message=(status or {}).get("message") or "unknown error prevented import",
                   hint=HINTS.get(reason, "") % {"registry": registry_of(source), "namespace": namespace}
                   if reason in HINTS else None)
    return out


def policy_changed(request_image, stream):
    """Whether the import rewrites the live tag's importPolicy (the server always writes the request's)."""
    existing = _spec_tag(stream, request_image["to"]["name"])
    if existing is None:
        return False
    old = dict((k, v) for k, v in (existing.get("importPolicy") or {}).items() if v)
    new = dict((k, v) for k, v in (request_image.get("importPolicy") or {}).items() if v)
    if "importMode" not in new:
        old.pop("importMode", None)
    return old != new


def interpret(request, answer, stream):
    """Per-tag results (and the repository summary) from the ImageStreamImport answer."""
    namespace, name = request["metadata"]["namespace"], request["metadata"]["name"]
    status = answer.get("status") or {}
    results = []
    for spec_image, entry in zip(request["spec"].get("images") or [], status.get("images") or []):
        result = _result(namespace, name, spec_image["to"]["name"], spec_image["from"]["name"], stream,
                         entry.get("status"), entry.get("image"), spec_image.get("referencePolicy"))
        result["policy_changed"] = policy_changed(spec_image, stream)
        results.append(result)
    repository = None
    if request["spec"].get("repository"):
        repo = status.get("repository") or {}
        source = request["spec"]["repository"]["from"]["name"]
        for entry in repo.get("images") or []:
            tag = entry.get("tag") or "latest"
            results.append(_result(namespace, name, tag, "%s:%s" % (source, tag), stream, entry.get("status"),
                                   entry.get("image"), request["spec"]["repository"].get("referencePolicy")))
        repo_status = repo.get("status") or {}
        repository = {"namespace": namespace, "stream": name, "source": source,
                      "status": repo_status.get("status"), "reason": repo_status.get("reason"),
                      "message": repo_status.get("message"), "imported": len(repo.get("images") or []),
                      "additional_tags": repo.get("additionalTags") or []}
        if not repo.get("images") and repo_status.get("status") == "Failure":
            results.append(_result(namespace, name, "*", source, stream, repo_status, None))
    return results, repository


def _needs_import(found, repository):
    """Whether a dry-run answer shows anything a real import would store: a moved or new tag, a policy change, or a
    repository with tags the stream does not have yet."""
    return any(r["changed"] or r["created"] or r.get("policy_changed") for r in found if r["status"] == "Success")


def reference_fixes(items, stream):
    """{tag: referencePolicy} for the tags whose reference_policy is given and differs from the stored tag's. An
    import keeps an existing tag's reference policy, so the stream itself is updated for these."""
    fixes = {}
    for item in items:
        wanted = item.get("reference_policy")
        if not wanted or item.get("all"):
            continue
        existing = _spec_tag(stream, item.get("tag") or "latest")
        policy = {"type": "Local" if wanted.lower() == "local" else "Source"}
        if existing is not None and (existing.get("referencePolicy") or {"type": "Source"}) != policy:
            fixes[item.get("tag") or "latest"] = policy
    return fixes


class Importer(object):
    def __init__(self, client, check_mode, parallel=8, notes=None):
        self.client = client
        self.check_mode = check_mode
        self.parallel = parallel
        self.notes = notes if notes is not None else []

    def streams(self, namespace, names):
        """Live streams by name: one LIST for several, one GET for one."""
        if len(names) > 1:
            items = self.client.list(RESOURCES["imagestream"], namespace).get("items") or []
            return dict((s["metadata"]["name"], s) for s in items if s["metadata"]["name"] in names)
        name = list(names)[0]
        stream = self.client.get(RESOURCES["imagestream"], name, namespace, missing_ok=True)
        return {name: stream} if stream else {}

    def _namespace_exists(self, namespace):
        """A stream to create: its namespace must exist, or the import would be a write request the server refuses
        (read first). Credentials that may not read namespaces go on, and the import says what the server says."""
        try:
            self.client.get(RESOURCES["namespace"], namespace)
        except ClusterError as exc:
            if exc.status == 404:
                raise ImportRequestError("namespace %s does not exist; create it first (nothing was written)"
                                         % namespace)
            if exc.status != 403:
                raise

    def _each(self, names, work):
        workers = max(1, min(self.parallel, len(names)))
        if workers == 1:
            return [work(name) for name in names]
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(work, names))

    def run(self, namespace, grouped, before_import=None):
        """grouped: {stream: [items]}. Returns (results, repositories, streams_created). Streams are imported
        concurrently, at most `parallel` at a time, each on its own kept-open connection; the results keep the
        streams' order. With before_import, every stream is first asked with import: false and before_import(results)
        sees all of their answers before any real import is sent (it may refuse by raising)."""
        live = self.streams(namespace, set(grouped))
        if len(live) < len(grouped):
            self._namespace_exists(namespace)
        names = sorted(grouped)
        if before_import is not None and not self.check_mode:
            planned = self._each(names, lambda name: self._send(namespace, name, grouped[name], live.get(name), True))
            before_import([r for request, answer, stream in planned for r in interpret(request, answer, stream)[0]])
            plans = dict(zip(names, planned))
            outcomes = self._each(names, lambda name: self._one(namespace, name, grouped[name], live.get(name),
                                                                plans[name]))
        else:
            outcomes = self._each(names, lambda name: self._one(namespace, name, grouped[name], live.get(name)))
        results, repositories, created = [], [], []
        for name, (found, repository, was_created) in zip(names, outcomes):
            results.extend(found)
            if repository:
                repositories.append(repository)
            if was_created:
                created.append(name)
        return results, repositories, created

    def _one(self, namespace, name, items, stream, planned=None):
        # an existing stream is asked with import: false first: when no digest moved and nothing else would
        # change, that one request is all (a run with nothing to do writes nothing); otherwise it is imported
        dry_first = self.check_mode or stream is not None or planned is not None
        request, answer, stream = planned or self._send(namespace, name, items, stream, dry_first)
        found, repository = interpret(request, answer, stream)
        if not self.check_mode and dry_first and _needs_import(found, repository):
            request, answer, stream = self._send(namespace, name, items, stream, False)
            found, repository = interpret(request, answer, stream)
        stored = (answer.get("status") or {}).get("import") or stream
        fixes = reference_fixes(items, stored)
        if fixes:
            for result in found:
                if result["tag"] in fixes:
                    result["policy_changed"] = True
            # check mode: the server's dry run of the stream's update, when there is a stream to update
            if not self.check_mode or stream is not None:
                self._set_reference_policies(namespace, name, fixes)
        for item in found:
            item["stream_created"] = stream is None
        return found, repository, stream is None

    def _send(self, namespace, name, items, stream, dry_run):
        """One ImageStreamImport; a 409 (the stream changed meanwhile) reads the stream again and retries."""
        state = {"stream": stream}

        def attempt():
            request = build_request(namespace, name, items, state["stream"], dry_run)
            try:
                return request, self.client.create(RESOURCES["imagestreamimport"], request, namespace)
            except ClusterError as exc:
                if exc.status == 409:
                    state["stream"] = self.client.get(RESOURCES["imagestream"], name, namespace, missing_ok=True)
                raise
        (request, answer), _conflicts = retry.on_conflict(attempt)
        return request, answer, state["stream"]

    def _set_reference_policies(self, namespace, name, fixes):
        def attempt():
            stream = self.client.get(RESOURCES["imagestream"], name, namespace)
            for tag in (stream.get("spec") or {}).get("tags") or []:
                if tag.get("name") in fixes:
                    tag["referencePolicy"] = fixes[tag["name"]]
            return dry_run_or_predict(self.check_mode, lambda: self.client.replace(
                RESOURCES["imagestream"], stream, namespace, dry_run=self.check_mode), stream, self.notes)
        retry.on_conflict(attempt)
