# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.imports import image_import as ii

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64


def item(**given):
    out = {"stream": "app", "tag": None, "all": False, "from": None, "force": False, "reference_policy": None,
           "import_mode": None, "scheduled": None, "insecure": None}
    out.update(given)
    return out


def stream(tags=None, annotations=None, repository=None, status_tags=None):
    spec = {"tags": tags or []}
    if repository:
        spec["dockerImageRepository"] = repository
    return {"metadata": {"name": "app", "namespace": "ns", "resourceVersion": "42", "annotations": annotations or {}},
            "spec": spec, "status": {"tags": status_tags or []}}


def tag(name, source, kind="DockerImage", **policy):
    return {"name": name, "from": {"kind": kind, "name": source}, "importPolicy": policy,
            "referencePolicy": {"type": "Source"}}


# ------------------------------------------------------------------ requests

def test_new_stream_single_tag():
    request = ii.build_request("ns", "app", [item(tag="1.0", **{"from": "quay.io/org/app:1.0"})], None, dry_run=False)
    assert request == {"kind": "ImageStreamImport", "apiVersion": "image.openshift.io/v1",
                       "metadata": {"name": "app", "namespace": "ns"},
                       "spec": {"import": True, "images": [{
                           "from": {"kind": "DockerImage", "name": "quay.io/org/app:1.0"}, "to": {"name": "1.0"},
                           "importPolicy": {}, "referencePolicy": {"type": "Source"}}]}}


def test_existing_stream_reimports_from_its_own_source_with_its_resource_version():
    live = stream([tag("1.0", "quay.io/org/app:1.0", scheduled=True, importMode="PreserveOriginal")])
    request = ii.build_request("ns", "app", [item(tag="1.0")], live, dry_run=True)
    assert request["metadata"]["resourceVersion"] == "42"
    assert request["spec"]["import"] is False
    image = request["spec"]["images"][0]
    assert image["from"]["name"] == "quay.io/org/app:1.0"
    assert image["importPolicy"] == {"scheduled": True, "importMode": "PreserveOriginal"}
    off = ii.build_request("ns", "app", [item(tag="1.0", scheduled=False)], live, dry_run=True)
    assert off["spec"]["images"][0]["importPolicy"] == {"importMode": "PreserveOriginal"}


def test_a_new_reference_policy_reaches_an_existing_tag():
    live = stream([tag("1.0", "quay.io/org/app:1.0")])
    assert ii.reference_fixes([item(tag="1.0", reference_policy="local")], live) == {"1.0": {"type": "Local"}}
    assert ii.reference_fixes([item(tag="1.0", reference_policy="source")], live) == {}
    assert ii.reference_fixes([item(tag="1.0")], live) == {}
    assert ii.reference_fixes([item(tag="2.0", reference_policy="local")], live) == {}


def test_insecure_from_the_stream_annotation_and_the_tag_is_kept():
    live = stream([tag("1.0", "r:5000/a:1.0")], annotations={ii.INSECURE_ANNOTATION: "true"})
    assert ii.build_request("ns", "app", [item(tag="1.0")], live, False)["spec"]["images"][0]["importPolicy"] == \
        {"insecure": True}
    live = stream([tag("1.0", "r:5000/a:1.0", insecure=True)])
    assert ii.build_request("ns", "app", [item(tag="1.0")], live, False)["spec"]["images"][0]["importPolicy"] == \
        {"insecure": True}
    assert ii.build_request("ns", "app", [item(tag="1.0")], stream([tag("1.0", "r/a:1.0")]), False)[
        "spec"]["images"][0]["importPolicy"] == {}


def test_latest_follows_the_stream_repository_and_all_uses_it():
    live = stream(repository="quay.io/org/app")
    assert ii.build_request("ns", "app", [item()], live, False)["spec"]["images"][0]["from"]["name"] == "quay.io/org/app"
    request = ii.build_request("ns", "app", [item(all=True)], live, False)
    assert request["spec"]["repository"]["from"] == {"kind": "DockerImage", "name": "quay.io/org/app"}
    assert "images" not in request["spec"]


@pytest.mark.parametrize("items, live, words", [
    ([item(tag="1.0")], None, "the image stream does not exist; give from"),
    ([item(tag="2.0")], stream([tag("1.0", "q/a:1.0")]), 'the tag "2.0" does not exist on the image stream'),
    ([item(tag="1.0", **{"from": "q/b:1.0"})], stream([tag("1.0", "q/a:1.0")]), "set force: true"),
    ([item(tag="1.0")], stream([tag("1.0", "other:1", kind="ImageStreamTag")]),
     'points to existing ImageStreamTag "other:1", it cannot be re-imported'),
    ([item(all=True)], stream(), "all: true needs from"),
])
def test_oc_import_image_refusals(items, live, words):
    with pytest.raises(ii.ImportRequestError) as err:
        ii.build_request("ns", "app", items, live, False)
    assert words in str(err.value)


def test_force_changes_the_source():
    request = ii.build_request("ns", "app", [item(tag="1.0", force=True, **{"from": "q/b:1.0"})],
                               stream([tag("1.0", "q/a:1.0")]), False)
    assert request["spec"]["images"][0]["from"]["name"] == "q/b:1.0"


@pytest.mark.parametrize("images, words", [
    ([item(stream="Bad_Name", tag="1", **{"from": "q/a:1"})], "stream must be an image stream name"),
    ([item(all=True, tag="1.0", **{"from": "q/a"})], "cannot specify a tag '1.0' as well as all: true"),
    ([item(all=True, **{"from": "q/a:1.0"})], "not a tag or digest"),
    ([item(tag="1", **{"from": "Not A Ref"})], "valid container image pull spec"),
    ([item(tag="bad tag!", **{"from": "q/a:1"})], "not a valid tag name"),
    ([item(tag="1", **{"from": "q/a:1"}), item(tag="1", **{"from": "q/a:1"})], "app:1 is listed twice"),
    ([], "give at least one image"),
])
def test_validation(images, words):
    with pytest.raises(ii.ImportRequestError) as err:
        ii.validate(images, "apps")
    assert words in str(err.value)


@pytest.mark.parametrize("namespace", ["", "   ", "Apps", "https://x/y", "a" * 64, None])
def test_a_namespace_that_cannot_be_one_is_refused_before_any_request(namespace):
    with pytest.raises(ii.ImportRequestError) as err:
        ii.validate([item(tag="1", **{"from": "q/a:1"})], namespace)
    assert "namespace" in str(err.value)


# ------------------------------------------------------------------ answers

FAILURES = {
    "NotFound": {"status": "Failure", "reason": "NotFound", "code": 404,
                 "message": 'dockerimage.image.openshift.io "quay.io/org/app:9.9" not found'},
    "Unauthorized": {"status": "Failure", "reason": "Unauthorized", "code": 401,
                     "message": 'you may not have access to the container image "quay.io/org/app:1.0"'},
    "BadRequest": {"status": "Failure", "reason": "BadRequest", "code": 400,
                   "message": "the repository quay.io/org/app is HTTP only and requires the insecure flag to import"},
    "Forbidden": {"status": "Failure", "reason": "Forbidden", "code": 403, "message": "forbidden: registry quay.io blocked"},
    "InternalError": {"status": "Failure", "reason": "InternalError", "code": 500,
                      "message": "Internal error occurred: quay.io/org/app:1.0: tls: failed to verify certificate"},
}


@pytest.mark.parametrize("reason", sorted(FAILURES))
def test_every_failure_status_is_reported_with_a_hint(reason):
    request = ii.build_request("ns", "app", [item(tag="1.0", **{"from": "quay.io/org/app:1.0"})], None, False)
    answer = {"status": {"images": [{"status": FAILURES[reason], "tag": "1.0"}]}}
    results, repository = ii.interpret(request, answer, None)
    assert repository is None
    assert results[0]["status"] == "Failure" and results[0]["reason"] == reason
    assert results[0]["message"] == FAILURES[reason]["message"]
    assert results[0]["hint"] and results[0]["changed"] is False


def test_unauthorized_hint_names_the_namespace_and_registry():
    request = ii.build_request("ns", "app", [item(tag="1.0", **{"from": "quay.io/org/app:1.0"})], None, False)
    answer = {"status": {"images": [{"status": FAILURES["Unauthorized"]}]}}
    assert "quay.io" in ii.interpret(request, answer, None)[0][0]["hint"]
    assert "namespace ns" in ii.interpret(request, answer, None)[0][0]["hint"]


@pytest.mark.parametrize("before, after, changed", [(D1, D1, False), (D1, D2, True), (None, D1, True)])
def test_change_detection(before, after, changed):
    live = stream([tag("1.0", "q/a:1.0")], status_tags=[{"tag": "1.0", "items": [{"image": before}]}] if before else [])
    request = ii.build_request("ns", "app", [item(tag="1.0")], live, False)
    answer = {"status": {"images": [{"status": {"status": "Success"}, "image": {"metadata": {"name": after}}}]}}
    result = ii.interpret(request, answer, live)[0][0]
    assert (result["digest_before"], result["digest_after"], result["changed"]) == (before, after, changed)
    assert result["created"] is False and result["policy_changed"] is False


def test_policy_change_is_noticed():
    live = stream([tag("1.0", "q/a:1.0")])
    request = ii.build_request("ns", "app", [item(tag="1.0", scheduled=True)], live, False)
    answer = {"status": {"images": [{"status": {"status": "Success"}, "image": {"metadata": {"name": D1}}}]}}
    assert ii.interpret(request, answer, live)[0][0]["policy_changed"] is True


def test_repository_answer():
    request = ii.build_request("ns", "app", [item(all=True, **{"from": "quay.io/org/app"})], None, False)
    answer = {"status": {"repository": {
        "status": {"status": "Failure", "reason": "ImportFailed",
                   "message": "one of the images from this repository failed to import"},
        "images": [{"tag": "latest", "status": {"status": "Success"}, "image": {"metadata": {"name": D1}}},
                   {"tag": "2.1", "status": FAILURES["Unauthorized"]}],
        "additionalTags": ["0.9", "0.8"]}}}
    results, repository = ii.interpret(request, answer, None)
    assert [(r["tag"], r["status"]) for r in results] == [("latest", "Success"), ("2.1", "Failure")]
    assert results[1]["source"] == "quay.io/org/app:2.1"
    assert repository["additional_tags"] == ["0.9", "0.8"] and repository["imported"] == 2
    assert repository["reason"] == "ImportFailed"
