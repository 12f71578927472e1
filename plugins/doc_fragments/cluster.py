# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options, with the names, meaning and K8S_AUTH_* fallbacks of kubernetes.core
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or the kubeconfig content as a dictionary.
      - Without O(host) and credentials, the in-cluster service account is tried, then C(~/.kube/config)
        (or the E(KUBECONFIG) environment variable).
      - Read by the C(kubernetes) Python package's config loader, so exec plugins and token files work.
      - Can also be set with E(K8S_AUTH_KUBECONFIG).
    type: raw
  context:
    description:
      - The kubeconfig context to use. Can also be set with E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - URL of the API server, for example V(https://api.cluster.example.com:6443).
      - Can also be set with E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - A bearer token for the API server (for example from C(oc whoami -t) or a service account).
      - Can also be set with E(K8S_AUTH_API_KEY), which is what the AWX OpenShift or Kubernetes API Bearer
        Token credential injects.
    type: str
  username:
    description:
      - User name for HTTP basic authentication to the API server. OpenShift clusters normally need O(api_key).
      - Can also be set with E(K8S_AUTH_USERNAME).
    type: str
  password:
    description:
      - Password for HTTP basic authentication. Can also be set with E(K8S_AUTH_PASSWORD).
    type: str
  validate_certs:
    description:
      - Verify the API server's TLS certificate. Turning this off is insecure.
      - Can also be set with E(K8S_AUTH_VERIFY_SSL) or E(K8S_AUTH_VALIDATE_CERTS).
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to the CA bundle that signed the API server's certificate.
      - Can also be set with E(K8S_AUTH_SSL_CA_CERT) or E(K8S_AUTH_CA_CERT).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate for the API server. Can also be set with E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert). Can also be set with E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  proxy:
    description:
      - URL of an HTTP(S) proxy to reach the API server through. Can also be set with E(K8S_AUTH_PROXY).
    type: str
  no_proxy:
    description:
      - Comma-separated hosts that bypass O(proxy). Can also be set with E(K8S_AUTH_NO_PROXY).
    type: str
  proxy_headers:
    description:
      - Headers for the proxy.
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - C(user:password) for the proxy.
        type: str
      basic_auth:
        description:
          - Accepted for compatibility with kubernetes.core; not sent.
        type: str
      user_agent:
        description:
          - The User-Agent header to send.
        type: str
  persist_config:
    description:
      - Write refreshed tokens back to the kubeconfig file, as the kubernetes client does.
      - Can also be set with E(K8S_AUTH_PERSIST_CONFIG).
    type: bool
  impersonate_user:
    description:
      - Act as this user (needs the C(impersonate) permission). Can also be set with E(K8S_AUTH_IMPERSONATE_USER).
    type: str
  impersonate_groups:
    description:
      - Act as a member of this group (one group). Can also be set with E(K8S_AUTH_IMPERSONATE_GROUPS).
    type: list
    elements: str
  request_timeout:
    description:
      - Seconds to wait for each API request, more than 0 and at most 3600.
    type: float
    default: 30
  request_retries:
    description:
      - How many times a request is repeated, 0 to 20. Retries back off exponentially and stop after 60 seconds in
        all.
      - Any request is repeated after a 429 (honouring Retry-After) or a 503 answer, which the server sends before it
        processed anything.
      - After a connection error or another 5xx answer the outcome is unknown, so only requests that are safe to send
        twice are repeated; reads, deletes, updates that carry the object's C(resourceVersion) (a second one that
        finds the first applied gets 409 Conflict, and the module reads, merges and writes again), imports, and
        creates (a second create that finds the object already there reads it and takes it as created when it holds
        what was sent, else fails with 409 AlreadyExists).
    type: int
    default: 4
requirements:
  - The C(kubernetes) Python package, only to read a kubeconfig or in-cluster credentials.
"""
