#!/usr/bin/env bash
# Builds the collection artifact, installs it into a temporary path and runs a module from the install.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ROOT/.venv/bin/ansible-galaxy" collection build --output-path "$work" "$ROOT/build/ansible_collections/ocp/registry" >/dev/null
artifact=$(ls "$work"/ocp-registry-*.tar.gz)
if tar -tzf "$artifact" | grep -qE '(^|/)(tests/lab|\.lab|\.venv)/'; then
  echo "the artifact carries the lab or a venv"; exit 1
fi
"$ROOT/.venv/bin/ansible-galaxy" collection install -p "$work/installed" "$artifact" >/dev/null
ANSIBLE_COLLECTIONS_PATH="$work/installed" "$ROOT/.venv/bin/ansible-doc" ocp.registry.registry_info >/dev/null
# shellcheck disable=SC1091
source "${LAB_DIR:-$ROOT/.lab}/lab.env"
ANSIBLE_COLLECTIONS_PATH="$work/installed" "$ROOT/.venv/bin/ansible" localhost -c local \
  -e "ansible_python_interpreter=$ROOT/.venv/bin/python" -m ocp.registry.registry_info \
  -a "kubeconfig=$LAB_KUBECONFIG pull_secret=false" | grep -q '"management_state"'
echo "built $(basename "$artifact"), installed it, ansible-doc renders, and the installed module ran"
