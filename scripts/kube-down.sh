#!/usr/bin/env bash
# Stop the test control plane started by scripts/kube-up.sh. Idempotent.
# Only the processes whose pids kube-up.sh recorded (and that still run the recorded binary)
# are signalled: TERM, then KILL after 10 s. Logs stay in the state dir; --purge removes it.
set -uo pipefail

state="${SHIPLINE_KUBE_DIR:-/tmp/shipline-kube}"
purge=false
[[ "${1:-}" == --purge ]] && purge=true

stopped=()
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$state/run/$name.pid"
  [[ -s "$f" ]] || continue
  pid="$(cat "$f")"
  exe="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -1)"
  if [[ -n "$exe" && "$(basename "$exe")" == "$name" ]]; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null
      echo "kube-down: $name (pid $pid) killed after 10 s" >&2
    fi
    stopped+=("$name")
  fi
  rm -f "$f"
done

if $purge; then
  rm -rf "$state"
elif [[ -d "$state" ]]; then
  rm -f "$state/kubeconfig"
fi
echo "kube-down: stopped ${stopped[*]:-nothing}${purge:+ }$($purge && echo "(purged $state)")" >&2
exit 0
