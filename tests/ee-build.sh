#!/usr/bin/env bash
# The execution environment definition users get (docs/execution-environment/): ansible-builder finds the
# collection's Python and system requirements (introspect), and `ansible-builder create` writes a build context that
# holds everything an image build needs (the collection tarball included) and a Containerfile whose steps install
# ansible-core meeting requires_ansible and then the collection from that tarball. Building the image itself needs
# its base image from a registry these machines cannot reach (docs/docsite/rst/awx.rst says how a user builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$("$BIN/python" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
"$BIN/ansible-galaxy" collection build --output-path "$work" "$ROOT/build/ansible_collections/ocp/registry" >/dev/null
tarball=ocp-registry-$version.tar.gz
"$BIN/ansible-galaxy" collection install -p "$work/installed" "$work/$tarball" >/dev/null 2>&1
"$BIN/ansible-builder" introspect --sanitize "$work/installed" > "$work/introspect.txt"
grep -q "kubernetes" "$work/introspect.txt" || { echo "introspect did not find the kubernetes requirement"; cat "$work/introspect.txt"; exit 1; }
mkdir "$work/ee"
cp docs/execution-environment/execution-environment.yml "$work/$tarball" "$work/ee/"
(cd "$work/ee" && "$BIN/ansible-builder" create -f execution-environment.yml -c context >/dev/null)
"$BIN/python" - "$work/ee/context" "$tarball" <<'PYEOF'
import pathlib, re, sys
import yaml
context, tarball = pathlib.Path(sys.argv[1]), sys.argv[2]
containerfile = (context / "Containerfile").read_text()
runtime = yaml.safe_load(open("meta/runtime.yml"))
problems = []
if not (context / "_build" / "collections" / tarball).is_file():
    problems.append("the build context lacks _build/collections/%s" % tarball)
requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
names = [c["name"] for c in requirements["collections"]]
if names != ["/build/collections/%s" % tarball]:
    problems.append("the galaxy requirements name %s, not the tarball the context holds" % names)
if "COPY _build/collections/ /build/collections/" not in containerfile:
    problems.append("no step copies the tarball into the galaxy stage")
if not re.search(r"ansible-galaxy collection install .*-r requirements\.yml", containerfile):
    problems.append("no step installs the collection")
core = re.search(r"ARG PKGMGR_PRESERVE_CACHE[\s\S]*?ARG ANSIBLE_INSTALL_REFS=\"([^\"]*)\"", containerfile)
refs = core.group(1) if core else ""
wanted = runtime["requires_ansible"].strip(">=")
minimum = tuple(int(x) for x in wanted.split(".")[:2])
found = re.search(r"ansible-core>=(\d+)\.(\d+)", refs)
if not found or (int(found.group(1)), int(found.group(2))) < minimum:
    problems.append("ansible-core in the image (%r) does not meet requires_ansible %s" % (refs, runtime["requires_ansible"]))
if "introspect" not in containerfile:
    problems.append("the build does not read the collection's requirements (introspect)")
for problem in problems:
    print("FAIL execution environment: " + problem)
if not problems:
    print("execution environment: the context holds %s, the Containerfile installs %s, then the collection from it"
          % (tarball, refs))
sys.exit(1 if problems else 0)
PYEOF
echo "introspect finds: $(grep -c . "$work/introspect.txt") requirement lines (kubernetes among them)"
