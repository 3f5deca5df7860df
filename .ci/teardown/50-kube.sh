#!/usr/bin/env bash
# Stop the test cluster started by .ci/install/50-kube.sh.
bash "$(dirname "$0")/../../scripts/kube-down.sh"
