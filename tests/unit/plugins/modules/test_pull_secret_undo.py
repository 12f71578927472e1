# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One task, several Secrets: when a write fails after others landed, what was written is written back, and the
message says what the cluster holds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import copy
import json

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.api.client import ClusterError
from ansible_collections.ocp.registry.plugins.module_utils.credentials.pull_secret import PullSecretError
from ansible_collections.ocp.registry.plugins.modules import pull_secret

OLD = {"auths": {"quay.example.com": {"auth": base64.b64encode(b"robot:old-planted-secret").decode()}}}


def secret(namespace, name, doc):
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"},
            "data": {".dockerconfigjson": base64.b64encode(json.dumps(doc).encode()).decode()}}


class FakeClient(object):
    """Secrets and namespaces in a dict; PUTs of the Secrets named in refuse answer 500 (and change nothing)."""

    def __init__(self, objects, refuse=(), refuse_restore=()):
        self.objects = objects
        self.refuse = set(refuse)
        self.refuse_restore = set(refuse_restore)
        self.puts = []

    def get(self, resource, name, namespace=None, missing_ok=False, subresource=None):
        found = self.objects.get((resource.plural, namespace, name))
        if found is None:
            if missing_ok:
                return None
            raise ClusterError("not found", status=404, reason="NotFound")
        return copy.deepcopy(found)

    def replace(self, resource, body, namespace=None, dry_run=False, subresource=None):
        key = (resource.plural, namespace, body["metadata"]["name"])
        restoring = any(k == key for k, _body in self.puts)
        if key[1:] in self.refuse and not restoring or key[1:] in self.refuse_restore and restoring:
            self.puts.append((key, None))
            raise ClusterError("the API server failed (500 InternalError) on PUT", status=500, reason="InternalError")
        self.puts.append((key, body))
        self.objects[key] = copy.deepcopy(body)
        return body

    def create(self, resource, body, namespace=None, dry_run=False):
        return self.replace(resource, body, namespace)

    def delete(self, resource, name, namespace=None, dry_run=False, missing_ok=True):
        self.objects.pop((resource.plural, namespace, name), None)

    def list(self, resource, namespace=None, label_selector=None):
        return {"items": []}


def params(**extra):
    out = {"secrets": [{"namespace": "openshift-config", "name": "pull-secret", "service_accounts": [],
                        "link_for": ["pull"]},
                       {"namespace": "apps", "name": "registries", "service_accounts": [], "link_for": ["pull"]}],
           "registries": [{"registry": "quay.example.com", "username": "robot", "password": "new-planted-secret",
                           "token": None, "email": None, "state": "present"}],
           "exclusive": False, "state": "present", "namespace": None, "name": None, "service_accounts": None,
           "link_for": None, "validate_credentials": False, "registry_ca_cert": None, "registry_validate_certs": True}
    out.update(extra)
    return out


def cluster():
    return {("secrets", "openshift-config", "pull-secret"): secret("openshift-config", "pull-secret", OLD),
            ("secrets", "apps", "registries"): secret("apps", "registries", OLD),
            ("namespaces", None, "apps"): {"metadata": {"name": "apps"}}}


def holds(client, namespace, name):
    data = client.objects[("secrets", namespace, name)]["data"][".dockerconfigjson"]
    return base64.b64decode(json.loads(base64.b64decode(data))["auths"]["quay.example.com"]["auth"]).decode()


def test_a_refused_write_undoes_the_secrets_written_before_it():
    client = FakeClient(cluster(), refuse={("apps", "registries")})
    with pytest.raises(PullSecretError) as err:
        pull_secret.run_all(client, params(), check_mode=False)
    assert holds(client, "openshift-config", "pull-secret") == "robot:old-planted-secret"
    assert holds(client, "apps", "registries") == "robot:old-planted-secret"
    assert "written back to what they held before" in str(err.value)
    assert "openshift-config/pull-secret" in str(err.value) and "planted-secret" not in str(err.value)


def test_a_secret_that_cannot_be_written_back_is_named():
    client = FakeClient(cluster(), refuse={("apps", "registries")},
                        refuse_restore={("openshift-config", "pull-secret")})
    with pytest.raises(PullSecretError) as err:
        pull_secret.run_all(client, params(), check_mode=False)
    assert holds(client, "openshift-config", "pull-secret") == "robot:new-planted-secret"
    assert "could not be written back: openshift-config/pull-secret" in str(err.value)


def test_a_run_that_succeeds_writes_each_secret_once():
    client = FakeClient(cluster())
    result = pull_secret.run_all(client, params(), check_mode=False)
    assert result["changed"] and len(client.puts) == 2
    assert holds(client, "apps", "registries") == "robot:new-planted-secret"
