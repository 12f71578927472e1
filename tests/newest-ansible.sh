#!/usr/bin/env bash
# The second leg of the matrix: the newest ansible-core (2.21 needs Python >= 3.12) when this machine has
# a Python 3.12 or newer. Runs the unit tests and the integration targets with it, against a lab of its own.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
py=""
for candidate in python3.13 python3.12 /root/.pyenv/versions/3.13*/bin/python3.13 /root/.pyenv/versions/3.12*/bin/python3.12; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null; then
    py=$(command -v "$candidate"); break
  fi
done
if [ -z "$py" ]; then
  echo "no Python >= 3.12 on this machine: the newest-ansible leg cannot run here"
  exit 0
fi
venv=$ROOT/.venv-newest
if [ ! -x "$venv/bin/ansible-test" ]; then
  "$py" -m venv "$venv" && "$venv/bin/pip" install -q --upgrade pip && "$venv/bin/pip" install -q ansible-core kubernetes || exit 1
fi
version=$("$venv/bin/ansible" --version | sed -n 1p)
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "newest leg: $version on Python $pyver"
pip_cache=$HOME/.cache/pip
(cd "$ROOT/build/ansible_collections/ocp/registry" && PIP_CACHE_DIR=$pip_cache HOME=$ROOT/.ansible-test-home \
  "$venv/bin/ansible-test" units --venv --python "$pyver" --color no --requirements 2>&1 \
  | grep -E "passed|failed|error" | tail -3; exit "${PIPESTATUS[0]}") || exit 1
# a lab of its own, so that this leg runs alongside the first one; on the API emulator (held to the real control
# plane by the conformance suite): this leg checks the newest ansible-core, and three more real control planes
# beside the first leg's three would double the suite's time on two cores
export LAB_DIR=$ROOT/.lab-newest
"$ROOT/.venv/bin/python" -m tests.lab.labctl start --clusters 3 --control-plane emulated || exit 1
trap '"$ROOT/.venv/bin/python" -m tests.lab.labctl stop >/dev/null' EXIT
INTEGRATION_OUT=$ROOT/tests/output/integration-newest ANSIBLE_PLAYBOOK="$venv/bin/ansible-playbook" \
  ANSIBLE_PYTHON="$venv/bin/python" tests/integration/run.sh
