# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.ocp.registry.plugins.plugin_utils import areas

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")


def test_nothing_configured_is_no_area():
    assert areas.configured_areas({}) == []


def test_one_definition_per_registry_reaches_policy_credentials_and_hosts():
    found = areas.configured_areas({"registry_definitions": [{"registry": "quay.example.com", "username": "robot",
                                                              "password": "planted-secret"}]})
    assert found == ["image_policy", "registry_credentials", "host_registries"]


def test_a_role_variable_overrides_the_shared_list():
    assert areas.configured_areas({"registry_definitions": [{"registry": "a.example.com", "insecure": True}],
                                   "image_policy_registries": []}) == ["host_registries"]
    assert areas.configured_areas({"registry_mirrors": [{"source": "a", "mirrors": ["b"]}]}) == \
        ["image_mirrors", "host_registries"]
    assert areas.configured_areas({"integrated_registry_pruner": {"suspend": True}}) == ["integrated_registry"]


def test_site_and_drift_take_their_areas_from_the_table_only():
    for playbook, fact in (("site.yml", "site_areas"), ("drift.yml", "drift_configured_areas")):
        with open(os.path.join(ROOT, "playbooks", playbook)) as handle:
            text = handle.read()
        applied = set(re.findall(r"when: \"'(\w+)' in %s\"" % fact, text))
        assert applied == set(a[0] for a in areas.AREAS), playbook
        # the fact is the table's answer, worked out once per play for every host of it
        assert len(re.findall(r"\n +%s: \"\{\{ hostvars\[item\] \| ocp.registry.configured_areas \}\}\"" % fact, text)) == 2, playbook
        # no role is applied under a condition of its own
        assert "| length > 0\n        or" not in text and "_registries | default(registry_definitions" not in text


def test_image_access_alone_configures_the_image_streams_area_and_feeds_its_own_report_part():
    assert areas.configured_areas({"image_streams_access": [{"namespace": "a", "role": "puller",
                                                             "groups": ["system:serviceaccounts:b"]}]}) == ["image_streams"]
    assert ("image_access", "image_streams_access_result") in areas.CLUSTER_PARTS
