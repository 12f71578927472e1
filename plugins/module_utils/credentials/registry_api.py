# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry HTTP API v2 client: ping, and the login check (basic, or the bearer-token flow of quay.io and
registry.redhat.io). HTTP, TLS, proxies and the wording of connection failures are the shared transport's."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from ansible.module_utils.six.moves.urllib.parse import urlencode

from ansible_collections.ocp.registry.plugins.module_utils.api.transport import Peer, Transport, TransportError, basic_auth


def registry_host(key):
    """The host[:port] part of an auth key such as quay.io/org or https://host:5000/v2/."""
    key = re.sub(r"^[a-z]+://", "", key.strip())
    return key.split("/", 1)[0]


def _challenge(header):
    scheme, _dummy, params = (header or "").partition(" ")
    return scheme.strip().lower(), dict(re.findall(r'(\w+)="([^"]*)"', params))


def _registry_error(raw):
    """The registry's own error text from a v2 error body ({"errors":[{"code","message"}]})."""
    try:
        body = json.loads(raw)
    except (ValueError, TypeError):
        text = (raw or b"").decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw or "")
        return text[:200]
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        return "; ".join("%s: %s" % (e.get("code", ""), e.get("message", "")) for e in errors if isinstance(e, dict))
    if isinstance(body, dict):
        return str(body.get("details") or body.get("error") or body.get("message") or "")
    return ""


class RegistryCheck(object):
    """Reach https://<registry>/v2/ and, with credentials, log in the way container tools do."""

    def __init__(self, registry, username=None, password=None, ca_cert=None, validate_certs=True, timeout=10.0):
        self.registry = registry_host(registry)
        self.username = username
        self.password = password
        self.ca_cert = ca_cert
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.requests = 0
        self.transport = Transport(Peer("the registry %s" % self.registry, ca_what="the registry's CA certificate"),
                                   ca_cert=ca_cert, validate_certs=validate_certs, timeout=timeout)

    def _open(self, url, headers=None):
        self.requests += 1
        response = self.transport.request("GET", url, headers=headers, follow_redirects=True)
        return response.status, dict(response.headers), response.body

    def run(self):
        """A result dict: registry, reachable, authenticated (None without credentials), auth, status, error."""
        result = dict(registry=self.registry, reachable=False, authenticated=None, auth=None, status=None, error=None,
                      outcome="unreachable")
        if self.ca_cert and not os.path.isfile(self.ca_cert):
            result.update(outcome="untrusted", error="the CA file %s given for %s does not exist"
                          % (self.ca_cert, self.registry))
            return result
        try:
            status, headers, raw = self._open("https://%s/v2/" % self.registry)
        except TransportError as err:  # TLS, DNS, refused: reported, not raised
            result["error"], result["outcome"] = err.message, err.outcome
            return result
        result["outcome"] = "refused"
        result["reachable"] = True
        result["status"] = status
        scheme, params = _challenge(_header(headers, "WWW-Authenticate"))
        result["auth"] = scheme or "none"
        if status == 200:
            result["authenticated"] = True if self.username else None
            result["outcome"] = "ok"
            return result
        if status != 401:
            result.update(outcome="unexpected", error="unexpected answer %d from /v2/: %s" % (status, _registry_error(raw)))
            return result
        if not self.username:
            result["error"] = "the registry requires credentials (%s auth); none were given" % scheme
            return result
        basic = basic_auth(self.username, self.password)
        if scheme == "basic":
            status, _dummy, raw = self._open("https://%s/v2/" % self.registry, {"Authorization": basic})
            result["status"] = status
            result["authenticated"] = status == 200
            if status != 200:
                result["error"] = _registry_error(raw) or "HTTP %d" % status
            else:
                result["outcome"] = "ok"
            return result
        if scheme == "bearer" and params.get("realm"):
            query = {"service": params.get("service", "")} if params.get("service") else {}
            realm = params["realm"] + ("?" + urlencode(query) if query else "")
            try:
                status, _dummy, raw = self._open(realm, {"Authorization": basic})
            except TransportError as err:
                result.update(error="token endpoint %s: %s" % (params["realm"], err.message), outcome=err.outcome)
                return result
            if status != 200:
                result.update(status=status, authenticated=False,
                              error=_registry_error(raw) or "the token endpoint answered %d" % status)
                return result
            try:
                token = json.loads(raw)
                token = token.get("token") or token.get("access_token")
            except (ValueError, AttributeError):
                token = None
            if not token:
                result.update(authenticated=False, error="the token endpoint answered without a token")
                return result
            status, _dummy, raw = self._open("https://%s/v2/" % self.registry, {"Authorization": "Bearer " + token})
            result["status"] = status
            result["authenticated"] = status == 200
            if status != 200:
                result["error"] = _registry_error(raw) or "HTTP %d" % status
            else:
                result["outcome"] = "ok"
            return result
        result["error"] = "unsupported authentication challenge %r" % scheme
        return result


def _header(headers, name):
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
