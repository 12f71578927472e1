# -*- coding: utf-8 -*-
# Copyright: contributors to the ocp.registry collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.ocp.registry.plugins.module_utils.integrated import state as regstate


def cond(ctype, status, reason="", message=""):
    return {"type": ctype, "status": status, "reason": reason, "message": message}


READY = [cond("Available", "True", "Ready", "The registry is ready"),
         cond("Progressing", "False", "Ready", "The registry is ready"),
         cond("Degraded", "False"), cond("StorageExists", "True", "PVC Created")]


def config(state="Managed", generation=2, observed=2, ready=1, replicas=1, conditions=None, storage=None):
    return {"metadata": {"generation": generation},
            "spec": {"managementState": state, "replicas": replicas, "httpSecret": "planted-http-secret",
                     "storage": storage if storage is not None else {"pvc": {"claim": "image-registry-storage"},
                                                                     "managementState": "Managed"}},
            "status": {"observedGeneration": observed, "readyReplicas": ready,
                       "conditions": READY if conditions is None else conditions}}


def route(name, host, admitted=True):
    return {"metadata": {"name": name, "annotations": {"imageregistry.openshift.io": "true"}}, "spec": {"host": host},
            "status": {"ingress": [{"host": host, "conditions": [
                {"type": "Admitted", "status": "True" if admitted else "False"}]}]}}


@pytest.mark.parametrize("cfg, routes, image_config, done, words", [
    (config(), [], None, True, "Ready"),
    (config(observed=1), [], None, False, "not observed generation 2"),
    (config(ready=0), [], None, False, "0 of 1 replicas"),
    (config(conditions=[cond("Available", "False", "NoReplicasAvailable",
                             "The deployment does not have available replicas")] + READY[1:]),
     [], None, False, "NoReplicasAvailable"),
    (config(conditions=READY[:1] + [cond("Progressing", "True", "DeploymentNotCompleted",
                                         "The deployment has not completed")] + READY[2:]), [], None, False,
     "DeploymentNotCompleted"),
    (config(conditions=READY[:3] + [cond("StorageExists", "False", "PVC Issues Found", "cannot use ReadWriteOnce")]),
     [], None, False, "PVC Issues Found"),
    (config(), [route("default-route", "r.apps")], {"status": {"externalRegistryHostnames": ["r.apps"]}}, True, "Ready"),
    (config(), [route("default-route", "r.apps", admitted=False)], None, False, "not admitted"),
    (config(), [route("default-route", "r.apps")], {"status": {}}, False, "not yet in images.config"),
    (config("Removed", conditions=[cond("Removed", "True", "Removed")]), [], None, True, "removed"),
    (config("Removed", conditions=[cond("Removed", "False"), cond("Progressing", "True", "DeletingDeployment")]),
     [], None, False, "DeletingDeployment"),
    (config("Unmanaged", conditions=[]), [], None, True, "unmanaged"),
])
def test_rollout_state(cfg, routes, image_config, done, words):
    rolled_out, reason = regstate.rollout_state(cfg, routes, image_config)
    assert rolled_out is done
    assert words in reason


@pytest.mark.parametrize("storage, kind", [
    ({}, "none"), ({"emptyDir": {}}, "emptyDir"), ({"s3": {"bucket": "b"}, "managementState": "Managed"}, "s3"),
    ({"pvc": {}, "emptyDir": {}}, "multiple"), ({"oss": {}}, "oss"),
])
def test_storage_kind(storage, kind):
    assert regstate.storage_kind({k: v for k, v in storage.items() if k != "managementState"}) == kind


def test_summary_never_returns_the_http_secret():
    summary = regstate.summary(config())
    assert "planted-http-secret" not in repr(summary)
    assert summary["storage"]["kind"] == "pvc" and summary["storage"]["config"] == {"claim": "image-registry-storage"}


def test_hostnames_from_status_and_admitted_routes():
    routes = [route("default-route", "a.apps"), route("extra", "b.example"), route("pending", "c.example", False)]
    names = regstate.hostnames({"status": {"internalRegistryHostname": regstate.INTERNAL_HOSTNAME,
                                           "externalRegistryHostnames": ["a.apps"]}}, routes)
    assert names == {"internal": regstate.INTERNAL_HOSTNAME, "public": ["a.apps", "b.example"]}
    assert regstate.hostnames(None, []) == {"internal": None, "public": []}
