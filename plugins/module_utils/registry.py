# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry HTTP API v2 client: ping, and the login check (basic, or the bearer-token flow of quay.io and
registry.redhat.io). Standard library and ansible.module_utils.urls only, so it runs on any target."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re

from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.six.moves.urllib.parse import urlencode
from ansible.module_utils.urls import Request


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
        self._request = Request()

    def _open(self, url, headers=None):
        self.requests += 1
        kwargs = dict(headers=headers or {}, timeout=self.timeout, validate_certs=self.validate_certs,
                      follow_redirects="safe", use_proxy=True)
        if self.ca_cert:
            kwargs["ca_path"] = self.ca_cert
        try:
            response = self._request.open("GET", url, **kwargs)
            return response.getcode(), dict(response.headers), response.read()
        except HTTPError as err:
            return err.code, dict(err.headers or {}), err.read() if hasattr(err, "read") else b""

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
        except Exception as err:  # TLS, DNS, refused: reported, not raised
            result["error"], result["outcome"] = _transport_text(err, self.ca_cert)
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
        basic = "Basic " + base64.b64encode(("%s:%s" % (self.username, self.password or "")).encode("utf-8")).decode()
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
            except Exception as err:
                text, outcome = _transport_text(err, self.ca_cert)
                result.update(error="token endpoint %s: %s" % (params["realm"], text), outcome=outcome)
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


def _transport_text(err, ca_cert):
    """(message, outcome): untrusted for TLS verification failures, unreachable for everything else."""
    text = str(getattr(err, "reason", err))
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        if ca_cert:
            return ("TLS verification failed: the CA in %s did not sign the registry's certificate" % ca_cert,
                    "untrusted")
        return ("TLS verification failed: the registry's certificate is not signed by a trusted CA; give its CA "
                "(ca_cert)", "untrusted")
    return "cannot connect: %s" % text, "unreachable"
