# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.credentials import route_login as registry_login

SUBJECT = "system:serviceaccount:ci:builder"
NOW = 1800000000


def jwt(**claims):
    def part(doc):
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (part({"alg": "RS256", "kid": "k"}), part(claims), "c2lnbmF0dXJl")


def token(exp, iat, sub=SUBJECT, uid="uid-1"):
    account = {"namespace": "ci", "serviceaccount": {"name": "builder", "uid": uid}}
    return jwt(sub=sub, exp=exp, iat=iat, **{"kubernetes.io": account})


def decide(stored, renew_before=None, uid="uid-1"):
    return registry_login.decide(stored, SUBJECT, uid, NOW, renew_before)


def test_claims_of_a_jwt_and_of_things_that_are_not_one():
    assert registry_login.token_claims(token(NOW + 10, NOW))["sub"] == SUBJECT
    for value in ("", "a-password", "a.b", "a.!!!.c", "x." + base64.urlsafe_b64encode(b"[1]").decode() + ".y", None):
        assert registry_login.token_claims(value) is None


def test_a_valid_token_outside_the_margin_is_kept():
    renew, reason, expires = decide(("builder", token(NOW + 3000, NOW - 600)))
    assert not renew and expires == NOW + 3000
    assert reason == "the token is valid until 2027-01-15T08:50:00Z"


def test_the_default_margin_is_a_fifth_of_the_lifetime():
    # a 3600 s token: renewed in its last 720 s
    assert not decide(("builder", token(NOW + 721, NOW + 721 - 3600)))[0]
    renew, reason, _dummy = decide(("builder", token(NOW + 719, NOW + 719 - 3600)))
    assert renew and reason.endswith("within the renewal margin of 720 seconds")


def test_an_explicit_margin_wins():
    assert decide(("builder", token(NOW + 1000, NOW - 2600)), renew_before=1200)[0]
    assert not decide(("builder", token(NOW + 1000, NOW - 2600)), renew_before=900)[0]


@pytest.mark.parametrize("stored, words", [
    (None, "the file has no entry for the registry"),
    (("builder", "a-password"), "does not hold a service account's bound token"),
    (("builder", jwt(sub=SUBJECT)), "has no expiry"),
    (("builder", token(NOW + 3000, NOW, sub="system:serviceaccount:ci:default")),
     "the entry's token is for system:serviceaccount:ci:default"),
    (("builder", token(NOW + 3000, NOW, uid="uid-0")), "deleted and created again"),
    (("builder", token(NOW - 1, NOW - 3601)), "the token expired at 2027-01-15T07:59:59Z"),
])
def test_what_makes_a_renewal(stored, words):
    renew, reason, _dummy = decide(stored)
    assert renew and words in reason


def test_no_reason_carries_the_token():
    secret = token(NOW - 1, NOW - 3601)
    for stored in (("builder", secret), ("builder", "planted-secret-password")):
        assert stored[1] not in decide(stored)[1]


@pytest.mark.parametrize("params, words", [
    (dict(namespace="Lab", service_account="builder"), "namespace 'Lab' is not a namespace name"),
    (dict(namespace="ci", service_account="a/b"), "service_account 'a/b' is not a service account name"),
    (dict(namespace="ci", service_account="builder", expiration_seconds=599), "between 600"),
    (dict(namespace="ci", service_account="builder", expiration_seconds=(1 << 32) + 1), "between 600"),
    (dict(namespace="ci", service_account="builder", expiration_seconds=3600, renew_before_seconds=3600),
     "must be less than expiration_seconds"),
    (dict(namespace="ci", service_account="builder", renew_before_seconds=-1), "must not be negative"),
    (dict(namespace="ci", service_account="builder", registry="https://r.example.com"), "must not carry a scheme"),
    (dict(namespace="ci", service_account="builder", registry="r.example.com/ci"), "for the whole registry"),
])
def test_bad_options(params, words):
    with pytest.raises(registry_login.LoginError) as err:
        registry_login.validate(params)
    assert words in str(err.value)


def test_good_options():
    registry_login.validate(dict(namespace="ci", service_account="image.builder-1", registry="r.example.com:8443",
                                 expiration_seconds=600, renew_before_seconds=0))
