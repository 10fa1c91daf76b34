#!/usr/bin/env bash
# The cluster DNS image of the local cluster, FROM scratch: CoreDNS built from its Go module
# (static, cached per version under ~/.cache/stargate). Prints its name.
. "$(dirname "$0")/lib.sh"
COREDNS_VERSION=1.14.7
IMAGE=localhost/stargate-coredns:$COREDNS_VERSION
if [ "${FORCE:-0}" != 1 ] && have_image "$IMAGE"; then echo "$IMAGE"; exit 0; fi
apt_install podman buildah runc uidmap
bin=$CACHE/coredns-$COREDNS_VERSION/coredns
if [ ! -x "$bin" ]; then
  command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build CoreDNS"
  log "building CoreDNS v$COREDNS_VERSION from the Go module proxy (once per machine; a few minutes)"
  mkdir -p "$(dirname "$bin")/partial"
  CGO_ENABLED=0 GOBIN="$(dirname "$bin")/partial" go install -trimpath -ldflags="-s -w" "github.com/coredns/coredns@v$COREDNS_VERSION"
  mv "$(dirname "$bin")/partial/coredns" "$bin" && rmdir "$(dirname "$bin")/partial"
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$bin" "$work/coredns"
printf 'FROM scratch\nCOPY coredns /coredns\nENTRYPOINT ["/coredns"]\n' >"$work/Containerfile"
log "building $IMAGE"
build_image "$IMAGE" "$work" --network=none
echo "$IMAGE"
