# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.core import hostfile
from ansible_collections.ocp.registry.plugins.module_utils.hosts import registries_conf as rc
from ansible_collections.ocp.registry.plugins.filter import registry_definitions as defs

MIRRORED = dict(prefix="quay.io/openshift-release-dev", location="quay.io/openshift-release-dev", blocked=True,
                mirrors=[dict(location="mirror.example.com:8443/ocp", pull_from_mirror="digest-only"),
                         dict(location="backup.example.com/ocp", insecure=True)])


@pytest.mark.parametrize("entry, words", [
    (dict(prefix="https://quay.io", location="quay.io"), "URI schemes are not supported"),
    (dict(location="quay.io/org/app:1.0"), "carries a tag or digest"),
    (dict(location="quay.io/org/app@sha256:" + "0" * 64), "carries a tag or digest"),
    (dict(prefix="quay.io/org"), "location is unset and prefix"),
    (dict(prefix="*.example.com/ns"), "a wildcard prefix is *.domain"),
    (dict(prefix="*.example.com:5000"), "a wildcard prefix is *.domain"),
    (dict(), "give prefix or location"),
    (dict(location="mirror*.example.com"), "is not host[:port][/path]"),
    (dict(location="quay.io", mirrors=[dict(location="")]), "mirror location is unset"),
    (dict(location="quay.io", mirrors=[dict(location="http://m.example.com")]), "no scheme"),
    (dict(location="quay.io", mirrors=[dict(location="m.example.com", pull_from_mirror="often")]), "pull_from_mirror"),
])
def test_entries_are_checked_like_containers_image(entry, words):
    errors = rc.validate([entry])
    assert any(words in e for e in errors), errors


def test_good_entries_and_duplicate_prefixes():
    assert rc.validate([MIRRORED, dict(prefix="*.example.com"), dict(location="registry.lab:5000", insecure=True),
                        dict(prefix="docker.io", location="mirror.gcr.io")]) == []
    errors = rc.validate([dict(location="quay.io"), dict(prefix="quay.io/", location="other.example.com")])
    assert errors == ["registries[1]: 'quay.io' is given twice (also registries[0]); one entry per prefix"]


def test_render_and_read_back_round_trip(monkeypatch):
    entries = [rc.normalize(MIRRORED), rc.normalize(dict(location="registry.lab:5000/", insecure=True))]
    text = rc.render(entries, ["registry.access.redhat.com", "docker.io"])
    assert 'pull-from-mirror = "digest-only"' in text and "location = \"registry.lab:5000\"\ninsecure = true" in text
    search, back = rc.parse(text, "drop-in")
    assert back == entries and search == ["registry.access.redhat.com", "docker.io"]
    monkeypatch.setattr(rc, "HAS_TOMLLIB", False)  # an older Python reads back what the module writes
    assert rc.parse(text, "drop-in") == (search, back)


@pytest.mark.parametrize("text, words", [
    ("[registries.search]\nregistries = ['docker.io']\n", "v1 format"),
    ('short-name-mode = "enforcing"\n', "does not manage (short-name-mode)"),
    ('[[registry]]\nlocation = "a.example.com"\ncredential-helpers = ["x"]\n', "keys this module does not manage"),
    ("[[registry]\n", "is not valid TOML"),
])
def test_files_it_cannot_own_are_refused(text, words):
    with pytest.raises(rc.ConfError) as err:
        rc.parse(text, "/etc/containers/registries.conf.d/50-x.conf")
    assert words in str(err.value) and "50-x.conf" in str(err.value)


def test_without_tomllib_anything_else_is_refused(monkeypatch):
    monkeypatch.setattr(rc, "HAS_TOMLLIB", False)
    with pytest.raises(rc.ConfError) as err:
        rc.parse("[[registry]]\nlocation = 'single-quoted.example.com'\n", "f.conf")
    assert "cannot be read without tomllib" in str(err.value)


def test_merge_replaces_whole_entries_and_keeps_others():
    current = [rc.normalize(MIRRORED), rc.normalize(dict(location="theirs.example.com", blocked=True))]
    new, changes = rc.merge(current, [dict(prefix="quay.io/openshift-release-dev", location="quay.io/openshift-release-dev"),
                                      dict(location="gone.example.com", state="absent"),
                                      dict(location="new.example.com", insecure=True)], exclusive=False)
    assert new[0] == {"prefix": "quay.io/openshift-release-dev", "location": "quay.io/openshift-release-dev"}
    assert new[1] == current[1] and new[2] == {"location": "new.example.com", "insecure": True}
    assert changes == [dict(prefix="quay.io/openshift-release-dev", action="changed"),
                       dict(prefix="new.example.com", action="added")]
    only, changes = rc.merge(current, [dict(location="new.example.com")], exclusive=True)
    assert only == [{"location": "new.example.com"}]
    assert sorted(c["action"] for c in changes) == ["added", "removed", "removed"]


class FakeModule(object):
    def atomic_move(self, src, dest):
        os.rename(src, dest)


@pytest.mark.parametrize("mode", [0o644, 0o600])
def test_host_files_have_their_mode_from_the_first_byte(tmp_path, mode):
    old = os.umask(0)
    try:
        target = tmp_path / "new" / "dir" / "file.conf"
        hostfile.write(FakeModule(), str(target), b"content\n", mode, dir_mode=0o700)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == mode
    assert stat.S_IMODE(os.stat(str(tmp_path / "new")).st_mode) == 0o700
    assert os.listdir(str(target.parent)) == ["file.conf"] and target.read_bytes() == b"content\n"
    assert hostfile.numeric_mode("0640") == 0o640 and hostfile.numeric_mode("u=rw") == 0o600


def test_one_definition_fans_out():
    definitions = [
        dict(registry="quay.corp.example.com:8443", username="robot", password="planted-secret-def",
             ca="PEM", allowed_for_import=True, insecure=False),
        dict(registry="docker.io", blocked=True),
        dict(registry="old.example.com", state="absent", ca_file="/old.pem", insecure=True),
        dict(registry="lab.example.com:5000/ns", insecure=True, search=True),
    ]
    creds = defs.credential_entries(definitions)
    assert [c["registry"] for c in creds] == ["quay.corp.example.com:8443", "old.example.com"]
    assert creds[1] == {"registry": "old.example.com", "state": "absent"}
    args = defs.image_policy_args(definitions, ["registry.apps.example.com"])
    assert args["registry_sources"]["insecure"] == [
        {"registry": "quay.corp.example.com:8443", "state": "absent"}, {"registry": "old.example.com", "state": "absent"},
        {"registry": "lab.example.com:5000/ns", "state": "present"}]
    # an absent definition leaves every list, whatever flags it still carries
    assert args["registry_sources"]["blocked"] == [{"registry": "docker.io", "state": "present"},
                                                   {"registry": "old.example.com", "state": "absent"}]
    assert args["registry_sources"]["search"] == [{"registry": "old.example.com", "state": "absent"},
                                                  {"registry": "lab.example.com:5000", "state": "present"}]
    assert args["trusted_cas"] == [{"registry": "quay.corp.example.com:8443", "state": "present", "ca": "PEM"},
                                   {"registry": "old.example.com", "state": "absent"}]
    assert args["allowed_for_import"] == [{"registry": "quay.corp.example.com:8443", "insecure": False,
                                           "state": "present"},
                                          {"registry": "old.example.com", "insecure": False, "state": "absent"}]
    assert args["external_hostnames"] == [{"name": "registry.apps.example.com", "state": "present"}]
    assert "planted-secret" not in str(args)
    hosts = defs.host_registry_entries(definitions)
    assert [h["location"] for h in hosts] == ["docker.io", "lab.example.com:5000/ns"]
    assert [c["registry"] for c in defs.host_ca_entries(definitions)] == ["quay.corp.example.com:8443", "old.example.com"]
