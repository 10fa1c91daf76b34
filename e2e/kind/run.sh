#!/usr/bin/env bash
# The whole of StarGate on a throw-away kind cluster:
#   create the cluster, build and load the image, install the chart with its built-in Redis,
#   RabbitMQ and MongoDB, apply examples/, run the SDK end-to-end test against the gateway,
#   tear everything down (also on failure).
# Needs Docker, kind >= 0.24, kubectl, helm >= 3.14, Node 24 with `npm ci` done. See README.md.
#
# Environment:
#   KIND_CLUSTER_NAME   cluster name (default stargate-e2e)
#   STARGATE_IMAGE      image to build and load (default stargate:e2e)
#   KEEP_CLUSTER=1      leave the cluster running afterwards, for a look around
#   SKIP_BUILD=1        use an image already present in Docker
set -euo pipefail

ROOT=$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)
CLUSTER=${KIND_CLUSTER_NAME:-stargate-e2e}
IMAGE=${STARGATE_IMAGE:-stargate:e2e}
RELEASE=stargate
SYSTEM_NS=stargate-system
PUBLIC_NS=stargate-public
PRIVATE_NS=stargate-private
LOCAL_PORT=${STARGATE_KIND_PORT:-18080}

log() { printf '\n[kind-e2e] %s\n' "$*" >&2; }
die() { printf '[kind-e2e] error: %s\n' "$*" >&2; exit 1; }

# ---- prerequisites, with a clear word on what is missing
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed ($2)"; }
need docker "https://docs.docker.com/get-docker/"
need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation (>= 0.24)"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need helm "https://helm.sh/docs/intro/install/ (>= 3.14)"
need node "Node.js 24: https://nodejs.org/"
need curl "your distribution's curl package"
docker info >/dev/null 2>&1 || die "Docker is installed but its daemon is not reachable (is it running? may this user use it?)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 22 ] || die "Node $node_major found; Node 24 is needed for the test runner"
[ -d "$ROOT/node_modules" ] || die "run 'npm ci' in $ROOT first (the test runner and the SDK come from there)"
kind_minor=$(kind version | sed -n 's/^kind v0\.\([0-9]*\).*/\1/p')
[ -z "$kind_minor" ] || [ "$kind_minor" -ge 24 ] || die "kind v0.$kind_minor found; >= 0.24 is needed (NetworkPolicy support in kindnet)"

WORK=$(mktemp -d)
export KUBECONFIG=$WORK/kubeconfig
PF_PID=""
cleanup() {
  local rc=$?
  [ -z "$PF_PID" ] || kill "$PF_PID" 2>/dev/null || true
  if [ $rc -ne 0 ]; then
    log "failed (exit $rc); state of the cluster:"
    kubectl get pods -A -o wide 2>/dev/null || true
    kubectl -n "$SYSTEM_NS" logs deploy/$RELEASE-operator --tail=50 2>/dev/null || true
    kubectl -n "$PUBLIC_NS" logs deploy/$RELEASE-gateway --tail=50 2>/dev/null || true
  fi
  if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
    log "KEEP_CLUSTER=1: cluster $CLUSTER left running (kind delete cluster --name $CLUSTER)"
  else
    kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

# ---- cluster
if kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  die "a kind cluster named $CLUSTER already exists; delete it or set KIND_CLUSTER_NAME"
fi
log "creating kind cluster $CLUSTER"
kind create cluster --name "$CLUSTER" --config "$ROOT/e2e/kind/kind-config.yaml" --kubeconfig "$KUBECONFIG" --wait 180s

# ---- image
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "building $IMAGE"
  docker build -t "$IMAGE" "$ROOT"
fi
log "loading $IMAGE into the cluster"
kind load docker-image "$IMAGE" --name "$CLUSTER"

# ---- chart, with the built-in stores
repo=${IMAGE%:*}
tag=${IMAGE##*:}
[ "$repo" != "$IMAGE" ] || tag=latest
log "installing the chart (release $RELEASE)"
helm upgrade --install "$RELEASE" "$ROOT/charts/stargate" \
  --namespace "$SYSTEM_NS" --create-namespace \
  -f "$ROOT/charts/stargate/values-minimal.yaml" \
  --set image.repository="$repo" --set image.tag="$tag" --set image.pullPolicy=Never \
  --set publicUrl="http://localhost:$LOCAL_PORT" \
  --wait --timeout 10m

# ---- examples: process types first, then the tenants that use them
log "applying examples/"
kubectl -n "$SYSTEM_NS" apply -f "$ROOT/examples/processtype-order.yaml" -f "$ROOT/examples/processtype-shipping.yaml"
kubectl -n "$SYSTEM_NS" apply -f "$ROOT/examples/tenant-acme.yaml" -f "$ROOT/examples/tenant-globex.yaml"
kubectl -n "$SYSTEM_NS" wait --for=condition=Ready --timeout=180s tenant/acme tenant/globex
# Handler pods take the image from the operator; wait until every one is Ready.
kubectl -n "$SYSTEM_NS" wait --for=condition=Ready --timeout=300s processtype/order processtype/shipping
kubectl -n "$PRIVATE_NS" wait --for=condition=Available --timeout=300s deployment --all

# ---- the SDK against the gateway, through a port-forward (as a customer would through the Ingress)
log "port-forwarding the gateway to localhost:$LOCAL_PORT"
kubectl -n "$PUBLIC_NS" port-forward "svc/$RELEASE-gateway" "$LOCAL_PORT:80" >"$WORK/port-forward.log" 2>&1 &
PF_PID=$!
for _ in $(seq 1 60); do
  curl -fsS "http://localhost:$LOCAL_PORT/.well-known/jwks.json" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "http://localhost:$LOCAL_PORT/.well-known/jwks.json" >/dev/null || die "the gateway did not answer through the port-forward (see $WORK/port-forward.log)"

log "running the SDK end-to-end test"
cd "$ROOT"
STARGATE_KIND_GATEWAY_URL="http://localhost:$LOCAL_PORT" STARGATE_KIND_NAMESPACE="$SYSTEM_NS" \
  npx vitest run e2e/src/charts/kind.test.ts

log "passed"
