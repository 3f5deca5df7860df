#!/usr/bin/env bash
# Smoke test of the test control plane (scripts/kube-up.sh) with the real kubectl:
# server-side apply, rollout status, image update, a *broken* update that stalls with
# ProgressDeadlineExceeded and ErrImagePull/ImagePullBackOff visible on the pod, rollout undo,
# a *crashloop* image in CrashLoopBackOff with growing restarts, a *slow* image, a Job, an
# unschedulable pod, `get -w -o json`, and garbage collection on namespace deletion.
# Uses the running cluster (${SHIPLINE_KUBECONFIG:-/tmp/shipline-kube/kubeconfig}) or starts one.
# Exits non-zero on the first failure; prints timings.
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
export KUBECONFIG="${SHIPLINE_KUBECONFIG:-${SHIPLINE_KUBE_DIR:-/tmp/shipline-kube}/kubeconfig}"
if ! [[ -s "$KUBECONFIG" ]] || ! "$KUBECTL" get --raw /readyz >/dev/null 2>&1; then
  KUBECONFIG="$(bash "$scripts/kube-up.sh" | tail -1)"
  export KUBECONFIG
fi

ns="smoke-$(date +%s)-$$"
k() { "$KUBECTL" -n "$ns" "$@"; }
T0=$(date +%s.%N)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
passed=0
failed=0
step_t=0
step() { step_name="$1"; step_t=$(now); printf '\n== %s\n' "$1"; }
ok() { passed=$((passed + 1)); printf '   ok  %-58s %6ss\n' "$1" "$(secs "$step_t")"; }
fail() {
  failed=$((failed + 1))
  printf '   FAIL %s\n' "$1" >&2
  echo "---- pods / events in $ns" >&2
  k get pods -o wide >&2 || true
  k get events --sort-by=.lastTimestamp 2>&1 | tail -n 30 >&2 || true
  local klog="${SHIPLINE_KUBE_DIR:-/tmp/shipline-kube}/logs/kwok.log"
  [[ -r "$klog" ]] && { echo "---- kwok errors" >&2; grep '"level":"ERROR"' "$klog" | tail -n 5 | sed 's/.*"stage":\("[^"]*"\).*"err":/\1 /' | cut -c1-400 >&2; }
  printf '\nsmoke: %d passed, %d failed (step: %s)\n' "$passed" "$failed" "$step_name"
  cleanup
  exit 1
}
cleanup() { "$KUBECTL" delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
# poll until a command's output matches a regexp: expect <timeout> <regexp> cmd...
expect() {
  local timeout="$1" re="$2"; shift 2
  local deadline out
  deadline=$(awk -v t="$timeout" -v n="$(now)" 'BEGIN{printf "%d", n+t}')
  while :; do
    out="$("$@" 2>&1 || true)"
    [[ "$out" =~ $re ]] && { last="$out"; return 0; }
    (( $(date +%s) >= deadline )) && { last="$out"; echo "   last output: $out" >&2; return 1; }
    sleep 0.2
  done
}

deploy() { # name image [replicas] [progressDeadlineSeconds]
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  labels: {app: $1}
spec:
  replicas: ${3:-3}
  progressDeadlineSeconds: ${4:-600}
  revisionHistoryLimit: 10
  selector:
    matchLabels: {app: $1}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
      - name: app
        image: $2
        ports: [{containerPort: 8080}]
        resources:
          requests: {cpu: 10m, memory: 16Mi}
EOF
}
pod_of() { k get pods -l "app=$1" -o jsonpath="{range .items[?(@.spec.containers[0].image==\"$2\")]}{.metadata.name}{\"\\n\"}{end}" | head -1; }

step "cluster"
"$KUBECTL" version 2>/dev/null | sed 's/^/   /'
expect 10 '^3$' bash -c "\"$KUBECTL\" get nodes --no-headers | grep -c ' Ready '" || fail "3 Ready nodes"
ok "3 Ready nodes"
"$KUBECTL" create namespace "$ns" >/dev/null
expect 30 '^default$' k get serviceaccount default -o name -o jsonpath='{.metadata.name}' || fail "default service account in new namespace"
ok "namespace $ns with default service account"

step "pod latencies by image (bare pods, polled every 0.1 s)"
for p in ok:registry.test/shipline/app:1 broken:registry.test/shipline/app:broken \
         crash:registry.test/shipline/app:crashloop slow:registry.test/shipline/app:slow; do
  echo "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"lat-${p%%:*}\"},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"${p#*:}\"}]}}"
done | k apply -f - >/dev/null
declare -A lat=()
lat_start=$(now)
lat_deadline=$((SECONDS + 40))
while (( ${#lat[@]} < 5 && SECONDS < lat_deadline )); do
  snap="$(k get pods -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}/{.status.containerStatuses[0].state.waiting.reason}{" "}{end}' 2>/dev/null || true) "
  t="$(secs "$lat_start")"
  [[ -z "${lat[ok]:-}" && "$snap" == *"lat-ok=True/ "* ]] && lat[ok]=$t
  [[ -z "${lat[errimagepull]:-}" && "$snap" =~ lat-broken=[A-Za-z]*/(ErrImagePull|ImagePullBackOff) ]] && lat[errimagepull]=$t
  [[ -z "${lat[imagepullbackoff]:-}" && "$snap" == *"lat-broken=False/ImagePullBackOff "* ]] && lat[imagepullbackoff]=$t
  [[ -z "${lat[crashloopbackoff]:-}" && "$snap" == *"lat-crash=False/CrashLoopBackOff "* ]] && lat[crashloopbackoff]=$t
  [[ -z "${lat[slow]:-}" && "$snap" == *"lat-slow=True/ "* ]] && lat[slow]=$t
  sleep 0.1
done
for key in ok errimagepull imagepullbackoff crashloopbackoff slow; do
  [[ -n "${lat[$key]:-}" ]] || fail "latency: $key not reached within 40 s"
done
step_t=$lat_start
awk -v v="${lat[ok]}" 'BEGIN{exit !(v < 3)}' || fail "ordinary image Ready in < 3 s (took ${lat[ok]} s)"
ok "ordinary image Ready after ${lat[ok]} s"
ok "broken image ErrImagePull after ${lat[errimagepull]} s, ImagePullBackOff after ${lat[imagepullbackoff]} s"
ok "crashloop image CrashLoopBackOff after ${lat[crashloopbackoff]} s"
awk -v v="${lat[slow]}" 'BEGIN{exit !(v >= 15 && v < 30)}' || fail "slow image Ready after ~20 s (took ${lat[slow]} s)"
ok "slow image Ready after ${lat[slow]} s"
k delete pod lat-ok lat-broken lat-crash lat-slow --wait=false >/dev/null

step "deployment rolls out (server-side apply)"
deploy web registry.test/shipline/web:1.0 3 20 | k apply --server-side --field-manager shipline-smoke -f - >/dev/null
k rollout status deployment/web --timeout=60s >/dev/null || fail "rollout status web:1.0"
ok "web:1.0 3/3 available"
[[ "$(k get deploy web -o jsonpath='{.status.observedGeneration}/{.metadata.generation}')" == "1/1" ]] || fail "observedGeneration == generation"
ok "observedGeneration 1 == generation 1"
k get deploy web -o json --show-managed-fields | grep -q '"manager": "shipline-smoke"' || fail "managedFields carry field manager"
ok "managedFields has manager shipline-smoke (server-side apply)"

step "image update rolls out"
deploy web registry.test/shipline/web:1.1 3 20 | k apply --server-side --field-manager shipline-smoke -f - >/dev/null
k rollout status deployment/web --timeout=60s >/dev/null || fail "rollout status web:1.1"
ok "web:1.1 rolled out"
[[ "$(k get deploy web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" == 2 ]] || fail "revision 2"
[[ "$(k get rs -l app=web --no-headers | wc -l)" == 2 ]] || fail "2 ReplicaSets"
ok "revision 2, two ReplicaSets (old one scaled to 0)"

step "broken image stalls: ErrImagePull/ImagePullBackOff, ProgressDeadlineExceeded"
deploy web registry.test/shipline/web:1.2-broken 3 20 | k apply --server-side --field-manager shipline-smoke -f - >/dev/null
if out="$(k rollout status deployment/web --timeout=90s 2>&1)"; then fail "rollout status should fail: $out"; fi
[[ "$out" == *"exceeded its progress deadline"* ]] || fail "rollout status error mentions the progress deadline: $out"
ok "kubectl rollout status failed: exceeded its progress deadline"
[[ "$(k get deploy web -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')" == ProgressDeadlineExceeded ]] || fail "Progressing reason ProgressDeadlineExceeded"
ok "Deployment Progressing=False reason ProgressDeadlineExceeded"
bad="$(pod_of web registry.test/shipline/web:1.2-broken)"
[[ -n "$bad" ]] || fail "a pod with the broken image exists"
expect 15 '^(ErrImagePull|ImagePullBackOff)' k get pod "$bad" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].state.waiting.message}' || fail "waiting reason on broken pod"
ok "pod $bad waiting: ${last%% *}"
[[ "$(k get pod "$bad" -o jsonpath='{.status.phase} {.status.conditions[?(@.type=="Ready")].status}')" == "Pending False" ]] || fail "broken pod Pending and not Ready"
ok "broken pod Pending, Ready=False"
expect 20 'Failed' k get events --field-selector "involvedObject.name=$bad" -o jsonpath='{range .items[*]}{.reason}{" "}{end}' || fail "Failed event on broken pod"
ok "events on broken pod: $last"
[[ "$(k get deploy web -o jsonpath='{.status.availableReplicas}')" == 3 ]] || fail "old pods still available (maxUnavailable 0)"
ok "3 old pods still available"

step "rollout undo restores the previous image"
k rollout undo deployment/web >/dev/null || fail "rollout undo"
k rollout status deployment/web --timeout=60s >/dev/null || fail "rollout status after undo"
[[ "$(k get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')" == registry.test/shipline/web:1.1 ]] || fail "image back to 1.1"
ok "undo: image registry.test/shipline/web:1.1, rolled out"
expect 10 '^$' bash -c "\"$KUBECTL\" -n $ns get pods -l app=web -o jsonpath='{range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}' | grep -v ':1.1\$' || true" || fail "broken pods gone"
ok "broken pods removed; revision $(k get deploy web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')"
k rollout history deployment/web | sed 's/^/   | /'

step "crashloop image: CrashLoopBackOff with growing restartCount"
deploy crash registry.test/shipline/app:crashloop 1 | k apply --server-side -f - >/dev/null
expect 30 '.' pod_of crash registry.test/shipline/app:crashloop || fail "crash pod created"
cpod="$last"
expect 20 '^CrashLoopBackOff [0-9]+ Running' k get pod "$cpod" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason} {.status.containerStatuses[0].restartCount} {.status.phase}' || fail "CrashLoopBackOff"
ok "first CrashLoopBackOff (restarts ${last#* })"
expect 30 '^[2-9]' k get pod "$cpod" -o jsonpath='{.status.containerStatuses[0].restartCount}' || fail "restartCount >= 2"
ok "restartCount $last, lastState exit $(k get pod "$cpod" -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')"
expect 10 'BackOff' k get events --field-selector "involvedObject.name=$cpod" -o jsonpath='{range .items[*]}{.reason}{" "}{end}' || fail "BackOff event"
ok "events: $last"

step "slow image: Ready after the configured delay"
cat <<EOF | k apply --server-side -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: slow, annotations: {shipline.test/ready-after-seconds: "4"}}
spec: {containers: [{name: app, image: registry.test/shipline/app:slow}]}
EOF
expect 5 '^Running False' k get pod slow -o jsonpath='{.status.phase} {.status.conditions[?(@.type=="Ready")].status}' || fail "slow pod running, not ready"
ok "slow pod Running, not Ready"
k wait --for=condition=Ready pod/slow --timeout=30s >/dev/null || fail "slow pod Ready"
ok "slow pod Ready (annotation ready-after-seconds=4)"

step "Job completes"
k create job once --image=registry.test/shipline/migrate:1 >/dev/null
k wait --for=condition=Complete job/once --timeout=60s >/dev/null || fail "job complete"
ok "job/once Complete"

step "unschedulable pod stays Pending (real scheduler)"
cat <<EOF | k apply --server-side -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: huge}
spec: {containers: [{name: app, image: registry.test/shipline/app:1, resources: {requests: {cpu: "1000"}}}]}
EOF
expect 20 '^False Unschedulable' k get pod huge -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].status} {.status.conditions[?(@.type=="PodScheduled")].reason} {.status.conditions[?(@.type=="PodScheduled")].message}' || fail "PodScheduled=False Unschedulable"
ok "PodScheduled=False Unschedulable: ${last#False Unschedulable }"

step "watch: get -w -o json"
out="$(timeout 3 "$KUBECTL" -n "$ns" get deployment web -w -o json 2>/dev/null || true)"
[[ "$out" == *'"kind": "Deployment"'* ]] || fail "get -w -o json streams the object"
ok "get -w -o json streamed $(grep -c '"kind": "Deployment"' <<<"$out") object(s)"

step "namespace deletion garbage-collects everything"
"$KUBECTL" delete namespace "$ns" --timeout=90s >/dev/null || fail "namespace deleted"
ok "namespace $ns deleted"

printf '\nsmoke total %ss\n%d passed, %d failed\n' "$(secs "$T0")" "$passed" "$failed"
