"""Benchmark: 100 imagestream imports in one task against 100 separate tasks (a loop, one image per task),
both with ocp.registry.image_import, side by side in one run against the lab. Reports wall time and the API
requests the lab's request log counted, for a first import and for a re-import with nothing new.

Usage: .venv/bin/python tests/bench/import_batch.py [count]   (needs the lab: make lab)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.lab import labenv  # noqa: E402  pylint: disable=wrong-import-position


def playbook(kind, count, registry):
    images = [{"stream": "%s-%03d" % (kind, i), "tag": "1.0", "from": "%s/lab/app:1.0" % registry}
              for i in range(count)]
    task = {"name": "import", "ocp.registry.image_import": {"namespace": "lab-apps"}}
    if kind == "batch":
        task["ocp.registry.image_import"]["images"] = images
    else:
        task["ocp.registry.image_import"]["images"] = ["{{ item }}"]
        task["loop"] = images
    play = [{"hosts": "localhost", "gather_facts": False, "module_defaults": {"group/ocp.registry.cluster": {
        "host": "{{ lookup('env', 'LAB_API_URL') }}", "api_key": "{{ lookup('env', 'LAB_ADMIN_TOKEN') }}",
        "ca_cert": "{{ lookup('env', 'LAB_CA_FILE') }}"}}, "tasks": [task]}]
    handle = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)  # pylint: disable=consider-using-with
    json.dump(play, handle)
    handle.close()
    return handle.name


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    lab = labenv.read()
    session = requests.Session()
    session.trust_env = False
    session.verify = lab["LAB_CA_FILE"]
    session.headers["Authorization"] = "Bearer " + lab["LAB_ADMIN_TOKEN"]
    session.post(lab["LAB_CONTROL_URL"] + "/reset").raise_for_status()
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, "build"), **lab)
    rows = []
    for kind in ("batch", "loop"):
        path = playbook(kind, count, lab["LAB_REGISTRY_BASIC"])
        for phase in ("first import", "re-import"):
            session.delete(lab["LAB_CONTROL_URL"] + "/requests").raise_for_status()
            started = time.perf_counter()
            proc = subprocess.run([os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), "-i", "localhost,", "-c",
                                   "local", "-e", "ansible_python_interpreter=" + sys.executable, path],
                                  capture_output=True, text=True, env=env, check=False)
            elapsed = time.perf_counter() - started
            if proc.returncode != 0:
                raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
            log = session.get(lab["LAB_CONTROL_URL"] + "/requests").json()["items"]
            writes = sum(1 for e in log if e["method"] in ("PUT", "PATCH", "DELETE"))
            rows.append((kind, phase, elapsed, len(log), writes))
        os.unlink(path)
    label = {"batch": "one task, %d images" % count, "loop": "%d tasks, one image each" % count}
    print("| how | run | wall s | API requests | PUT/PATCH/DELETE |")
    print("|---|---|---|---|---|")
    for kind, phase, elapsed, total, writes in rows:
        print("| %s | %s | %.1f | %d | %d |" % (label[kind], phase, elapsed, total, writes))
    for phase in ("first import", "re-import"):
        batch = [r for r in rows if r[0] == "batch" and r[1] == phase][0]
        loop = [r for r in rows if r[0] == "loop" and r[1] == phase][0]
        print("%s: %d tasks take %.1fx the time of one task, and %.2fx its API requests"
              % (phase, count, loop[2] / batch[2], loop[3] / batch[3]))


if __name__ == "__main__":
    main()
