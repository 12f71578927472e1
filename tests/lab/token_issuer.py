"""A registry token issuer: the bearer-token flow quay.io and registry.redhat.io use (challenge, token, pull)."""

from __future__ import annotations

import base64
import json
import time
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from . import rbac_eval
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
        known = self.check(user, password)
        return (True, known) if known else (False, None)

    def check(self, user: str, password: str) -> str | None:
        """The user these basic-auth credentials stand for, or None."""
        if self.users.get(user) is not None and self.users[user] == password:
            return user
        return None

    def allowed(self, user: str, repository: str, action: str) -> bool:  # pylint: disable=unused-argument
        return action == "pull" or (action == "push" and user in self.pushers)

    def granted(self, user: str | None, scope: str) -> dict | None:
        """The access one scope (type:name:actions) gets: the actions this user may take."""
        parts = scope.split(":")
        if user and len(parts) >= 3 and parts[0] == "repository":
            name = ":".join(parts[1:-1])
            return {"type": "repository", "name": name,
                    "actions": [a for a in parts[-1].split(",") if self.allowed(user, name, a)]}
        return None

    def token(self, user: str | None, scopes: list[str]) -> dict:
        access = [a for a in (self.granted(user, scope) for scope in scopes) if a is not None]
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user or "", "aud": self.service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        signature = self.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        token = signing_input + "." + _b64url(signature)
        return {"token": token, "access_token": token, "expires_in": 300,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}


class ClusterTokenIssuer(TokenIssuer):
    """The integrated registry's token endpoint (/openshift/token): the password is a token the API server knows
    (a user's token or a service account's bound token), the username is ignored, as `oc registry login` and
    `podman login -u unused -p $(oc whoami -t)` rely on; no credentials is system:anonymous.

    Each requested scope is decided as openshift/image-registry decides it (pkg/dockerregistry/server/auth.go): by
    asking the API server whether the caller may `get` (pull) or `update` (push, and deleting an upload)
    `imagestreams/layers` named after the repository in its namespace, `delete` `images` (deleting a manifest or a
    blob, which is pruning), or `list` `imagestreams` in every namespace (the catalog). On the real control plane
    that is a SubjectAccessReview, so RoleBindings and ClusterRoleBindings decide; the emulator evaluates the same
    bindings itself (rbac_eval), and decides for its own users (admin, viewer, editor) by its fixed rules."""

    def __init__(self, private_key, issuer: str, service: str, api_users, store=None):
        super().__init__(private_key, issuer, service, {})
        self.api_users = api_users
        self.store = store  # the emulator's objects, for its RBAC
        self.reviews = hasattr(api_users, "groups")  # DelegatedUsers: the real API server answers

    def check(self, user: str, password: str) -> str | None:
        known = self.api_users.user("Bearer " + password) if password else None
        return None if known in (None, "system:anonymous") else known

    def granted(self, user: str | None, scope: str) -> dict | None:
        parts = scope.split(":")
        who = user or "system:anonymous"
        if len(parts) == 3 and parts[0] == "registry" and parts[1] == "catalog":
            allowed = parts[2] == "*" and self._review(who, "list", "imagestreams", None, None)
            return {"type": "registry", "name": "catalog", "actions": ["*"] if allowed else []}
        if len(parts) >= 3 and parts[0] == "repository":
            name = ":".join(parts[1:-1])
            return {"type": "repository", "name": name,
                    "actions": [a for a in parts[-1].split(",") if self.allowed(who, name, a)]}
        return None

    def _review(self, user, verb, resource, namespace, name) -> bool:
        if not self.reviews and user not in self.api_users.tokens.values():
            return rbac_eval.allowed(self.store, user, verb, "image.openshift.io", resource, namespace, name)
        return self.api_users.allowed(user, verb, "image.openshift.io", resource, namespace, name=name)

    def allowed(self, user: str, repository: str, action: str) -> bool:
        namespace, _sep, name = repository.partition("/")
        if not name or "/" in name:
            return False
        if self.reviews or action == "delete":
            if action == "pull":
                return self._review(user, "get", "imagestreams/layers", namespace, name)
            if action == "push":
                return self._review(user, "update", "imagestreams/layers", namespace, name)
            if action == "delete":
                # an upload's cancel needs push; a manifest or blob delete is pruning (delete images, cluster-wide)
                return self._review(user, "update", "imagestreams/layers", namespace, name) and \
                    self._review(user, "delete", "images", None, None)
            return False
        # the emulator: its own users by its fixed rules, everyone else (service accounts, anonymous, other users)
        # by the RoleBindings and ClusterRoleBindings it stores, evaluated as kube-apiserver's RBAC would
        verb = {"pull": "get", "push": "update"}.get(action)
        if verb is None:
            return False
        if user in self.api_users.tokens.values():
            return self.api_users.allowed(user, verb, "image.openshift.io", "imagestreams/layers", namespace)
        return rbac_eval.allowed(self.store, user, verb, "image.openshift.io", "imagestreams/layers", namespace, name)
