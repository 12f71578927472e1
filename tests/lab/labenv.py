"""The running lab's variables (.lab/lab.env) for Python test scripts and benchmarks."""

from __future__ import annotations

import os
import shlex

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(path: str | None = None) -> dict:
    path = path or os.path.join(os.environ.get("LAB_DIR", os.path.join(ROOT, ".lab")), "lab.env")
    if not os.path.exists(path):
        raise RuntimeError("the lab is not running: start it with `make lab`")
    env = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            key, _sep, value = line.replace("export ", "", 1).strip().partition("=")
            env[key] = shlex.split(value)[0] if value else ""
    return env
