# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side resolution of the cluster modules' connection (plugin_utils/cluster_action)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import stat

import pytest

pytest.importorskip("kubernetes")

from ansible_collections.ocp.registry.plugins.plugin_utils.cluster_action import resolved_options  # noqa: E402

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
