# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.filter import site

REGISTRY = {"registry": {"management_state": "Managed", "storage": {"kind": "pvc"}, "ready_replicas": 2, "replicas": 2,
                         "rolled_out": True, "rolled_out_reason": "AsExpected"},
            "hostnames": {"internal": "image-registry.openshift-image-registry.svc:5000", "public": ["r.apps.example"]}}


def test_every_part_the_roles_published():
    lines = site.site_report(dict(
        registry=REGISTRY,
        credentials={"global": {"registries": [{"registry": "quay.io", "username": "bot", "password": "planted-pw"}]}},
        policy={"changed": True, "nodes_affected": True,
                "trusted_cas": [{"registry": "a.example", "action": "added"}, {"registry": "b.example", "action": "unchanged"}]},
        mirrors={"objects": [{"kind": "ImageDigestMirrorSet", "name": "m", "action": "unchanged"}]},
        imports={"imported": 3, "moved": ["n/app/1"], "failed": []},
        read={"checks": [{"registry": "quay.io", "reachable": True, "authenticated": False, "error": "401"}]}))
    assert lines == [
        "Integrated registry: Managed, storage pvc, 2/2 replicas ready",
        "Rolled out: True (AsExpected)",
        "Internal hostname: image-registry.openshift-image-registry.svc:5000",
        "Public hostnames: r.apps.example",
        "Image policy: changed; trusted CAs changed: a.example; nodes to update",
        "Mirror sets: ImageDigestMirrorSet m unchanged",
        "Global pull secret: quay.io as bot",
        "Imports: 3 tags; moved: n/app/1; failed: none",
        "quay.io: reachable=True authenticated=False (401)",
    ]
    assert "planted-pw" not in "\n".join(lines)


def test_what_the_roles_did_not_report_comes_from_the_read_and_skipped_parts_are_left_out():
    lines = site.site_report(dict(registry={"skipped": True, "changed": False}, policy={"skipped": True},
                                  read=dict(REGISTRY, pull_secret=[])))
    assert lines[0] == "Integrated registry: Managed, storage pvc, 2/2 replicas ready"
    assert lines[-1] == "Global pull secret: no entries" and not any(l.startswith("Image policy") for l in lines)
    assert site.site_report({}) == ["Global pull secret: no entries"]
