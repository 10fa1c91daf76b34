#!/usr/bin/env bash
# `make image`: the project image from the repository's Dockerfile, built with podman on the
# local FROM-scratch Node bases (tools/images/node-base.sh), so nothing is pulled; then loaded
# into the local cluster's containerd when that runs (tools/cluster/cluster.sh).
#   STARGATE_IMAGE  name of the image (default localhost/stargate:dev)
. "$(dirname "$0")/lib.sh"

IMAGE=${STARGATE_IMAGE:-localhost/stargate:dev}
read -r RUNTIME BUILD < <("$ROOT/tools/images/node-base.sh")
log "building $IMAGE from the Dockerfile (build stage on $BUILD, runtime on $RUNTIME)"
start=$SECONDS
# The build stage reaches the npm registry (npm ci; its cache is a build cache mount), hence
# the host network; the CA bundle it needs is in the build base.
pm build --pull=never --format docker --network=host \
  --build-arg NODE_IMAGE="$BUILD" --build-arg RUNTIME_IMAGE="$RUNTIME" \
  -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >&2
log "$IMAGE built in $((SECONDS - start)) s: $(image_size "$IMAGE")"
load_into_cluster "$IMAGE"
