# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.credentials import entries as credentials
from ansible_collections.ocp.registry.plugins.module_utils.credentials import dockerconfig

# as podman login writes it: tab-indented, auths and credHelpers only
PODMAN = (b'{\n\t"auths": {\n\t\t"quay.io": {\n\t\t\t"auth": "' + base64.b64encode(b"org+robot:planted-secret-1")
          + b'"\n\t\t}\n\t},\n\t"credHelpers": {\n\t\t"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"\n\t}\n}')
# as docker writes it: tab-indented, with its own keys
DOCKER = (b'{\n\t"auths": {\n\t\t"https://index.docker.io/v1/": {\n\t\t\t"auth": "'
          + base64.b64encode(b"me:planted-secret-2") + b'"\n\t\t}\n\t},\n\t"HttpHeaders": {\n\t\t"User-Agent": '
          b'"Docker-Client/24"\n\t},\n\t"credsStore": "desktop"\n}')
# the global pull secret: compact
PULL = json.dumps({"auths": {"cloud.openshift.com": {"auth": base64.b64encode(b"b3Blbn:planted-secret-3").decode(),
                                                     "email": "me@example.com"},
                             "registry.redhat.io": {"auth": base64.b64encode(b"12345678|sa:planted-secret-4").decode(),
                                                    "email": "me@example.com"}}}, separators=(",", ":")).encode()


def b64(text, pad=True):
    out = base64.b64encode(text.encode()).decode()
    return out if pad else out.rstrip("=")


@pytest.mark.parametrize("value, expected", [
    (b64("user:pass"), ("user", "pass")),
    (b64("12345678|name:tok:en"), ("12345678|name", "tok:en")),
    (b64("user:pass", pad=False), ("user", "pass")),
    (b64("u:p1", pad=False), ("u", "p1")),
    (b64("nocolon"), None),
    ("!!!", None),
    ("", None),
    (None, None),
    (b64("user:pass\x00\x00"), ("user", "pass")),
])
def test_decode_auth(value, expected):
    assert dockerconfig.decode_auth(value) == expected


@pytest.mark.parametrize("raw", [PODMAN, DOCKER, PULL, b"", b"{}", b'{"auths":{}}\n'])
def test_round_trip_keeps_bytes(raw):
    doc = dockerconfig.load(raw)
    new, report = dockerconfig.apply(doc, [])
    assert report == [] and new == doc
    if raw:
        assert dockerconfig.dump(new, dockerconfig.detect_style(raw)) == raw


def test_adding_keeps_other_entries_and_unknown_keys_and_style():
    doc = dockerconfig.load(DOCKER)
    new, report = dockerconfig.apply(doc, [{"registry": "quay.io", "username": "u", "password": "planted-secret-5"}])
    out = dockerconfig.dump(new, dockerconfig.detect_style(DOCKER))
    assert report == [{"registry": "quay.io", "action": "added", "username_changed": False, "secret_changed": True}]
    parsed = json.loads(out)
    assert parsed["credsStore"] == "desktop" and parsed["HttpHeaders"] == {"User-Agent": "Docker-Client/24"}
    assert parsed["auths"]["https://index.docker.io/v1/"] == json.loads(DOCKER)["auths"]["https://index.docker.io/v1/"]
    assert parsed["auths"]["quay.io"] == {"auth": b64("u:planted-secret-5")}
    assert out.startswith(b'{\n\t"auths"') and out.endswith(b"}")


def test_compact_pull_secret_keeps_other_entries_byte_for_byte():
    doc = dockerconfig.load(PULL)
    new, _report = dockerconfig.apply(doc, [{"registry": "mirror:5000", "username": "u", "password": "p"}])
    out = dockerconfig.dump(new, dockerconfig.detect_style(PULL))
    for key, entry in json.loads(PULL)["auths"].items():
        assert json.dumps({key: entry}, separators=(",", ":"))[1:-1].encode() in out
    assert b"\n" not in out


def test_change_username_secret_and_noop():
    doc = dockerconfig.load(PULL)
    same = [{"registry": "registry.redhat.io", "username": "12345678|sa", "password": "planted-secret-4"}]
    assert dockerconfig.apply(doc, same)[1] == []
    rotated = [{"registry": "registry.redhat.io", "username": "12345678|sa", "password": "planted-secret-new"}]
    new, report = dockerconfig.apply(doc, rotated)
    assert report == [{"registry": "registry.redhat.io", "action": "changed", "username_changed": False,
                       "secret_changed": True}]
    rotated_auth = dockerconfig.encode_auth("12345678|sa", "planted-secret-new")
    assert dict(new["auths"]["registry.redhat.io"]) == {"auth": rotated_auth}
    with_email = [dict(rotated[0], email="new@example.com")]
    assert dict(dockerconfig.apply(doc, with_email)[0]["auths"]["registry.redhat.io"])["email"] == "new@example.com"
    renamed = [{"registry": "registry.redhat.io", "username": "87654321|other", "password": "planted-secret-4"}]
    assert dockerconfig.apply(doc, renamed)[1][0]["username_changed"] is True
    assert dockerconfig.apply(doc, renamed)[1][0]["secret_changed"] is False


def test_username_password_fields_and_empty_entries():
    doc = dockerconfig.load(json.dumps({"auths": {"legacy.example.com": {"username": "u", "password": "planted-secret-6"},
                                                  "helper.example.com": {}}}))
    assert dockerconfig.credentials(doc, "legacy.example.com") == ("u", "planted-secret-6")
    assert dockerconfig.credentials(doc, "helper.example.com") is None
    new, report = dockerconfig.apply(doc, [{"registry": "legacy.example.com", "username": "u",
                                            "password": "planted-secret-6"}])
    # stored without `auth` it is ignored by containers/image: rewritten as auth
    assert report[0]["action"] == "changed" and new["auths"]["legacy.example.com"] == {"auth": b64("u:planted-secret-6")}
    new, report = dockerconfig.apply(doc, [{"registry": "helper.example.com", "username": "u", "password": "p"}])
    assert report[0]["action"] == "changed"


def test_remove_and_exclusive():
    doc = dockerconfig.load(PULL)
    new, report = dockerconfig.apply(doc, [{"registry": "cloud.openshift.com", "state": "absent"},
                                           {"registry": "nowhere", "state": "absent"}])
    assert report == [{"registry": "cloud.openshift.com", "action": "removed"}]
    assert list(new["auths"]) == ["registry.redhat.io"]
    new, report = dockerconfig.apply(doc, [{"registry": "only", "username": "u", "password": "p"}], exclusive=True)
    assert list(new["auths"]) == ["only"]
    assert sorted(r["registry"] for r in report if r["action"] == "removed") == ["cloud.openshift.com",
                                                                                 "registry.redhat.io"]


def test_masked_views_never_show_secrets():
    doc = dockerconfig.load(PODMAN)
    new, report = dockerconfig.apply(doc, [{"registry": "quay.io", "username": "org+robot",
                                            "password": "planted-secret-rotated"}])
    before, after = credentials.masked_views(doc, new, report)
    assert before["auths"]["quay.io"] == {"username": "org+robot", "secret": "********"}
    assert after["auths"]["quay.io"]["secret"] == "******** (changed)"
    assert after["credHelpers"] == {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}
    text = json.dumps([before, after, report, dockerconfig.summary(new)])
    assert "planted-secret" not in text and "b3Jn" not in text


def test_summary_has_usernames_and_no_secrets():
    doc = dockerconfig.load(json.dumps({"auths": {
        "quay.io": {"auth": b64("org+robot:planted-robot-token"), "email": "a@b.c"},
        "registry.redhat.io": {"auth": b64("12345678|sa:planted-rh-token")},
        "token.example.com": {"identitytoken": "planted-identity"},
    }}))
    summary = dockerconfig.summary(doc)
    assert summary[0] == {"registry": "quay.io", "username": "org+robot", "has_credentials": True, "email": "a@b.c"}
    assert summary[1]["username"] == "12345678|sa"
    assert summary[2]["has_credentials"] is True and summary[2]["username"] is None
    assert "planted" not in repr(summary)


@pytest.mark.parametrize("raw, words", [
    ("{not json planted-secret", "not valid JSON (line 1, column 2)"),
    ("[1]", "not a JSON object"),
    ('{"auths": []}', "auths is not an object"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_documents_are_refused_without_echo(raw, words):
    with pytest.raises(dockerconfig.DockerConfigError) as err:
        dockerconfig.load(raw)
    assert words in str(err.value) and "planted" not in str(err.value)


@pytest.mark.parametrize("key, ok", [
    ("quay.io", True), ("quay.io/org", True), ("quay.io/org/repo", True), ("127.0.0.1:5000", True),
    ("registry.redhat.io", True), ("*.example.com", True), ("https://quay.io", False), ("quay.io/org:tag", False),
    ("", False), (" quay.io", False), ("quay.io/Org", False),
])
def test_registry_keys(key, ok):
    assert (dockerconfig.validate_key(key) is None) is ok


@pytest.mark.parametrize("entries, words", [
    ([{"registry": "quay.io", "username": "u"}], "a password or token is needed"),
    ([{"registry": "quay.io", "password": "planted-secret-7"}], "a username is needed"),
    ([{"registry": "quay.io", "username": "a:b", "password": "p"}], "must not contain ':'"),
    ([{"registry": "quay.io", "username": "u", "password": "p", "token": "t"}], "password or token, not both"),
    ([{"registry": "https://quay.io", "username": "u", "password": "p"}], "must not carry a scheme"),
    ([{"registry": "quay.io", "username": "u", "password": "p"}, {"registry": "quay.io", "state": "absent"}],
     "listed twice"),
])
def test_bad_entries(entries, words):
    with pytest.raises(credentials.CredentialsError) as err:
        credentials.normalize(entries)
    assert words in str(err.value) and "planted" not in str(err.value)


def test_token_is_the_password():
    out = credentials.normalize([{"registry": "quay.io", "username": "org+robot", "token": "t"},
                                 {"registry": "old.example.com", "state": "absent"}])
    assert out[0]["password"] == "t" and out[1]["state"] == "absent"
