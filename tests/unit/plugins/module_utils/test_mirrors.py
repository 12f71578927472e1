# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.filter import registry_definitions as defs
from ansible_collections.ocp.registry.plugins.module_utils.policy import mirrors as m

SRC = "quay.io/openshift-release-dev/ocp-release"


def entry(source=SRC, mirrors=("mirror.example.com/ocp",), **kw):
    out = dict(source=source, mirrors=list(mirrors), by="digest", source_policy=None, state="present")
    out.update(kw)
    return out


@pytest.mark.parametrize("given, words", [
    (entry(source="quay.io/org/app:1.0"), "carries a tag or digest"),
    (entry(mirrors=["mirror.example.com/app@sha256:" + "1" * 64]), "carries a tag or digest"),
    (entry(mirrors=["https://mirror.example.com"]), "is not host[:port][/path]"),
    (entry(source="*.example.com:5000"), "or *.domain"),
    (entry(mirrors=["a.example.com", "a.example.com"]), "mirrors are a set"),
    (entry(mirrors=[SRC], source_policy=m.NEVER), "cannot list the source itself"),
    (entry(mirrors=[]), "give at least one mirror"),
])
def test_entries_follow_the_crd_rules(given, words):
    assert any(words in e for e in m.validate([given])), m.validate([given])


def test_good_entries_and_duplicates_per_kind():
    assert m.validate([entry(), entry(by="tag"), entry(source="*.example.com")]) == []
    assert "given twice" in m.validate([entry(), entry(mirrors=["other.example.com"])])[0]


def test_merge_replaces_by_source_and_keeps_others():
    current = [{"source": "theirs.example.com", "mirrors": ["m.example.com"]},
               {"source": SRC, "mirrors": ["old.example.com"]}]
    new, changes = m.merge(current, [entry(source_policy=m.NEVER)], exclusive=False)
    assert new[0] == current[0] and new[1] == {"source": SRC, "mirrors": ["mirror.example.com/ocp"],
                                               "mirrorSourcePolicy": m.NEVER}
    assert changes == [{"source": SRC, "action": "changed"}]
    new, changes = m.merge(current, [entry()], exclusive=True)
    assert [i["source"] for i in new] == [SRC] and {"source": "theirs.example.com", "action": "removed"} in changes


def test_node_order_merges_every_set_of_a_source():
    idms = [{"metadata": {"name": "a"}, "spec": {"imageDigestMirrors": [{"source": SRC, "mirrors": ["b", "c"]}]}},
            {"metadata": {"name": "b"}, "spec": {"imageDigestMirrors": [
                {"source": SRC, "mirrors": ["a", "b"], "mirrorSourcePolicy": m.NEVER}]}}]
    icsp = [{"metadata": {"name": "old"}, "spec": {"repositoryDigestMirrors": [{"source": "registry.example.com/x",
                                                                               "mirrors": ["registry.example.com/x"]}]}}]
    itms = [{"metadata": {"name": "t"}, "spec": {"imageTagMirrors": [{"source": SRC, "mirrors": ["t1"]}]}}]
    order = m.node_order(idms, itms, icsp)
    assert order == [{"source": SRC, "by": "digest", "mirrors": ["a", "b", "c"], "contacts_source": False},
                     {"source": SRC, "by": "tag", "mirrors": ["t1"], "contacts_source": True}]
    problems = m.policy_conflicts(idms, itms, icsp)
    assert len(problems) == 1 and "NeverContactSource in ImageDigestMirrorSet b but AllowContactingSource in ImageDigestMirrorSet a" in problems[0]


def test_hosts_get_the_same_mirrors():
    definitions = [dict(registry="registry.lab:5000", insecure=True)]
    mirrors = [dict(source=SRC, mirrors=["mirror.example.com/ocp"], source_policy=m.NEVER),
               dict(source=SRC, mirrors=["mirror.example.com/ocp"], by="tag", source_policy=m.NEVER),
               dict(source="*.docker.io", mirrors=["mirror.gcr.io"]),
               dict(source="gone.example.com", mirrors=["x.example.com"], state="absent")]
    entries = defs.host_registry_entries(definitions, mirrors)
    assert entries[0] == dict(prefix="registry.lab:5000", location="registry.lab:5000", insecure=True, blocked=False)
    assert entries[1] == dict(prefix=SRC, location=SRC, insecure=False, blocked=True, mirrors=[
        dict(location="mirror.example.com/ocp", pull_from_mirror="digest-only"),
        dict(location="mirror.example.com/ocp", pull_from_mirror="tag-only")])
    assert entries[2] == dict(prefix="*.docker.io", insecure=False, blocked=False,
                              mirrors=[dict(location="mirror.gcr.io", pull_from_mirror="digest-only")])
    assert len(entries) == 3
