# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side resolution of the cluster modules' connection (plugin_utils/cluster_action)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import shutil
import stat

import pytest

pytest.importorskip("kubernetes")

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.basic import AnsibleModule  # noqa: E402

from ansible_collections.ocp.registry.plugins.plugin_utils import cluster_action  # noqa: E402
from ansible_collections.ocp.registry.plugins.plugin_utils.cluster_action import (  # noqa: E402
    resolved_options, run_module_main, runs_in_worker)

CA = b"-----BEGIN CERTIFICATE-----\nMIIBplanted\n-----END CERTIFICATE-----\n"
KEY = b"-----BEGIN PRIVATE KEY-----\nplanted-secret-key\n-----END PRIVATE KEY-----\n"


def kubeconfig(tmp_path, user):
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "lab",
              "clusters": [{"name": "c", "cluster": {"server": "https://api.lab.example:6443",
                                                     "certificate-authority-data": base64.b64encode(CA).decode()}}],
              "users": [{"name": "u", "user": user}],
              "contexts": [{"name": "lab", "context": {"cluster": "c", "user": "u"}}]}
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config))
    return str(path)


def test_a_token_kubeconfig_becomes_inline_options(tmp_path):
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    args = {"kubeconfig": kubeconfig(tmp_path, {"token": "planted-token-kc"}), "pull_secret": False}
    new = resolved_options(args, {}, str(work))
    assert new["host"] == "https://api.lab.example:6443" and new["api_key"] == "planted-token-kc"
    assert "kubeconfig" not in new and new["pull_secret"] is False and new["validate_certs"] is True
    # the CA the kubeconfig holds inline is a file of this task's directory, not of the system temp dir
    assert os.path.dirname(new["ca_cert"]) == str(work)
    with open(new["ca_cert"], "rb") as handle:
        assert handle.read() == CA


def test_exec_plugins_run_for_every_task(tmp_path):
    token_file = tmp_path / "token"
    script = tmp_path / "credential.sh"
    script.write_text('#!/bin/sh\nprintf \'{"apiVersion": "client.authentication.k8s.io/v1", '
                      '"kind": "ExecCredential", "status": {"token": "%s"}}\' "$(cat ' + str(token_file) + ')"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": str(script),
                     "interactiveMode": "Never"}}
    path = kubeconfig(tmp_path, user)
    token_file.write_text("planted-token-first")
    assert resolved_options({"kubeconfig": path}, {}, str(tmp_path))["api_key"] == "planted-token-first"
    token_file.write_text("planted-token-renewed")
    assert resolved_options({"kubeconfig": path}, {}, str(tmp_path))["api_key"] == "planted-token-renewed"


def test_client_certificates_are_written_to_the_task_directory(tmp_path):
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    user = {"client-certificate-data": base64.b64encode(CA).decode(), "client-key-data": base64.b64encode(KEY).decode()}
    new = resolved_options({"kubeconfig": kubeconfig(tmp_path, user)}, {}, str(work))
    assert os.path.dirname(new["client_key"]) == str(work) and os.path.dirname(new["client_cert"]) == str(work)
    assert stat.S_IMODE(os.stat(new["client_key"]).st_mode) & 0o077 == 0


@pytest.mark.parametrize("args, environ", [
    ({"host": "https://api.lab.example:6443", "api_key": "planted-token-inline"}, {}),
    ({}, {"K8S_AUTH_HOST": "https://api.lab.example:6443", "K8S_AUTH_API_KEY": "planted-token-env"}),
    ({"kubeconfig": "/nonexistent/kubeconfig"}, {}),
])
def test_what_needs_no_loader_or_cannot_load_is_left_to_the_module(tmp_path, args, environ):
    assert resolved_options(args, environ, str(tmp_path)) is None


INLINE = {"host": "https://api.lab.example:6443", "api_key": "planted-token-inline"}


@pytest.mark.parametrize("local, become, wanted, expected", [
    (True, False, True, True),
    (True, False, "yes", True),
    (False, False, True, False),  # a remote, async or per-task-environment task
    (True, True, True, False),  # become runs the module as another user: a process of its own
    (True, False, False, False),  # the host opted out
    (True, False, "false", False),
])
def test_which_tasks_run_in_their_worker(local, become, wanted, expected):
    assert runs_in_worker(local, become, wanted, INLINE, {}) is expected


@pytest.mark.parametrize("wanted", ["maybe", "", None, [True]])
def test_an_opt_out_that_is_not_a_boolean_is_refused_by_name(wanted):
    with pytest.raises(TypeError, match="ocp_registry_module_in_worker must be true or false"):
        runs_in_worker(True, False, wanted, INLINE, {})


def test_without_the_kubernetes_package_only_inline_credentials_run_in_the_worker(monkeypatch):
    monkeypatch.setattr(cluster_action, "HAS_KUBERNETES", False)
    assert runs_in_worker(True, False, True, INLINE, {}) is True
    assert runs_in_worker(True, False, True, {}, {"K8S_AUTH_HOST": INLINE["host"], "K8S_AUTH_API_KEY": "t"}) is True
    # a kubeconfig needs the package: the module's own interpreter may have it
    assert runs_in_worker(True, False, True, {"kubeconfig": "/some/kubeconfig"}, {}) is False


def echo_main():
    module = AnsibleModule(argument_spec={"name": {"type": "str", "required": True},
                                          "secret": {"type": "str", "no_log": True}},
                           supports_check_mode=True)
    if module.params["name"] == "fail":
        module.fail_json(msg="refused %s" % module.params["secret"])
    if module.params["name"] == "crash":
        raise RuntimeError("unexpected")
    module.warn("a warning")
    module.exit_json(changed=not module.check_mode, echoed=module.params["name"], said=module.params["secret"])


def encoded(**args):
    args.update(_ansible_check_mode=args.pop("check", False), _ansible_no_log=False, _ansible_diff=False)
    return json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()


def test_a_module_runs_in_process_as_its_own_process_would():
    rc, out, err = run_module_main(echo_main, encoded(name="lab", secret="planted-secret-echo", check=True))
    result = json.loads(out)
    assert rc == 0 and "Traceback" not in err
    assert result["echoed"] == "lab" and result["changed"] is False  # check mode reached the module
    # no_log values are removed from the result by the module: the echoed value and, where ansible-core adds the
    # invocation (2.19), the option itself
    assert "planted-secret-echo" not in out and result["said"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert result.get("invocation", {}).get("module_args", {}).get("secret") in (None, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    # a module's warning: in the result from a module process, shown by the controller's display in a worker
    assert "a warning" in json.dumps(result.get("warnings", [])) + err
    assert basic._ANSIBLE_ARGS is None  # pylint: disable=protected-access  # restored for the next task


def test_failures_and_bad_options_exit_1_with_the_modules_message():
    rc, out, _err = run_module_main(echo_main, encoded(name="fail", secret="planted-secret-fail"))
    assert rc == 1 and json.loads(out)["failed"] is True and "planted-secret-fail" not in out
    rc, out, _err = run_module_main(echo_main, encoded(name="x", bogus=1))
    assert rc == 1 and "bogus" in json.loads(out)["msg"]


def test_an_unhandled_exception_is_a_traceback_on_stderr_not_a_crash_of_the_worker():
    rc, out, err = run_module_main(echo_main, encoded(name="crash"))
    assert rc == 1 and out == "" and "RuntimeError: unexpected" in err


def test_each_task_directory_gets_its_own_files_in_one_process(tmp_path):
    """The kubernetes loader caches the files it writes by content; a second task must not get the first's path."""
    path = kubeconfig(tmp_path, {"token": "planted-token-kc"})
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(mode=0o700)
    second.mkdir(mode=0o700)
    ca_first = resolved_options({"kubeconfig": path}, {}, str(first))["ca_cert"]
    # the first directory still exists (its task has not removed it yet): the second is not handed its file
    ca_second = resolved_options({"kubeconfig": path}, {}, str(second))["ca_cert"]
    assert os.path.dirname(ca_first) == str(first) and os.path.dirname(ca_second) == str(second)
    shutil.rmtree(str(first))  # removing the first task's directory leaves the second's file in place
    with open(ca_second, "rb") as handle:
        assert handle.read() == CA


def test_this_ansible_core_has_what_the_in_worker_run_needs():
    internals, reason = cluster_action.worker_internals()
    assert internals is not None, reason


def test_without_those_internals_modules_fall_back_to_a_process_with_one_warning(monkeypatch):
    class Shown(object):
        def __init__(self):
            self.warnings = []

        def warning(self, text):
            self.warnings.append(text)
    shown = Shown()
    monkeypatch.setattr(cluster_action, "_FALLBACK_WARNED", [])
    cluster_action.fall_back("moved", display=shown)
    cluster_action.fall_back("moved", display=shown)
    assert len(shown.warnings) == 1 and "module processes" in shown.warnings[0] and "moved" in shown.warnings[0]
