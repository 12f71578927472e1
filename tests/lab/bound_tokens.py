"""Service account tokens from the TokenRequest API (`POST .../serviceaccounts/<name>/token`).

Bound tokens are JWTs signed by the lab's service-account key, with the claims the kube-apiserver puts in them
(iss, sub, aud, exp, iat, nbf, kubernetes.io). The API accepts one only until its expiry and only while its
service account exists with the same uid, as the real server does.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .kube import ApiError

ISSUER = "https://kubernetes.default.svc"
MIN_SECONDS = 10 * 60
MAX_SECONDS = 1 << 32
DEFAULT_SECONDS = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _invalid(field: str, value, detail: str) -> ApiError:
    # the API server validates before it names the request: the name in the message is empty
    message = 'TokenRequest.authentication.k8s.io "" is invalid: %s: Invalid value: %s: %s' % (
        field, json.dumps(value), detail)
    return ApiError(422, "Invalid", message, {"name": "", "group": "authentication.k8s.io", "kind": "TokenRequest",
                                              "causes": [{"reason": "FieldValueInvalid", "field": field,
                                                          "message": "Invalid value: %s: %s" % (json.dumps(value),
                                                                                                detail)}]})


class BoundTokens:
    def __init__(self, signing_key, kid: str):
        self.signing_key = signing_key
        self.kid = kid
        self.lock = threading.Lock()
        self.issued: dict[str, dict] = {}

    def reset(self):
        with self.lock:
            self.issued = {}

    def request(self, sa: dict, body: dict, max_seconds: float = 0, dry_run: bool = False, warnings=None) -> dict:
        """The TokenRequest the API answers for this service account; raises ApiError for a bad spec. Like the
        kube-apiserver, a dry run still issues a token (its TokenRequest storage has no dry-run path), and a
        lifetime above the server's maximum is cut to it, in spec.expirationSeconds too, with a warning."""
        name, ns = sa["metadata"]["name"], sa["metadata"]["namespace"]
        spec = dict((body or {}).get("spec") or {})
        seconds = spec.get("expirationSeconds")
        if seconds is None:
            seconds = DEFAULT_SECONDS
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            raise ApiError(400, "BadRequest", "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: "
                                              "json: cannot unmarshal into Go struct field "
                                              "TokenRequestSpec.spec.expirationSeconds of type int64")
        if seconds < MIN_SECONDS:
            raise _invalid("spec.expirationSeconds", seconds, "may not specify a duration less than 10 minutes")
        if seconds > MAX_SECONDS:
            raise _invalid("spec.expirationSeconds", seconds, "may not specify a duration larger than 2^32 seconds")
        audiences = spec.get("audiences") or [ISSUER]
        lifetime = seconds
        if max_seconds and seconds > int(max_seconds):  # the server's maximum wins
            lifetime = int(max_seconds)
            if warnings is not None:
                warnings.append("requested expiration of %d seconds shortened to %d seconds" % (seconds, lifetime))
        now = int(time.time())
        exp = now + lifetime
        spec.update(expirationSeconds=lifetime, audiences=audiences)
        spec.setdefault("boundObjectRef", None)
        out = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
               "metadata": {"name": name, "namespace": ns, "uid": sa["metadata"]["uid"],
                            "creationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))},
               "spec": spec,
               "status": {"token": "", "expirationTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp))}}
        del dry_run  # issued all the same, as the real server does
        claims = {"aud": audiences, "exp": exp, "iat": now, "nbf": now, "iss": ISSUER, "jti": str(uuid.uuid4()),
                  "kubernetes.io": {"namespace": ns, "serviceaccount": {"name": name, "uid": sa["metadata"]["uid"]}},
                  "sub": "system:serviceaccount:%s:%s" % (ns, name)}
        header = {"alg": "RS256", "kid": self.kid}
        signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        signature = self.signing_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = signing_input + "." + _b64url(signature)
        with self.lock:
            self.issued[token] = {"namespace": ns, "name": name, "uid": sa["metadata"]["uid"], "exp": exp}
        out["status"]["token"] = token
        return out

    def user(self, token: str, service_account_uid) -> str | None:
        """The user a bound token stands for, or None when it is unknown, expired or its account is gone.
        service_account_uid(ns, name) gives the live uid (None when deleted)."""
        with self.lock:
            record = self.issued.get(token)
        if record is None or time.time() >= record["exp"]:
            return None
        if service_account_uid(record["namespace"], record["name"]) != record["uid"]:
            return None
        return "system:serviceaccount:%s:%s" % (record["namespace"], record["name"])
