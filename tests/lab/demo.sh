#!/usr/bin/env bash
# The demo: configure everything on the lab from scratch, show the drift report clean, change things behind
# Ansible's back, show the report catching them, repair, and show it clean again.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
"$ROOT/.venv/bin/python" -m tests.lab.labctl start
# shellcheck disable=SC1091
source .lab/lab.env
export K8S_AUTH_KUBECONFIG=$LAB_KUBECONFIG ANSIBLE_COLLECTIONS_PATH=$ROOT/build ANSIBLE_NOCOLOR=1
play() { "$ROOT/.venv/bin/ansible-playbook" -i tests/lab/inventory.yml "$@"; }
# bold banners only on a terminal that wants colour: no raw escape codes in logs, in CI or with NO_COLOR
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
banner() { printf '\n%s==== %s ====%s\n' "$bold" "$*" "$plain"; }
report() { "$ROOT/.venv/bin/python" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["summary"]); [print(" ", a, "->", d.get("field") or d.get("registry") or "%s:%s" % (d.get("stream"), d.get("tag"))) for a, v in sorted(r["areas"].items()) for d in v["differences"]]' "$1"; }

banner "1. Configure from scratch (playbooks/site.yml): the registry, trust for the private registry, mirrors, credentials, hosts, imports"
play playbooks/site.yml | sed -n '/Show the cluster.s image registries/,/^$/p;/Imported/,/Failed/p;/PLAY RECAP/,$p'

banner "2. Drift report: clean"
play playbooks/drift.yml -e drift_report_path="$LAB_DIR/drift-1.json" >/dev/null
report "$LAB_DIR/drift-1.json"

banner "3. Behind Ansible's back: kubectl switches the registry to emptyDir and drops the mirror set; a host's auth file loses an entry"
kubectl --kubeconfig "$LAB_KUBECONFIG" patch configs.imageregistry.operator.openshift.io cluster --type merge \
  -p '{"spec":{"storage":{"pvc":null,"emptyDir":{}}}}'
kubectl --kubeconfig "$LAB_KUBECONFIG" delete imagedigestmirrorsets.config.openshift.io ocp-registry
"$ROOT/.venv/bin/python" - "$LAB_DIR/hosts/lab-node-1/auth.json" "$LAB_REGISTRY_TOKEN" <<'PY'
import json, sys
path, key = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
del doc["auths"][key]
json.dump(doc, open(path, "w"), indent="\t")
print("removed %s from %s" % (key, path))
PY

banner "4. Drift report: all caught"
play playbooks/drift.yml -e drift_report_path="$LAB_DIR/drift-2.json" >/dev/null
report "$LAB_DIR/drift-2.json"

banner "5. Repair (drift.yml -e drift_fix=true)"
play playbooks/drift.yml -e drift_fix=true -e drift_report_path="$LAB_DIR/drift-3.json" | grep -E "repaired:" || true

banner "6. Drift report: clean again"
play playbooks/drift.yml -e drift_report_path="$LAB_DIR/drift-4.json" >/dev/null
report "$LAB_DIR/drift-4.json"
echo
echo "The lab keeps running (source .lab/lab.env to use it); make lab-stop stops it."
