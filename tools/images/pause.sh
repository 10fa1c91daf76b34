#!/usr/bin/env bash
# The pod sandbox ("pause") image of the local cluster, FROM scratch: Debian's statically linked
# catatonit in pause mode (-P), as user 65535. Prints its name; cached.
. "$(dirname "$0")/lib.sh"
apt_install catatonit podman buildah runc uidmap
version=$(dpkg-query -W -f='${Version}' catatonit | sed 's/[^0-9.].*//')
IMAGE=localhost/stargate-pause:catatonit-$version
if [ "${FORCE:-0}" = 1 ] || ! have_image "$IMAGE"; then
  file -L /usr/bin/catatonit 2>/dev/null | grep -q 'statically linked' || ldd /usr/bin/catatonit 2>&1 | grep -q 'not a dynamic' \
    || die "/usr/bin/catatonit is not statically linked"
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  cp /usr/bin/catatonit "$work/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause", "-P"]\n' >"$work/Containerfile"
  log "building $IMAGE"
  build_image "$IMAGE" "$work" --network=none
fi
echo "$IMAGE"
