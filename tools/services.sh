#!/usr/bin/env bash
# Development services for StarGate, real and on 127.0.0.1:
#   redis, rabbitmq, mongo (mongo-java-server, MongoDB wire protocol), kube (etcd + kube-apiserver), helm, promtool
#   ferretdb: the former MongoDB-wire store, kept only to compare stores (not started by `up`)
#
#   tools/services.sh up [service...]   install if missing, start if stopped, wait until healthy
#   tools/services.sh down              stop everything this script started
#   tools/services.sh reset             down, then delete all service data
#   tools/services.sh env               print the environment the tests use (export lines)
#   tools/services.sh status            one line per service
#
# Data and logs live under .data/ (git-ignored); built binaries are cached per machine
# under ${XDG_CACHE_HOME:-~/.cache}/stargate, keyed by version.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${STARGATE_DATA_DIR:-$ROOT/.data}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/stargate

REDIS_PORT=${STARGATE_REDIS_PORT:-6390}
AMQP_PORT=${STARGATE_AMQP_PORT:-5679}
RABBIT_MGMT_PORT=${STARGATE_RABBIT_MGMT_PORT:-15679}
RABBIT_DIST_PORT=$((AMQP_PORT + 20000))
MONGO_PORT=${STARGATE_MONGO_PORT:-27037}
# memory (default: fastest; nothing survives a restart) or h2 (a file, saved about once a second and on SIGTERM)
MONGO_BACKEND=${STARGATE_MONGO_BACKEND:-memory}
FERRETDB_PORT=${STARGATE_FERRETDB_PORT:-27027}
ETCD_PORT=${STARGATE_ETCD_PORT:-2389}
KUBE_PORT=${STARGATE_KUBE_PORT:-6449}

KUBE_VERSION=1.34.3
HELM_VERSION=3.19.0
FERRETDB_VERSION=1.24.0
MONGO_JAVA_SERVER_VERSION=1.47.0
# Prometheus 3.16.0 (the Go module numbers Prometheus 3.x releases v0.3xx.y); promtool only.
PROMETHEUS_MODULE_VERSION=0.316.0

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

# shellcheck source=lib.sh
. "$ROOT/tools/lib.sh" # wait_for, apt_install

running() { [ -f "$DATA/$1.pid" ] && kill -0 "$(cat "$DATA/$1.pid")" 2>/dev/null; }

need_go() { command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build $1 (install golang from your distribution)"; }

# ---------------------------------------------------------------- redis
redis_up() {
  apt_install redis-server
  mkdir -p "$DATA/redis"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" --save "" --appendonly no \
      --daemonize yes --pidfile "$DATA/redis.pid" --logfile "$DATA/redis.log" >/dev/null
  fi
  wait_for "redis at redis://127.0.0.1:$REDIS_PORT" 30 redis-cli -p "$REDIS_PORT" ping || die "redis did not start (see $DATA/redis.log)"
}
redis_down() { redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; rm -f "$DATA/redis.pid"; }

# ---------------------------------------------------------------- rabbitmq
rabbit_env() {
  export RABBITMQ_NODENAME=stargate-$AMQP_PORT@localhost
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$AMQP_PORT
  export RABBITMQ_DIST_PORT=$RABBIT_DIST_PORT
  export RABBITMQ_MNESIA_BASE=$DATA/rabbitmq/mnesia
  export RABBITMQ_LOG_BASE=$DATA/rabbitmq/log
  export RABBITMQ_CONFIG_FILE=$DATA/rabbitmq/rabbitmq
  export RABBITMQ_ENABLED_PLUGINS_FILE=$DATA/rabbitmq/enabled_plugins
  export RABBITMQ_PID_FILE=$DATA/rabbitmq/beam.pid
  export ERL_EPMD_ADDRESS=127.0.0.1
  # The Erlang VM writes its crash dump to the working directory unless told otherwise.
  export ERL_CRASH_DUMP=$DATA/rabbitmq/log/erl_crash.dump
  export HOME=${HOME:-/root}
}
rabbit_ready() { curl -fsS -u guest:guest "http://127.0.0.1:$RABBIT_MGMT_PORT/api/overview" >/dev/null; }
rabbitmq_up() {
  apt_install rabbitmq-server curl
  rabbit_env
  mkdir -p "$DATA/rabbitmq/mnesia" "$DATA/rabbitmq/log"
  cat >"$DATA/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBIT_MGMT_PORT
loopback_users = none
vm_memory_high_watermark.relative = 0.2
disk_free_limit.absolute = 200MB
EOF
  echo '[rabbitmq_management].' >"$DATA/rabbitmq/enabled_plugins"
  if ! rabbit_ready 2>/dev/null; then
    # Its own session, so that `down` can end the script and the Erlang VM together.
    setsid nohup /usr/lib/rabbitmq/bin/rabbitmq-server >"$DATA/rabbitmq/log/console.log" 2>&1 &
    echo $! >"$DATA/rabbitmq.pid"
  fi
  wait_for "rabbitmq at amqp://127.0.0.1:$AMQP_PORT (management http://127.0.0.1:$RABBIT_MGMT_PORT)" 120 rabbit_ready \
    || die "rabbitmq did not start (see $DATA/rabbitmq/log)"
}
rabbitmq_down() {
  rabbit_env
  local beam=""
  [ -f "$RABBITMQ_PID_FILE" ] && beam=$(cat "$RABBITMQ_PID_FILE" 2>/dev/null || true)
  if running rabbitmq; then
    local pid; pid=$(cat "$DATA/rabbitmq.pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  fi
  # Wait for the Erlang VM itself: a new node cannot start while the old one holds its ports.
  local deadline=$((SECONDS + 30))
  [ -n "$beam" ] && kill -TERM "$beam" 2>/dev/null || true
  while { [ -n "$beam" ] && kill -0 "$beam" 2>/dev/null; } && [ $SECONDS -lt $deadline ]; do sleep 0.3; done
  [ -n "$beam" ] && kill -KILL "$beam" 2>/dev/null || true
  while (exec 3<>/dev/tcp/127.0.0.1/"$RABBIT_DIST_PORT") 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.3; done
  rm -f "$DATA/rabbitmq.pid" "$RABBITMQ_PID_FILE"
}

# ---------------------------------------------------------------- ferretdb
ferretdb_bin() { echo "$CACHE/ferretdb-$FERRETDB_VERSION/ferretdb"; }
ferretdb_build() {
  local bin; bin=$(ferretdb_bin)
  [ -x "$bin" ] && return 0
  need_go FerretDB
  log "building FerretDB v$FERRETDB_VERSION from the Go module proxy (once per machine)"
  local src; src=$(mktemp -d)
  mkdir -p "$(dirname "$bin")"
  # FerretDB embeds build/version/version.txt, which its module zip lacks: vendor the
  # module into a scratch copy of our wrapper and write that file before building.
  cp "$ROOT/tools/ferretdb/go.mod" "$ROOT/tools/ferretdb/go.sum" "$ROOT/tools/ferretdb/tools.go" "$src/"
  (
    cd "$src" && go mod vendor
    chmod -R u+w vendor
    echo "v$FERRETDB_VERSION" >vendor/github.com/FerretDB/FerretDB/build/version/version.txt
    go build -mod=vendor -trimpath -o "$bin.partial" github.com/FerretDB/FerretDB/cmd/ferretdb
  )
  rm -rf "$src"
  mv "$bin.partial" "$bin"
}
ferretdb_ready() { (exec 3<>/dev/tcp/127.0.0.1/"$FERRETDB_PORT") 2>/dev/null; }
ferretdb_up() {
  ferretdb_build
  mkdir -p "$DATA/ferretdb"
  # STARGATE_FERRETDB_ROOT_USERNAME/PASSWORD: require SCRAM authentication, with that user in admin.
  local auth=()
  if [ -n "${STARGATE_FERRETDB_ROOT_USERNAME:-}" ]; then
    auth=(--test-enable-new-auth --setup-database=admin --setup-username="$STARGATE_FERRETDB_ROOT_USERNAME"
      --setup-password="${STARGATE_FERRETDB_ROOT_PASSWORD:?STARGATE_FERRETDB_ROOT_PASSWORD is required with a root user}")
  fi
  if ! ferretdb_ready; then
    nohup "$(ferretdb_bin)" --listen-addr="127.0.0.1:$FERRETDB_PORT" --handler=sqlite \
      --sqlite-url="file:$DATA/ferretdb/" --state-dir="$DATA/ferretdb" --telemetry=disable \
      --debug-addr=- --log-level=warn "${auth[@]}" >"$DATA/ferretdb.log" 2>&1 &
    echo $! >"$DATA/ferretdb.pid"
  fi
  wait_for "ferretdb at mongodb://127.0.0.1:$FERRETDB_PORT" 30 ferretdb_ready || die "ferretdb did not start (see $DATA/ferretdb.log)"
}
ferretdb_down() { running ferretdb && kill "$(cat "$DATA/ferretdb.pid")" 2>/dev/null || true; rm -f "$DATA/ferretdb.pid"; }

# ---------------------------------------------------------------- mongo (mongo-java-server)
# The development store (see docs/development.md, "The development store"): mongo-java-server
# from Maven Central (memory or H2 file backend), started by tools/mongo-java-server/StargateMongo.java.
mongo_dir() { echo "$CACHE/mongo-java-server-$MONGO_JAVA_SERVER_VERSION-$(cksum <"$ROOT/tools/mongo-java-server/StargateMongo.java" | cut -d' ' -f1)"; }
mongo_build() {
  local dir; dir=$(mongo_dir)
  [ -f "$dir/classes/StargateMongo.class" ] && return 0
  command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  log "fetching mongo-java-server $MONGO_JAVA_SERVER_VERSION from Maven Central (once per machine)"
  rm -rf "$dir.partial" && mkdir -p "$dir.partial/classes"
  mvn -q -B -f "$ROOT/tools/mongo-java-server/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$dir.partial/lib" >&2
  javac -d "$dir.partial/classes" -cp "$dir.partial/lib/*" "$ROOT/tools/mongo-java-server/StargateMongo.java"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}
mongo_ready() { (exec 3<>/dev/tcp/127.0.0.1/"$MONGO_PORT") 2>/dev/null; }
mongo_up() {
  mongo_build
  mkdir -p "$DATA/mongo"
  if ! mongo_ready; then
    local dir store="$DATA/mongo/stargate.mv.db"; dir=$(mongo_dir)
    [ "$MONGO_BACKEND" = memory ] && store=-
    # Its own session, so that `down` ends the JVM (which saves the H2 file on SIGTERM).
    setsid nohup java -Xmx1g -XX:+UseSerialGC -cp "$dir/lib/*:$dir/classes" StargateMongo "$MONGO_PORT" "$store" \
      >"$DATA/mongo.log" 2>&1 &
    echo $! >"$DATA/mongo.pid"
  fi
  wait_for "mongo (mongo-java-server, $MONGO_BACKEND) at mongodb://127.0.0.1:$MONGO_PORT" 60 mongo_ready \
    || die "mongo did not start (see $DATA/mongo.log)"
}
mongo_down() {
  if running mongo; then
    local pid; pid=$(cat "$DATA/mongo.pid")
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DATA/mongo.pid"
}

# ---------------------------------------------------------------- kubernetes (etcd + kube-apiserver)
kube_dir() { echo "$CACHE/kube-$KUBE_VERSION"; }
kube_build() {
  local dir; dir=$(kube_dir)
  [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kubectl" ] && return 0
  need_go kube-apiserver
  log "building kube-apiserver and kubectl v$KUBE_VERSION from the Go module proxy (once per machine; several minutes)"
  mkdir -p "$dir/partial"
  (cd "$ROOT/tools/kube-apiserver" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$dir/partial/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
  mv "$dir/partial/kube-apiserver" "$dir/partial/kubectl" "$dir/" && rmdir "$dir/partial"
}
kube_certs() {
  local pki=$DATA/kube/pki
  [ -f "$pki/admin.crt" ] && return 0
  apt_install openssl
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout ca.key -out ca.crt -subj "/CN=stargate-dev-ca" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >serving.ext
    openssl req -newkey rsa:2048 -nodes -keyout serving.key -out serving.csr -subj "/CN=kube-apiserver" 2>/dev/null
    openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile serving.ext -out serving.crt 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=stargate-admin" 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile client.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}
kubeconfig() {
  local pki=$DATA/kube/pki
  cat >"$DATA/kube/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stargate-dev
  cluster:
    server: https://127.0.0.1:$KUBE_PORT
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
contexts:
- name: stargate-dev
  context: { cluster: stargate-dev, user: admin }
current-context: stargate-dev
EOF
}
etcd_ready() { curl -fsS "http://127.0.0.1:$ETCD_PORT/health" | grep -q true; }
kube_ready() { "$(kube_dir)/kubectl" --kubeconfig "$DATA/kube/kubeconfig" get --raw /readyz; }
kube_up() {
  apt_install etcd-server curl
  kube_build
  kube_certs
  kubeconfig
  mkdir -p "$DATA/kube/etcd"
  if ! etcd_ready 2>/dev/null; then
    nohup etcd --name stargate --data-dir "$DATA/kube/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-cluster "stargate=http://127.0.0.1:$((ETCD_PORT + 1))" \
      --unsafe-no-fsync --log-level warn >"$DATA/etcd.log" 2>&1 &
    echo $! >"$DATA/etcd.pid"
  fi
  wait_for "etcd at http://127.0.0.1:$ETCD_PORT" 30 etcd_ready || die "etcd did not start (see $DATA/etcd.log)"
  if ! kube_ready 2>/dev/null; then
    local pki=$DATA/kube/pki
    nohup "$(kube_dir)/kube-apiserver" \
      --bind-address=127.0.0.1 --secure-port="$KUBE_PORT" --advertise-address=127.0.0.1 \
      --etcd-servers="http://127.0.0.1:$ETCD_PORT" --etcd-prefix=/stargate-registry \
      --tls-cert-file="$pki/serving.crt" --tls-private-key-file="$pki/serving.key" \
      --client-ca-file="$pki/ca.crt" \
      --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
      --service-account-issuer=https://kubernetes.default.svc \
      --authorization-mode=RBAC --service-cluster-ip-range=10.0.0.0/24 \
      --disable-admission-plugins=ServiceAccount --allow-privileged=true \
      --v=0 >"$DATA/kube-apiserver.log" 2>&1 &
    echo $! >"$DATA/kube-apiserver.pid"
  fi
  wait_for "kube-apiserver at https://127.0.0.1:$KUBE_PORT (KUBECONFIG=$DATA/kube/kubeconfig)" 120 kube_ready \
    || die "kube-apiserver did not become ready (see $DATA/kube-apiserver.log)"
}
kube_down() {
  for p in kube-apiserver etcd; do running $p && kill "$(cat "$DATA/$p.pid")" 2>/dev/null || true; rm -f "$DATA/$p.pid"; done
}

# ---------------------------------------------------------------- helm
helm_bin() { echo "$CACHE/helm-$HELM_VERSION/helm"; }
helm_up() {
  local bin; bin=$(helm_bin)
  if [ ! -x "$bin" ]; then
    need_go Helm
    log "building Helm v$HELM_VERSION from the Go module proxy (once per machine)"
    GOBIN=$(dirname "$bin") go install "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
  fi
  log "helm $("$bin" version --short) at $bin"
}

# ---------------------------------------------------------------- promtool
# Prometheus' own rule checker and unit-test runner, for the chart's alert tests. Only
# ./cmd/promtool is built, without the service-discovery plugins (the remove_all_sd tag:
# promtool's `check service-discovery` is never used here), which keeps the first build short.
promtool_bin() { echo "$CACHE/promtool-$PROMETHEUS_MODULE_VERSION/promtool"; }
promtool_up() {
  local bin; bin=$(promtool_bin)
  if [ ! -x "$bin" ]; then
    need_go promtool
    log "building promtool (Prometheus module v$PROMETHEUS_MODULE_VERSION) from the Go module proxy (once per machine)"
    CGO_ENABLED=0 GOBIN=$(dirname "$bin") go install -tags remove_all_sd \
      "github.com/prometheus/prometheus/cmd/promtool@v$PROMETHEUS_MODULE_VERSION"
  fi
  log "promtool (Prometheus module v$PROMETHEUS_MODULE_VERSION) at $bin"
}

# ---------------------------------------------------------------- commands
ALL=(redis rabbitmq mongo kube helm promtool)

print_env() {
  cat <<EOF
export STARGATE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export STARGATE_AMQP_URL=amqp://guest:guest@127.0.0.1:$AMQP_PORT
export STARGATE_RABBIT_MGMT_URL=http://guest:guest@127.0.0.1:$RABBIT_MGMT_PORT
export STARGATE_MONGO_URL=mongodb://127.0.0.1:$MONGO_PORT
export KUBECONFIG=$DATA/kube/kubeconfig
export STARGATE_HELM=$(helm_bin)
export STARGATE_PROMTOOL=$(promtool_bin)
export STARGATE_KUBECTL=$(kube_dir)/kubectl
export STARGATE_SERVICES_SCRIPT=$ROOT/tools/services.sh
EOF
}

cmd=${1:-up}; shift || true
case "$cmd" in
  up)
    svcs=("$@"); [ ${#svcs[@]} -gt 0 ] || svcs=("${ALL[@]}")
    mkdir -p "$DATA"
    for s in "${svcs[@]}"; do "${s}_up"; done
    ;;
  down)
    svcs=("$@"); [ ${#svcs[@]} -gt 0 ] || svcs=(kube mongo rabbitmq redis)
    running ferretdb && svcs+=(ferretdb)
    for s in "${svcs[@]}"; do case $s in helm | promtool) ;; *) "${s}_down" ;; esac; done
    log "stopped: ${svcs[*]}"
    ;;
  reset)
    "$0" down
    rm -rf "$DATA"
    log "removed $DATA"
    ;;
  env) print_env ;;
  status)
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && echo "redis     up   redis://127.0.0.1:$REDIS_PORT" || echo "redis     down"
    rabbit_ready 2>/dev/null && echo "rabbitmq  up   amqp://127.0.0.1:$AMQP_PORT" || echo "rabbitmq  down"
    mongo_ready && echo "mongo     up   mongodb://127.0.0.1:$MONGO_PORT" || echo "mongo     down"
    if ferretdb_ready; then echo "ferretdb  up   mongodb://127.0.0.1:$FERRETDB_PORT (comparison only)"; fi
    kube_ready >/dev/null 2>&1 && echo "kube      up   https://127.0.0.1:$KUBE_PORT" || echo "kube      down"
    ;;
  *) die "unknown command $cmd (up | down | reset | env | status)" ;;
esac
