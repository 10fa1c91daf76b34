#!/usr/bin/env bash
# A one-node Kubernetes cluster on this machine, from Debian packages and binaries built from
# the Kubernetes Go module; no image is pulled (the few images it needs are built locally).
#
#   tools/cluster/cluster.sh up       build what is missing, start what is stopped, wait until the
#                                     node and cluster DNS are Ready (idempotent)
#   tools/cluster/cluster.sh down     stop every process and pod of the cluster; keep its data
#   tools/cluster/cluster.sh reset    down, then delete its data (etcd, images, certificates)
#   tools/cluster/cluster.sh status   one line per component
#   tools/cluster/cluster.sh env      export KUBECONFIG=… and PATH (for eval)
#
# Pieces: etcd (Debian), kube-apiserver + kubectl (tools/kube-apiserver, shared with the
# development services), kubelet, kube-controller-manager, kube-scheduler, kube-proxy
# (tools/cluster/node), containerd + runc + the CNI plugins (Debian; a bridge network),
# kube-router's NetworkPolicy controller (Go module; the bridge alone enforces no policy),
# CoreDNS (Go module) and a pause image made of Debian's catatonit.
# Binaries are cached per version under ~/.cache/stargate; data and logs under .data/cluster/.
# Its etcd and API server ports differ from the development services' (2389, 6449), so both run.
# Needs root (containerd, kubelet and kube-proxy manage mounts, network namespaces, iptables).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
D=${STARGATE_CLUSTER_DIR:-$ROOT/.data/cluster}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/stargate
KUBE_VERSION=1.34.3
ETCD_PORT=${STARGATE_CLUSTER_ETCD_PORT:-2399}
API_PORT=${STARGATE_CLUSTER_API_PORT:-6459}
NODE=${STARGATE_CLUSTER_NODE:-stargate-node}
SERVICE_CIDR=10.97.0.0/16
API_SERVICE_IP=10.97.0.1
DNS_IP=10.97.0.10
POD_CIDR=10.244.0.0/24
BRIDGE=sgbr0
KUBE_ROUTER_VERSION=2.1.0
# STARGATE_CLUSTER_NETPOL=0: no NetworkPolicy enforcement (kube-router is not built or run).
NETPOL=${STARGATE_CLUSTER_NETPOL:-1}
KUBE_ROUTER=$CACHE/kube-router-$KUBE_ROUTER_VERSION/kube-router
KUBE_BIN=$CACHE/kube-$KUBE_VERSION
NODE_BIN=$CACHE/kube-node-$KUBE_VERSION
SOCK=$D/run/containerd.sock
KUBECONFIG_FILE=$D/kubeconfig

# shellcheck source=../images/lib.sh
. "$ROOT/tools/images/lib.sh" # apt_install, wait_for (tools/lib.sh), load_into_cluster
log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }

running() { [ -f "$D/run/$1.pid" ] && kill -0 "$(cat "$D/run/$1.pid")" 2>/dev/null; }
# start NAME COMMAND...: in the background, logging to $D/log/NAME.log, unless already running.
start() {
  local name=$1; shift
  running "$name" && return 0
  log "starting $name"
  nohup "$@" >>"$D/log/$name.log" 2>&1 &
  echo $! >"$D/run/$name.pid"
}
stop() {
  local name=$1 pid deadline
  running "$name" || { rm -f "$D/run/$name.pid"; return 0; }
  pid=$(cat "$D/run/$name.pid")
  kill "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$D/run/$name.pid"
}
kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
node_ip() { ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1; }

# ---------------------------------------------------------------- prerequisites
prerequisites() {
  [ "$(id -u)" = 0 ] || die "run as root (containerd, kubelet and kube-proxy need it)"
  [ "$(uname -m)" = x86_64 ] || die "only x86_64 is scripted"
  apt_install containerd runc containernetworking-plugins etcd-server catatonit iptables conntrack \
    openssl podman buildah uidmap ethtool socat ipset
  command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build the Kubernetes binaries"
}

# ---------------------------------------------------------------- binaries (cached per version)
build_binaries() {
  if [ ! -x "$KUBE_BIN/kube-apiserver" ] || [ ! -x "$KUBE_BIN/kubectl" ]; then
    log "building kube-apiserver and kubectl v$KUBE_VERSION (once per machine; several minutes)"
    mkdir -p "$KUBE_BIN/partial"
    (cd "$ROOT/tools/kube-apiserver" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$KUBE_BIN/partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
    mv "$KUBE_BIN/partial/kube-apiserver" "$KUBE_BIN/partial/kubectl" "$KUBE_BIN/" && rmdir "$KUBE_BIN/partial"
  fi
  local b missing=0
  for b in kubelet kube-controller-manager kube-scheduler kube-proxy; do [ -x "$NODE_BIN/$b" ] || missing=1; done
  if [ $missing = 1 ]; then
    log "building kubelet, kube-controller-manager, kube-scheduler, kube-proxy v$KUBE_VERSION (once per machine; ~12 min on 2 cores)"
    mkdir -p "$NODE_BIN/partial"
    (cd "$ROOT/tools/cluster/node" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$NODE_BIN/partial/" \
      k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-proxy)
    for b in kubelet kube-controller-manager kube-scheduler kube-proxy; do mv "$NODE_BIN/partial/$b" "$NODE_BIN/"; done
    rmdir "$NODE_BIN/partial"
  fi
  if [ "$NETPOL" = 1 ] && [ ! -x "$KUBE_ROUTER" ]; then
    log "building kube-router v$KUBE_ROUTER_VERSION (its NetworkPolicy controller; once per machine)"
    mkdir -p "$(dirname "$KUBE_ROUTER")/partial"
    CGO_ENABLED=0 GOBIN="$(dirname "$KUBE_ROUTER")/partial" go install -trimpath -ldflags="-s -w" \
      "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v$KUBE_ROUTER_VERSION"
    mv "$(dirname "$KUBE_ROUTER")/partial/kube-router" "$KUBE_ROUTER" && rmdir "$(dirname "$KUBE_ROUTER")/partial"
  fi
}

# ---------------------------------------------------------------- certificates and kubeconfigs
# cert NAME SUBJECT [SANS]: a key pair signed by the cluster CA (client and server usage).
cert() {
  local name=$1 subj=$2 sans=${3:-} pki=$D/pki
  [ -f "$pki/$name.crt" ] && return 0
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [ -z "$sans" ] || echo "subjectAltName=$sans"
  } >"$pki/$name.ext"
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}
# kubeconfig FILE CERT: a kubeconfig for the API server with the client certificate CERT.
kubeconfig() {
  local pki=$D/pki
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: stargate-local
    cluster:
      certificate-authority: $pki/ca.crt
      server: https://127.0.0.1:$API_PORT
users:
  - name: $2
    user:
      client-certificate: $pki/$2.crt
      client-key: $pki/$2.key
contexts:
  - name: stargate-local
    context: { cluster: stargate-local, user: $2 }
current-context: stargate-local
EOF
}
pki() {
  local pki=$D/pki ip=$1
  mkdir -p "$pki"
  if [ ! -f "$pki/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
      -subj "/CN=stargate-local-cluster-ca" 2>/dev/null
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  fi
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$ip,IP:$API_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  cert admin "/O=system:masters/CN=stargate-admin"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert kube-proxy "/CN=system:kube-proxy"
  cert kubelet "/O=system:nodes/CN=system:node:$NODE" "IP:127.0.0.1,IP:$ip,DNS:$NODE"
  # kube-router watches pods, namespaces, NetworkPolicies and nodes cluster-wide (local cluster: admin).
  cert kube-router "/O=system:masters/CN=kube-router"
  kubeconfig "$KUBECONFIG_FILE" admin
  kubeconfig "$D/controller-manager.kubeconfig" controller-manager
  kubeconfig "$D/scheduler.kubeconfig" scheduler
  kubeconfig "$D/kube-proxy.kubeconfig" kube-proxy
  kubeconfig "$D/kubelet.kubeconfig" kubelet
  kubeconfig "$D/kube-router.kubeconfig" kube-router
}

# ---------------------------------------------------------------- control plane
control_plane() {
  local ip=$1 pki=$D/pki
  mkdir -p "$D/etcd"
  start etcd etcd --name stargate-cluster --data-dir "$D/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "stargate-cluster=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --listen-metrics-urls "" --quota-backend-bytes 2147483648
  wait_for "etcd on 127.0.0.1:$ETCD_PORT" 60 bash -c "exec 3<>/dev/tcp/127.0.0.1/$ETCD_PORT" || die "etcd did not start (see $D/log/etcd.log)"
  start kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" --etcd-prefix /stargate-cluster \
    --bind-address 0.0.0.0 --secure-port "$API_PORT" --advertise-address "$ip" \
    --service-cluster-ip-range "$SERVICE_CIDR" --allow-privileged=true \
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --profiling=false --v=0
  wait_for "kube-apiserver at https://127.0.0.1:$API_PORT" 180 kubectl get --raw /readyz \
    || die "kube-apiserver did not become ready (see $D/log/kube-apiserver.log)"
  start kube-controller-manager "$NODE_BIN/kube-controller-manager" \
    --kubeconfig "$D/controller-manager.kubeconfig" --authentication-kubeconfig "$D/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$D/controller-manager.kubeconfig" --leader-elect=false \
    --controllers '*,-nodeipam' --allocate-node-cidrs=false --use-service-account-credentials=true \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --bind-address 127.0.0.1 --profiling=false
  start kube-scheduler "$NODE_BIN/kube-scheduler" \
    --kubeconfig "$D/scheduler.kubeconfig" --authentication-kubeconfig "$D/scheduler.kubeconfig" \
    --authorization-kubeconfig "$D/scheduler.kubeconfig" --leader-elect=false --bind-address 127.0.0.1 --profiling=false
}

# ---------------------------------------------------------------- node: network, containerd, kubelet, kube-proxy
network() {
  modprobe br_netfilter 2>/dev/null || true
  modprobe overlay 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1
  [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || sysctl -qw net.bridge.bridge-nf-call-iptables=1
  mkdir -p "$D/cni/net.d" "$D/cni/ipam"
  cat >"$D/cni/net.d/10-stargate.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "stargate",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "dataDir": "$D/cni/ipam",
                "ranges": [[{ "subnet": "$POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}
containerd_up() {
  mkdir -p "$D/containerd" "$D/run"
  cat >"$D/containerd/config.toml" <<EOF
version = 2
root = "$D/containerd/root"
state = "$D/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$D/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # Negative oom_score_adj (asked for by the kubelet) is refused on this kind of machine.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/cni/net.d"
EOF
  start containerd containerd --config "$D/containerd/config.toml"
  wait_for "containerd at $SOCK" 60 ctr --address "$SOCK" version || die "containerd did not start (see $D/log/containerd.log)"
}
kubelet_up() {
  local ip=$1 pki=$D/pki
  mkdir -p "$D/kubelet" "$D/pod-logs"
  cat >"$D/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: false }
  x509: { clientCAFile: $pki/ca.crt }
authorization: { mode: AlwaysAllow }
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
failSwapOn: false
podCIDR: $POD_CIDR
clusterDomain: cluster.local
clusterDNS: [$DNS_IP]
resolvConf: /etc/resolv.conf
podLogsDir: $D/pod-logs
healthzBindAddress: 127.0.0.1
serializeImagePulls: false
maxPods: 60
evictionHard: { memory.available: 50Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2% }
imageGCHighThresholdPercent: 98
imageGCLowThresholdPercent: 95
EOF
  start kubelet "$NODE_BIN/kubelet" --config "$D/kubelet-config.yaml" --kubeconfig "$D/kubelet.kubeconfig" \
    --hostname-override "$NODE" --node-ip "$ip" --root-dir "$D/kubelet" --cert-dir "$D/kubelet/pki" --v=0
  start kube-proxy "$NODE_BIN/kube-proxy" --kubeconfig "$D/kube-proxy.kubeconfig" --hostname-override "$NODE" \
    --cluster-cidr "$POD_CIDR" --proxy-mode iptables --conntrack-max-per-core 0 \
    --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256
  wait_for "node $NODE" 120 kubectl wait --for=condition=Ready "node/$NODE" --timeout=2s \
    || die "the node did not become Ready (see $D/log/kubelet.log)"
}
# NetworkPolicies become iptables rules and ipsets on the bridge traffic (br_netfilter hands
# bridged packets to iptables); kube-router runs with only its firewall (no routing, no proxy).
netpol_up() {
  [ "$NETPOL" = 1 ] || return 0
  start kube-router "$KUBE_ROUTER" --kubeconfig "$D/kube-router.kubeconfig" --hostname-override "$NODE" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --enable-ipv6=false \
    --service-cluster-ip-range "$SERVICE_CIDR" --health-port 20244 --metrics-port 0
  wait_for "kube-router (NetworkPolicy enforcement)" 60 curl -fsS http://127.0.0.1:20244/healthz \
    || die "kube-router did not become healthy (see $D/log/kube-router.log)"
}

# ---------------------------------------------------------------- cluster DNS (CoreDNS)
dns_up() {
  sed -e "s/@DNS_IP@/$DNS_IP/g" -e "s#@IMAGE@#$COREDNS_IMAGE#g" "$ROOT/tools/cluster/coredns.yaml" | kubectl apply -f - >/dev/null
  wait_for "cluster DNS at $DNS_IP" 180 kubectl -n kube-system wait --for=condition=Available deployment/coredns --timeout=2s \
    || die "CoreDNS did not become available (kubectl -n kube-system describe pods -l k8s-app=kube-dns)"
}

up() {
  local start_s=$SECONDS ip
  prerequisites
  ip=$(node_ip); [ -n "$ip" ] || die "no IPv4 address with a default route (the node's address)"
  mkdir -p "$D/run" "$D/log"
  build_binaries
  PAUSE_IMAGE=$("$ROOT/tools/images/pause.sh")
  COREDNS_IMAGE=$("$ROOT/tools/images/coredns.sh")
  pki "$ip"
  control_plane "$ip"
  network
  containerd_up
  # Images the node needs before its first pod (loaded again only when missing).
  ONLY_MISSING=1 load_into_cluster "$PAUSE_IMAGE" "$COREDNS_IMAGE"
  kubelet_up "$ip"
  netpol_up
  dns_up
  log "cluster up in $((SECONDS - start_s)) s (node $NODE, $ip; API server https://127.0.0.1:$API_PORT)"
  cat >&2 <<EOF

  Use it with:
    eval "\$(tools/cluster/cluster.sh env)"     # KUBECONFIG=$KUBECONFIG_FILE, kubectl on PATH
    kubectl get nodes,pods -A
  Images: make image (the project's), make cluster-images (the chart's built-in stores).
  Stop: make cluster-down (keeps data) · delete: tools/cluster/cluster.sh reset

EOF
}

# kube-router's rules and sets (its own --cleanup-config crashes without IPVS in the kernel).
netpol_cleanup() {
  iptables-save -t filter 2>/dev/null | grep -q -E 'KUBE-(ROUTER|NWPLCY|POD-FW)' || return 0
  iptables-save -t filter | grep -v -E 'KUBE-(ROUTER|NWPLCY|POD-FW)' | iptables-restore -T filter
  local set
  for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-SRC-|KUBE-DST-|kube-router-)' || true); do
    ipset destroy "$set" 2>/dev/null || true
  done
}

# Every container of the cluster, then the processes (containers outlive kubelet and containerd).
down() {
  stop kube-router
  netpol_cleanup
  stop kube-proxy
  stop kubelet
  if running containerd; then
    local t
    for t in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
    done
    sleep 1
    for t in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n k8s.io tasks delete -f "$t" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  # Shims left behind by a containerd that died uncleanly.
  pkill_shims
  stop kube-scheduler
  stop kube-controller-manager
  stop kube-apiserver
  stop etcd
  unmount_all
  log "cluster stopped (data kept in $D)"
}
pkill_shims() {
  local p
  for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" 2>/dev/null || true); do kill -KILL "$p" 2>/dev/null || true; done
}
unmount_all() {
  local m
  for m in $(awk -v d="$D/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
}
reset() {
  down
  # Network namespaces of pods that were never torn down by the CNI (containerd names them cni-*).
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do ip netns delete "$ns" 2>/dev/null || true; done
  ip link delete "$BRIDGE" 2>/dev/null || true
  [ ! -x "$NODE_BIN/kube-proxy" ] || "$NODE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  rm -rf "$D"
  log "cluster data deleted"
}

status() {
  local c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kube-router; do
    running "$c" && printf '%-24s up\n' "$c" || printf '%-24s down\n' "$c"
  done
  if running kube-apiserver; then kubectl get nodes -o wide 2>/dev/null || true; fi
}

case ${1:-} in
  up) up ;;
  down) down ;;
  reset) reset ;;
  status) status ;;
  env)
    echo "export KUBECONFIG=$KUBECONFIG_FILE"
    echo "export PATH=$KUBE_BIN:\$PATH"
    running kube-router && echo "export STARGATE_CLUSTER_NETPOL_ENFORCED=1"
    true
    ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
