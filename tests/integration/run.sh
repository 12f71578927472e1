#!/usr/bin/env bash
# Runs every integration target against the lab (or a real cluster: see tests/lab/README.md) and scans all
# of their output for the secrets the lab planted. Usage: tests/integration/run.sh [target ...]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
: "${LAB_DIR:=$ROOT/.lab}"
# shellcheck disable=SC1091
source "$LAB_DIR/lab.env"
export ANSIBLE_COLLECTIONS_PATH=$ROOT/build ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
OUT=${INTEGRATION_OUT:-$ROOT/tests/output/integration}
mkdir -p "$OUT"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(ls tests/integration/targets)
fi
secrets=("$LAB_ADMIN_TOKEN" "$LAB_VIEWER_TOKEN" "$LAB_EDITOR_TOKEN" "$LAB_REGISTRY_BASIC_PASSWORD"
         "$LAB_REGISTRY_TOKEN_PASSWORD" "$LAB_REGISTRY_BASIC_PUSH_PASSWORD" "$LAB_REGISTRY_TOKEN_PUSH_PASSWORD"
         "$(printf '%s:%s' "$LAB_REGISTRY_BASIC_USER" "$LAB_REGISTRY_BASIC_PASSWORD" | base64 -w0)"
         "$(printf '%s:%s' "$LAB_REGISTRY_TOKEN_USER" "$LAB_REGISTRY_TOKEN_PASSWORD" | base64 -w0)"
         "planted-secret-")
# every other registry password the lab made, and its auth string
for name in MIRROR PRIVATE; do
  user=LAB_REGISTRY_${name}_USER password=LAB_REGISTRY_${name}_PASSWORD push=LAB_REGISTRY_${name}_PUSH_PASSWORD
  secrets+=("${!password}" "${!push}" "$(printf '%s:%s' "${!user}" "${!password}" | base64 -w0)")
done
failed=0
for target in "${targets[@]}"; do
  log=$OUT/$target.log
  started=$(date +%s)
  (
    # a target's `environment` file is exported into the ansible-playbook process, as AWX injects credentials
    envfile=tests/integration/targets/$target/environment
    if [ -f "$envfile" ]; then set -a; source "$envfile"; set +a; fi
    # the interpreter is an inventory variable, not an extra one, so that a task may still choose another
    printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "${ANSIBLE_PYTHON:-$ROOT/.venv/bin/python}" \
      >"$OUT/$target.inventory"
    exec "${ANSIBLE_PLAYBOOK:-$ROOT/.venv/bin/ansible-playbook}" -i "$OUT/$target.inventory" --diff -vvv \
      -e "target=$target" tests/integration/target.yml
  ) >"$log" 2>&1
  rc=$?
  leaked=""
  # secrets a target made while it ran (bound tokens it wrote), listed by the target itself
  planted=()
  if [ -f "$LAB_DIR/planted-$target.txt" ]; then
    mapfile -t planted < <(grep -v '^[[:space:]]*$' "$LAB_DIR/planted-$target.txt" | sed 's/^[[:space:]]*//')
    rm -f "$LAB_DIR/planted-$target.txt"
  fi
  for s in "${secrets[@]}" "${planted[@]}"; do
    if [ -n "$s" ] && grep -qF -- "$s" "$log"; then leaked="$leaked ${s:0:6}..."; fi
  done
  # any JWT at all (bound service account tokens, registry tokens) is a secret
  if grep -qE 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.' "$log"; then leaked="$leaked a-JWT"; fi
  if [ $rc -ne 0 ]; then
    echo "FAIL integration/$target (rc=$rc, $(( $(date +%s) - started ))s): see $log"; tail -25 "$log"; failed=1
  elif [ -n "$leaked" ]; then
    echo "FAIL integration/$target: planted secrets reached the output:$leaked"; failed=1
  else
    echo "ok   integration/$target ($(( $(date +%s) - started ))s, $(grep -c '^TASK' "$log") tasks, no secret in output)"
  fi
done
exit $failed
