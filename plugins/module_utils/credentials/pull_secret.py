# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry entries in a kubernetes.io/dockerconfigjson Secret, merged under optimistic concurrency, and the
Secret's links to service accounts (as `oc secrets link` makes them)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.ocp.registry.plugins.module_utils.core import names
from ansible_collections.ocp.registry.plugins.module_utils.credentials import entries as credentials
from ansible_collections.ocp.registry.plugins.module_utils.credentials import dockerconfig
from ansible_collections.ocp.registry.plugins.module_utils.core.errors import OcpRegistryError
from ansible_collections.ocp.registry.plugins.module_utils.api.client import RESOURCES, ClusterError
from ansible_collections.ocp.registry.plugins.module_utils.core.reconciler import Reconciler

SECRET_TYPE = "kubernetes.io/dockerconfigjson"
KEY = ".dockerconfigjson"
GLOBAL = ("openshift-config", "pull-secret")
DNS1123_SUBDOMAIN = names.DNS1123_SUBDOMAIN
DNS1123_LABEL = names.DNS1123_LABEL


class PullSecretError(OcpRegistryError, ValueError):
    pass


class PullSecret(Reconciler):
    """One dockerconfigjson Secret and its service account links. Its own run: the Secret and each service account
    are separate objects, each converged under the one retry policy."""
    error = PullSecretError

    def __init__(self, client, params, check_mode):
        super(PullSecret, self).__init__(client, params, check_mode)
        self.namespace = params["namespace"]
        self.name = params["name"]
        self.accounts = {}
        self.link_views = {}
        self.prefetched = None
        self.original = None  # the Secret as prefetched, what restore() writes back
        self.secret_written = False
        self.read_before = False

    def prefetch(self):
        """Read the Secret now (its first attempt uses this read): a run over several Secrets reads them all before
        the first write, so an unreachable API server or a broken Secret stops it with nothing written."""
        self.prefetched = self._read()
        self.original = self.prefetched[0]
        self.read_before = True

    def restore(self):
        """Undo this run's write of the Secret: what it held before comes back (a Secret this run created is
        deleted). Service account links stay: a link to a Secret that holds the old entries changes nothing."""
        if not self.read_before:
            raise PullSecretError("it was not read before the run's first write, so what it held is not known")
        if self.original is None:
            self.client.delete(RESOURCES["secret"], self.name, self.namespace)
            return
        old = (self.original.get("data") or {}).get(KEY)

        def attempt():
            current = self.client.get(RESOURCES["secret"], self.name, self.namespace)
            body = dict(current)
            body["data"] = dict(current.get("data") or {})
            if old is None:
                body["data"].pop(KEY, None)
            else:
                body["data"][KEY] = old
            if body["data"] != (current.get("data") or {}):
                self.client.replace(RESOURCES["secret"], body, self.namespace)
        self.converge(attempt, "Secret %s/%s" % (self.namespace, self.name))

    def problems(self):
        """What is wrong with the names, before any request."""
        problems = []
        if not DNS1123_SUBDOMAIN.match(self.name or "") or len(self.name) > 253:
            problems.append("name %r is not a valid Secret name (lowercase letters, digits, '-' and '.', starting "
                            "and ending with a letter or digit)" % self.name)
        if not DNS1123_LABEL.match(self.namespace or "") or len(self.namespace) > 63:
            problems.append("namespace %r is not a valid namespace name" % self.namespace)
        for account in self.params.get("service_accounts") or []:
            if not DNS1123_SUBDOMAIN.match(account):
                problems.append("service_accounts: %r is not a valid service account name" % account)
        return problems

    def run(self):
        problems = self.problems()
        if problems:
            raise PullSecretError("; ".join(problems) + "; nothing was sent")
        entries = credentials.normalize(self.params.get("registries"))
        result = dict(changed=False, changes=[], links=[], conflicts_retried=0)
        if self.params.get("validate_credentials"):
            result["checks"] = credentials.check_all(entries, self.params.get("registry_ca_cert"),
                                                     self.params.get("registry_validate_certs"))
        if self.params["state"] == "absent":
            return self._absent(result)
        self._read_service_accounts()
        before, after = self._merge(entries, result)
        self.link_views = {}
        self._link(result)
        if self.link_views:
            # the links are part of what this module manages: the diff shows them, for each service account
            before = dict(before or {}, service_accounts=dict((a, v[0]) for a, v in self.link_views.items()))
            after = dict(after or {}, service_accounts=dict((a, v[1]) for a, v in self.link_views.items()))
        result["diff"] = dict(before=before, after=after)
        result["conflicts_retried"] = self.conflicts
        result["notes"] = list(self.notes)
        return result

    def _read(self):
        if self.prefetched is not None:
            found, self.prefetched = self.prefetched, None
            return found
        secret = self.client.get(RESOURCES["secret"], self.name, self.namespace, missing_ok=True)
        if secret is None:
            return None, b"", dockerconfig.load(b"")
        if secret.get("type") != SECRET_TYPE:
            raise PullSecretError("Secret %s/%s has type %s, not %s; this module changes only dockerconfigjson "
                                  "Secrets (choose another name, or convert it yourself)"
                                  % (self.namespace, self.name, secret.get("type"), SECRET_TYPE))
        raw = base64.b64decode((secret.get("data") or {}).get(KEY, ""))
        try:
            return secret, raw, dockerconfig.load(raw)
        except dockerconfig.DockerConfigError as exc:
            raise PullSecretError("Secret %s/%s: %s; it was left untouched, repair or delete it first"
                                  % (self.namespace, self.name, exc))

    def _merge(self, entries, result):
        def attempt():
            secret, raw, doc = self._read()
            if secret is None:
                self._require_namespace()
            new, report = dockerconfig.apply(doc, entries, self.params.get("exclusive"))
            before, after = credentials.masked_views(doc, new, report)
            if secret is None:
                before = None
            created = secret is None and self.params["state"] == "present"
            if report or created:
                payload = dockerconfig.dump(new, dockerconfig.detect_style(raw) if raw else (None, False))
                self._write(secret, payload)
            result.update(changed=bool(report or created), changes=report, created=created,
                          registries=dockerconfig.summary(new))
            return before, after
        return self.converge(attempt, "Secret %s/%s" % (self.namespace, self.name))

    def _require_namespace(self):
        """Before creating the Secret: its namespace exists (found by a read, not by a refused write). Credentials
        that may not read namespaces (403) leave the question to the create."""
        try:
            found = self.client.get(RESOURCES["namespace"], self.namespace, missing_ok=True)
        except ClusterError as exc:
            if exc.status == 403:
                return
            raise
        if found is None:
            raise PullSecretError("namespace %s does not exist; create it first (the Secret %s goes there); nothing "
                                  "was written" % (self.namespace, self.name))

    def _write(self, secret, payload):
        """Create or update the Secret; in check mode the server's dry run of the same request (it stores nothing,
        but it judges the write: permissions, admission, a namespace being deleted)."""
        data = base64.b64encode(payload).decode("ascii")
        if not self.check_mode:
            self.secret_written = True
        if secret is None:
            self.create(RESOURCES["secret"], {"apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
                                              "metadata": {"name": self.name, "namespace": self.namespace},
                                              "data": {KEY: data}}, self.namespace)
        else:
            body = dict(secret)
            body["data"] = dict(secret.get("data") or {})
            body["data"][KEY] = data
            self.replace(RESOURCES["secret"], body, self.namespace)

    def _read_service_accounts(self):
        """Every service account to link must exist before anything is written: nothing half-done."""
        self.accounts = {}
        for account in self.params.get("service_accounts") or []:
            sa = self.client.get(RESOURCES["serviceaccount"], account, self.namespace, missing_ok=True)
            if sa is None:
                raise PullSecretError('serviceaccounts "%s" not found in namespace %s; create it first or remove it '
                                      "from service_accounts; nothing was written" % (account, self.namespace))
            self.accounts[account] = sa

    def _link(self, result, unlink=False):
        fields = [{"pull": "imagePullSecrets", "mount": "secrets"}[f] for f in self.params.get("link_for") or []]
        for account in self.params.get("service_accounts") or []:
            def attempt(account=account):
                sa = self.accounts.pop(account, None) or \
                    self.client.get(RESOURCES["serviceaccount"], account, self.namespace, missing_ok=True)
                if sa is None:
                    return []
                changed_fields = []
                linked_before = sorted(f for f in ("imagePullSecrets", "secrets")
                                       if any(r.get("name") == self.name for r in sa.get(f) or []))
                for field in fields:
                    refs = sa.get(field) or []
                    present = any(r.get("name") == self.name for r in refs)
                    if unlink and present:
                        sa[field] = [r for r in refs if r.get("name") != self.name]
                        changed_fields.append(field)
                    elif not unlink and not present:
                        sa[field] = refs + [{"name": self.name}]
                        changed_fields.append(field)
                linked_after = sorted(f for f in ("imagePullSecrets", "secrets")
                                      if any(r.get("name") == self.name for r in sa.get(f) or []))
                self.link_views[account] = (linked_before, linked_after)
                if changed_fields:
                    self.replace(RESOURCES["serviceaccount"], sa, self.namespace)
                return changed_fields
            changed_fields = self.converge(attempt, "ServiceAccount %s/%s" % (self.namespace, account))
            if changed_fields:
                result["changed"] = True
                result["links"].append(dict(service_account=account, fields=changed_fields,
                                            action="unlinked" if unlink else "linked"))

    def _absent(self, result):
        if (self.namespace, self.name) == GLOBAL:
            raise PullSecretError("the global pull secret openshift-config/pull-secret is never deleted: nodes and "
                                  "the cluster's own images need it; remove single entries with state: absent on them")
        self._link(result, unlink=True)
        secret = self.client.get(RESOURCES["secret"], self.name, self.namespace, missing_ok=True)
        if secret is not None:
            if secret.get("type") != SECRET_TYPE:
                raise PullSecretError("Secret %s/%s has type %s, not %s; not deleting it"
                                      % (self.namespace, self.name, secret.get("type"), SECRET_TYPE))
            self.delete(RESOURCES["secret"], self.name, self.namespace)
            raw = base64.b64decode((secret.get("data") or {}).get(KEY, ""))
            try:
                before = dockerconfig.masked(dockerconfig.load(raw))
            except dockerconfig.DockerConfigError:
                before = {"state": "present (unreadable content)"}
            result.update(changed=True, deleted=True, diff=dict(before=before, after=None))
        result["conflicts_retried"] = self.conflicts
        result["notes"] = list(self.notes)
        return result
