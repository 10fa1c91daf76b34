#!/usr/bin/env bash
# `make e2e-cluster`: the whole of StarGate as pods on the local one-node cluster.
#   bring the cluster up (tools/cluster/cluster.sh), build and load the project image and the
#   stand-ins for the chart's built-in stores (tools/images/), helm install the chart, apply
#   examples/, wait for the operator (Tenants Ready, handler Deployments Available), run the
#   SDK/HTTP suites through the gateway Service (e2e/src/charts/kind.test.ts, shared with the
#   kind path, and e2e/src/cluster/cluster.test.ts), then uninstall and check that nothing of
#   the release is left. The release is removed also on failure; the cluster stays up (warm
#   reruns; `make cluster-down` stops it).
#
#   KEEP_RELEASE=1   leave the release installed afterwards, for a look around
#   SKIP_IMAGES=1    use the images already loaded into the cluster
#   STARGATE_CLUSTER_MONGO_IMAGE  the MongoDB-wire store image (default: tools/images/stores.sh's
#                                 FerretDB); must take mongod's `--bind_ip_all --auth` and
#                                 MONGO_INITDB_ROOT_USERNAME/PASSWORD like the official image
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../images/lib.sh
. "$ROOT/tools/images/lib.sh"
log() { printf '\n[e2e-cluster] %s\n' "$*" >&2; }
die() { printf '[e2e-cluster] error: %s\n' "$*" >&2; exit 1; }

RELEASE=stargate
SYSTEM_NS=stargate-system
PUBLIC_NS=stargate-public
PRIVATE_NS=stargate-private
IMAGE=${STARGATE_IMAGE:-localhost/stargate:dev}
HELM_VERSION=3.19.0
T0=$SECONDS
phase() { log "[$((SECONDS - T0)) s] $*"; }

phase "cluster"
"$ROOT/tools/cluster/cluster.sh" up
eval "$("$ROOT/tools/cluster/cluster.sh" env)"
D=${STARGATE_CLUSTER_DIR:-$ROOT/.data/cluster}
helm_bin=$CACHE/helm-$HELM_VERSION
[ -x "$helm_bin/helm" ] || "$ROOT/tools/services.sh" up helm
export PATH=$helm_bin:$PATH
command -v kubectl >/dev/null && command -v helm >/dev/null || die "kubectl or helm missing"

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    log "failed (exit $rc); state of the cluster:"
    kubectl get pods -A -o wide 2>/dev/null || true
    kubectl -n "$SYSTEM_NS" logs "deploy/$RELEASE-operator" --tail=40 2>/dev/null || true
    kubectl -n "$PUBLIC_NS" logs "deploy/$RELEASE-gateway" --tail=40 2>/dev/null || true
  fi
  if [ "${KEEP_RELEASE:-0}" = 1 ]; then
    log "KEEP_RELEASE=1: release $RELEASE left installed (KUBECONFIG=$KUBECONFIG)"
  else
    [ -n "${UNINSTALLED:-}" ] || uninstall >/dev/null 2>&1 || true
    remove_namespaces >/dev/null 2>&1 || true
  fi
  log "finished in $((SECONDS - T0)) s (exit $rc)"
  exit $rc
}
# Tenants and ProcessTypes first, while the operator still runs to clean up after them (handler
# Deployments, credentials), then the release.
uninstall() {
  kubectl -n "$SYSTEM_NS" delete tenants,processtypes --all --wait=true --timeout=120s || true
  helm uninstall "$RELEASE" -n "$SYSTEM_NS" --wait --timeout 5m || true
}
# The chart keeps its zone namespaces on uninstall (helm.sh/resource-policy: keep); a test run removes them.
remove_namespaces() {
  kubectl delete namespace "$PUBLIC_NS" "$PRIVATE_NS" "$SYSTEM_NS" --ignore-not-found --wait=true --timeout=180s || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if helm status "$RELEASE" -n "$SYSTEM_NS" >/dev/null 2>&1; then
  log "a release $RELEASE is left over from an earlier run: removing it first"
  uninstall
fi
remove_namespaces

# ---- images (built locally, loaded into the cluster's containerd; nothing is pulled)
if [ "${SKIP_IMAGES:-0}" != 1 ]; then
  phase "images"
  STARGATE_IMAGE=$IMAGE "$ROOT/tools/images/stargate.sh"
fi
stores=$("$ROOT/tools/images/stores.sh")
eval "$(tr ' ' '\n' <<<"$stores" | sed 's/^/store_/')"
mongo_image=${STARGATE_CLUSTER_MONGO_IMAGE:-$store_mongodb}

# ---- the chart, with its built-in stores. The API server's endpoint is the node's port 6459:
# the NetworkPolicies must let the operator and the gateway reach it (the Service's 443 is
# translated before the policy applies).
phase "helm install"
# Without --wait: the gateway cannot start before the operator has written its configuration,
# which it does once there is something to configure (the examples below); waiting first would
# only watch the gateway crash-loop into a long back-off.
helm upgrade --install "$RELEASE" "$ROOT/charts/stargate" \
  --namespace "$SYSTEM_NS" --create-namespace \
  -f "$ROOT/charts/stargate/values-minimal.yaml" \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" --set image.pullPolicy=Never \
  --set redis.builtin.image="$store_redis" --set rabbitmq.builtin.image="$store_rabbitmq" \
  --set mongodb.builtin.image="$mongo_image" \
  --set redis.builtin.pullPolicy=Never --set rabbitmq.builtin.pullPolicy=Never --set mongodb.builtin.pullPolicy=Never \
  --set publicUrl="http://$RELEASE-gateway.$PUBLIC_NS.svc" \
  --set "networkPolicy.kubeApiServer.ports={443,6443,${STARGATE_CLUSTER_API_PORT:-6459}}"

phase "examples/"
kubectl -n "$SYSTEM_NS" apply -f "$ROOT/examples/processtype-order.yaml" -f "$ROOT/examples/processtype-shipping.yaml"
kubectl -n "$SYSTEM_NS" apply -f "$ROOT/examples/tenant-acme.yaml" -f "$ROOT/examples/tenant-globex.yaml"
kubectl -n "$SYSTEM_NS" wait --for=condition=Ready --timeout=180s tenant/acme tenant/globex
kubectl -n "$SYSTEM_NS" wait --for=condition=Ready --timeout=300s processtype/order processtype/shipping
kubectl -n "$PRIVATE_NS" wait --for=condition=Available --timeout=300s deployment --all
kubectl -n "$SYSTEM_NS" rollout status deployment "$RELEASE-operator" --timeout=300s
kubectl -n "$PUBLIC_NS" rollout status deployment "$RELEASE-gateway" --timeout=300s
for sts in redis rabbitmq; do kubectl -n "$PUBLIC_NS" rollout status statefulset "$RELEASE-$sts" --timeout=300s; done
kubectl -n "$PRIVATE_NS" rollout status statefulset "$RELEASE-mongodb" --timeout=300s
phase "installed and reconciled"
{
  date -u
  kubectl get pods -A -o wide
  echo
  kubectl -n "$SYSTEM_NS" get tenants,processtypes
} | tee "$D/e2e-last-run.txt"

# ---- the suites, through the gateway Service. kube-proxy routes this machine's own traffic to
# ClusterIPs, so the Service is used as a pod would (no port-forward pinned to one pod).
gw_ip=$(kubectl -n "$PUBLIC_NS" get svc "$RELEASE-gateway" -o jsonpath='{.spec.clusterIP}')
gw_port=$(kubectl -n "$PUBLIC_NS" get svc "$RELEASE-gateway" -o jsonpath='{.spec.ports[0].port}')
GATEWAY_URL=http://$gw_ip:$gw_port
for _ in $(seq 1 60); do curl -fsS "$GATEWAY_URL/.well-known/jwks.json" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "$GATEWAY_URL/.well-known/jwks.json" >/dev/null || die "the gateway Service does not answer at $GATEWAY_URL"
# The ledger check reads MongoDB: the store pod's address (headless Service), with the chart's credentials.
mongo_ip=$(kubectl -n "$PRIVATE_NS" get pod "$RELEASE-mongodb-0" -o jsonpath='{.status.podIP}')
mongo_url=$(kubectl -n "$PRIVATE_NS" get secret "$RELEASE-mongodb" -o jsonpath='{.data.url}' | base64 -d |
  sed "s#@$RELEASE-mongodb.$PRIVATE_NS.svc:#@$mongo_ip:#")

phase "suites against $GATEWAY_URL"
cd "$ROOT"
STARGATE_KIND_GATEWAY_URL=$GATEWAY_URL STARGATE_KIND_NAMESPACE=$SYSTEM_NS \
  STARGATE_CLUSTER_GATEWAY_URL=$GATEWAY_URL STARGATE_CLUSTER_MONGO_URL=$mongo_url \
  STARGATE_CLUSTER_NAMESPACE=$SYSTEM_NS STARGATE_CLUSTER_PUBLIC_NAMESPACE=$PUBLIC_NS \
  STARGATE_CLUSTER_PRIVATE_NAMESPACE=$PRIVATE_NS STARGATE_CLUSTER_RELEASE=$RELEASE \
  STARGATE_CLUSTER_CHART=$ROOT/charts/stargate \
  npx vitest run --no-file-parallelism e2e/src/charts/kind.test.ts e2e/src/cluster/cluster.test.ts \
    e2e/src/cluster/network-policy.test.ts

# ---- helm uninstall leaves nothing of the release behind
if [ "${KEEP_RELEASE:-0}" != 1 ]; then
  phase "helm uninstall"
  uninstall
  UNINSTALLED=1
  # Nothing of the release may be left: no object with its label, no handler Deployment or pod
  # in the zones (only the namespaces and the encryption key Secret, which the chart keeps on
  # purpose: without the key the stored data cannot be read).
  leftovers() {
    kubectl get deploy,statefulset,svc,pods,secrets,configmaps,networkpolicies -A \
      -l "app.kubernetes.io/instance=$RELEASE" -o name 2>/dev/null | { grep -v -- '-encryption-keys$' || true; }
    kubectl -n "$PRIVATE_NS" get deploy,pods -o name 2>/dev/null
    kubectl -n "$PUBLIC_NS" get deploy,statefulset,pods -o name 2>/dev/null
  }
  for _ in $(seq 1 120); do [ -z "$(leftovers)" ] && break; sleep 1; done
  [ -z "$(leftovers)" ] || { leftovers; die "helm uninstall left the objects above behind"; }
  phase "helm uninstall: no object of the release is left"
  remove_namespaces
fi
phase "passed"
