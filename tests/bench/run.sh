#!/usr/bin/env bash
# The side-by-side benchmark (tests/bench/field.py) with what it needs: the `ansible` package (ansible-core with
# kubernetes.core, community.okd and containers.podman) in .venv-bench on Python >= 3.12, and the lab.
# Usage: tests/bench/run.sh [--short] [field.py options]
#   --short: one run of a small estate at 0 ms, no targets (CI runs this so the benchmark cannot rot)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
py=""
for candidate in python3.13 python3.12 /root/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.12*/bin/python3.12; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
    py=$(command -v "$candidate"); break
  fi
done
if [ -z "$py" ]; then
  echo "the benchmark needs a Python >= 3.12 (the field's collections run on ansible-core 2.21)"; exit 1
fi
venv=$ROOT/.venv-bench
if [ ! -x "$venv/bin/ansible-playbook" ] || ! "$venv/bin/python" -c 'import kubernetes, requests' 2>/dev/null; then
  echo "installing the field's collections (the ansible package) into $venv"
  mkdir -p tests/output
  if ! { "$py" -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip && "$venv/bin/pip" install -q ansible kubernetes requests; } \
      >tests/output/bench-venv.log 2>&1; then
    tail -20 tests/output/bench-venv.log; exit 1
  fi
fi
args=("$@")
if [ "${1:-}" = "--short" ]; then
  args=(--runs 1 --latency 0 --tags 10 --streams 10 --tasks 3 "${@:2}")
fi
started_lab=0
if ! "$ROOT/.venv/bin/python" -m tests.lab.labctl status 2>/dev/null | grep -q "lab: running"; then
  "$ROOT/.venv/bin/python" -m tests.lab.labctl start || exit 1
  started_lab=1
fi
"$ROOT/.venv/bin/python" tests/bench/field.py "${args[@]}"
rc=$?
if [ $started_lab -eq 1 ]; then "$ROOT/.venv/bin/python" -m tests.lab.labctl stop >/dev/null; fi
exit $rc
