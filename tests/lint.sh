#!/usr/bin/env bash
# yamllint on every YAML file, ansible-lint (production profile) on roles and playbooks.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH=$ROOT/.venv/bin:$PATH NO_COLOR=1
git ls-files -co --exclude-standard -- "*.yml" "*.yaml" | grep -v "^build/" | xargs "$ROOT/.venv/bin/yamllint" -s
# the way a contributor, an editor or a pre-commit hook runs it: at the repository's root, with .ansible-lint as it
# is (ansible-lint installs this collection into .ansible/, which git and the tarball ignore)
"$ROOT/.venv/bin/ansible-lint" --profile production roles/ playbooks/
cd "$ROOT/build/ansible_collections/ocp/registry"
# every role's argument spec renders
for role_dir in roles/*/; do
  [ -d "$role_dir" ] || continue
  role=$(basename "$role_dir")
  ANSIBLE_COLLECTIONS_PATH="$ROOT/build" "$ROOT/.venv/bin/ansible-doc" -t role "ocp.registry.$role" >/dev/null
  echo "ansible-doc -t role ocp.registry.$role renders"
done
