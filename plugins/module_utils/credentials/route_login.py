# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host logged in to the integrated registry's public route with a service account's bound token (what
`oc registry login` does), from the TokenRequest API, renewed by a later run before it expires.

The decision to renew needs no request: the entry in the auth file holds the token, a JWT whose claims say whose it
is (sub, the service account's uid) and until when (exp, iat). Only a renewal asks the API for a token."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import calendar
import json
import time

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.credentials import auth_file
from ansible_collections.ocp.registry.plugins.module_utils.credentials import dockerconfig
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES

MIN_SECONDS = 600  # the TokenRequest API refuses less: "may not specify a duration less than 10 minutes"
MAX_SECONDS = 1 << 32
INGRESS_CA = ("openshift-config-managed", "default-ingress-cert", "ca-bundle.crt")
DNS_LABEL = names.DNS1123_LABEL
DNS_SUBDOMAIN = names.DNS1123_SUBDOMAIN


class LoginError(OcpRegistryError, ValueError):
    """Bad options or a state the module cannot work from; never carries a secret."""


def validate(params):
    """Every problem with the options, before any file is read or request sent."""
    problems = []
    ns, name = params.get("namespace") or "", params.get("service_account") or ""
    if not DNS_LABEL.match(ns) or len(ns) > 63:
        problems.append("namespace %r is not a namespace name (lowercase letters, digits and '-', at most 63)" % ns)
    if not DNS_SUBDOMAIN.match(name) or len(name) > 253:
        problems.append("service_account %r is not a service account name (a DNS subdomain: lowercase letters, "
                        "digits, '-' and '.')" % name)
    if params.get("registry") is not None:
        problem = dockerconfig.validate_key(params["registry"]) if params["registry"].strip() else \
            "is empty: give the route's host[:port], or leave registry out to use the registry's default route"
        if problem:
            problems.append("registry %r: the key %s" % (params["registry"], problem))
        elif "/" in params["registry"]:
            problems.append("registry %r: give the registry's host[:port]; its tokens are for the whole registry"
                            % params["registry"])
    seconds = params.get("expiration_seconds")
    if seconds is not None and not MIN_SECONDS <= seconds <= MAX_SECONDS:
        problems.append("expiration_seconds must be between %d (10 minutes, the TokenRequest API's minimum) and 2^32, "
                        "not %d" % (MIN_SECONDS, seconds))
    margin = params.get("renew_before_seconds")
    if margin is not None:
        if margin < 0:
            problems.append("renew_before_seconds must not be negative")
        elif seconds is not None and margin >= seconds:
            problems.append("renew_before_seconds (%d) must be less than expiration_seconds (%d), or every run would "
                            "renew the token" % (margin, seconds))
    if problems:
        raise LoginError("; ".join(problems))


def token_claims(token):
    """The claims of a JWT, or None when the value is not one. The signature is not checked: the claims only
    decide whether to ask for a new token, the registry checks the token itself."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)).decode("utf-8"))
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch is not None else None


def parse_time(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def decide(stored, subject, uid, now, renew_before=None):
    """(renew, reason, expires) for the entry's (username, token) and the service account wanted."""
    if stored is None:
        return True, "the file has no entry for the registry", None
    claims = token_claims(stored[1])
    if claims is None:
        return True, "the entry does not hold a service account's bound token", None
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)):
        return True, "the entry's token has no expiry", None
    if claims.get("sub") != subject:
        return True, "the entry's token is for %s" % (claims.get("sub") or "no subject"), exp
    issued_for = ((claims.get("kubernetes.io") or {}).get("serviceaccount") or {}).get("uid")
    if uid and issued_for and issued_for != uid:
        return True, "the service account was deleted and created again since the token was issued", exp
    left = exp - now
    if left <= 0:
        return True, "the token expired at %s" % iso(exp), exp
    margin = renew_before if renew_before is not None else (
        max(exp - iat, 0) / 5.0 if isinstance(iat, (int, float)) else 0)
    if left <= margin:
        return True, "the token expires at %s, within the renewal margin of %d seconds" % (iso(exp), margin), exp
    return False, "the token is valid until %s" % iso(exp), exp


def public_hostname(client):
    cfg = client.get(RESOURCES["image_config"], "cluster")
    hosts = (cfg.get("status") or {}).get("externalRegistryHostnames") or []
    if not hosts:
        raise LoginError("the integrated registry has no public hostname (images.config status."
                         "externalRegistryHostnames is empty): expose it with a route (integrated_registry "
                         "default_route: true) or give registry")
    return hosts[0]


def ingress_ca(client):
    ns, name, key = INGRESS_CA
    found = client.get(RESOURCES["configmap"], name, namespace=ns, missing_ok=True)
    return ((found or {}).get("data") or {}).get(key)


class Login(object):
    def __init__(self, module, client, params, check_mode, now=time.time):
        self.module = module
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.now = now

    def run(self):
        params = self.params
        validate(params)
        ns, name = params["namespace"], params["service_account"]
        subject = "system:serviceaccount:%s:%s" % (ns, name)
        path = params.get("path") or auth_file.default_path(params.get("preset") or "podman")
        raw, doc = auth_file.read(path)  # a broken file stops the run before any request
        registry = params.get("registry") or public_hostname(self.client)
        result = dict(changed=False, path=path, registry=registry, service_account=subject, renewed=False,
                      changes=[])
        if params.get("state") == "absent":
            new, report = dockerconfig.apply(doc, [dict(registry=registry, state="absent")])
            return self._finish(result, raw, doc, new, report, None, "removed" if report else "no entry to remove")
        sa = self.client.get(RESOURCES["serviceaccount"], name, namespace=ns, missing_ok=True)
        if sa is None:
            raise LoginError("service account %s does not exist in namespace %s; create it (or its namespace) first"
                             % (name, ns))
        stored = dockerconfig.credentials(doc, registry)
        renew, reason, expires = decide(stored, subject, sa["metadata"].get("uid"), self.now(),
                                        params.get("renew_before_seconds"))
        if params.get("read_ca", True):
            result["ca"] = ingress_ca(self.client)
        if not renew:
            entry = [dict(registry=registry, username=name, password=stored[1])]
            new, report = dockerconfig.apply(doc, entry)
            return self._finish(result, raw, doc, new, report, expires, reason)
        result["renewed"] = True
        if self.check_mode:
            token, expires = "(a new bound token)", None
        else:
            answer = self.client.request("POST", RESOURCES["serviceaccount"].path(name, ns, "token"), body={
                "apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"expirationSeconds": params.get("expiration_seconds") or 3600}})
            status = answer.get("status") or {}
            token = status.get("token")
            if not token:
                raise LoginError("the API server answered the TokenRequest for %s without a token" % subject)
            expires = parse_time(status["expirationTimestamp"]) if status.get("expirationTimestamp") else \
                (token_claims(token) or {}).get("exp")
            asked, issued = params.get("expiration_seconds") or 3600, (answer.get("spec") or {}).get("expirationSeconds")
            if isinstance(issued, int) and issued < asked:
                result["lifetime_seconds"] = issued
                self.module.warn("the cluster shortened the token of %s to %d seconds (its maximum token lifetime) "
                                 "instead of the %d asked for; later runs renew it sooner" % (subject, issued, asked))
        new, report = dockerconfig.apply(doc, [dict(registry=registry, username=name, password=token)])
        return self._finish(result, raw, doc, new, report, expires, reason)

    def _finish(self, result, raw, doc, new, report, expires, reason):
        auth_file.commit(self.module, self.params, result, raw, doc, new, report)
        result.update(expires=iso(expires), reason=reason)
        return result
