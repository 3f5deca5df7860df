#!/usr/bin/env bash
# Test Kubernetes control plane (issue 5): real kube-apiserver, kube-controller-manager and
# kube-scheduler built from k8s.io/kubernetes, Debian's etcd, and kwok's fake nodes/kubelet.
# Installs the Debian packages it needs, builds the binaries once (cached under
# ~/.cache/shipline/kube/<version>; ~12 min cold on 2 cores, 0 s cached), starts the cluster
# (~20 s) and leaves it running for the tests. Exports nothing: tests read the kubeconfig from
#   ${SHIPLINE_KUBECONFIG:-/tmp/shipline-kube/kubeconfig}
# Stop it with scripts/kube-down.sh. Details: scripts/README-kube.md.
# Works when run (`bash`) or sourced: everything happens in a subshell.
(
  set -euo pipefail
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

  need=()
  for pkg in etcd-server openssl curl ca-certificates; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=600 "${need[@]}"
  fi
  command -v go >/dev/null || { echo "50-kube: Go is needed to build the test control plane" >&2; exit 1; }
  command -v kubectl >/dev/null || { echo "50-kube: kubectl is needed (the machine image ships it)" >&2; exit 1; }

  t0=$SECONDS
  bash "$root/scripts/kube/build.sh" >/dev/null
  echo "50-kube: binaries ready in $((SECONDS - t0))s"

  t1=$SECONDS
  if ! kubeconfig="$(bash "$root/scripts/kube-up.sh" | tail -1)"; then
    echo "50-kube: kube-up failed; retrying once from scratch" >&2
    bash "$root/scripts/kube-down.sh" || true
    kubeconfig="$(bash "$root/scripts/kube-up.sh" | tail -1)"
  fi
  echo "50-kube: cluster up in $((SECONDS - t1))s; kubeconfig $kubeconfig"
  kubectl --kubeconfig "$kubeconfig" get nodes
)
