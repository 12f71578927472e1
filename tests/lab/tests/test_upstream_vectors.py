"""The lab's registry-scope and mirror-order rules (derived on their own from openshift/runtime-utils' description,
not from the collection) held to runtime-utils' own test vectors, the same ones the collection's unit tests use."""

import json
import pathlib

import pytest

from tests.lab import registries_conf

VECTORS = json.loads((pathlib.Path(__file__).resolve().parents[2] / "unit" / "data" /
                      "runtime-utils-registries.json").read_text())


@pytest.mark.parametrize("sub, sup, expected", VECTORS["scope_nested"])
def test_scope_nesting(sub, sup, expected):
    assert registries_conf.scope_nested(sub, sup) is expected


@pytest.mark.parametrize("case", VECTORS["topological_order"], ids=lambda c: c["name"])
def test_topological_order_whatever_order_the_edges_come_in(case):
    edges = [(e[0], e[1]) for e in case["edges"]]
    for offset in range(max(1, len(edges))):
        assert "".join(registries_conf.topo_order(edges[offset:] + edges[:offset])) == case["result"]


@pytest.mark.parametrize("case", VECTORS["merged_mirror_sets"], ids=lambda c: c["name"])
def test_merged_mirror_sets(case):
    entries = [entry for group in case["input"] for entry in group]
    found = [dict(source=s["source"], mirrors=s["mirrors"], never=s["never_contact"])
             for s in registries_conf.merged_mirror_sets(entries)]
    assert found == case["result"]
