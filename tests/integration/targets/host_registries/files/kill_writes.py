"""Kill -9 the registries_conf module at random moments while it rewrites a drop-in, and check after every kill
that the file is the old or the new one, whole, in its mode, and that no other file in the directory is readable
by others. Usage: kill_writes.py DIRECTORY ROUNDS (the collection must be importable: ANSIBLE_COLLECTIONS_PATH)."""

import json
import os
import random
import signal
import subprocess
import sys
import time

DIRECTORY, ROUNDS = sys.argv[1], int(sys.argv[2])
PATH = os.path.join(DIRECTORY, "50-ocp-registry.conf")
ENTRIES = {
    "a": [{"location": "a%d.example.com" % i, "insecure": True} for i in range(200)],
    "b": [{"location": "b%d.example.com" % i, "blocked": True} for i in range(200)],
}


def run_module(which):
    args = {"ANSIBLE_MODULE_ARGS": {"path": DIRECTORY, "registries": ENTRIES[which], "exclusive": True}}
    with open(os.path.join(DIRECTORY, "..", "args-%s.json" % which), "w", encoding="utf-8") as handle:
        json.dump(args, handle)
    return subprocess.Popen([sys.executable, "-m", "ansible_collections.ocp.registry.plugins.modules.registries_conf",
                             os.path.join(DIRECTORY, "..", "args-%s.json" % which)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check(kills):
    with open(PATH, encoding="utf-8") as handle:
        text = handle.read()
    firsts = set(line for line in text.splitlines() if line.startswith("location = "))
    whole = len(firsts) == 200 and (all('"a' in f for f in firsts) or all('"b' in f for f in firsts))
    if not whole or not text.endswith("\n"):
        sys.exit("after kill %d the drop-in is partial (%d entries)" % (kills, len(firsts)))
    if os.stat(PATH).st_mode & 0o777 != 0o644:
        sys.exit("after kill %d the drop-in has mode %o" % (kills, os.stat(PATH).st_mode & 0o777))
    for name in os.listdir(DIRECTORY):
        mode = os.stat(os.path.join(DIRECTORY, name)).st_mode & 0o777
        if name != os.path.basename(PATH) and mode & 0o077 and mode != 0o644:
            sys.exit("after kill %d %s has mode %o" % (kills, name, mode))


os.makedirs(DIRECTORY, exist_ok=True)
started = time.time()
proc = run_module("a")
if proc.wait() != 0:
    sys.exit("the module failed on its first run")
# kill within the time a run takes on this machine, so that most kills land while the module works
duration = time.time() - started
kills = 0
for round_ in range(ROUNDS):
    proc = run_module("b" if round_ % 2 else "a")
    time.sleep(random.uniform(0.1, 1.2) * duration)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        kills += 1
    proc.wait()
    check(kills)
print(json.dumps({"rounds": ROUNDS, "kills": kills}))
