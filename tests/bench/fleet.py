"""Fleet benchmark: a no-op drift check of N clusters (forks N) against the same check of one cluster, in one run.

Starts a lab of its own with N clusters (LAB_DIR=.lab-fleet), converges them all with site.yml, then alternates
drift.yml on one cluster (a limit) and on all N, and reports the time ratio, the API requests each cluster
received per run (the same for one or for N, or the fleet costs more per cluster), and the controller's memory
(ansible-playbook's main process and its whole process tree, sampled every 20 ms).

Usage: .venv/bin/python tests/bench/fleet.py [--clusters 20] [--runs 3] [--json FILE]   (make bench-fleet)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

import requests
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.lab import labenv  # noqa: E402  pylint: disable=wrong-import-position

LAB_DIR = os.path.join(ROOT, ".lab-fleet")


def lab(action, clusters=None):
    argv = [sys.executable, "-m", "tests.lab.labctl", action] + (["--clusters", str(clusters)] if clusters else [])
    # the emulator by default: a real control plane is about 550 MiB and 0.1-0.2 of a core idle per cluster
    # (docs/docsite/rst/performance.rst), so 20 of them do not fit beside the runs measured; CONTROL_PLANE=real to try
    env = dict(os.environ, LAB_DIR=LAB_DIR, CONTROL_PLANE=os.environ.get("CONTROL_PLANE") or "emulated")
    subprocess.run(argv, cwd=ROOT, env=env, check=True)


class Clusters:
    def __init__(self):
        with open(os.path.join(LAB_DIR, "fleet.yml"), encoding="utf-8") as handle:
            inventory = yaml.safe_load(handle)
        self.hosts = inventory["all"]["children"]["cluster"]["hosts"]
        self.nodes = inventory["all"]["children"]["registry_hosts"]["hosts"]
        self.session = requests.Session()
        self.session.trust_env = False

    def call(self, name, method, path, body=None):
        auth = self.hosts[name]["registry_cluster_auth"]
        resp = self.session.request(method, auth["host"] + path, json=body, verify=auth["ca_cert"], timeout=30,
                                    headers={"Authorization": "Bearer " + auth["api_key"]})
        resp.raise_for_status()
        return resp.json()

    def requests(self, names):
        out = {}
        for name in names:
            items = self.call(name, "GET", "/lab/requests")["items"]
            out[name] = {"total": len(items), "writes": sum(1 for i in items if i["method"] != "GET" and not i.get("dry_run")
                                                            and not (i.get("import") is False)),
                         "discovery": sum(1 for i in items if not i["path"].startswith(("/api/v1/", "/apis/"))
                                          or i["path"].count("/") <= 3)}
            self.call(name, "DELETE", "/lab/requests")
        return out


def shared_env():
    """The fleet lab's shared registry variables, read once from its lab.env."""
    if not SHARED:
        os.environ["LAB_DIR"] = LAB_DIR
        SHARED.update((k, v) for k, v in labenv.read().items()
                      if k.startswith("LAB_REGISTR") or k == "LAB_SOURCE_UNREACHABLE")
    return SHARED


SHARED: dict = {}


def tree_rss(root_pid):
    """(main process RSS, whole tree RSS) in MiB."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError):
            continue
    total, main, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        try:
            with open("/proc/%d/statm" % pid, encoding="utf-8") as handle:
                rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576.0
        except (OSError, IndexError):
            continue
        total += rss
        if pid == root_pid:
            main = rss
        stack.extend(children.get(pid, []))
    return main, total


def play(playbook, limit=None, forks=5, extra=()):
    argv = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", os.path.join(LAB_DIR, "fleet.yml"),
            "--forks", str(forks), os.path.join(ROOT, "playbooks", playbook)] + list(extra)
    if limit:
        argv += ["--limit", limit]
    counted = os.path.join(LAB_DIR, "task-count.json")
    if os.path.exists(counted):
        os.unlink(counted)
    # the tasks each host ran (tests/bench/callbacks/task_count.py): every result a worker produced
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build"), ANSIBLE_NOCOLOR="1", LAB_DIR=LAB_DIR,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "tests", "bench", "callbacks"),
               ANSIBLE_CALLBACKS_ENABLED="task_count", TASK_COUNT_FILE=counted)
    env.update(shared_env())  # the shared registries the fleet inventory reads from the environment
    peaks = [0.0, 0.0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    proc = subprocess.Popen(argv, cwd=LAB_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # pylint: disable=consider-using-with
    done = threading.Event()

    def sample():
        while not done.is_set():
            main, total = tree_rss(proc.pid)
            peaks[0], peaks[1] = max(peaks[0], main), max(peaks[1], total)
            done.wait(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.communicate()[0].decode("utf-8", "replace")
    elapsed = time.time() - started
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit("%s failed (rc %s):\n%s" % (playbook, proc.returncode, out[-4000:]))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)  # the whole tree, once reaped
    with open(counted, encoding="utf-8") as handle:
        TASKS[playbook, limit] = dict((host, c["total"]) for host, c in json.load(handle).items())
    return elapsed, peaks[0], peaks[1], cpu


TASKS: dict = {}


def tasks_of(playbook, limit, hosts):
    """The tasks a playbook's last run (with this limit) ran per host, for the hosts given: (min, max)."""
    counts = [TASKS[playbook, limit].get(host, 0) for host in hosts]
    return (min(counts), max(counts)) if counts else (0, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clusters", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json")
    parser.add_argument("--keep-lab", action="store_true", help="leave the fleet lab running")
    args = parser.parse_args()
    subprocess.run(["make", "--no-print-directory", "collection"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    lab("start", args.clusters)
    try:
        fleet = Clusters()
        names = sorted(fleet.hosts)
        one = names[0]
        one_limit = ",".join([one, next(n for n, v in fleet.nodes.items() if v["registry_cluster"] == one), "localhost"])
        for name in names:
            fleet.call(name, "POST", "/lab/settings", {"operator_delay": 0.2, "mco_delay": 0.2})
        print("converging %d clusters with site.yml (forks %d)" % (len(names), len(names)), flush=True)
        took, _main, _tree, _cpu = play("site.yml", forks=len(names))
        print("  site.yml: %.1fs" % took, flush=True)
        fleet.requests(names)
        # a no-op site.yml for one cluster and its host: the tasks and CPU of a run with nothing to change
        host_of_one = next(n for n, v in fleet.nodes.items() if v["registry_cluster"] == one)
        took, _main, _tree, site_cpu = play("site.yml", limit=one_limit, forks=len(names))
        site_tasks = dict(cluster=TASKS["site.yml", one_limit].get(one, 0),
                          host=TASKS["site.yml", one_limit].get(host_of_one, 0),
                          localhost=TASKS["site.yml", one_limit].get("localhost", 0))
        print("  no-op site.yml, one cluster and its host: %.1fs, CPU %.1fs, tasks %s" % (took, site_cpu, site_tasks),
              flush=True)
        fleet.requests(names)
        # (kind, limit, clusters checked): with hosts, a cluster and its host against every cluster and host;
        # clusters only, the cluster group alone (in production the hosts' modules run on the hosts themselves)
        kinds = [("one", one_limit, [one]), ("fleet", None, names),
                 ("one-cluster", one + ",localhost", [one]), ("fleet-clusters", "cluster:localhost", names)]
        results = dict((kind, []) for kind, _limit, _names in kinds)
        per_cluster = dict((kind, []) for kind, _limit, _names in kinds)
        for run in range(args.runs):
            for kind, limit, checked in kinds:
                extra = ["-e", "drift_fail_on_drift=true", "-e", "drift_report_path=%s/drift-%s.json" % (LAB_DIR, kind)]
                took, main_rss, tree, cpu = play("drift.yml", limit=limit, forks=len(names), extra=extra)
                counts = fleet.requests(checked)
                results[kind].append({"seconds": took, "main_rss_mib": main_rss, "tree_rss_mib": tree,
                                      "cpu_per_cluster": cpu / len(checked)})
                per_cluster[kind].append(counts)
                results[kind][-1]["tasks_per_cluster"] = tasks_of("drift.yml", limit, checked)
                results[kind][-1]["tasks_per_host"] = tasks_of(
                    "drift.yml", limit, [n for n, v in fleet.nodes.items() if v["registry_cluster"] in checked
                                         and (limit is None or n in limit.split(","))])
                print("  run %d %-14s %6.1fs  CPU %5.1fs per cluster  controller %5.0f MiB (tree %5.0f MiB)  "
                      "requests/cluster %s  tasks/cluster %s  tasks/host %s"
                      % (run + 1, kind, took, results[kind][-1]["cpu_per_cluster"], main_rss, tree,
                         sorted(set(c["total"] for c in counts.values())), results[kind][-1]["tasks_per_cluster"],
                         results[kind][-1]["tasks_per_host"]), flush=True)

        def median(kind, key):
            return statistics.median(r[key] for r in results[kind])

        def requests_of(kind):
            return sorted(set(c["total"] for run in per_cluster[kind] for c in run.values()))

        writes = sum(c["writes"] for kind in per_cluster.values() for run in kind for c in run.values())
        summary = {"clusters": len(names), "forks": len(names), "runs": args.runs, "cpus": os.cpu_count(), "writes": writes,
                   "control_plane": os.environ.get("CONTROL_PLANE") or "emulated",
                   "site_noop_one_cluster": dict(site_tasks, cpu_seconds=round(site_cpu, 2))}
        for label, one_kind, fleet_kind in (("", "one", "fleet"), ("clusters_only_", "one-cluster", "fleet-clusters")):
            one_time, fleet_time = median(one_kind, "seconds"), median(fleet_kind, "seconds")
            summary.update({
                label + "one_cluster_seconds": round(one_time, 2), label + "fleet_seconds": round(fleet_time, 2),
                label + "ratio": round(fleet_time / one_time, 2),
                label + "cpu_seconds_per_cluster_one": round(median(one_kind, "cpu_per_cluster"), 2),
                label + "cpu_seconds_per_cluster_fleet": round(median(fleet_kind, "cpu_per_cluster"), 2),
                label + "requests_per_cluster_one": requests_of(one_kind),
                label + "requests_per_cluster_fleet": requests_of(fleet_kind),
                label + "controller_main_rss_mib_one": round(max(r["main_rss_mib"] for r in results[one_kind])),
                label + "controller_main_rss_mib_fleet": round(max(r["main_rss_mib"] for r in results[fleet_kind])),
                label + "controller_tree_rss_mib_one": round(max(r["tree_rss_mib"] for r in results[one_kind])),
                label + "controller_tree_rss_mib_fleet": round(max(r["tree_rss_mib"] for r in results[fleet_kind])),
                label + "tasks_per_cluster": results[one_kind][-1]["tasks_per_cluster"][1],
                label + "tasks_per_host": results[one_kind][-1]["tasks_per_host"][1],
            })
        print()
        print("| | 1 cluster | %d clusters (forks %d) |" % (len(names), len(names)))
        print("|---|---|---|")
        for label, title in (("", "clusters and their hosts"), ("clusters_only_", "clusters only")):
            print("| no-op drift check, %s (median of %d) | %.1f s | %.1f s (**%.2fx**) |"
                  % (title, args.runs, summary[label + "one_cluster_seconds"], summary[label + "fleet_seconds"],
                     summary[label + "ratio"]))
            print("| API requests per cluster, %s | %s | %s |"
                  % (title, summary[label + "requests_per_cluster_one"], summary[label + "requests_per_cluster_fleet"]))
            print("| CPU time per cluster, %s (controller, workers, modules) | %.1f s | %.1f s |"
                  % (title, summary[label + "cpu_seconds_per_cluster_one"], summary[label + "cpu_seconds_per_cluster_fleet"]))
            print("| controller peak RSS, %s: ansible-playbook / its process tree | %d / %d MiB | %d / %d MiB |" % (
                title, summary[label + "controller_main_rss_mib_one"], summary[label + "controller_tree_rss_mib_one"],
                summary[label + "controller_main_rss_mib_fleet"], summary[label + "controller_tree_rss_mib_fleet"]))
        print("| writes | 0 | %d |" % writes)
        print("| tasks per cluster / per host, no-op drift.yml | %s / %s | |"
              % (summary["tasks_per_cluster"], summary["tasks_per_host"]))
        print("| tasks per cluster / its host / localhost, no-op site.yml (one cluster) | %(cluster)s / %(host)s / "
              "%(localhost)s (CPU %(cpu_seconds)s s) | |" % summary["site_noop_one_cluster"])
        print("(%d CPUs)" % os.cpu_count())
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(summary, handle, indent=2)
    finally:
        if not args.keep_lab:
            lab("stop")


if __name__ == "__main__":
    main()
