#!/usr/bin/env bash
# Start a real Kubernetes control plane for shipline's tests, on loopback only:
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler (built from k8s.io/kubernetes,
#   see scripts/kube/build.sh) and kwok, which plays the kubelet of 3 fake Ready nodes and drives
#   pod status through the Stages in scripts/kube/stages.yaml (image-keyed failure injection).
#
# Idempotent: when the cluster in the state dir is already up and healthy it is reused.
# Stop it with scripts/kube-down.sh. Details and measurements: scripts/README-kube.md.
#
# Environment (all optional):
#   SHIPLINE_KUBE_DIR     state dir (pki, etcd data, logs, pids, kubeconfig)   [/tmp/shipline-kube]
#   SHIPLINE_KUBE_CACHE   binary cache root                                     [~/.cache/shipline/kube]
#   SHIPLINE_KUBE_ETCD    apt (use `etcd` on PATH, Debian etcd-server) | build  [apt]
#   SHIPLINE_KUBE_NODES   number of fake nodes                                  [3]
#   SHIPLINE_KUBE_SLOW_SECONDS  readiness delay of *slow* images                [20]
#   KUBECTL               kubectl binary                                        [kubectl]
#
# Output: progress on stderr; the kubeconfig path (admin, certs embedded) is the last line
# of stdout. It is also always at $SHIPLINE_KUBE_DIR/kubeconfig.
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=kube/versions.sh
. "$scripts/kube/versions.sh"

state="${SHIPLINE_KUBE_DIR:-/tmp/shipline-kube}"
nodes="${SHIPLINE_KUBE_NODES:-3}"
slow_seconds="${SHIPLINE_KUBE_SLOW_SECONDS:-20}"
KUBECTL="${KUBECTL:-kubectl}"
kubeconfig="$state/kubeconfig"

t_start=$(date +%s.%N)
die() { echo "kube-up: $*" >&2; exit 1; }
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }
log() { printf '[kube-up %5ss] %s\n' "$(elapsed)" "$*" >&2; }

kc() { "$KUBECTL" --kubeconfig "$kubeconfig" "$@"; }

# ------------------------------------------------------------------ reuse a running cluster
pid_alive() { # name -> 0 when the recorded pid runs the recorded binary
  local f="$state/run/$1.pid" pid exe
  [[ -s "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  exe="$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -1)"
  [[ "$(basename "$exe")" == "$1" ]]
}
components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
all_alive() { local c; for c in "${components[@]}"; do pid_alive "$c" || return 1; done; }

# A running cluster is reused only when it was started from the same scripts and versions.
fingerprint="$(cat "$scripts/kube-up.sh" "$scripts/kube/stages.yaml" "$scripts/kube/versions.sh" \
  | { sha256sum 2>/dev/null || cksum; } | cut -c1-16)-n$nodes-s$slow_seconds-${SHIPLINE_KUBE_ETCD:-apt}"
if [[ -s "$kubeconfig" ]] && all_alive \
   && [[ "$(cat "$state/fingerprint" 2>/dev/null)" == "$fingerprint" ]] \
   && kc get --raw /readyz >/dev/null 2>&1 \
   && [[ "$(kc get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null | grep -c True)" -ge "$nodes" ]]; then
  log "cluster already up in $state (reused)"
  echo "$kubeconfig"
  exit 0
fi
if [[ -d "$state/run" ]]; then
  log "stale or partial cluster in $state: stopping it first"
  SHIPLINE_KUBE_DIR="$state" bash "$scripts/kube-down.sh" >&2 || true
fi

# ------------------------------------------------------------------ prerequisites
for tool in openssl curl "$KUBECTL"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (see .ci/install/50-kube.sh for the packages)"
done
bin="$(bash "$scripts/kube/build.sh" | tail -1)"
[[ -x "$bin/kube-apiserver" ]] || die "build failed (no $bin/kube-apiserver)"
log "binaries: $bin"

if [[ "${SHIPLINE_KUBE_ETCD:-apt}" == build ]]; then
  etcd_bin="$bin/etcd"
else
  etcd_bin="$(command -v etcd || true)"
  [[ -n "$etcd_bin" ]] || die "'etcd' not found: apt-get install etcd-server (or SHIPLINE_KUBE_ETCD=build)"
fi

# ------------------------------------------------------------------ state dir
rm -rf "$state"
mkdir -p "$state"/{pki,etcd,logs,run,kcm-certs,sched-certs,apiserver-certs}
chmod 700 "$state"

# Free loopback ports: random, below the ephemeral range (so no outgoing connection takes
# one meanwhile), and not bound by anything according to /proc/net/tcp{,6}.
used_ports=" $(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk 'NR>1 && $2 ~ /:/ {print $2}' \
  | while read -r local; do printf '%d ' "0x${local##*:}"; done || true) "
ports=()
while (( ${#ports[@]} < 6 )); do
  p=$((10000 + RANDOM % 22000))
  [[ "$used_ports" == *" $p "* || " ${ports[*]} " == *" $p "* ]] && continue
  ports+=("$p")
done
read -r p_etcd p_etcd_peer p_api p_kcm p_sched p_kwok <<<"${ports[*]}"
cat >"$state/ports.env" <<EOF
ETCD_PORT=$p_etcd
APISERVER_PORT=$p_api
KCM_PORT=$p_kcm
SCHEDULER_PORT=$p_sched
KWOK_PORT=$p_kwok
SERVER=https://127.0.0.1:$p_api
KUBECONFIG=$kubeconfig
EOF

# ------------------------------------------------------------------ PKI (openssl)
pki="$state/pki"
(
  cd "$pki"
  exec 2>>"$state/logs/openssl.log"
  newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
  newkey ca
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=shipline-test-ca" -out ca.crt \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
  sign() { # name subject eku [san]
    local name="$1" subj="$2" eku="$3" san="${4:-}"
    newkey "$name"
    openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr"
    {
      echo "basicConstraints=critical,CA:FALSE"
      echo "keyUsage=critical,digitalSignature,keyEncipherment"
      echo "extendedKeyUsage=$eku"
      [[ -n "$san" ]] && echo "subjectAltName=$san"
    } >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile "$name.ext" -out "$name.crt"
    rm -f "$name.csr" "$name.ext"
  }
  sign apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign admin "/O=system:masters/CN=shipline-admin" clientAuth
  sign kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  sign kube-scheduler "/CN=system:kube-scheduler" clientAuth
  sign kwok "/O=system:masters/CN=kwok" clientAuth
  # front-proxy (request-header) CA and client, as kubeadm sets up: lets the controller-manager
  # and scheduler load a complete extension-apiserver-authentication config map.
  newkey front-proxy-ca
  openssl req -x509 -new -key front-proxy-ca.key -sha256 -days 3650 -subj "/CN=shipline-front-proxy-ca" \
    -out front-proxy-ca.crt -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
  newkey front-proxy-client
  openssl req -new -key front-proxy-client.key -subj "/CN=front-proxy-client" -out front-proxy-client.csr
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >front-proxy-client.ext
  openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key \
    -CAcreateserial -sha256 -days 3650 -extfile front-proxy-client.ext -out front-proxy-client.crt
  rm -f front-proxy-client.csr front-proxy-client.ext
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key
  openssl pkey -in sa.key -pubout -out sa.pub
  chmod 600 ./*.key
)
log "PKI generated (openssl, EC P-256; service-account key RSA 2048)"

write_kubeconfig() { # file user
  local file="$1" user="$2"
  "$KUBECTL" --kubeconfig "$file" config set-cluster shipline --server "https://127.0.0.1:$p_api" \
    --certificate-authority "$pki/ca.crt" --embed-certs >/dev/null
  "$KUBECTL" --kubeconfig "$file" config set-credentials "$user" \
    --client-certificate "$pki/$user.crt" --client-key "$pki/$user.key" --embed-certs >/dev/null
  "$KUBECTL" --kubeconfig "$file" config set-context shipline --cluster shipline --user "$user" >/dev/null
  "$KUBECTL" --kubeconfig "$file" config use-context shipline >/dev/null
  chmod 600 "$file"
}
write_kubeconfig "$state/admin.kubeconfig" admin
write_kubeconfig "$state/kube-controller-manager.kubeconfig" kube-controller-manager
write_kubeconfig "$state/kube-scheduler.kubeconfig" kube-scheduler
write_kubeconfig "$state/kwok.kubeconfig" kwok

# ------------------------------------------------------------------ process helpers
start() { # name binary args...
  local name="$1"; shift
  # setsid: own session, so the processes outlive the calling shell/CI step.
  setsid "$@" </dev/null >"$state/logs/$name.log" 2>&1 &
  echo $! >"$state/run/$name.pid"
}
wait_for() { # description timeout-seconds component cmd...
  local what="$1" timeout="$2" comp="$3"; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [[ -n "$comp" ]] && ! pid_alive "$comp"; then
      echo "---- tail of $state/logs/$comp.log" >&2; tail -n 30 "$state/logs/$comp.log" | cut -c1-600 >&2 || true
      die "$comp exited while waiting for $what"
    fi
    if (( SECONDS >= deadline )); then
      [[ -n "$comp" ]] && { echo "---- tail of $state/logs/$comp.log" >&2; tail -n 30 "$state/logs/$comp.log" | cut -c1-600 >&2 || true; }
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.2
  done
}
start_bin() { # like start, then check the pid really is that binary (pid files must be exact)
  local name="$1"; shift
  start "$name" "$@"
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do pid_alive "$name" && return 0; sleep 0.2; done
  tail -n 20 "$state/logs/$name.log" | cut -c1-600 >&2 || true
  die "$name did not start"
}

# ------------------------------------------------------------------ etcd
start_bin etcd "$etcd_bin" \
  --name shipline --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$p_etcd" --advertise-client-urls "http://127.0.0.1:$p_etcd" \
  --listen-peer-urls "http://127.0.0.1:$p_etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$p_etcd_peer" \
  --initial-cluster "shipline=http://127.0.0.1:$p_etcd_peer" \
  --heartbeat-interval 50 --election-timeout 250 \
  --quota-backend-bytes 2147483648 --snapshot-count 10000 --log-level warn
wait_for "etcd health" 30 etcd curl -fsS "http://127.0.0.1:$p_etcd/health"
log "etcd $("$etcd_bin" --version 2>/dev/null | sed -n 's/^etcd Version: //p') up on 127.0.0.1:$p_etcd"

# ------------------------------------------------------------------ kube-apiserver
start_bin kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$p_etcd" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$p_api" \
  --cert-dir "$state/apiserver-certs" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
  --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode Node,RBAC \
  --allow-privileged=true \
  --endpoint-reconciler-type none \
  --profiling=false \
  --v=1
wait_for "kube-apiserver /readyz" 120 kube-apiserver \
  "$KUBECTL" --kubeconfig "$state/admin.kubeconfig" get --raw /readyz
log "kube-apiserver $KUBE_VERSION ready on https://127.0.0.1:$p_api"

# ------------------------------------------------------------------ kwok Stage CRD + stages + nodes
kca() { "$KUBECTL" --kubeconfig "$state/admin.kubeconfig" "$@"; }
kca apply --server-side -f "$bin/kwok-crds/kwok.x-k8s.io_stages.yaml" >/dev/null
kca wait --for condition=Established --timeout=60s crd/stages.kwok.x-k8s.io >/dev/null
sed -e "s/__SLOW_SECONDS__/$slow_seconds/g" -e "s/__SLOW_MS__/$((slow_seconds * 1000))/g" \
  "$scripts/kube/stages.yaml" >"$state/stages.yaml"
kca apply --server-side -f "$state/stages.yaml" >/dev/null
{
  for ((i = 0; i < nodes; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    node-role.kubernetes.io/worker: ""
    topology.kubernetes.io/zone: zone-$((i % 3))
status:
  addresses:
  - {type: InternalIP, address: 192.0.2.$((10 + i))}
  - {type: Hostname, address: kwok-node-$i}
  allocatable: {cpu: "16", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
  capacity: {cpu: "16", memory: 64Gi, pods: "110", ephemeral-storage: 100Gi}
EOF
  done
} >"$state/nodes.yaml"
kca create -f "$state/nodes.yaml" >/dev/null
log "kwok Stage CRD, $(grep -c '^kind: Stage' "$state/stages.yaml") stages and $nodes nodes registered"

# ------------------------------------------------------------------ controllers, scheduler, kwok
start_bin kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$state/kube-controller-manager.kubeconfig" \
  --authentication-kubeconfig "$state/kube-controller-manager.kubeconfig" \
  --authorization-kubeconfig "$state/kube-controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$p_kcm" --cert-dir "$state/kcm-certs" \
  --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range 10.96.0.0/16 --allocate-node-cidrs=false \
  --controllers '*' \
  --profiling=false \
  --v=1
start_bin kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$state/kube-scheduler.kubeconfig" \
  --authentication-kubeconfig "$state/kube-scheduler.kubeconfig" \
  --authorization-kubeconfig "$state/kube-scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$p_sched" \
  --leader-elect=false --profiling=false --v=1
cat >"$state/kwok.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  enableCRDs: [Stage]
EOF
start_bin kwok "$bin/kwok" \
  --config "$state/kwok.yaml" \
  --kubeconfig "$state/kwok.kubeconfig" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --enable-crds Stage \
  --node-lease-duration-seconds 40 \
  --cidr 10.244.0.1/16 \
  --server-address "127.0.0.1:$p_kwok"

healthz() { curl -ksf "https://127.0.0.1:$1/healthz"; }
wait_for "kube-controller-manager /healthz" 60 kube-controller-manager healthz "$p_kcm"
log "kube-controller-manager healthy"
wait_for "kube-scheduler /healthz" 60 kube-scheduler healthz "$p_sched"
log "kube-scheduler healthy"
nodes_ready() {
  [[ "$(kca get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" -ge "$nodes" ]]
}
wait_for "$nodes Ready nodes (kwok)" 60 kwok nodes_ready
log "$nodes nodes Ready"
# Pods can only be admitted once the serviceaccount controller made "default" and the
# root-CA publisher made kube-root-ca.crt in the namespace.
wait_for "default service account" 60 kube-controller-manager kca -n default get serviceaccount default
wait_for "kube-root-ca.crt" 60 kube-controller-manager kca -n default get configmap kube-root-ca.crt
echo "$fingerprint" >"$state/fingerprint"
cp "$state/admin.kubeconfig" "$kubeconfig"
chmod 600 "$kubeconfig"

rss() { awk '/^VmRSS/{printf "%d MiB", $2/1024}' "/proc/$(cat "$state/run/$1.pid")/status" 2>/dev/null; }
log "cluster ready in $(elapsed)s: kubectl --kubeconfig $kubeconfig"
for c in "${components[@]}"; do log "  $c pid $(cat "$state/run/$c.pid") rss $(rss "$c")"; done
echo "$kubeconfig"
