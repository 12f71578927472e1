# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every cluster module takes, and their K8S_AUTH_* fallbacks, named and resolved
exactly as kubernetes.core does. No I/O here: kubeconfig loading is in api.kubeconfig, requests in api.client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="raw"),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    username=dict(type="str"),
    password=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    client_cert=dict(type="path", aliases=["cert_file"]),
    client_key=dict(type="path", aliases=["key_file"], no_log=False),
    proxy=dict(type="str"),
    no_proxy=dict(type="str"),
    proxy_headers=dict(type="dict", options=dict(
        proxy_basic_auth=dict(type="str", no_log=True),
        basic_auth=dict(type="str", no_log=True),
        user_agent=dict(type="str"),
    )),
    persist_config=dict(type="bool"),
    impersonate_user=dict(type="str"),
    impersonate_groups=dict(type="list", elements="str"),
    request_timeout=dict(type="float", default=30.0),
    request_retries=dict(type="int", default=4),
)

# option name -> the environment names kubernetes.core reads for it (its own name, then the client's name)
ENV_NAMES = dict(
    kubeconfig=("K8S_AUTH_KUBECONFIG",),
    context=("K8S_AUTH_CONTEXT",),
    host=("K8S_AUTH_HOST",),
    api_key=("K8S_AUTH_API_KEY",),
    username=("K8S_AUTH_USERNAME",),
    password=("K8S_AUTH_PASSWORD",),
    validate_certs=("K8S_AUTH_VALIDATE_CERTS", "K8S_AUTH_VERIFY_SSL"),
    ca_cert=("K8S_AUTH_CA_CERT", "K8S_AUTH_SSL_CA_CERT"),
    client_cert=("K8S_AUTH_CLIENT_CERT", "K8S_AUTH_CERT_FILE"),
    client_key=("K8S_AUTH_CLIENT_KEY", "K8S_AUTH_KEY_FILE"),
    proxy=("K8S_AUTH_PROXY",),
    no_proxy=("K8S_AUTH_NO_PROXY",),
    persist_config=("K8S_AUTH_PERSIST_CONFIG",),
    impersonate_user=("K8S_AUTH_IMPERSONATE_USER",),
    impersonate_groups=("K8S_AUTH_IMPERSONATE_GROUPS",),
)
BOOL_OPTIONS = ("validate_certs", "persist_config")


def resolve_auth(params, environ=None):
    """Module options first, then the K8S_AUTH_* environment, exactly as kubernetes.core resolves them."""
    environ = os.environ if environ is None else environ
    auth = {}
    for name in ENV_NAMES:
        value = params.get(name)
        if value is None:
            for env_name in ENV_NAMES[name]:
                if environ.get(env_name) is not None:
                    value = environ[env_name]
                    break
            if value is not None and name in BOOL_OPTIONS:
                value = value.lower() not in ("0", "false", "no")
            if value is not None and name == "impersonate_groups":
                value = [g.strip() for g in value.split(",") if g.strip()]
        if value is not None:
            auth[name] = value
    if auth.get("host"):
        auth["host"] = auth["host"].rstrip("/")
    auth["proxy_headers"] = params.get("proxy_headers")
    return auth
