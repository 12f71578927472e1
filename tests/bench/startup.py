"""Module start-up cost: registry_info with inline credentials (no kubernetes import) against the same
module reading a kubeconfig (kubernetes' config loader imported), run as real module processes.

Usage: .venv/bin/python tests/bench/startup.py [runs]   (needs the lab: make lab)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.lab import labenv  # noqa: E402  pylint: disable=wrong-import-position


def run(args: dict, runs: int) -> list[float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    times = []
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "build"))
    for _index in range(runs):
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "ansible_collections.ocp.registry.plugins.modules.registry_info",
                              handle.name], capture_output=True, text=True, env=env, check=False)
        times.append(time.perf_counter() - started)
        assert '"management_state"' in out.stdout, out.stdout + out.stderr
    os.unlink(handle.name)
    return times


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    lab = labenv.read()
    inline = {"host": lab["LAB_API_URL"], "api_key": lab["LAB_ADMIN_TOKEN"], "ca_cert": lab["LAB_CA_FILE"],
              "pull_secret": False}
    kubeconfig = {"kubeconfig": lab["LAB_KUBECONFIG"], "pull_secret": False}
    rows = []
    for name, args in (("host + api_key (no kubernetes import)", inline), ("kubeconfig (kubernetes loader)", kubeconfig)):
        times = run(args, runs)
        rows.append((name, statistics.median(times), min(times)))
    print("| connection | median s | min s |")
    print("|---|---|---|")
    for name, median, low in rows:
        print("| %s | %.3f | %.3f |" % (name, median, low))
    print("ratio kubeconfig/inline (median): %.2f" % (rows[1][1] / rows[0][1]))


if __name__ == "__main__":
    main()
