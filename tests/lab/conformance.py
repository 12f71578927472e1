"""Conformance of the lab's API emulator to the real control plane.

The same requests are replayed against a lab on the real kube-apiserver and a lab on the emulator (each reset to its
first state before every case); for each request the status code, reason and message are compared, and after the
case the object it wrote as the server stored it (metadata aside). A divergence is either fixed in the emulator or
listed in KNOWN with its reason (tests/lab/README.md repeats the list). Exit status 1 on any other divergence.

    python -m tests.lab.conformance REAL_LAB_DIR EMULATED_LAB_DIR
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import re
import sys

import requests

from . import labenv

SECRETS = "/api/v1/namespaces/lab-apps/secrets"
CMS = "/api/v1/namespaces/lab-apps/configmaps"
SAS = "/api/v1/namespaces/lab-apps/serviceaccounts"
CRONJOBS = "/apis/batch/v1/namespaces/lab-apps/cronjobs"
REGISTRY = "/apis/imageregistry.operator.openshift.io/v1/configs/cluster"
PRUNER = "/apis/imageregistry.operator.openshift.io/v1/imagepruners/cluster"
IMAGES = "/apis/config.openshift.io/v1/images/cluster"
IDMS = "/apis/config.openshift.io/v1/imagedigestmirrorsets"
ITMS = "/apis/config.openshift.io/v1/imagetagmirrorsets"
ICSP = "/apis/operator.openshift.io/v1alpha1/imagecontentsourcepolicies"
SAMPLES = "/apis/samples.operator.openshift.io/v1/configs/cluster"
ROLEBINDINGS = "/apis/rbac.authorization.k8s.io/v1/namespaces/lab-apps/rolebindings"
MERGE = "application/merge-patch+json"
JSONP = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"


def secret(name, data=None, kind="Opaque", **extra):
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": kind, "data": data or {}}
    body.update(extra)
    return body


def dockercfg(name, payload: bytes):
    return secret(name, {".dockerconfigjson": base64.b64encode(payload).decode()}, "kubernetes.io/dockerconfigjson")


def mirror_set(kind, name, key, source, mirrors, policy=None):
    entry = {"source": source, "mirrors": mirrors}
    if policy:
        entry["mirrorSourcePolicy"] = policy
    return {"apiVersion": "config.openshift.io/v1", "kind": kind, "metadata": {"name": name}, "spec": {key: [entry]}}


def icsp(name, source, mirrors):
    return {"apiVersion": "operator.openshift.io/v1alpha1", "kind": "ImageContentSourcePolicy",
            "metadata": {"name": name}, "spec": {"repositoryDigestMirrors": [{"source": source, "mirrors": mirrors}]}}


def cronjob(name, schedule):
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "Never", "containers": [{"name": "c", "image": "registry.example.com/c:1"}]}}}}}}


def binding(name, user):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name.split("/")[0]},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}


def step(method, path, body=None, content_type="application/json", user="admin", **query):
    return {"method": method, "path": path, "body": body, "content_type": content_type, "user": user, "query": query}


# (name, steps, path of the object to compare after the steps or None); a step's body may be a function of the
# answers so far (for resourceVersions)
def _rv(answers, index=-1):
    return answers[index]["metadata"]["resourceVersion"]


def _with_rv(body, index=-1):
    def make(answers):
        out = copy.deepcopy(body)
        out["metadata"]["resourceVersion"] = _rv(answers, index)
        return out
    return make


def _current(mutate):
    """A body made from the last answer (a GET of the object): mutate(obj) changes it."""
    def make(answers):
        out = copy.deepcopy(answers[-1])
        mutate(out)
        return out
    return make


CASES = [
    # core types the collection writes: Secrets, ConfigMaps, ServiceAccounts
    ("secret create", [step("POST", SECRETS, secret("c1", {"a": "MQ=="}))], SECRETS + "/c1"),
    ("secret create dry run", [step("POST", SECRETS, secret("c2"), dryRun="All")], SECRETS + "/c2"),
    ("secret create twice", [step("POST", SECRETS, secret("c3")), step("POST", SECRETS, secret("c3"))], None),
    ("secret get missing", [step("GET", SECRETS + "/nope")], None),
    ("secret in a missing namespace", [step("POST", "/api/v1/namespaces/nope/secrets", secret("c4"))], None),
    ("secret bad base64", [step("POST", SECRETS, secret("c5", {"a": "!!!"}))], None),
    ("secret stringData folded", [step("POST", SECRETS, secret("c6", stringData={"u": "me"}))], SECRETS + "/c6"),
    ("dockerconfigjson valid", [step("POST", SECRETS, dockercfg("d1", b'{"auths":{}}'))], SECRETS + "/d1"),
    ("dockerconfigjson not json", [step("POST", SECRETS, dockercfg("d2", b"nope"))], None),
    ("dockerconfigjson missing key", [step("POST", SECRETS, secret("d3", {}, "kubernetes.io/dockerconfigjson"))], None),
    ("secret type is immutable", [step("POST", SECRETS, secret("t1")),
                                  step("PUT", SECRETS + "/t1", lambda a: dict(a[-1], type="kubernetes.io/basic-auth",
                                                                              data={"username": "dQ=="}))], None),
    ("secret update without resourceVersion", [step("POST", SECRETS, secret("u1")),
                                               step("PUT", SECRETS + "/u1", secret("u1", {"b": "Mg=="}))],
     SECRETS + "/u1"),
    ("secret update with resourceVersion", [step("POST", SECRETS, secret("u2")),
                                            step("PUT", SECRETS + "/u2", _with_rv(secret("u2", {"b": "Mg=="})))],
     SECRETS + "/u2"),
    ("secret update stale resourceVersion", [step("POST", SECRETS, secret("u3")),
                                             step("PUT", SECRETS + "/u3", lambda a: dict(
                                                 secret("u3"), metadata={"name": "u3", "resourceVersion": "1"}))],
     SECRETS + "/u3"),
    ("secret update dry run", [step("POST", SECRETS, secret("u4")),
                               step("PUT", SECRETS + "/u4", _with_rv(secret("u4", {"b": "Mg=="})), dryRun="All")],
     SECRETS + "/u4"),
    ("secret update name mismatch", [step("POST", SECRETS, secret("u5")),
                                     step("PUT", SECRETS + "/u5", secret("other"))], None),
    ("secret merge patch", [step("POST", SECRETS, secret("p1", {"a": "MQ==", "b": "Mg=="})),
                            step("PATCH", SECRETS + "/p1", {"data": {"a": None, "c": "Mw=="}}, MERGE)],
     SECRETS + "/p1"),
    ("secret json patch", [step("POST", SECRETS, secret("p2")),
                           step("PATCH", SECRETS + "/p2", [{"op": "add", "path": "/metadata/labels",
                                                            "value": {"x": "y"}}], JSONP)], SECRETS + "/p2"),
    ("secret json patch test fails", [step("POST", SECRETS, secret("p3")),
                                      step("PATCH", SECRETS + "/p3", [{"op": "test", "path": "/type",
                                                                       "value": "Other"}], JSONP)], None),
    ("secret merge patch stale resourceVersion", [step("POST", SECRETS, secret("p4")),
                                                  step("PATCH", SECRETS + "/p4", {"metadata": {"resourceVersion": "1"},
                                                                                  "data": {"d": "NA=="}}, MERGE)],
     None),
    ("secret strict unknown field create", [step("POST", SECRETS, dict(secret("s1"), bogus=1),
                                                 fieldValidation="Strict")], None),
    ("secret delete", [step("POST", SECRETS, secret("x1")), step("DELETE", SECRETS + "/x1")], SECRETS + "/x1"),
    ("secret delete dry run", [step("POST", SECRETS, secret("x2")), step("DELETE", SECRETS + "/x2", dryRun="All")],
     SECRETS + "/x2"),
    ("secret delete missing", [step("DELETE", SECRETS + "/nope")], None),
    ("secret list by label", [step("POST", SECRETS, dict(secret("l1"), metadata={"name": "l1", "labels": {"k": "v"}})),
                              step("GET", SECRETS, labelSelector="k=v")], None),
    ("viewer may not write", [step("POST", SECRETS, secret("f1"), user="viewer")], None),
    ("viewer may not write cluster scope", [step("PATCH", IMAGES, {"spec": {}}, MERGE, user="viewer")], None),
    ("editor writes in its namespace", [step("POST", SECRETS, secret("f2"), user="editor")], SECRETS + "/f2"),
    ("editor may not write elsewhere", [step("POST", "/api/v1/namespaces/openshift-config/secrets", secret("f3"),
                                             user="editor")], None),
    ("anonymous", [step("GET", SECRETS, user=None)], None),
    ("configmap create", [step("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m1"},
                                             "data": {"ca.crt": "x"}})], CMS + "/m1"),
    ("configmap bad key", [step("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m2"},
                                              "data": {"bad key": "x"}})], None),
    ("serviceaccount strategic merge", [step("POST", SAS, {"apiVersion": "v1", "kind": "ServiceAccount",
                                                           "metadata": {"name": "sa1"}, "secrets": [{"name": "a"}],
                                                           "imagePullSecrets": [{"name": "a"}]}),
                                        step("PATCH", SAS + "/sa1", {"secrets": [{"name": "b"}],
                                                                     "imagePullSecrets": [{"name": "b"}]}, SMP)],
     SAS + "/sa1"),
    ("serviceaccount token too short", [step("POST", SAS + "/builder/token",
                                             {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                              "spec": {"expirationSeconds": 60}})], None),
    ("serviceaccount token missing account", [step("POST", SAS + "/nope/token",
                                                   {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                                    "spec": {}})], None),
    ("cronjob bad schedule", [step("POST", CRONJOBS, cronjob("cj1", "every day"))], None),
    ("cronjob good schedule", [step("POST", CRONJOBS, cronjob("cj2", "0 0 * * *"))], None),
    ("namespace bad name", [step("POST", "/api/v1/namespaces",
                                 {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_Name"}})], None),
    # the OpenShift config resources: the registry config, the pruner, images.config, mirror sets, samples
    ("registry merge patch", [step("PATCH", REGISTRY, {"spec": {"replicas": 2}}, MERGE)], None),
    ("registry json patch", [step("PATCH", REGISTRY, [{"op": "replace", "path": "/spec/logLevel",
                                                       "value": "Debug"}], JSONP)], None),
    ("registry strategic merge refused", [step("PATCH", REGISTRY, {"spec": {"replicas": 2}}, SMP)], None),
    ("registry enum", [step("PATCH", REGISTRY, {"spec": {"logLevel": "Loud"}}, MERGE)], None),
    ("registry managementState pattern", [step("PATCH", REGISTRY, {"spec": {"managementState": "On"}}, MERGE)], None),
    ("registry type", [step("PATCH", REGISTRY, {"spec": {"replicas": "two"}}, MERGE)], None),
    ("registry minimum", [step("PATCH", REGISTRY, {"spec": {"storage": {"s3": {"chunkSizeMiB": 4}}}}, MERGE)], None),
    ("registry required", [step("PATCH", REGISTRY, {"spec": {"routes": [{"hostname": "x"}]}}, MERGE)], None),
    ("registry unknown field", [step("PATCH", REGISTRY, {"spec": {"bogus": 1}}, MERGE)], None),
    ("registry unknown field strict patch", [step("PATCH", REGISTRY, {"spec": {"bogus": 1}}, MERGE,
                                                  fieldValidation="Strict")], None),
    ("registry unknown field strict update", [step("GET", REGISTRY),
                                              step("PUT", REGISTRY, _current(lambda o: o["spec"].update(
                                                  bogus=1)), fieldValidation="Strict")], None),
    ("registry update without resourceVersion", [step("GET", REGISTRY),
                                                 step("PUT", REGISTRY, _current(lambda o: o["metadata"].pop(
                                                     "resourceVersion")))], None),
    ("registry update stale resourceVersion", [step("GET", REGISTRY),
                                               step("PUT", REGISTRY, _current(lambda o: o["metadata"].update(
                                                   resourceVersion="1")))], None),
    ("registry dry run", [step("PATCH", REGISTRY, {"spec": {"replicas": 3}}, MERGE, dryRun="All")], None),
    ("registry bad dry run value", [step("PATCH", REGISTRY, {"spec": {"replicas": 3}}, MERGE, dryRun="Yes")], None),
    ("pruner schedule and keep", [step("PATCH", PRUNER, {"spec": {"schedule": "*/5 * * * *",
                                                                  "keepTagRevisions": 5}}, MERGE)], None),
    ("pruner bad type", [step("PATCH", PRUNER, {"spec": {"keepTagRevisions": "five"}}, MERGE)], None),
    ("images both lists (CEL)", [step("PATCH", IMAGES, {"spec": {"registrySources": {
        "allowedRegistries": ["a.io"], "blockedRegistries": ["b.io"]}}}, MERGE)], None),
    ("images insecure with a tag", [step("PATCH", IMAGES, {"spec": {"registrySources": {
        "insecureRegistries": ["a.io/x:tag"]}}}, MERGE)], None),
    ("images allowed for import", [step("PATCH", IMAGES, {"spec": {"allowedRegistriesForImport": [
        {"domainName": "quay.io", "insecure": False}]}}, MERGE)], None),
    ("images trusted CA", [step("PATCH", IMAGES, {"spec": {"additionalTrustedCA": {"name": "lab-ca"}}}, MERGE)],
     None),
    ("idms create", [step("POST", IDMS, mirror_set("ImageDigestMirrorSet", "i1", "imageDigestMirrors",
                                                   "quay.io/ns", ["mirror.example.com/ns"]))], IDMS + "/i1"),
    ("idms bad policy", [step("POST", IDMS, mirror_set("ImageDigestMirrorSet", "i2", "imageDigestMirrors",
                                                       "quay.io/ns", ["mirror.example.com/ns"], "Sometimes"))], None),
    ("idms source with a tag", [step("POST", IDMS, mirror_set("ImageDigestMirrorSet", "i3", "imageDigestMirrors",
                                                              "quay.io/ns:tag", ["mirror.example.com/ns"]))], None),
    ("idms missing source", [step("POST", IDMS, {"apiVersion": "config.openshift.io/v1",
                                                 "kind": "ImageDigestMirrorSet", "metadata": {"name": "i4"},
                                                 "spec": {"imageDigestMirrors": [{"mirrors": ["m.example.com/x"]}]}})],
     None),
    ("itms create", [step("POST", ITMS, mirror_set("ImageTagMirrorSet", "t1", "imageTagMirrors", "quay.io/ns",
                                                   ["mirror.example.com/ns"], "NeverContactSource"))], ITMS + "/t1"),
    ("itms delete", [step("POST", ITMS, mirror_set("ImageTagMirrorSet", "t2", "imageTagMirrors", "quay.io/ns",
                                                   ["mirror.example.com/ns"])), step("DELETE", ITMS + "/t2")], None),
    ("icsp create", [step("POST", ICSP, icsp("c1", "quay.io/ns", ["mirror.example.com/ns"]))], ICSP + "/c1"),
    ("samples patch", [step("PATCH", SAMPLES, {"spec": {"samplesRegistry": "registry.example.com"}}, MERGE)], None),
    # RBAC: names are path segments (oc names bindings after their role), and an update may leave out resourceVersion
    ("rolebinding named after its role", [step("POST", ROLEBINDINGS, binding("system:image-puller", "alice"))],
     ROLEBINDINGS + "/system:image-puller"),
    ("rolebinding name with a slash", [step("POST", ROLEBINDINGS, binding("a/b", "alice"))], None),
    ("rolebinding update without resourceVersion", [step("POST", ROLEBINDINGS, binding("system:image-pusher", "alice")),
                                                    step("PUT", ROLEBINDINGS + "/system:image-pusher",
                                                         binding("system:image-pusher", "bob"))],
     ROLEBINDINGS + "/system:image-pusher"),
]

# divergences the emulator keeps, with the reason; the README lists them too
KNOWN = {
    "images insecure with a tag": "the emulator follows reference/ (openshift/api of 2026-08, after 4.23 branched), "
                                  "whose CRD checks each registry scope with a CEL rule; the 4.21 CRD the real "
                                  "control plane serves has no such rule and accepts the entry",
    "dockerconfigjson not json": "the emulator words a malformed .dockerconfigjson with Go's JSON decoder message "
                                 "for the common cases only (here Go reads 'n' as the start of null)",
}


def normalize(text):
    """A message without what differs between two servers by nature: resourceVersions, uids, times, the patched
    object that a strict patch's 422 quotes."""
    if not isinstance(text, str):
        return text
    text = re.sub(r'Invalid value: "\{.*\}": strict decoding error', 'Invalid value: "<object>": strict decoding error',
                  text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uid>", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<time>", text)


def stored_view(obj):
    """The stored object, metadata aside (but its labels and annotations)."""
    if not isinstance(obj, dict) or obj.get("kind") == "Status":
        return obj.get("code") if isinstance(obj, dict) else obj
    out = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
    meta = obj.get("metadata") or {}
    out["metadata"] = {k: meta[k] for k in ("name", "namespace", "labels") if meta.get(k)}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if not k.startswith("kubectl.kubernetes.io/")}
    if annotations:
        out["metadata"]["annotations"] = annotations
    return out


class Lab:
    def __init__(self, lab_dir):
        self.env = labenv.read(os.path.join(lab_dir, "lab.env"))
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = self.env["LAB_CA_FILE"]
        self.tokens = {"admin": self.env["LAB_ADMIN_TOKEN"], "viewer": self.env["LAB_VIEWER_TOKEN"],
                       "editor": self.env["LAB_EDITOR_TOKEN"]}

    def call(self, method, path, body=None, content_type="application/json", user="admin", query=None):
        headers = {"Authorization": "Bearer " + self.tokens[user]} if user else {}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = content_type
        return self.session.request(method, self.env["LAB_API_URL"] + path, data=data, headers=headers,
                                    params=query or {}, timeout=30)

    def reset(self):
        self.call("POST", "/lab/reset").raise_for_status()

    def run(self, steps, compare_path):
        self.reset()
        answers, seen = [], []
        for item in steps:
            body = item["body"](answers) if callable(item["body"]) else item["body"]
            resp = self.call(item["method"], item["path"], body, item["content_type"], item["user"], item["query"])
            try:
                payload = resp.json()
            except ValueError:
                payload = {"text": resp.text}
            answers.append(payload)
            seen.append({"code": resp.status_code, "reason": payload.get("reason") if resp.status_code >= 400 else None,
                         "message": normalize(payload.get("message")) if resp.status_code >= 400 else None})
        if compare_path:
            resp = self.call("GET", compare_path)
            seen.append({"stored": stored_view(resp.json()) if resp.status_code == 200 else resp.status_code})
        return seen


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("real")
    parser.add_argument("emulated")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    real, emulated = Lab(args.real), Lab(args.emulated)
    agree, unexpected, known = 0, [], []
    for name, steps, path in CASES:
        got_real, got_emulated = real.run(steps, path), emulated.run(steps, path)
        if got_real == got_emulated:
            agree += 1
            if name in KNOWN:
                unexpected.append((name, "listed as a known divergence, but both agree now: take it off the list"))
            continue
        diff = [(i, r, e) for i, (r, e) in enumerate(zip(got_real, got_emulated)) if r != e]
        if name in KNOWN:
            known.append(name)
        else:
            unexpected.append((name, diff))
        if args.verbose or name not in KNOWN:
            print("DIVERGES %s%s" % (name, " (known)" if name in KNOWN else ""))
            for index, want, have in diff:
                print("  step %d\n    real:     %s\n    emulated: %s" % (index, json.dumps(want), json.dumps(have)))
    real.reset()
    emulated.reset()
    print("conformance: %d of %d cases agree between the real control plane and the emulator; %d known "
          "divergence(s) (tests/lab/README.md), %d unexpected" % (agree, len(CASES), len(known), len(unexpected)))
    for name, why in unexpected:
        if isinstance(why, str):
            print("  %s: %s" % (name, why))
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
