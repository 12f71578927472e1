# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The prediction of what an import sets off, held to the rules of openshift/library-go's image trigger code:
field paths by index and by container name, init containers, the trigger's own namespace, paused triggers, the
reference policy, and BuildConfig triggers with and without their own `from`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.imports import reactions

NEW = "sha256:" + "2" * 64
MOVE = {"digest": NEW, "pull_spec": "quay.example.com/org/app@" + NEW, "reference_policy": "Source",
        "local_repository": "image-registry.openshift-image-registry.svc:5000/shop/app"}
MOVES = {("shop", "app", "1.2"): MOVE}


def workload(kind, triggers, containers, namespace="shop", name="web", init=None):
    spec = {"containers": containers}
    if init:
        spec["initContainers"] = init
    body = {"template": {"spec": spec}}
    if kind == "CronJob":
        body = {"jobTemplate": {"spec": {"template": {"spec": spec}}}}
    obj = {"metadata": {"name": name, "namespace": namespace,
                        "annotations": {reactions.TRIGGERS: json.dumps(triggers)}}, "spec": body}
    base = "spec.jobTemplate.spec.template.spec" if kind == "CronJob" else "spec.template.spec"
    return (kind, obj, base)


def trigger(path, name="app:1.2", namespace=None, paused=None):
    out = {"from": {"kind": "ImageStreamTag", "name": name}, "fieldPath": path}
    if namespace:
        out["from"]["namespace"] = namespace
    if paused is not None:
        out["paused"] = paused
    return out


def test_by_name_by_index_and_init_containers():
    found = reactions.predict(MOVES, [
        workload("Deployment", [trigger('spec.template.spec.containers[?(@.name=="web")].image')],
                 [{"name": "proxy", "image": "proxy:1"}, {"name": "web", "image": "old"}]),
        workload("StatefulSet", [trigger("spec.template.spec.initContainers[0].image")],
                 [{"name": "db", "image": "db:1"}], name="db", init=[{"name": "migrate", "image": "old"}]),
        workload("CronJob", [trigger("spec.jobTemplate.spec.template.spec.containers[0].image")],
                 [{"name": "job", "image": "old"}], name="nightly"),
    ], [])
    assert [(r["kind"], r["name"], r["container"]) for r in found] == [
        ("CronJob", "nightly", "job"), ("Deployment", "web", "web"), ("StatefulSet", "db", "migrate")]
    assert all(r["image_after"] == MOVE["pull_spec"] and r["image_before"] == "old" for r in found)
    assert found[1]["description"].startswith("Deployment shop/web container web rolls to quay.example.com")


def test_what_does_not_react():
    found = reactions.predict(MOVES, [
        # another tag, another namespace's stream, a path outside the pod spec, a missing container, already there
        workload("Deployment", [trigger("spec.template.spec.containers[0].image", name="app:1.1")], [{"name": "a"}]),
        workload("Deployment", [trigger("spec.template.spec.containers[0].image", namespace="other")], [{"name": "a"}]),
        workload("Deployment", [trigger("spec.containers[0].image")], [{"name": "a"}]),
        workload("Deployment", [trigger("spec.template.spec.containers[3].image")], [{"name": "a"}]),
        workload("Deployment", [trigger("spec.template.spec.containers[0].image")],
                 [{"name": "a", "image": MOVE["pull_spec"]}]),
    ], [])
    assert found == []


def test_a_trigger_in_another_namespace_follows_this_one_and_paused_is_reported():
    found = reactions.predict(MOVES, [
        workload("DaemonSet", [trigger("spec.template.spec.containers[0].image", namespace="shop", paused=True)],
                 [{"name": "agent", "image": "old"}], namespace="ops", name="agent")], [])
    assert len(found) == 1 and found[0]["namespace"] == "ops" and found[0]["paused"]
    assert found[0]["description"].endswith("[paused]")


def test_local_reference_policy_resolves_to_the_integrated_registry():
    local = dict(MOVE, reference_policy="Local")
    found = reactions.predict({("shop", "app", "1.2"): local}, [
        workload("Deployment", [trigger("spec.template.spec.containers[0].image")], [{"name": "w", "image": "old"}])], [])
    assert found[0]["image_after"] == "image-registry.openshift-image-registry.svc:5000/shop/app@" + NEW


def test_an_unreadable_annotation_is_no_trigger():
    kind, obj, base = workload("Deployment", [], [{"name": "w"}])
    obj["metadata"]["annotations"][reactions.TRIGGERS] = "not json"
    assert reactions.predict(MOVES, [(kind, obj, base)], []) == []


def buildconfig(triggers, last=None, strategy_from="app:1.2"):
    return {"metadata": {"name": "site", "namespace": "shop"},
            "spec": {"strategy": {"type": "Source", "sourceStrategy": {
                "from": {"kind": "ImageStreamTag", "name": strategy_from}}}, "triggers": triggers},
            "status": {"imageChangeTriggers": [{"from": {"name": strategy_from, "namespace": "shop"},
                                                "lastTriggeredImageID": last}] if last else []}}


def test_buildconfig_triggers_from_the_strategy_or_their_own_from():
    own = {"type": "ImageChange", "imageChange": {"from": {"kind": "ImageStreamTag", "name": "app:1.2"}}}
    for config in (buildconfig([{"type": "ImageChange", "imageChange": {}}]),
                   buildconfig([own], strategy_from="base:1")):
        found = reactions.predict(MOVES, [], [config])
        assert [(r["kind"], r["name"], r["image_after"]) for r in found] == [("BuildConfig", "site", MOVE["pull_spec"])]
    # already triggered for this image; a config change trigger only; a paused one is reported, marked
    assert reactions.predict(MOVES, [], [buildconfig([{"type": "ImageChange", "imageChange": {}}],
                                                     last=MOVE["pull_spec"])]) == []
    assert reactions.predict(MOVES, [], [buildconfig([{"type": "ConfigChange"}])]) == []
    paused = reactions.predict(MOVES, [], [buildconfig([{"type": "ImageChange", "imageChange": {"paused": True}}])])
    assert paused[0]["paused"]


def test_the_guard_counts_what_is_not_paused():
    found = reactions.predict(MOVES, [
        workload("Deployment", [trigger("spec.template.spec.containers[0].image")], [{"name": "w", "image": "o"}]),
        workload("Deployment", [trigger("spec.template.spec.containers[0].image", paused=True)],
                 [{"name": "w", "image": "o"}], name="canary")], [])
    reactions.guard(found, 1, [])
    reactions.guard(found, None, ["prod"])
    with pytest.raises(reactions.GuardError) as refused:
        reactions.guard(found, 0, [])
    assert "1 reaction(s), more than max_reactions 0" in str(refused.value) and "canary" not in str(refused.value)
    with pytest.raises(reactions.GuardError) as protected:
        reactions.guard(found, None, ["shop"])
    assert "protected namespace(s) shop" in str(protected.value)
