"""Runs site.yml and drift.yml through ansible-runner, the engine AWX uses, the way a job template would: the
project's playbooks, the lab inventory, and an "OpenShift or Kubernetes API Bearer Token" credential injected
as K8S_AUTH_* environment variables. Then scans every job event and artifact for the lab's planted secrets.

Usage: .venv/bin/python tests/awx/run_jobs.py   (needs the lab and the built collection: make lab collection)
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import sys
import tempfile

import ansible_runner
import requests
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.lab import labenv  # noqa: E402  pylint: disable=wrong-import-position


def planted(lab):
    values = [lab[k] for k in ("LAB_ADMIN_TOKEN", "LAB_VIEWER_TOKEN", "LAB_EDITOR_TOKEN", "LAB_REGISTRY_BASIC_PASSWORD",
                               "LAB_REGISTRY_TOKEN_PASSWORD", "LAB_REGISTRY_BASIC_PUSH_PASSWORD",
                               "LAB_REGISTRY_TOKEN_PUSH_PASSWORD")]
    for user, password in (("LAB_REGISTRY_BASIC_USER", "LAB_REGISTRY_BASIC_PASSWORD"),
                           ("LAB_REGISTRY_TOKEN_USER", "LAB_REGISTRY_TOKEN_PASSWORD")):
        values.append(base64.b64encode(("%s:%s" % (lab[user], lab[password])).encode()).decode())
    return values


def run_job(private, playbook, lab, extravars=None):
    credential = {  # what the AWX credential type injects
        "K8S_AUTH_HOST": lab["LAB_API_URL"], "K8S_AUTH_API_KEY": lab["LAB_ADMIN_TOKEN"],
        "K8S_AUTH_SSL_CA_CERT": lab["LAB_CA_FILE"], "K8S_AUTH_VERIFY_SSL": "True",
    }
    envvars = dict(credential, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build"), ANSIBLE_NOCOLOR="1",
                   **{k: v for k, v in lab.items() if k != "LAB_KUBECONFIG"})
    return ansible_runner.run(private_data_dir=private, playbook=playbook, inventory=os.path.join(private, "inventory"),
                              envvars=envvars, extravars=extravars or {}, suppress_env_files=True, quiet=True,
                              verbosity=1)


def streamed(private_data_dir, ident, scratch, **kwargs):
    """A job the way AWX runs it on an execution node: the controller packs it (ansible-runner transmit), receptor
    carries the stream to the node, which runs it in a directory of its own (worker) and streams events and artifacts
    back, and the controller unpacks them into the job's private data directory (process). The streams are kept
    in scratch/streams, the node's directory in scratch/nodes, for the secret scan."""
    streams = os.path.join(scratch, "streams")
    node = os.path.join(scratch, "nodes", ident)
    os.makedirs(streams, exist_ok=True)
    os.makedirs(node)
    outgoing, results = os.path.join(streams, ident + ".job"), os.path.join(streams, ident + ".results")
    with open(outgoing, "wb") as handle:
        ansible_runner.run(private_data_dir=private_data_dir, ident=ident, streamer="transmit", _output=handle, **kwargs)
    with open(outgoing, "rb") as source, open(results, "wb") as sink:
        ansible_runner.run(streamer="worker", _input=source, _output=sink, private_data_dir=node)
    with open(results, "rb") as source:
        processed = ansible_runner.run(streamer="process", _input=source, private_data_dir=private_data_dir,
                                       ident=ident, quiet=True)
    return Processed(processed, os.path.join(private_data_dir, "artifacts", ident))


class Processed:
    """What the controller has of a job after ansible-runner process: its status, events and stdout, read from the
    artifacts the process step unpacked (as AWX reads them)."""

    def __init__(self, processor, artifacts):
        self.status = getattr(processor, "status", None)
        self.artifacts = artifacts
        events_dir = os.path.join(artifacts, "job_events")
        names = sorted(os.listdir(events_dir), key=lambda n: int(n.split("-", 1)[0])) if os.path.isdir(events_dir) else []
        self.events = []
        for name in names:
            with open(os.path.join(events_dir, name), encoding="utf-8") as handle:
                self.events.append(json.load(handle))
        if self.status is None and os.path.exists(os.path.join(artifacts, "status")):
            with open(os.path.join(artifacts, "status"), encoding="utf-8") as handle:
                self.status = handle.read().strip()

    @property
    def stdout(self):
        path = os.path.join(self.artifacts, "stdout")
        return open(path, encoding="utf-8") if os.path.exists(path) else io.StringIO("")


def fleet_jobs(private, lab, failures):
    """A fleet as AWX runs it: the lab's clusters in one inventory whose connections come from a custom credential
    (injected as the extra variable registry_fleet_auth), and a sliced job template: each slice a job of its own
    with its share of the hosts as the limit, as AWX splits them. Every cluster is configured and checked exactly
    once across the slices. Returns the secrets it planted (the clusters' tokens)."""
    path = os.path.join(lab["LAB_DIR"], "fleet.yml")
    with open(path, encoding="utf-8") as handle:
        inventory = yaml.safe_load(handle)
    clusters = inventory["all"]["children"]["cluster"]
    if len(clusters["hosts"]) < 2:
        print("fleet: the lab runs one cluster; the sliced fleet jobs need make lab CLUSTERS=2 or more")
        failures.append("the lab runs one cluster: start it with CLUSTERS=3 for the fleet jobs")
        return []
    fleet_auth = {}
    for name, host_vars in clusters["hosts"].items():
        fleet_auth[name] = host_vars.pop("registry_cluster_auth")
        reset = requests.post(fleet_auth[name]["host"] + "/lab/reset", verify=lab["LAB_CA_FILE"], timeout=30,
                              headers={"Authorization": "Bearer " + fleet_auth[name]["api_key"]})
        reset.raise_for_status()
    # what the inventory says once for every cluster: the connection comes from the credential, per cluster
    clusters.setdefault("vars", {})["registry_cluster_auth"] = "{{ registry_fleet_auth[inventory_hostname] }}"
    inventory["all"]["vars"]["ansible_python_interpreter"] = sys.executable
    fleet_dir = os.path.join(private, "fleet")
    os.makedirs(os.path.join(fleet_dir, "inventory"))
    shutil.copytree(os.path.join(ROOT, "playbooks"), os.path.join(fleet_dir, "project"))
    with open(os.path.join(fleet_dir, "inventory", "hosts.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(inventory, handle)
    hosts = sorted(list(clusters["hosts"]) + list(inventory["all"]["children"]["registry_hosts"]["hosts"]))
    slices = 2
    checked = {}
    for playbook in ("site.yml", "drift.yml"):
        for index in range(slices):
            limit = hosts[index::slices] + ["localhost"]
            report = os.path.join(fleet_dir, "drift-slice-%d.json" % index)
            extravars = {"registry_fleet_auth": fleet_auth, "drift_report_path": report}
            job = streamed(fleet_dir, "%s-%d" % (playbook, index), private, playbook=playbook, limit=",".join(limit),
                           extravars=extravars,
                           envvars={"ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, "build"),
                                    "ANSIBLE_NOCOLOR": "1", "LAB_DIR": lab["LAB_DIR"],
                                    **{k: v for k, v in lab.items() if k.startswith("LAB_REGISTR")
                                       or k == "LAB_SOURCE_UNREACHABLE"}},
                           suppress_env_files=True)
            share = ", ".join(limit[:-1])
            print("fleet %s slice %d/%d (%s): status %s" % (playbook, index + 1, slices, share, job.status))
            if job.status != "successful":
                failures.append("fleet %s slice %d ended %s: %s" % (playbook, index, job.status, job.stdout.read()[-3000:]))
                continue
            if playbook == "site.yml":
                stats = next(((e.get("event_data") or {}).get("artifact_data") or {} for e in job.events
                              if e.get("event") == "playbook_on_stats"), {})
                mine = sorted(name for name in limit if name in clusters["hosts"])
                if sorted(stats.get("image_streams_by_cluster") or {}) != mine:
                    failures.append("fleet site.yml slice %d: image_streams_by_cluster names %s, not its clusters %s"
                                    % (index, sorted(stats.get("image_streams_by_cluster") or {}), mine))
            if playbook == "drift.yml":
                with open(report, encoding="utf-8") as handle:
                    result = json.load(handle)
                for name, cluster in result["clusters"].items():
                    if name in clusters["hosts"] and name in limit:
                        checked.setdefault(name, []).append(cluster["drift"])
    if sorted(checked) != sorted(clusters["hosts"]) or any(values != [False] for values in checked.values()):
        failures.append("the sliced drift jobs did not check every cluster once, without drift: %s" % checked)
    else:
        print("fleet: %d clusters configured and checked across %d slices, each once, no drift" % (len(checked), slices))
    return [auth["api_key"] for auth in fleet_auth.values()]


def main():
    lab = labenv.read()
    reset = requests.post(lab["LAB_CONTROL_URL"] + "/reset", headers={"Authorization": "Bearer " + lab["LAB_ADMIN_TOKEN"]},
                          verify=lab["LAB_CA_FILE"], timeout=30)
    reset.raise_for_status()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    private = tempfile.mkdtemp(prefix="awx-job-")
    failures = []
    try:
        shutil.copytree(os.path.join(ROOT, "playbooks"), os.path.join(private, "project"))
        os.makedirs(os.path.join(private, "inventory"))
        with open(os.path.join(ROOT, "tests", "lab", "inventory.yml"), encoding="utf-8") as handle:
            inventory = handle.read().replace("{{ ansible_playbook_python }}", sys.executable)
        with open(os.path.join(private, "inventory", "hosts.yml"), "w", encoding="utf-8") as handle:
            handle.write(inventory)
        stats = {}
        for playbook, extravars in (("site.yml", {}), ("drift.yml", {"drift_report_path": os.path.join(private, "drift.json")})):
            job = run_job(private, playbook, lab, extravars)
            events = list(job.events)
            print("%s: status %s, rc %s, %d events" % (playbook, job.status, job.rc, len(events)))
            if job.status != "successful":
                failures.append("%s ended %s: %s" % (playbook, job.status, job.stdout.read()[-3000:]))
            for event in events:
                if event.get("event") == "playbook_on_stats":
                    stats[playbook] = (event.get("event_data") or {}).get("artifact_data") or {}
        fleet_secrets = fleet_jobs(private, lab, failures)
        if stats.get("drift.yml", {}).get("drift") is not False:
            failures.append("drift.yml did not hand drift=false to AWX: %s" % stats.get("drift.yml"))
        if "image_streams_moved" not in stats.get("site.yml", {}):
            failures.append("site.yml did not hand image_streams_moved to AWX: %s" % stats.get("site.yml"))
        secrets = planted(lab) + fleet_secrets
        scanned = 0
        # the artifacts on the controller, and those the execution node wrote
        roots = [os.path.join(private, "artifacts"), os.path.join(private, "fleet", "artifacts")]
        nodes = os.path.join(private, "nodes")
        roots += [os.path.join(nodes, ident, "artifacts") for ident in sorted(os.listdir(nodes))] \
            if os.path.isdir(nodes) else []
        walked = [(root, directory, files) for root in roots for directory, _dirs, files in os.walk(root)]
        # the result streams themselves are not scanned as text: they end with the artifacts directory zipped,
        # whose command record holds the job's input (its credential), as on AWX; what they unpack to is scanned
        streams = os.path.join(private, "streams")
        results = sorted(n for n in os.listdir(streams) if n.endswith(".results")) if os.path.isdir(streams) else []
        if len(results) != 4 or len(roots) != 6:
            failures.append("the fleet jobs did not all go through transmit, worker and process: %d result streams, "
                            "%d artifact directories" % (len(results), len(roots)))
        for root, directory, files in walked:
            for name in files:
                path = os.path.join(directory, name)
                if name == "command" and os.path.dirname(directory) == root:
                    # ansible-runner's record of its own input (the command and the environment it was given,
                    # the injected credential included), written 0600; not output of the job
                    if os.stat(path).st_mode & 0o077:
                        failures.append("%s is readable by others" % os.path.relpath(path, private))
                    continue
                with open(path, "rb") as handle:
                    text = handle.read().decode("utf-8", "replace")
                scanned += 1
                for secret in secrets:
                    if secret in text:
                        failures.append("a planted secret (%s...) is in %s" % (secret[:6], os.path.relpath(path, private)))
        print("scanned %d artifact files (job events, stdout, status, set_stats; on the controller, on the execution "
              "node) for %d planted secrets" % (scanned, len(secrets)))
        print("set_stats: %s" % json.dumps({k: sorted(v) for k, v in stats.items()}))
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("the jobs ran as AWX runs them (the fleet sliced, through ansible-runner transmit, worker and process as on "
          "an execution node), and no planted secret reached an event or artifact")


if __name__ == "__main__":
    main()
