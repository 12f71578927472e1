# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module, fed wrong input option by option: wrong types, empty strings, whitespace, URLs where a name or host
is expected, oversized values, for its top-level options and for the sub-options of its list entries.

Each case must end as a module result (exit or a failure with a message), never as an exception escaping main() (a
traceback, which the user sees as "Module result deserialization failed"), and must never send a write request.
An empty, blank or URL value given for a name (a namespace, a Secret, a registry host, a stream, a mirror source)
must be refused before any request is sent, with a message naming it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import importlib
import json

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ocp.registry.plugins.module_utils.api import transport

PEM = """-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIUJzq3Yl1n7N8w6l1vQ0bXw3l3Q8IwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----"""
CLUSTER = {"host": "https://api.lab.example:6443", "api_key": "planted-secret-token", "request_retries": 0}
ENTRY = {"registry": "quay.example.com", "username": "robot", "password": "planted-secret-password"}

# the smallest valid arguments of each module; {tmp} is a scratch directory
BASE = {
    "auth_file": {"path": "{tmp}/auth.json", "registries": [ENTRY]},
    "image_import": dict(CLUSTER, namespace="apps", images=[{"stream": "app", "tag": "1", "from": "quay.example.com/a/b:1"}]),
    "image_mirrors": dict(CLUSTER, entries=[{"source": "quay.example.com/a", "mirrors": ["mirror.example.com/a"]}]),
    "image_policy": dict(CLUSTER, registry_sources={"insecure": [{"registry": "registry.example.com"}]},
                         trusted_cas=[{"registry": "registry.example.com", "ca": PEM}],
                         allowed_for_import=[{"registry": "registry.example.com"}]),
    "image_pruner": dict(CLUSTER, schedule="0 0 * * *", keep_tag_revisions=3),
    "integrated_registry": dict(CLUSTER, replicas=2, routes=[{"name": "public", "hostname": "registry.apps.example.com"}]),
    "pull_secret": dict(CLUSTER, registries=[ENTRY]),
    "registries_conf": {"directory": "{tmp}/registries.conf.d", "registries": [{"prefix": "registry.example.com", "insecure": True}]},
    "registry_ca": {"registry": "registry.example.com:5000", "ca": PEM, "certs_dirs": ["{tmp}/certs.d"]},
    "registry_info": dict(CLUSTER, registry=False, pruner=False, pull_secret=False, policy=False,
                          check=[{"registry": "quay.example.com"}]),
    "registry_login": dict(CLUSTER, namespace="ci", service_account="builder", path="{tmp}/auth.json"),
    "registry_access": dict(CLUSTER, namespace="apps", role="puller", users=["alice"], groups=["ci-robots"],
                            service_accounts=["b/default"]),
}
# options that name something: blank or URL values must be refused before any request
NAMES = {"namespace", "name", "registry", "stream", "source", "domain_name", "service_account", "host", "prefix",
         "claim", "bucket", "hostname", "location", "role", "binding_name"}
WRITES = ("POST", "PUT", "PATCH", "DELETE")

BAD = {
    "str": ["", "   ", "https://example.com/a/b", "with spaces and\nnewline", "x" * 5000, {"a": 1}, ["x"]],
    "path": ["", "   ", {"a": 1}],
    "int": ["many", -1, 10 ** 12, {"a": 1}],
    "float": ["soon", -1.0, {"a": 1}],
    "bool": ["maybe", {"a": 1}],
    "list": ["x" * 300, {"a": 1}, [None], [""]],
    "dict": ["x", ["x"], {"unknown-key": "x"}],
    "raw": [{"a": {"b": []}}, ["x"]],
}


class Sent(Exception):
    pass


@pytest.fixture
def requests(monkeypatch):
    sent = []

    def request(self, method, url, body=None, headers=None, **kwargs):  # pylint: disable=unused-argument
        sent.append((method, url))
        raise transport.TransportError("no API server in this test (%s %s)" % (method, url), "unreachable")
    monkeypatch.setattr(transport.Transport, "request", request)
    return sent


def _fill(value, tmp):
    if isinstance(value, str):
        return value.replace("{tmp}", tmp)
    if isinstance(value, list):
        return [_fill(v, tmp) for v in value]
    if isinstance(value, dict):
        return dict((k, _fill(v, tmp)) for k, v in value.items())
    return value


def run(module_name, args, capsys):
    """main() with args, in check mode; returns (result, exception escaped or None)."""
    module = importlib.import_module("ansible_collections.ocp.registry.plugins.modules." + module_name)
    args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        try:
            module.main()
        except SystemExit:
            pass
        except Exception as exc:  # pylint: disable=broad-except
            return None, exc
    out = capsys.readouterr().out
    return json.loads(out.strip().splitlines()[-1]), None


def spec_of(module_name, tmp, capsys, monkeypatch, requests):  # pylint: disable=redefined-outer-name
    """The module's argument spec, as AnsibleModule receives it (connection options included)."""
    seen = {}
    original = basic.AnsibleModule.__init__

    def init(self, argument_spec, **kwargs):
        seen.setdefault("spec", argument_spec)
        original(self, argument_spec, **kwargs)
    monkeypatch.setattr(basic.AnsibleModule, "__init__", init)
    run(module_name, _fill(BASE[module_name], tmp), capsys)
    monkeypatch.setattr(basic.AnsibleModule, "__init__", original)
    del requests[:]
    return seen["spec"]


def cases(spec, base):
    """(label, args, option name, bad value) for each option and each list entry's sub-option."""
    for name, option in sorted(spec.items()):
        kind = option.get("type", "str")
        for value in BAD.get(kind if not callable(kind) else "raw", []):
            yield name, dict(base, **{name: value}), name, value
        if kind == "list" and option.get("options") and isinstance(base.get(name), list) and base[name]:
            for sub, sub_option in sorted(option["options"].items()):
                for value in BAD.get(sub_option.get("type", "str"), []):
                    entry = dict(base[name][0], **{sub: value})
                    yield "%s[].%s" % (name, sub), dict(base, **{name: [entry] + base[name][1:]}), sub, value


@pytest.mark.parametrize("module_name", sorted(BASE))
def test_bad_input_is_named_never_a_traceback_never_a_write(module_name, tmp_path, capsys, monkeypatch, requests):
    tmp = str(tmp_path)
    monkeypatch.chdir(tmp_path)
    base = _fill(BASE[module_name], tmp)
    spec = spec_of(module_name, tmp, capsys, monkeypatch, requests)
    problems, count = [], 0
    for label, args, option, value in cases(spec, copy.deepcopy(base)):
        count += 1
        del requests[:]
        result, escaped = run(module_name, args, capsys)
        shown = repr(value)[:40]
        if escaped is not None:
            problems.append("%s=%s: %s escaped main(): %r" % (label, shown, type(escaped).__name__, escaped))
            continue
        writes = [r for r in requests if r[0] in WRITES]
        if writes:
            problems.append("%s=%s: sent a write request %s" % (label, shown, writes[0]))
        if result.get("failed") and not isinstance(result.get("msg"), str):
            problems.append("%s=%s: failed without a message" % (label, shown))
        blank_or_url = isinstance(value, str) and (not value.strip() or "://" in value)
        if option in NAMES and blank_or_url and spec_allows_name(option):
            if not result.get("failed"):
                problems.append("%s=%s: accepted" % (label, shown))
            elif requests:
                problems.append("%s=%s: refused only after a request (%s)" % (label, shown, result.get("msg")))
        for secret in ("planted-secret-token", "planted-secret-password"):
            if secret in json.dumps(result):
                problems.append("%s=%s: a planted secret is in the result" % (label, shown))
    assert count > 20
    assert not problems, "%d of %d bad inputs:\n" % (len(problems), count) + "\n".join(problems)


def spec_allows_name(option):
    """host is a URL by design; every other name option must hold a plain name."""
    return option != "host"


# forms the docs accept, which validation must let through to the registry (a request is the proof)
GOOD_CHECK_REGISTRIES = ["quay.example.com", "registry.example.com:5000", "quay.example.com/org",
                         "127.0.0.1:5000/lab/app", "localhost:5000"]


@pytest.mark.parametrize("registry", GOOD_CHECK_REGISTRIES)
def test_registry_info_accepts_documented_registry_forms(registry, capsys, requests):  # pylint: disable=redefined-outer-name
    args = dict(BASE["registry_info"], check=[{"registry": registry}])
    result, exc = run("registry_info", args, capsys)
    assert exc is None
    assert not result.get("failed"), result.get("msg")
    host = registry.split("/")[0]
    assert [url for _method, url in requests if host in url], requests
    assert result["checks"][0]["reachable"] is False


BAD_SUBJECTS = ["", "   ", "https://example.com/a", "two words", "a/b/c"]


# a service account needs a namespace and a name; for users and groups the same text is a plain (valid) name
@pytest.mark.parametrize("option,value", [(o, v) for o in ("users", "groups", "service_accounts") for v in BAD_SUBJECTS]
                         + [("service_accounts", "system:serviceaccount:x")])
def test_registry_access_refuses_bad_subjects_before_any_request(option, value, capsys, requests):  # pylint: disable=redefined-outer-name
    args = dict(BASE["registry_access"], **{option: [value]})
    result, exc = run("registry_access", args, capsys)
    assert exc is None
    assert result.get("failed") and option in result["msg"] and "nothing was sent" in result["msg"], result
    assert requests == []


@pytest.mark.parametrize("args", [
    dict(role="system:image-puller", users=["system:serviceaccount:b:default"]),
    dict(role="builder", service_accounts=["system:serviceaccount:b:ci-bot", "deployer"]),
    dict(role="registry-admin", groups=["system:serviceaccounts:b", "system:authenticated"]),
    dict(role="puller", users=["alice@example.com"], binding_name="system:image-puller-3"),
])
def test_registry_access_lets_documented_forms_through_to_the_api(args, capsys, requests):  # pylint: disable=redefined-outer-name
    result, exc = run("registry_access", dict(BASE["registry_access"], **args), capsys)
    assert exc is None
    assert requests and requests[0][0] == "GET", result.get("msg")
