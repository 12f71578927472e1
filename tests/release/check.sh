#!/usr/bin/env bash
# What a maintainer publishing the collection runs, on a tarball built from a clean checkout: the tarball holds
# only its allow-list (files planted where scripts and the lab write are not packed), galaxy-importer accepts it with
# Automation Hub's strict settings, antsibull-docs finds nothing in its documentation, the first release's changelog
# builds, and each role's README agrees with its argument spec.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BIN=$ROOT/.venv/bin
export PATH=$BIN:$PATH NO_COLOR=1 ANSIBLE_NOCOLOR=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$("$BIN/python" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')

echo "--- role READMEs"
"$BIN/python" tests/release/role_docs.py

echo "--- the tarball from a clean checkout, with files planted where scripts and the lab write"
src=$work/src
mkdir -p "$src"
git ls-files -co --exclude-standard | grep -v '^build/' | tar -cf - -T - | tar -xf - -C "$src"
planted=(.venv/planted-venv.py .venv-newest/lib/planted.py .venv-bench/planted.py .lab/pki/planted-ca.key
         .lab-newest/planted-password .lab-fleet/planted.json .lab-emulated/planted.json .ansible/collections/planted.yml
         .mypy_cache/planted.json .pytest_cache/planted build/planted.py tests/output/planted.log
         tests/lab/planted.py plugins/modules/__pycache__/planted.pyc docs/.planted.md planted-0.0.1.tar.gz)
for file in "${planted[@]}"; do mkdir -p "$src/$(dirname "$file")"; echo planted > "$src/$file"; done
(cd "$src" && "$BIN/ansible-galaxy" collection build --output-path "$work/dist" >/dev/null)
tarball=$work/dist/ocp-registry-$version.tar.gz
"$BIN/python" - "$tarball" <<'PYEOF'
import re, sys, tarfile
allowed = re.compile(r"^(MANIFEST\.json|FILES\.json|README\.md|LICENSE|requirements\.txt|bindep\.txt|CHANGELOG\.rst|"
                     r"meta(/(runtime|execution-environment)\.yml)?|plugins(/.*)?|roles(/.*)?|playbooks(/.*)?|docs(/.*)?|"
                     r"changelogs(/.*)?|tests|tests/unit(/.*)?)$")
names = tarfile.open(sys.argv[1]).getnames()
bad = [n for n in names if not allowed.match(n) or "planted" in n or "/." in "/" + n or n.endswith((".pyc", ".py~"))]
for name in bad:
    print("FAIL the tarball holds %s" % name)
for required in ("README.md", "LICENSE", "meta/runtime.yml", "plugins/modules/pull_secret.py", "roles/image_policy/README.md",
                 "docs/docsite/rst/mirrors.rst", "docs/docsite/extra-docs.yml", "plugins/filter/hosts_with.yml"):
    if required not in names:
        bad.append(required)
        print("FAIL the tarball lacks %s" % required)
print("tarball: %d members, all on the allow-list, none of the files planted in ignored folders" % len(names))
sys.exit(1 if bad else 0)
PYEOF

echo "--- galaxy-importer (Automation Hub's settings: 1.0.0 or later, required tags, changelog, ansible-doc,"
echo "    ansible-lint and flake8; ansible-test sanity is the sanity step, it needs containers here)"
cat > "$work/importer.cfg" <<'CFG'
[galaxy-importer]
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
REQUIRE_V1_OR_GREATER = True
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = True
RUN_ANSIBLE_TEST = False
CFG
if ! (cd "$work" && GALAXY_IMPORTER_CONFIG=$work/importer.cfg HOME=$work/home \
      "$BIN/python" -m galaxy_importer.main "$tarball" >"$work/importer.log" 2>&1); then
  grep -E "ERROR|Error" "$work/importer.log" | tail -20; echo "FAIL galaxy-importer refused the tarball"; exit 1
fi
# flake8 reads every file under plugins/filter, the YAML documentation of filters too (ansible-core's own format
# for filter docs): a syntax error on those is the importer's, every other warning is ours
grep "^WARNING" "$work/importer.log" | grep -v -E "^WARNING: plugins/filter/[a-z_]+\.yml:[0-9]+:[0-9]+: E999 " \
  | grep -v "^WARNING: Using locale" > "$work/warnings" || true
if [ -s "$work/warnings" ]; then cat "$work/warnings"; echo "FAIL galaxy-importer warned"; exit 1; fi
grep -q "Importer processing completed successfully" "$work/importer.log"
echo "galaxy-importer accepted ocp-registry-$version.tar.gz with no warning of ours"

echo "--- antsibull-docs lint-collection-docs --plugin-docs, on the installed tarball"
"$BIN/ansible-galaxy" collection install -p "$work/installed" "$tarball" >/dev/null 2>&1
coll=$work/installed/ansible_collections/ocp/registry
ANSIBLE_COLLECTIONS_PATH=$work/installed "$BIN/antsibull-docs" lint-collection-docs --plugin-docs "$coll"
echo "antsibull-docs: no finding"

echo "--- the first release's changelog, in a scratch copy"
scratch=$work/changelog/ansible_collections/ocp/registry
mkdir -p "$scratch"
cp -a "$src/." "$scratch/"
(cd "$scratch" && "$BIN/antsibull-changelog" lint && \
  ANSIBLE_COLLECTIONS_PATH=$work/changelog "$BIN/antsibull-changelog" release --version "$version" >/dev/null)
"$BIN/python" - "$scratch/CHANGELOG.rst" "$ROOT" <<'PYEOF'
import pathlib, re, sys
text = pathlib.Path(sys.argv[1]).read_text()
root = pathlib.Path(sys.argv[2])
problems = []
for section in ("Release Summary", "New Modules", "New Roles", "New Plugins"):
    if "\n%s\n" % section not in text:
        problems.append("no %s section" % section)
for section in ("Bugfixes", "Security Fixes", "Breaking Changes / Porting Guide", "Minor Changes"):
    if "\n%s\n" % section in text:
        problems.append("a first release with a %s section (changes against states nobody received)" % section)
modules = sorted(p.stem for p in (root / "plugins/modules").glob("*.py") if p.stem != "__init__")
roles = sorted(p.name for p in (root / "roles").iterdir() if p.is_dir())
for name in modules + roles:
    if "- ocp.registry.%s - " % name not in text:
        problems.append("ocp.registry.%s is not listed as new" % name)
filters = len(re.findall(r"^- ocp\.registry\.\w+ - ", text.split("\nNew Plugins\n", 1)[-1].split("\nNew Modules\n")[0], re.M))
for problem in problems:
    print("FAIL changelog: " + problem)
print("changelog: %d modules, %d roles and %d filters listed as new" % (len(modules), len(roles), filters))
sys.exit(1 if problems else 0)
PYEOF
echo "release checks: ok"
