#!/usr/bin/env bash
# The whole suite, as `make test` and CI run it: start the lab, run every kind of test, stop the lab,
# print one summary line, exit non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
VENV=$ROOT/.venv/bin
declare -a results=()
failed=0
started=$(date +%s)

step() {
  local name=$1; shift
  local t0
  t0=$(date +%s)
  echo "=== $name"
  if "$@"; then
    results+=("$name: ok ($(( $(date +%s) - t0 ))s)")
  else
    results+=("$name: FAILED ($(( $(date +%s) - t0 ))s)")
    failed=1
  fi
}

# shellcheck disable=SC2317  # called through step()
check_lab_stopped() {
  local pids
  pids=$(cut -d' ' -f1 .lab/pids.last 2>/dev/null)
  "$VENV/python" -m tests.lab.labctl stop
  for pid in $pids; do
    if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
      echo "lab process $pid is still running after make lab-stop"; return 1
    fi
  done
  echo "lab stopped, no process left"
}

make --no-print-directory collection >/dev/null || exit 1
# three clusters on the real control plane: the fleet target and the sliced AWX jobs use them all, every other test
# the first
step "lab start" "$VENV/python" -m tests.lab.labctl start --clusters 3 --control-plane real
cp .lab/pids .lab/pids.last 2>/dev/null
step "sanity" make --no-print-directory sanity
step "units" make --no-print-directory units
step "lab tests" "$VENV/python" -m pytest -q tests/lab/tests
# the emulator held to the real control plane: the same requests to both, compared
# shellcheck disable=SC2317  # called through step()
conformance() {
  LAB_DIR=$ROOT/.lab-emulated "$VENV/python" -m tests.lab.labctl start --control-plane emulated >/dev/null || return 1
  "$VENV/python" -m tests.lab.conformance "$ROOT/.lab" "$ROOT/.lab-emulated"
  local rc=$?
  LAB_DIR=$ROOT/.lab-emulated "$VENV/python" -m tests.lab.labctl stop >/dev/null
  return "$rc"
}
step "conformance" conformance
# the newest ansible-core leg has a lab of its own and runs alongside the integration targets and the AWX jobs
mkdir -p tests/output
newest_log=tests/output/newest-ansible.log
newest_started=$(date +%s)
tests/newest-ansible.sh >"$newest_log" 2>&1 &
newest_pid=$!
step "integration" tests/integration/run.sh
step "awx jobs" "$VENV/python" tests/awx/run_jobs.py
echo "=== newest ansible-core (ran alongside the two steps above)"
if wait $newest_pid; then newest_rc=0; else newest_rc=1; fi
cat "$newest_log"
if [ $newest_rc -eq 0 ]; then
  results+=("newest ansible-core: ok ($(( $(date +%s) - newest_started ))s, in parallel)")
else
  results+=("newest ansible-core: FAILED ($(( $(date +%s) - newest_started ))s, in parallel)")
  failed=1
fi
# the side-by-side benchmark in its short form: it must keep running, its figures are not judged here
step "benchmark (short)" tests/bench/run.sh --short
step "lint" tests/lint.sh
step "release checks" tests/release/check.sh
# shellcheck disable=SC2317  # called through step()
docsite() { tests/docs/build.sh && "$VENV/python" tests/docs/check_site.py; }
step "documentation site" docsite
step "collection build" tests/build-install.sh
step "execution environment" tests/ee-build.sh
step "lab stop" check_lab_stopped

echo
printf '%s\n' "${results[@]}"
total=$(( $(date +%s) - started ))
if [ $failed -eq 0 ]; then
  echo "SUMMARY: all ${#results[@]} steps passed in ${total}s"
else
  echo "SUMMARY: $(printf '%s\n' "${results[@]}" | grep -c FAILED) of ${#results[@]} steps FAILED in ${total}s"
fi
exit $failed
