# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The thin wrapper every cluster module uses: the shared connection options and the error boundary."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ocp.registry.plugins.module_utils.cluster import Client, ClusterError
from ansible_collections.ocp.registry.plugins.module_utils.cluster_options import AUTH_ARG_SPEC, resolve_auth
from ansible_collections.ocp.registry.plugins.module_utils.kubeconfig import connect


def client_from_params(params, environ=None):
    """Options (then K8S_AUTH_*) -> a Connection (kubeconfig loaded when needed) -> the REST client."""
    connection = connect(resolve_auth(params, environ))
    return Client(connection, timeout=params.get("request_timeout") or 30.0,
                  retries=params.get("request_retries") if params.get("request_retries") is not None else 4)


class ClusterModule(AnsibleModule):
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

    def exit_with(self, result):
        """Exit with a result: its diff only in diff mode, and the count of API requests sent."""
        diff = result.pop("diff", None)
        if self._diff and diff:
            result["diff"] = diff
        result["api_requests"] = self._client.requests if self._client is not None else 0
        self.exit_json(**result)

    def fail_from(self, exc, **result):
        """The one place a ClusterError becomes a failed task: its message says what to do, never a secret."""
        if isinstance(exc, ClusterError):
            result.setdefault("status", exc.status)
            result.setdefault("reason", exc.reason)
        self.fail_json(msg=str(exc), **result)
