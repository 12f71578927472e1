# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.filter import imports


@pytest.mark.parametrize("given, problems", [
    ([{"namespace": "a", "images": [{"stream": "s"}]}], []),
    ([], []),
    ([{"namespace": "a"}], ["need a namespace and a non-empty images list"]),
    ([{"namespace": "", "images": [{}]}], ["need a namespace"]),
    ([{"namespace": "a", "images": "s:1"}], ["need a namespace"]),
    (["a"], ["need a namespace"]),
    ([{"namespace": "a", "images": [{}]}, {"namespace": "a", "images": [{}]}], ["list each namespace once"]),
])
def test_import_problems_name_each_kind_once(given, problems):
    found = imports.import_problems(given)
    assert len(found) == len(problems) and all(p in f for p, f in zip(problems, found))


def test_the_summary_of_imports_and_grants():
    results = [
        {"images": [{"namespace": "n", "stream": "app", "tag": "1", "changed": True},
                    {"namespace": "n", "stream": "app", "tag": "2", "changed": False}],
         "failed_images": [{"namespace": "n", "stream": "db", "tag": "9", "reason": "NotFound"}],
         "reactions": [{"description": "Deployment n/web rolls"}]},
        {"failed": True, "msg": "import refused before it was sent: 3 deployments would roll"},
        {"images": [], "would_refuse": "check mode: would be refused"},
    ]
    access = [{"changed": True, "summary": "n registry-viewer: granted to user a"}, {"changed": False, "summary": "x"}]
    assert imports.import_summary(results, access) == dict(
        moved=["n/app/1"], failed=["n/db/9/NotFound"], imported=2, access=["n registry-viewer: granted to user a"],
        reactions=["Deployment n/web rolls"],
        refused=["import refused before it was sent: 3 deployments would roll", "check mode: would be refused"])
    assert imports.import_summary(None) == dict(moved=[], failed=[], imported=0, access=[], reactions=[], refused=[])
