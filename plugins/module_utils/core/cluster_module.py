# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shell of every cluster module: the shared connection options, the REST client, and (from HostModule) the
one error boundary, here with the API writes the server accepted as what was written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.ocp.registry.plugins.module_utils.api.client import Client, ClusterError
from ansible_collections.ocp.registry.plugins.module_utils.core.host_module import HostModule
from ansible_collections.ocp.registry.plugins.module_utils.api.options import AUTH_ARG_SPEC, resolve_auth
from ansible_collections.ocp.registry.plugins.module_utils.api.kubeconfig import ConfigError, connect


def client_from_params(params, environ=None):
    """Options (then K8S_AUTH_*) -> a Connection (kubeconfig loaded when needed) -> the REST client."""
    timeout = params.get("request_timeout") if params.get("request_timeout") is not None else 30.0
    retries = params.get("request_retries") if params.get("request_retries") is not None else 4
    if not 0 < timeout <= 3600:
        raise ConfigError("request_timeout must be more than 0 and at most 3600 seconds (got %s)" % timeout)
    if not 0 <= retries <= 20:
        raise ConfigError("request_retries must be 0 to 20 (got %s): retries stop after 60 seconds in all anyway"
                          % retries)
    connection = connect(resolve_auth(params, environ))
    return Client(connection, timeout=timeout, retries=retries)


class ClusterModule(HostModule):
    def __init__(self, argument_spec, **kwargs):
        spec = copy.deepcopy(AUTH_ARG_SPEC)
        spec.update(argument_spec)
        super(ClusterModule, self).__init__(argument_spec=spec, **kwargs)
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = client_from_params(self.params)
            conn = self._client.conn
            if not conn.validate_certs and conn.host.lower().startswith("https://"):
                self.warn("validate_certs is false: the certificate of the API server %s is not verified, so anyone "
                          "on the path can read this task's credentials. Give ca_cert (K8S_AUTH_SSL_CA_CERT) the "
                          "cluster's CA bundle instead." % conn.host)
        return self._client

    def requests_sent(self):
        """How many requests went to the API server so far (0 before the first one)."""
        return self._client.requests if self._client is not None else 0

    def written(self):
        """What this task wrote so far: the API writes the server accepted, then the host files noted."""
        return (list(self._client.writes) if self._client is not None else []) + list(self._written)

    def exit_with(self, result):
        """Exit with a result: its diff only in diff mode, and the count of API requests sent."""
        result["api_requests"] = self.requests_sent()
        super(ClusterModule, self).exit_with(result)

    def fail_from(self, exc, **result):
        if isinstance(exc, ClusterError):
            result.setdefault("status", exc.status)
            result.setdefault("reason", exc.reason)
        result["api_requests"] = self.requests_sent()
        super(ClusterModule, self).fail_from(exc, **result)
