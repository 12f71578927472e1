# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's registry-scope and mirror-order rules held to openshift/runtime-utils' own test vectors
(tests/unit/data/runtime-utils-registries.json); the lab's independent rules are held to the same vectors."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.policy import image_policy
from ansible_collections.ocp.registry.plugins.module_utils.policy import mirrors

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "runtime-utils-registries.json")
with open(DATA) as handle:
    VECTORS = json.load(handle)


@pytest.mark.parametrize("sub, sup, expected", VECTORS["scope_nested"])
def test_scope_nesting(sub, sup, expected):
    assert image_policy.scope_nested(sub, sup) is expected


@pytest.mark.parametrize("case", VECTORS["topological_order"], ids=lambda c: c["name"])
def test_topological_order_whatever_order_the_edges_come_in(case):
    edges = [(e[0], e[1]) for e in case["edges"]]
    for offset in range(max(1, len(edges))):
        rotated = edges[offset:] + edges[:offset]
        assert "".join(mirrors.topological_order(rotated)) == case["result"]


@pytest.mark.parametrize("case", VECTORS["merged_mirror_sets"], ids=lambda c: c["name"])
def test_merged_mirror_sets(case):
    idms = [{"metadata": {"name": "set-%d" % i}, "spec": {"imageDigestMirrors": [
        dict((k, v) for k, v in entry.items() if v is not None) for entry in group]}}
        for i, group in enumerate(case["input"])]
    found = [dict(source=o["source"], mirrors=o["mirrors"], never=not o["contacts_source"])
             for o in mirrors.node_order(idms, [], [])]
    assert found == case["result"]
