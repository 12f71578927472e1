"""Side by side with the field's collections, in one run, against the lab.

The same estate is written twice: with this collection (playbooks/site.yml and playbooks/drift.yml over an
inventory) and the way the field writes it (kubernetes.core k8s / k8s_info with the usual read-combine-write
for the global pull secret, community.okd openshift_import_image per tag, containers.podman podman_login on
the hosts). Both run under one ansible-core (the `ansible` package's venv, .venv-bench), against the same lab,
alternating. Each table row is the median of the runs; requests come from the lab's request log.

Usage: .venv/bin/python tests/bench/field.py [--runs N] [--latency 0,30] [--tags 50] [--streams 100] [--tasks 20]
                                              [--json FILE]
(needs the lab and .venv-bench: make bench does both)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.lab import labenv  # noqa: E402  pylint: disable=wrong-import-position

BENCH_VENV = os.environ.get("BENCH_VENV", os.path.join(ROOT, ".venv-bench"))
NAMESPACES = ("bench-a", "bench-b", "bench-c")
HOSTS = ("bench-host-1", "bench-host-2", "bench-host-3")
# registry_info asked for one object (images.config, for the policy), as k8s_info is below: one GET each
ONE_GET = {"registry": False, "pruner": False, "policy": True, "pull_secret": False}
DISCOVERY = re.compile(r"^/(api|apis(/[^/]+(/[^/]+)?)?|openapi/.*|version)$")


class Lab:
    def __init__(self):
        self.env = labenv.read()
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = self.env["LAB_CA_FILE"]
        self.session.headers["Authorization"] = "Bearer " + self.env["LAB_ADMIN_TOKEN"]
        self.control = self.env["LAB_CONTROL_URL"]

    def call(self, method, path, body=None):
        url = (self.control + path[4:]) if path.startswith("/lab") else self.env["LAB_API_URL"] + path
        resp = self.session.request(method, url, json=body)
        if resp.status_code >= 400 and not (method == "POST" and resp.status_code == 409):
            raise SystemExit("%s %s: %s" % (method, path, resp.text[:300]))
        return resp.json()

    def reset(self, latency_ms):
        self.call("POST", "/lab/reset")
        self.call("POST", "/lab/settings", {"latency_ms": 0})
        for ns in NAMESPACES:
            self.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
            self.call("POST", "/api/v1/namespaces/%s/serviceaccounts" % ns, {"metadata": {"name": "deployer"}})
        self.call("POST", "/lab/settings", {"latency_ms": latency_ms})

    def log(self):
        return self.call("GET", "/lab/requests")["items"]

    def clear(self):
        self.call("DELETE", "/lab/requests")


def counts(log):
    """Requests by kind: reads, writes (anything stored), dry runs, ImageStreamImports that decide without
    importing, discovery."""
    out = dict(total=len(log), GET=0, writes=0, dry_run=0, decide=0, discovery=0)
    for entry in log:
        if DISCOVERY.match(entry["path"]):
            out["discovery"] += 1
        if entry["method"] == "GET":
            out["GET"] += 1
        elif entry.get("dry_run"):
            out["dry_run"] += 1
        elif entry.get("import") is False:
            out["decide"] += 1
        else:
            out["writes"] += 1
    return out


def auth(user, password):
    return base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class Estate:
    """The estate, as data both playbooks are written from."""

    def __init__(self, env, workdir, tags):
        self.env = env
        self.workdir = workdir
        regs = [("LAB_REGISTRY_BASIC", "basic"), ("LAB_REGISTRY_TOKEN", "token"), ("LAB_REGISTRY_MIRROR", "mirror"),
                ("LAB_REGISTRY_PRIVATE", "private")]
        self.credentials = [{"registry": env[name], "username": env[name + "_USER"], "password": env[name + "_PASSWORD"],
                             "ca": env.get(name + "_CA_FILE") or env["LAB_CA_FILE"]} for name, _label in regs]
        # a fifth entry scoped to a namespace of the basic registry, with the push robot
        self.credentials.append({"registry": env["LAB_REGISTRY_BASIC"] + "/lab", "username": env["LAB_REGISTRY_BASIC_PUSH_USER"],
                                 "password": env["LAB_REGISTRY_BASIC_PUSH_PASSWORD"], "ca": env["LAB_CA_FILE"]})
        tag_names = ["1.%d" % i for i in range(25)] + ["2.%d.0" % i for i in range(20)] + ["build-%02d" % i for i in range(15)]
        self.images = [{"stream": "app-%02d" % (i // 10), "tag": tag_names[i], "from": "%s/lab/many:%s" % (env["LAB_REGISTRY_BASIC"], tag_names[i])}
                       for i in range(tags)]
        self.config_spec = {"managementState": "Managed", "replicas": 1, "defaultRoute": True, "storage": {"pvc": {}}}
        self.certs = {}
        for cred in self.credentials:
            host = cred["registry"].split("/")[0]
            path = os.path.join(workdir, "certs", host)
            os.makedirs(path, exist_ok=True)
            shutil.copy(cred["ca"], os.path.join(path, "ca.crt"))
            self.certs[cred["registry"]] = path

    def connection(self):
        return {"host": self.env["LAB_API_URL"], "api_key": self.env["LAB_ADMIN_TOKEN"], "ca_cert": self.env["LAB_CA_FILE"]}

    def auth_file(self, host):
        return os.path.join(self.workdir, "hosts", host, "auth.json")

    def ours_inventory(self):
        cluster_vars = {
            "registry_cluster_auth": self.connection(),
            "integrated_registry_management_state": "Managed", "integrated_registry_storage": {"pvc": {}},
            "integrated_registry_replicas": 1, "integrated_registry_default_route": True,
            "registry_credentials_namespaces": [{"namespace": ns, "name": "bench-pull", "service_accounts": ["deployer"]}
                                                for ns in NAMESPACES],
            "image_streams_imports": [{"namespace": "lab-apps", "images": self.images}],
        }
        return {"all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                     "registry_credentials_list": [dict((k, v) for k, v in c.items() if k != "ca") for c in self.credentials]},
            "children": {
                "cluster": {"hosts": {"bench-cluster": None}, "vars": cluster_vars},
                "registry_hosts": {"hosts": dict((h, {"registry_credentials_host_files": [{"path": self.auth_file(h)}]})
                                                 for h in HOSTS)}}}}

    def field_inventory(self):
        return {"all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
            "children": {"cluster": {"hosts": {"bench-cluster": None}},
                         "registry_hosts": {"hosts": dict((h, None) for h in HOSTS)}}}}

    def field_playbook(self):
        k8s_auth = self.connection()
        auths = dict((c["registry"], {"auth": auth(c["username"], c["password"])}) for c in self.credentials)
        secret_doc = {"auths": auths}
        cluster = [
            {"name": "The integrated registry's config",
             "kubernetes.core.k8s": {"definition": {"apiVersion": "imageregistry.operator.openshift.io/v1", "kind": "Config",
                                                    "metadata": {"name": "cluster"}, "spec": self.config_spec}}},
            {"name": "Read the global pull secret",
             "kubernetes.core.k8s_info": {"api_version": "v1", "kind": "Secret", "namespace": "openshift-config",
                                          "name": "pull-secret"},
             "register": "pull_secret", "no_log": True},
            {"name": "Merge the entries",
             "ansible.builtin.set_fact": {"merged": "{{ (pull_secret.resources[0].data['.dockerconfigjson'] | b64decode | from_json)"
                                                    " | combine(wanted, recursive=True) }}"},
             "vars": {"wanted": secret_doc}, "no_log": True},
            {"name": "Write the global pull secret",
             "kubernetes.core.k8s": {"definition": {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                                                    "metadata": {"name": "pull-secret", "namespace": "openshift-config"},
                                                    "data": {".dockerconfigjson": "{{ merged | to_json | b64encode }}"}}},
             "no_log": True},
            {"name": "Namespace pull secrets",
             "kubernetes.core.k8s": {"definition": {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
                                                    "metadata": {"name": "bench-pull", "namespace": "{{ item }}"},
                                                    "data": {".dockerconfigjson": base64.b64encode(json.dumps(secret_doc).encode()).decode()}}},
             "loop": list(NAMESPACES), "no_log": True},
            {"name": "Link them to the service accounts",
             "kubernetes.core.k8s": {"definition": {"apiVersion": "v1", "kind": "ServiceAccount",
                                                    "metadata": {"name": "deployer", "namespace": "{{ item }}"},
                                                    "imagePullSecrets": [{"name": "bench-pull"}]}},
             "loop": list(NAMESPACES)},
            {"name": "Import the tags",
             "community.okd.openshift_import_image": {"namespace": "lab-apps", "name": "{{ item.stream }}:{{ item.tag }}",
                                                      "source": "{{ item.from }}"},
             "loop": self.images, "loop_control": {"label": "{{ item.stream }}:{{ item.tag }}"}},
        ]
        hosts = [
            {"name": "Log the hosts in",
             "containers.podman.podman_login": {"registry": "{{ item.registry }}", "username": "{{ item.username }}",
                                                "password": "{{ item.password }}", "authfile": "{{ auth_dir }}/{{ inventory_hostname }}/auth.json",
                                                "certdir": "{{ item.certdir }}"},
             "loop": [{"registry": c["registry"], "username": c["username"], "password": c["password"],
                       "certdir": self.certs[c["registry"]]} for c in self.credentials],
             "loop_control": {"label": "{{ item.registry }}"}, "no_log": True},
        ]
        group_defaults = {"group/kubernetes.core.k8s": k8s_auth, "group/community.okd.okd": k8s_auth}
        return [{"name": "The cluster, the field's way", "hosts": "cluster", "gather_facts": False,
                 "module_defaults": group_defaults, "tasks": cluster},
                {"name": "The hosts, the field's way", "hosts": "registry_hosts", "gather_facts": False,
                 "vars": {"auth_dir": os.path.join(self.workdir, "field-hosts")}, "tasks": hosts}]


def write(workdir, name, data):
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path


def play(args, env, check=False):
    cmd = [os.path.join(BENCH_VENV, "bin", "ansible-playbook")] + args + (["--check"] if check else [])
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (" ".join(cmd), proc.stdout[-3000:], proc.stderr[-2000:]))
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout.split("PLAY RECAP")[-1]))
    return elapsed, changed


def environment(workdir):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "tmp"),
               ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_FORCE_COLOR="0", K8S_AUTH_VERIFY_SSL="true")
    for name in ("K8S_AUTH_KUBECONFIG", "KUBECONFIG", "K8S_AUTH_HOST", "K8S_AUTH_API_KEY"):
        env.pop(name, None)
    return env


def estate_bench(lab, latency, runs, tags, workdir):
    env = environment(workdir)
    estate = Estate(lab.env, workdir, tags)
    ours_inv = write(workdir, "ours-inventory.json", estate.ours_inventory())
    field_inv = write(workdir, "field-inventory.json", estate.field_inventory())
    field_book = write(workdir, "field.yml", estate.field_playbook())
    sides = {
        "ours": {"normal": ["-i", ours_inv, os.path.join(ROOT, "playbooks", "site.yml")],
                 "check": ["-i", ours_inv, os.path.join(ROOT, "playbooks", "site.yml")]},
        "field": {"normal": ["-i", field_inv, field_book], "check": ["-i", field_inv, field_book]},
    }
    lab.reset(latency)
    for side in ("ours", "field"):  # converge both, then every run below has nothing to do
        play(sides[side]["normal"], env)
        play(sides[side]["normal"], env)
    samples = {}
    for _run in range(runs):
        for mode in ("normal", "check"):
            for side in ("ours", "field"):
                lab.clear()
                elapsed, changed = play(sides[side][mode], env, check=(mode == "check"))
                log = lab.log()
                samples.setdefault((side, mode), []).append((elapsed, changed, counts(log)))
    objects = 1 + len(estate.credentials) + 2 * len(NAMESPACES) + len(estate.images) + len(HOSTS)
    rows = []
    for mode in ("normal", "check"):
        ours, field = samples[("ours", mode)], samples[("field", mode)]
        t_ours = statistics.median(s[0] for s in ours)
        t_field = statistics.median(s[0] for s in field)
        rows.append(dict(mode=mode, latency_ms=latency, ours_s=round(t_ours, 2), field_s=round(t_field, 2),
                         ratio=round(t_ours / t_field, 3), ours_requests=ours[-1][2], field_requests=field[-1][2],
                         ours_changed=ours[-1][1], field_changed=field[-1][1], objects=objects,
                         ours_requests_per_object=round(ours[-1][2]["total"] / objects, 3)))
    return rows


def overhead_bench(lab, latency, tasks, workdir):
    """Per-task cost of a cluster module against ping, and against kubernetes.core.k8s_info."""
    env = environment(workdir)
    lab.reset(latency)
    conn = {"host": lab.env["LAB_API_URL"], "api_key": lab.env["LAB_ADMIN_TOKEN"], "ca_cert": lab.env["LAB_CA_FILE"]}
    kubeconfig = {"kubeconfig": lab.env["LAB_KUBECONFIG"]}
    cases = [
        ("ping", "-", {"ansible.builtin.ping": {}}, {}),
        ("ocp.registry.registry_info", "host + token", {"ocp.registry.registry_info": ONE_GET}, conn),
        ("ocp.registry.registry_info", "kubeconfig", {"ocp.registry.registry_info": ONE_GET}, kubeconfig),
        ("kubernetes.core.k8s_info", "host + token", {"kubernetes.core.k8s_info": {
            "api_version": "imageregistry.operator.openshift.io/v1", "kind": "Config", "name": "cluster"}}, conn),
        ("kubernetes.core.k8s_info", "kubeconfig", {"kubernetes.core.k8s_info": {
            "api_version": "imageregistry.operator.openshift.io/v1", "kind": "Config", "name": "cluster"}}, kubeconfig),
    ]
    times = {}
    for _round in range(2):  # alternate, keep the faster of two rounds
        for name, how, task, defaults in cases:
            book = [{"hosts": "localhost", "gather_facts": False,
                     "module_defaults": {"group/ocp.registry.cluster": defaults, "group/kubernetes.core.k8s": defaults},
                     "tasks": [dict(task, name="task %d" % i) for i in range(tasks)]}]
            path = write(workdir, "overhead.json", book)
            elapsed, _changed = play(["-i", "localhost,", "-c", "local", "-e",
                                      "ansible_python_interpreter=" + os.path.join(BENCH_VENV, "bin", "python"), path], env)
            key = (name, how)
            times[key] = min(times.get(key, elapsed), elapsed)
    ping = times[("ping", "-")]
    return [dict(latency_ms=latency, task=name, connection=how, per_task_s=round(times[(name, how)] / tasks, 3),
                 vs_ping=round(times[(name, how)] / ping, 2)) for name, how, _task, _defaults in cases]


def import_bench(lab, latency, streams, workdir):
    """streams imagestreams: one ocp.registry.image_import task against one openshift_import_image task each."""
    env = environment(workdir)
    lab.reset(latency)
    conn = {"host": lab.env["LAB_API_URL"], "api_key": lab.env["LAB_ADMIN_TOKEN"], "ca_cert": lab.env["LAB_CA_FILE"]}
    images = [{"stream": "bulk-%03d" % i, "tag": "1.0", "from": "%s/lab/app:1.0" % lab.env["LAB_REGISTRY_BASIC"]}
              for i in range(streams)]
    books = {
        "ours": [{"hosts": "localhost", "gather_facts": False, "module_defaults": {"group/ocp.registry.cluster": conn},
                  "tasks": [{"name": "import", "ocp.registry.image_import": {"namespace": "bench-a", "images": images}}]}],
        "field": [{"hosts": "localhost", "gather_facts": False, "module_defaults": {"group/community.okd.okd": conn},
                   "tasks": [{"name": "import", "community.okd.openshift_import_image": {
                       "namespace": "bench-b", "name": "{{ item.stream }}:{{ item.tag }}", "source": "{{ item.from }}"},
                       "loop": images, "loop_control": {"label": "{{ item.stream }}"}}]}],
    }
    rows = []
    results = {}
    for phase in ("first import", "nothing moved"):
        for side in ("ours", "field"):
            path = write(workdir, "import-%s.json" % side, books[side])
            lab.clear()
            elapsed, changed = play(["-i", "localhost,", "-c", "local", "-e",
                                     "ansible_python_interpreter=" + os.path.join(BENCH_VENV, "bin", "python"), path], env)
            results[(phase, side)] = (elapsed, changed, counts(lab.log()))
        ours, field = results[(phase, "ours")], results[(phase, "field")]
        rows.append(dict(latency_ms=latency, phase=phase, streams=streams, ours_s=round(ours[0], 2), field_s=round(field[0], 2),
                         speedup=round(field[0] / ours[0], 1), ours_requests=ours[2], field_requests=field[2],
                         ours_changed=ours[1], field_changed=field[1]))
    return rows


def table(title, header, rows):
    print("\n### %s\n" % title)
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


def verbs(c):
    return "%d (GET %d, writes %d, dry-run %d, decide %d, discovery %d)" % (
        c["total"], c["GET"], c["writes"], c["dry_run"], c["decide"], c["discovery"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", default="0,30")
    parser.add_argument("--tags", type=int, default=50)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--only", default="estate,overhead,imports", help="which parts, comma-separated")
    parser.add_argument("--json")
    args = parser.parse_args()
    if not os.path.exists(os.path.join(BENCH_VENV, "bin", "ansible-playbook")):
        raise SystemExit("no %s: make bench installs the field's collections there" % BENCH_VENV)
    lab = Lab()
    version = subprocess.run([os.path.join(BENCH_VENV, "bin", "ansible"), "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    print("ansible: %s; %d runs each, alternating" % (version, args.runs))
    report = {"ansible": version, "estate": [], "overhead": [], "imports": []}
    workdir = tempfile.mkdtemp(prefix="ocp-registry-bench-")
    try:
        parts = args.only.split(",")
        for latency in [int(x) for x in args.latency.split(",")]:
            if "estate" in parts:
                report["estate"] += estate_bench(lab, latency, args.runs, args.tags, workdir)
            if "overhead" in parts:
                report["overhead"] += overhead_bench(lab, latency, args.tasks, workdir)
            if "imports" in parts:
                report["imports"] += import_bench(lab, latency, args.streams, workdir)
    finally:
        lab.call("POST", "/lab/settings", {"latency_ms": 0})
        shutil.rmtree(workdir, ignore_errors=True)
    table("No-op estate: playbooks/site.yml against the field's playbook, both also with --check",
          ["latency ms", "mode", "ours s", "field s", "ratio", "ours requests", "field requests", "per object (ours)",
           "changed ours/field"],
          [(r["latency_ms"], r["mode"], r["ours_s"], r["field_s"], r["ratio"], verbs(r["ours_requests"]),
            verbs(r["field_requests"]), r["ours_requests_per_object"], "%d/%d" % (r["ours_changed"], r["field_changed"]))
           for r in report["estate"]])
    table("Per-task cost (%d tasks in one play, the faster of two rounds)" % args.tasks,
          ["latency ms", "task", "connection", "s per task", "x ping"],
          [(r["latency_ms"], r["task"], r["connection"], r["per_task_s"], r["vs_ping"]) for r in report["overhead"]])
    table("%d imagestreams: one image_import task against one openshift_import_image task each" % args.streams,
          ["latency ms", "run", "ours s", "field s", "field/ours", "ours requests", "field requests", "changed ours/field"],
          [(r["latency_ms"], r["phase"], r["ours_s"], r["field_s"], r["speedup"], verbs(r["ours_requests"]),
            verbs(r["field_requests"]), "%d/%d" % (r["ours_changed"], r["field_changed"])) for r in report["imports"]])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
