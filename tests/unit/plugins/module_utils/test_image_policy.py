# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


import pytest

from ansible_collections.ocp.registry.plugins.module_utils.policy import image_policy as ip

PAYLOAD = "quay.io/openshift-release-dev/ocp-release"


def entries(*names, **kw):
    # registry for the registry lists, name for external_hostnames
    return [dict(registry=n, name=n, state=kw.get("state", "present")) for n in names]


def params(**given):
    out = dict(registry_sources=None, allowed_for_import=None, external_hostnames=None, import_mode=None,
               exclusive=[], trusted_cas=None, wait_timeout=1800)
    out.update(given)
    return out


@pytest.mark.parametrize("given, words", [
    (dict(registry_sources=dict(blocked=entries("quay.io/org/app:1.0"))), "carries a tag or digest"),
    (dict(registry_sources=dict(blocked=entries("quay.io/org/app@sha256:" + "a" * 64))), "carries a tag or digest"),
    (dict(registry_sources=dict(insecure=entries("http://registry.example.com"))), "is not host[:port][/path]"),
    (dict(registry_sources=dict(insecure=entries("*.example.com/path"))), "is not host[:port][/path]"),
    (dict(registry_sources=dict(insecure=entries("a" * 260 + ".example.com"))), "is not host[:port][/path]"),
    (dict(registry_sources=dict(search=entries("registry.example.com:5000"))), "plain host name"),
    (dict(registry_sources=dict(blocked=entries("a.example.com", "a.example.com"))), "is given twice"),
    (dict(registry_sources=dict(allowed=entries("a.example.com"), blocked=entries("b.example.com"))), "cannot both be set"),
    (dict(allowed_for_import=[dict(registry="quay.io/org", insecure=False, state="present")]), "allowed_for_import"),
    (dict(external_hostnames=entries("host.example.com:99999999")), "external_hostnames"),
    (dict(trusted_cas=[dict(registry="quay.example.com/org", ca="x", ca_file=None, state="present")]), "must be host[:port]"),
    (dict(trusted_cas=[dict(registry="q.example.com", ca=None, ca_file=None, state="present")]), "give ca"),
    (dict(trusted_cas=[dict(registry="q.example.com", ca="x", ca_file=None, state="present")] * 2), "given twice"),
    (dict(wait_timeout=0), "wait_timeout"),
])
def test_bad_options_are_refused(given, words):
    errors = ip.validate_options(params(**given))
    assert any(words in e for e in errors), errors


@pytest.mark.parametrize("given", [
    dict(registry_sources=dict(blocked=entries("quay.io", "*.example.com", "registry.example.com:5000/ns/repo"))),
    dict(registry_sources=dict(search=entries("registry.example.com"))),
    dict(registry_sources=dict(allowed=entries("a.example.com"), blocked=entries("b.example.com", state="absent"))),
    dict(allowed_for_import=[dict(registry="*.example.com", insecure=True, state="present")]),
    dict(trusted_cas=[dict(registry="q.example.com", ca=None, ca_file=None, state="absent")]),
])
def test_good_options_pass(given):
    assert ip.validate_options(params(**given)) == []


def test_entries_merge_into_others_lists_in_place():
    spec = {"registrySources": {"insecureRegistries": ["theirs.example.com", "old.example.com"]},
            "additionalTrustedCA": {"name": "theirs"}, "unknownField": {"kept": True}}
    given = params(registry_sources=dict(insecure=entries("mine.example.com") + entries("old.example.com",
                                                                                        state="absent")))
    out = ip.desired_spec(spec, given)
    assert out["registrySources"]["insecureRegistries"] == ["theirs.example.com", "mine.example.com"]
    assert out["unknownField"] == {"kept": True} and out["additionalTrustedCA"] == {"name": "theirs"}
    assert spec["registrySources"]["insecureRegistries"] == ["theirs.example.com", "old.example.com"]  # not mutated
    assert ip.desired_spec(out, given) == out


def test_exclusive_and_emptied_lists_are_left_out():
    spec = {"registrySources": {"blockedRegistries": ["a.example.com"], "insecureRegistries": ["b.example.com"]},
            "allowedRegistriesForImport": [{"domainName": "quay.io", "insecure": False}]}
    out = ip.desired_spec(spec, params(registry_sources=dict(blocked=entries("a.example.com", state="absent")),
                                       exclusive=["insecure", "allowed_for_import"]))
    assert out == {}


def test_allowed_for_import_is_keyed_by_domain():
    spec = {"allowedRegistriesForImport": [{"domainName": "quay.io", "insecure": False}]}
    out = ip.desired_spec(spec, params(allowed_for_import=[
        dict(registry="quay.io", insecure=True, state="present"),
        dict(registry="registry.example.com", insecure=False, state="present")]))
    assert out["allowedRegistriesForImport"] == [{"domainName": "quay.io", "insecure": True},
                                                 {"domainName": "registry.example.com", "insecure": False}]


@pytest.mark.parametrize("sub, sup, nested", [
    (PAYLOAD, "quay.io", True), (PAYLOAD, "quay.io/openshift-release-dev", True), (PAYLOAD, "quay.io/openshift", False),
    ("registry.sub.example.com:5000/x", "*.example.com", True), ("example.com", "*.example.com", False),
    ("quay.io.evil.com", "quay.io", False),
])
def test_scopes_nest_as_the_machine_config_operator_decides(sub, sup, nested):
    assert ip.scope_nested(sub, sup) is nested


def test_protection_counts_only_new_problems():
    protected = [(PAYLOAD, "the payload"), ("image-registry.openshift-image-registry.svc:5000", "the registry")]
    blocked = {"registrySources": {"blockedRegistries": ["quay.io"]}}
    problems = ip.protection_problems(blocked, protected)
    assert list(problems) == [(PAYLOAD, "quay.io")]
    allowed = {"registrySources": {"allowedRegistries": ["quay.io"]}}
    assert list(ip.protection_problems(allowed, protected)) == [("image-registry.openshift-image-registry.svc:5000",
                                                                 "allowed")]
    assert ip.payload_repository(PAYLOAD + "@sha256:" + "1" * 64) == PAYLOAD
    assert ip.payload_repository("registry.example.com:5000/ocp/release:4.18") == "registry.example.com:5000/ocp/release"


def test_ca_view_never_shows_the_pem(make_certificate):
    pem = make_certificate()
    view = ip.ca_view({"registry.example.com..5000": pem, "notes": "free text"})
    assert "BEGIN" not in str(view) and view["registry.example.com..5000"].startswith("CN=unit-ca, expires ")
    assert view["notes"] == "(9 bytes, not a PEM certificate)"
    assert ip.config_map_key("registry.example.com:5000") == "registry.example.com..5000"
