#!/usr/bin/env bash
# The execution environment inputs: ansible-builder finds the collection's Python and system requirements
# (introspect), and `ansible-builder create` produces a build context for an EE that installs the collection.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$ROOT/.venv/bin/ansible-galaxy" collection build --output-path "$work" "$ROOT/build/ansible_collections/ocp/registry" >/dev/null
artifact=$(ls "$work"/ocp-registry-*.tar.gz)
"$ROOT/.venv/bin/ansible-galaxy" collection install -p "$work/installed" "$artifact" >/dev/null
"$ROOT/.venv/bin/ansible-builder" introspect --sanitize "$work/installed" > "$work/introspect.txt"
grep -q "kubernetes" "$work/introspect.txt" || { echo "introspect did not find the kubernetes requirement"; cat "$work/introspect.txt"; exit 1; }
cp "$artifact" "$work/ocp-registry.tar.gz"
cat > "$work/execution-environment.yml" <<YAML
version: 3
images:
  base_image:
    name: quay.io/fedora/python-311:latest
dependencies:
  ansible_core:
    package_pip: ansible-core>=2.16
  ansible_runner:
    package_pip: ansible-runner
  galaxy:
    collections:
      - name: ocp-registry.tar.gz
        type: file
YAML
(cd "$work" && "$ROOT/.venv/bin/ansible-builder" create -f execution-environment.yml -c context >/dev/null)
test -f "$work/context/Containerfile"
grep -q "ansible-galaxy" "$work/context/Containerfile"
echo "introspect finds: $(grep -c . "$work/introspect.txt") requirement lines (kubernetes among them); ansible-builder create wrote a build context"
