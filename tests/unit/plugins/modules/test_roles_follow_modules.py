# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role passes every option of the modules it calls, from variables its argument spec declares: a role that
silently ignores an option the module has is a defect."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
# options a role deliberately does not pass, and why
NOT_PASSED = {
    ("host_registries", "registry_ca"): {"ca_file": "the role reads ca_file on the controller and passes its content"},
    ("host_registries", "registries_conf"): {"state": "the role owns its drop-in, which is always present"},
    ("image_streams", "pull_secret"): {"exclusive": "namespace credentials for imports are merged",
                                       "link_for": "import credentials need no service-account links",
                                       "service_accounts": "import credentials need no service-account links",
                                       "state": "removal is per entry (state on the credentials)",
                                       "secrets": "each namespace's import credentials are one Secret of its own task"},
    ("registry_credentials", "pull_secret"): {"exclusive": "the role merges into shared Secrets",
                                              "state": "removal is per entry (state on the credentials)",
                                              "namespace": "namespace Secrets go through secrets, in one task",
                                              "name": "namespace Secrets go through secrets, in one task",
                                              "service_accounts": "each item of secrets names its service accounts",
                                              "link_for": "each item of secrets names its link_for"},
    ("registry_credentials", "auth_file"): {"exclusive": "the role merges into shared files"},
    ("registry_credentials", "registry_ca"): {
        "ca_file": "the login returns the route CA's content",
        "docker": "the route CA goes to registry_credentials_certs_dirs (list /etc/docker/certs.d there for docker)",
        "state": "a removed login keeps the route CA: other logins to the same route may use it"},
}


def module_options(module):
    with open(os.path.join(ROOT, "plugins", "modules", module + ".py")) as handle:
        source = handle.read()
    doc = yaml.safe_load(source.split('DOCUMENTATION = r"""')[1].split('"""')[0])
    return set(doc.get("options") or {})


def role_calls(role):
    """{module: (argument names, task text)} for every ocp.registry module the role's tasks call."""
    calls = {}
    for path in glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml")):
        with open(path) as handle:
            text = handle.read()
        for task in yaml.safe_load(text) or []:
            for key, value in task.items():
                if key.startswith("ocp.registry."):
                    names, texts = calls.setdefault(key.split(".")[-1], (set(), []))
                    names.update(value.keys() if isinstance(value, dict) else [])
                    texts.append(yaml.safe_dump(value))
    return calls


def declared(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as handle:
        return set(yaml.safe_load(handle)["argument_specs"]["main"]["options"])


ROLES = sorted(os.listdir(os.path.join(ROOT, "roles")))
PAIRS = [(role, module) for role in ROLES for module in sorted(role_calls(role))]


def test_every_role_is_checked():
    assert len(PAIRS) >= 8 and set(role for role, _module in PAIRS) == set(ROLES)


@pytest.mark.parametrize("role, module", PAIRS)
def test_role_passes_every_module_option(role, module):
    names, _texts = role_calls(role)[module]
    skipped = NOT_PASSED.get((role, module), {})
    missing = module_options(module) - names - set(skipped)
    assert not missing, "role %s does not pass %s options %s" % (role, module, sorted(missing))
    assert not (set(skipped) & names), "role %s passes options it says it does not" % role


@pytest.mark.parametrize("role, module", PAIRS)
def test_role_arguments_come_from_declared_variables(role, module):
    _names, texts = role_calls(role)[module]
    used = set(re.findall(r"\b(%s_[a-z_]+)\b" % role, "\n".join(texts)))
    assert used <= declared(role), "role %s uses undeclared variables %s" % (role, sorted(used - declared(role)))
