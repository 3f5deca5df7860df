# Pinned versions of the test control plane (sourced by build.sh / kube-up.sh).
# KUBE_VERSION matches the machine's kubectl (see README-kube.md); its staging modules
# (k8s.io/api, k8s.io/client-go, ...) are used at v0.<minor>.<patch> of the same release.
KUBE_VERSION="${SHIPLINE_KUBE_VERSION:-v1.33.13}"
KWOK_VERSION="${SHIPLINE_KWOK_VERSION:-v0.7.0}"
ETCD_VERSION="${SHIPLINE_ETCD_VERSION:-v3.5.21}"
