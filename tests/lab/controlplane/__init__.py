"""The lab on a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)."""
