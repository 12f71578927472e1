#!/usr/bin/env bash
# Builds the lab's real control plane from the Go module proxy at the versions pinned in build/*/go.mod, once per
# machine, into a cache directory keyed by those versions: etcd, kube-apiserver and kube-controller-manager (bin/),
# and OpenShift's CRD manifests from the openshift/api module (crds/). Prints the cache directory. A second call
# with the same pins returns at once; the Go module and build caches make a rebuild after a pin change fast.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s=$(sed -n 's/^require k8s.io\/kubernetes \(v[^ ]*\)$/\1/p' "$here/build/kubernetes/go.mod")
etcd=$(sed -n 's/^\tgo.etcd.io\/etcd\/server\/v3 \(v[^ ]*\) .*/\1/p' "$here/build/etcd/go.mod")
osapi=$(sed -n 's/^require github.com\/openshift\/api \(v[^ ]*\)$/\1/p' "$here/build/openshift-api/go.mod")
if [ -z "$k8s" ] || [ -z "$etcd" ] || [ -z "$osapi" ]; then
  echo "build.sh: cannot read the pinned versions from build/*/go.mod" >&2; exit 2
fi
# the CRDs the lab serves, as generated in openshift/api (the Default feature set where a CRD has variants)
CRDS=(
  config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusteroperators.crd.yaml
  config/v1/zz_generated.crd-manifests/0000_00_cluster-version-operator_01_clusterversions-Default.crd.yaml
  config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_images.crd.yaml
  config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_imagedigestmirrorsets.crd.yaml
  config/v1/zz_generated.crd-manifests/0000_10_config-operator_01_imagetagmirrorsets.crd.yaml
  imageregistry/v1/zz_generated.crd-manifests/00_configs.crd.yaml
  imageregistry/v1/zz_generated.crd-manifests/01_imagepruners.crd.yaml
  machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigpools-Default.crd.yaml
  operator/v1alpha1/zz_generated.crd-manifests/0000_10_config-operator_01_imagecontentsourcepolicies.crd.yaml
  samples/v1/zz_generated.crd-manifests/00_configs.crd.yaml
  route/v1/zz_generated.crd-manifests/routes.crd.yaml
)
cache=${OCP_REGISTRY_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ocp-registry-lab}/kubernetes-$k8s-etcd-$etcd-openshift-api-${osapi##*-}
if [ -x "$cache/bin/kube-apiserver" ] && [ -x "$cache/bin/kube-controller-manager" ] && [ -x "$cache/bin/etcd" ] \
   && [ "$(find "$cache/crds" -name '*.yaml' 2>/dev/null | wc -l)" -eq ${#CRDS[@]} ]; then
  echo "$cache"; exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: the lab's real control plane is built with Go (1.24 or newer): go is not on PATH" >&2; exit 2
fi
rm -rf "$cache/bin.tmp" "$cache/crds.tmp" && mkdir -p "$cache/bin.tmp" "$cache/crds.tmp"
t0=$(date +%s)
# -mod=readonly: go.sum holds every checksum, a build never changes the pins; no VCS stamping (the module cache has no .git)
export GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0
api_dir=$(cd "$here/build/openshift-api" && go mod download -json github.com/openshift/api | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
for crd in "${CRDS[@]}"; do
  group_version=${crd%%/zz_generated*}
  cp "$api_dir/$crd" "$cache/crds.tmp/${group_version//\//-}_$(basename "$crd")"
done
(cd "$here/build/etcd" && go build -trimpath -ldflags=-s -o "$cache/bin.tmp/etcd" go.etcd.io/etcd/server/v3) >&2
(cd "$here/build/kubernetes" && go build -trimpath -ldflags=-s -o "$cache/bin.tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager) >&2
rm -rf "${cache:?}/bin" "${cache:?}/crds" && mv "$cache/bin.tmp" "$cache/bin" && mv "$cache/crds.tmp" "$cache/crds"
echo "built kubernetes $k8s, etcd $etcd and openshift/api $osapi's CRDs in $(( $(date +%s) - t0 )) s into $cache" >&2
echo "$cache"
