"""BuildConfig image change triggers, as openshift-controller-manager runs them: a BuildConfig whose ImageChange
trigger follows an ImageStreamTag (its own `from`, or the strategy's `from` when it has none) gets a new Build when
the tag's newest image, resolved by the tag's reference policy, differs from the one it last triggered for
(`status.imageChangeTriggers[].lastTriggeredImageID`). The Build is `<config>-<n>`, n the config's next
`status.lastVersion`, with `spec.triggeredBy` naming the image and the strategy's `from` set to it; it stays New
(the lab runs no builds). A paused trigger is left alone."""

from __future__ import annotations

import copy

from .. import kube
from .base import Controller
from .triggers import resolve

STRATEGIES = ("sourceStrategy", "dockerStrategy", "customStrategy")


def trigger_source(bc: dict, trigger: dict) -> dict | None:
    change = trigger.get("imageChange") or {}
    source = change.get("from")
    if not source:
        strategy = (bc.get("spec") or {}).get("strategy") or {}
        source = next(((strategy.get(k) or {}).get("from") for k in STRATEGIES if strategy.get(k)), None)
    return source if (source or {}).get("kind") == "ImageStreamTag" else None


class BuildTriggers(Controller):
    def reconcile(self):
        for bc in self.list("bc"):
            meta = bc["metadata"]
            for trigger in (bc.get("spec") or {}).get("triggers") or []:
                if trigger.get("type") != "ImageChange" or (trigger.get("imageChange") or {}).get("paused"):
                    continue
                source = trigger_source(bc, trigger)
                if source is None:
                    continue
                namespace = source.get("namespace") or meta["namespace"]
                stream, _sep, tag = (source.get("name") or "").partition(":")
                ref = resolve(self.get("is", namespace, stream), tag or "latest")
                recorded = next((t for t in (bc.get("status") or {}).get("imageChangeTriggers") or []
                                 if (t.get("from") or {}).get("name") == source.get("name")
                                 and ((t.get("from") or {}).get("namespace") or meta["namespace"]) == namespace), None)
                if not ref or (recorded or {}).get("lastTriggeredImageID") == ref:
                    continue
                self._start(bc, source, namespace, ref)
                bc = self.get("bc", meta["namespace"], meta["name"])

    def _start(self, bc, source, namespace, ref):
        meta = bc["metadata"]
        number = int((bc.get("status") or {}).get("lastVersion") or 0) + 1
        spec = copy.deepcopy(bc.get("spec") or {})
        for key in ("triggers", "runPolicy", "successfulBuildsHistoryLimit", "failedBuildsHistoryLimit"):
            spec.pop(key, None)
        strategy = spec.get("strategy") or {}
        for key in STRATEGIES:
            if (strategy.get(key) or {}).get("from", {}).get("name") == source.get("name"):
                strategy[key]["from"] = {"kind": "DockerImage", "name": ref}
        reference = {"kind": "ImageStreamTag", "name": source.get("name"), "namespace": namespace}
        spec["triggeredBy"] = [{"message": "Image change", "imageChangeBuild": {"imageID": ref, "fromRef": reference}}]
        name = "%s-%d" % (meta["name"], number)
        self.put("build", {"metadata": {"name": name, "namespace": meta["namespace"],
                                        "labels": {"buildconfig": meta["name"],
                                                   "openshift.io/build-config.name": meta["name"]},
                                        "annotations": {"openshift.io/build-config.name": meta["name"],
                                                        "openshift.io/build.number": str(number)},
                                        "ownerReferences": [{"apiVersion": "build.openshift.io/v1",
                                                             "kind": "BuildConfig", "name": meta["name"],
                                                             "uid": meta.get("uid"), "controller": True}]},
                           "spec": spec,
                           "status": {"phase": "New", "config": {"kind": "BuildConfig", "namespace": meta["namespace"],
                                                                 "name": meta["name"]}}})

        def mutate(obj):
            status = obj.setdefault("status", {})
            status["lastVersion"] = number
            entries = [t for t in status.get("imageChangeTriggers") or []
                       if not ((t.get("from") or {}).get("name") == source.get("name")
                               and ((t.get("from") or {}).get("namespace") or meta["namespace"]) == namespace)]
            entries.append({"lastTriggeredImageID": ref, "lastTriggerTime": kube.now(),
                            "from": {"name": source.get("name"), "namespace": namespace}})
            status["imageChangeTriggers"] = entries
        self.update("bc", meta["namespace"], meta["name"], mutate)
