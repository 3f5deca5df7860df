#!/usr/bin/env bash
# Stop the test control plane started by scripts/kube-up.sh. Idempotent.
# Only the processes whose pids kube-up.sh recorded (and that still run the recorded binary)
# are signalled: TERM to all at once, KILL to any still running after 15 s.
# Logs stay in the state dir; --purge removes the whole dir.
set -uo pipefail

state="${SHIPLINE_KUBE_DIR:-/tmp/shipline-kube}"
purge=false
[[ "${1:-}" == --purge ]] && purge=true

pids=()
names=()
for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  f="$state/run/$name.pid"
  [[ -s "$f" ]] || continue
  pid="$(cat "$f")"
  exe="$({ tr '\0' '\n' <"/proc/$pid/cmdline"; } 2>/dev/null | head -1)"
  if [[ -n "$exe" && "$(basename "$exe")" == "$name" ]] && kill -TERM "$pid" 2>/dev/null; then
    pids+=("$pid")
    names+=("$name")
  fi
done

deadline=$((SECONDS + 15))
for i in "${!pids[@]}"; do
  while kill -0 "${pids[$i]}" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
  if kill -0 "${pids[$i]}" 2>/dev/null; then
    kill -KILL "${pids[$i]}" 2>/dev/null
    echo "kube-down: ${names[$i]} (pid ${pids[$i]}) killed after 15 s" >&2
  fi
done
rm -f "$state"/run/*.pid "$state/kubeconfig" 2>/dev/null

if $purge; then
  rm -rf "$state"
fi
echo "kube-down: stopped ${names[*]:-nothing}$($purge && echo " (removed $state)")" >&2
exit 0
