#!/usr/bin/env bash
# What the rollout tests (issue 6) need beyond the test control plane that 50-kube.sh builds and
# starts: `diff` (kubectl diff, for dry runs) and jq (test/fixtures/kube/record.sh), and a kubectl
# that talks to that cluster. Idempotent; installs nothing when all is there.
set -euo pipefail
need=()
command -v diff >/dev/null 2>&1 || need+=(diffutils)
command -v jq >/dev/null 2>&1 || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}"
fi
command -v kubectl >/dev/null || { echo "55-rollout: kubectl is needed (the machine image ships /usr/bin/kubectl)" >&2; exit 1; }
kubeconfig="${SHIPLINE_KUBECONFIG:-/tmp/shipline-kube/kubeconfig}"
if kubectl --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
  echo "55-rollout: test cluster answers at $kubeconfig; kubectl $(kubectl version --client -o json | jq -r .clientVersion.gitVersion)"
else
  echo "55-rollout: the test cluster is not up at $kubeconfig (50-kube.sh starts it): the rollout integration tests would skip" >&2
  exit 1
fi
