#!/usr/bin/env bash
# The documentation site: antsibull-docs sphinx-init with the collection's docs/docsite/links.yml and extra-docs.yml
# (the guides in docs/docsite/rst), every module, role and filter page, built with Sphinx into build/docsite
# (build/docsite/build/html/index.html). Fails on any Sphinx warning of ours: the only ones let through are the
# links to docs.ansible.com and docs.python.org, which need the network these machines do not have.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
export PATH=$ROOT/.venv/bin:$PATH ANSIBLE_COLLECTIONS_PATH=$ROOT/build ANSIBLE_NOCOLOR=1
site=$ROOT/build/docsite
rm -rf "$site"
mkdir -p "$site"
chmod 700 "$site"
antsibull-docs sphinx-init --use-current --dest-dir "$site" --lenient --fail-on-error ocp.registry >/dev/null
log=$site/build.log
if ! "$site/build.sh" >"$log" 2>&1; then
  tail -30 "$log"; echo "FAIL the documentation site did not build"; exit 1
fi
# intersphinx inventories and the labels antsibull-docs' templates take from Ansible's own documentation
grep "WARNING" "$log" \
  | grep -v -E "failed to reach any of the inventories|undefined label: '(common_return_values|action_plugins|ansible_configuration_settings|module_defaults|playbooks_intro|become|connections|playbooks_reuse_roles)'" \
  > "$site/our-warnings" || true
if [ -s "$site/our-warnings" ]; then cat "$site/our-warnings"; echo "FAIL the documentation site has warnings of ours"; exit 1; fi
echo "documentation site: $(find "$site/build/html/collections/ocp/registry" -name '*.html' | wc -l) pages in" \
  "build/docsite/build/html, no warning of ours"
