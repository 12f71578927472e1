"""Image change triggers, as openshift-controller-manager's image trigger controller runs them.

A Deployment, StatefulSet, DaemonSet or CronJob annotated `image.openshift.io/triggers` (a JSON list of
{from: {kind: ImageStreamTag, name: "stream:tag", namespace}, fieldPath, paused}) gets the container its field path
names (`<pod spec>.containers[<index>].image` or `containers[?(@.name=="web")].image`, init containers too) set to
the tag's newest image, resolved by the tag's reference policy: Local gives the stream's integrated-registry
repository with the image's digest, Source (or a tag with no spec, such as a pushed one) the image's pull spec. A
paused trigger, a trigger whose tag has no image yet, and an unreadable annotation are left alone. Imports and
pushes both update the stream's status, so both set this off; the check is level-based, each pass."""

from __future__ import annotations

import json
import re

from .base import Controller

TRIGGERS = "image.openshift.io/triggers"
KINDS = (("deploy", "spec.template.spec"), ("sts", "spec.template.spec"), ("ds", "spec.template.spec"),
         ("cronjob", "spec.jobTemplate.spec.template.spec"))
CONTAINER = re.compile(r"^(containers|initContainers)\[(.+?)\]\.image$")
BY_NAME = re.compile(r'^\?\(@\.name=="(.*)"\)$')


def resolve(stream: dict | None, tag: str) -> str | None:
    """The pull spec a trigger sets for stream:tag, or None when the tag has no image."""
    if not stream:
        return None
    latest = next((t["items"][0] for t in (stream.get("status") or {}).get("tags") or []
                   if t.get("tag") == tag and t.get("items")), None)
    if latest is None:
        return None
    spec = next((t for t in (stream.get("spec") or {}).get("tags") or [] if t.get("name") == tag), None)
    if spec is None:
        return latest.get("dockerImageReference")
    local = (stream.get("status") or {}).get("dockerImageRepository")
    if (spec.get("referencePolicy") or {}).get("type") == "Local" and local and latest.get("image"):
        return "%s@%s" % (local, latest["image"])
    return latest.get("dockerImageReference")


def container_at(pod_spec: dict, rest: str) -> dict | None:
    match = CONTAINER.match(rest)
    if not match:
        return None
    containers = pod_spec.get(match.group(1)) or []
    selector = match.group(2)
    if selector.isdigit():
        return containers[int(selector)] if int(selector) < len(containers) else None
    named = BY_NAME.match(selector)
    return next((c for c in containers if named and c.get("name") == named.group(1)), None)


def pod_spec(obj: dict, path: str) -> dict:
    node = obj
    for part in path.split("."):
        node = (node or {}).get(part) or {}
    return node


def wanted_images(obj: dict, base: str, streams) -> list[tuple[str, str]]:
    """(field path below the pod spec, image) for every unpaused trigger whose container is not at its tag's image."""
    try:
        triggers = json.loads(((obj.get("metadata") or {}).get("annotations") or {}).get(TRIGGERS) or "[]")
    except ValueError:
        return []
    out = []
    namespace = obj["metadata"].get("namespace")
    for trigger in triggers if isinstance(triggers, list) else []:
        source = trigger.get("from") or {}
        if trigger.get("paused") or source.get("kind") != "ImageStreamTag":
            continue
        path = trigger.get("fieldPath") or ""
        if not path.startswith(base + "."):
            continue
        stream_name, _sep, tag = (source.get("name") or "").partition(":")
        ref = resolve(streams(source.get("namespace") or namespace, stream_name), tag or "latest")
        container = container_at(pod_spec(obj, base), path[len(base) + 1:])
        if ref and container is not None and container.get("image") != ref:
            out.append((path[len(base) + 1:], ref))
    return out


class ImageTriggers(Controller):
    def reconcile(self):
        def streams(ns, name):
            return self.get("is", ns, name)
        for kind, base in KINDS:
            for obj in self.list(kind):
                changes = wanted_images(obj, base, streams)
                if not changes:
                    continue

                def mutate(current, changes=tuple(changes), base=base):
                    spec = pod_spec(current, base)
                    for rest, ref in changes:
                        container = container_at(spec, rest)
                        if container is not None:
                            container["image"] = ref
                self.update(kind, obj["metadata"]["namespace"], obj["metadata"]["name"], mutate)
