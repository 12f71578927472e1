# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ocp.registry.plugins.filter import registry_definitions as rd

ENTRIES = [
    {"registry": "quay.io/org", "username": "org+robot", "token": "planted-secret-1"},
    {"service_account": {"namespace": "ci", "name": "builder"}, "expiration_seconds": 3600},
    {"registry": "gone.example.com", "state": "absent"},
]


def test_service_account_logins_and_password_credentials_split_the_list():
    assert rd.service_account_logins(ENTRIES) == [ENTRIES[1]]
    assert rd.password_credentials(ENTRIES) == [ENTRIES[0], ENTRIES[2]]
    assert rd.service_account_logins(None) == [] and rd.password_credentials(None) == []


def test_incomplete_entries_are_named_without_secrets():
    entries = ENTRIES + [
        {"registry": "half.example.com", "username": "someone", "password": None},
        {"service_account": {"namespace": "ci", "name": ""}},
        {"username": "nobody", "password": "planted-secret-2"},
    ]
    found = rd.incomplete_credentials(entries)
    assert found == ["half.example.com", "(the integrated registry) (service_account needs namespace and name)",
                     "(an entry without registry)"]
    assert "planted-secret" not in " ".join(found)


def test_absent_needs_only_the_registry_name_everywhere_the_definition_reached():
    definitions = [{"registry": "old.example.com:5000/team", "state": "absent"}]
    args = rd.image_policy_args(definitions)
    for flag in ("allowed", "blocked", "insecure", "search"):
        names = [e["registry"] for e in args["registry_sources"][flag] if e["state"] == "absent"]
        assert names == ["old.example.com:5000" if flag == "search" else "old.example.com:5000/team"]
    assert args["trusted_cas"] == [{"registry": "old.example.com:5000", "state": "absent"}]
    assert args["allowed_for_import"] == [{"registry": "old.example.com:5000", "insecure": False, "state": "absent"}]
    assert rd.host_ca_entries(definitions) == [{"registry": "old.example.com:5000", "state": "absent"}]
    # the same with the flags and CA it had while present
    carried = [dict(definitions[0], ca="-----BEGIN CERTIFICATE-----", allowed=True, allowed_for_import=True)]
    assert rd.image_policy_args(carried) == args and rd.host_ca_entries(carried) == rd.host_ca_entries(definitions)
