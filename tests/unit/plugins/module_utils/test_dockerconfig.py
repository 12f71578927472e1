# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils import dockerconfig


def b64(text, pad=True):
    out = base64.b64encode(text.encode()).decode()
    return out if pad else out.rstrip("=")


@pytest.mark.parametrize("value, expected", [
    (b64("user:pass"), ("user", "pass")),
    (b64("12345678|name:tok:en"), ("12345678|name", "tok:en")),
    (b64("user:pass", pad=False), ("user", "pass")),
    (b64("nocolon"), None),
    ("!!!", None),
    ("", None),
    (b64("user:pass\x00\x00"), ("user", "pass")),
])
def test_decode_auth(value, expected):
    assert dockerconfig.decode_auth(value) == expected


def test_summary_has_usernames_and_no_secrets():
    doc = dockerconfig.load(json.dumps({"auths": {
        "quay.io": {"auth": b64("org+robot:planted-robot-token"), "email": "a@b.c"},
        "registry.redhat.io": {"auth": b64("12345678|sa:planted-rh-token")},
        "legacy.example.com": {"username": "u", "password": "planted-password"},
        "token.example.com": {"identitytoken": "planted-identity"},
    }, "credHelpers": {"gcr.io": "gcloud"}}))
    summary = dockerconfig.summary(doc)
    assert [s["registry"] for s in summary] == ["legacy.example.com", "quay.io", "registry.redhat.io",
                                                "token.example.com"]
    assert summary[1] == {"registry": "quay.io", "username": "org+robot", "has_credentials": True, "email": "a@b.c"}
    assert summary[2]["username"] == "12345678|sa"
    assert summary[3]["has_credentials"] is True and summary[3]["username"] is None
    assert "planted" not in repr(summary)


@pytest.mark.parametrize("raw, words", [
    ("{not json planted-secret", "not valid JSON"),
    ("[1]", "not a JSON object"),
    ('{"auths": []}', "auths is not an object"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_documents_are_refused_without_echo(raw, words):
    with pytest.raises(dockerconfig.DockerConfigError) as err:
        dockerconfig.load(raw)
    assert words in str(err.value) and "planted" not in str(err.value)
