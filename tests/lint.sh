#!/usr/bin/env bash
# yamllint on every YAML file, ansible-lint (production profile) on roles and playbooks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=$ROOT/.venv/bin:$PATH NO_COLOR=1
git ls-files -co --exclude-standard -- "*.yml" "*.yaml" | grep -v "^build/" | xargs "$ROOT/.venv/bin/yamllint" -s
if [ -d playbooks ] || [ -d roles ]; then
  cd "$ROOT/build/ansible_collections/ocp/registry"
  targets=(playbooks)
  if [ -d roles ]; then targets+=(roles); fi
  ANSIBLE_COLLECTIONS_PATH="$ROOT/build" "$ROOT/.venv/bin/ansible-lint" --profile production --offline "${targets[@]}"
fi
# every role's argument spec renders
for role_dir in roles/*/; do
  [ -d "$role_dir" ] || continue
  role=$(basename "$role_dir")
  ANSIBLE_COLLECTIONS_PATH="$ROOT/build" "$ROOT/.venv/bin/ansible-doc" -t role "ocp.registry.$role" >/dev/null
  echo "ansible-doc -t role ocp.registry.$role renders"
done
