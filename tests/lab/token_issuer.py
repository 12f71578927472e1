"""A registry token issuer: the bearer-token flow quay.io and registry.redhat.io use (challenge, token, pull)."""

from __future__ import annotations

import base64
import json
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .pki import libtrust_key_id


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class TokenIssuer:
    """Issues RS256 JWTs that docker distribution accepts (kid in libtrust form, key in its rootcertbundle)."""

    def __init__(self, private_key, issuer: str, service: str, users: dict[str, str], pushers: tuple = ()):
        self.private_key = private_key
        self.issuer = issuer
        self.service = service
        self.users = users
        self.pushers = set(pushers)
        self.kid = libtrust_key_id(private_key.public_key())

    def authenticate(self, authorization: str | None) -> tuple[bool, str | None]:
        """(credentials ok, user): no header is anonymous; wrong credentials are refused."""
        if not authorization:
            return True, None
        scheme, _dummy, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _dummy, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False, None
        if self.users.get(user) is not None and self.users[user] == password:
            return True, user
        return False, None

    def token(self, user: str | None, scopes: list[str]) -> dict:
        access = []
        if user:
            for scope in scopes:
                parts = scope.split(":")
                if len(parts) >= 3 and parts[0] == "repository":
                    access.append({"type": "repository", "name": ":".join(parts[1:-1]),
                                   "actions": [a for a in parts[-1].split(",")
                                               if a == "pull" or (a == "push" and user in self.pushers)]})
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        signature = self.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = signing_input + "." + _b64url(signature)
        return {"token": token, "access_token": token, "expires_in": 300,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
