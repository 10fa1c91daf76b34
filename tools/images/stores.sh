#!/usr/bin/env bash
# Stand-ins for the chart's built-in stores, FROM scratch from what this machine runs for
# development (so nothing is pulled), each running as uid 999 like the upstream images:
#   localhost/stargate-redis:<v>     Debian's redis-server (the chart runs `redis-server …`)
#   localhost/stargate-rabbitmq:<v>  Debian's rabbitmq-server and Erlang; honours the chart's
#                                    RABBITMQ_DEFAULT_USER/PASS and its /etc/rabbitmq ConfigMap
#   localhost/stargate-ferretdb:<v>  FerretDB (MongoDB wire protocol, SQLite storage, real
#                                    SCRAM authentication); accepts mongod's `--bind_ip_all --auth`
#                                    and MONGO_INITDB_ROOT_USERNAME/PASSWORD as the chart passes them
# Prints "redis=<image> rabbitmq=<image> mongodb=<image>" (for helm --set …builtin.image=…).
# Cached; FORCE=1 rebuilds. Loaded into the local cluster's containerd when it runs.
. "$(dirname "$0")/lib.sh"
apt_install podman buildah runc uidmap redis-server rabbitmq-server

passwd_files() { # ROOTFS USER: /etc/passwd and /etc/group with root and the store's user (999)
  mkdir -p "$1/etc" "$1/tmp"; chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:999:999:%s:%s:/sbin/nologin\n' "$2" "$2" "${3:-/nonexistent}" >"$1/etc/passwd"
  printf 'root:x:0:\n%s:x:999:\n' "$2" >"$1/etc/group"
}

redis_image() {
  local v img work
  v=$(dpkg-query -W -f='${Version}' redis-server | sed 's/^[0-9]*://; s/-.*//')
  img=localhost/stargate-redis:$v
  if [ "${FORCE:-0}" = 1 ] || ! have_image "$img"; then
    work=$(mktemp -d)
    copy_bin "$work/rootfs" /usr/bin/redis-server
    passwd_files "$work/rootfs" redis /data
    mkdir -p "$work/rootfs/data"; chown 999:999 "$work/rootfs/data"
    printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/bin:/bin\nUSER 999:999\nWORKDIR /data\nEXPOSE 6379\nCMD ["redis-server"]\n' >"$work/Containerfile"
    log "building $img"
    build_image "$img" "$work" --network=none
    rm -rf "$work"
  fi
  echo "$img"
}

rabbitmq_image() {
  local v img work
  v=$(dpkg-query -W -f='${Version}' rabbitmq-server | sed 's/-.*//')
  img=localhost/stargate-rabbitmq:$v
  if [ "${FORCE:-0}" = 1 ] || ! have_image "$img"; then
    work=$(mktemp -d)
    # Without the management CLI's Python, the log rotation and user tools the package pulls in.
    SKIP_PACKAGES="python3 python3-minimal adduser logrotate lsb-base socat openssl perl perl-base passwd" \
      copy_packages "$work/rootfs" rabbitmq-server dash coreutils sed grep hostname
    ln -sf dash "$work/rootfs/bin/sh"
    passwd_files "$work/rootfs" rabbitmq /var/lib/rabbitmq
    mkdir -p "$work/rootfs/var/lib/rabbitmq" "$work/rootfs/etc/rabbitmq"
    chown 999:999 "$work/rootfs/var/lib/rabbitmq"
    rm -rf "$work/rootfs/usr/share/doc" "$work/rootfs/usr/share/man" "$work/rootfs/usr/share/locale" "$work/rootfs/usr/share/info"
    cat >"$work/Containerfile" <<'EOT'
FROM scratch
COPY rootfs/ /
# Logs go to the console (the chart's rabbitmq.conf); the root filesystem may be read-only, so
# everything written lives under the data volume.
ENV PATH=/usr/lib/rabbitmq/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/rabbitmq \
    RABBITMQ_LOG_BASE=/var/lib/rabbitmq/log RABBITMQ_MNESIA_BASE=/var/lib/rabbitmq/mnesia \
    LANG=C.UTF-8
USER 999:999
WORKDIR /var/lib/rabbitmq
EXPOSE 5672 15672 15692
CMD ["/usr/lib/rabbitmq/bin/rabbitmq-server"]
EOT
    log "building $img"
    build_image "$img" "$work" --network=none
    rm -rf "$work"
  fi
  echo "$img"
}

ferretdb_image() {
  local v=1.24.0 img work bin
  img=localhost/stargate-ferretdb:$v
  bin=$CACHE/ferretdb-$v/ferretdb
  if [ "${FORCE:-0}" = 1 ] || ! have_image "$img"; then
    [ -x "$bin" ] || STARGATE_DATA_DIR=$(mktemp -d) "$ROOT/tools/services.sh" up ferretdb >/dev/null 2>&1 || true
    [ -x "$bin" ] || die "FerretDB is not built ($bin); tools/services.sh builds it"
    work=$(mktemp -d)
    copy_bin "$work/rootfs" "$bin" /usr/local/bin/ferretdb
    copy_bin "$work/rootfs" /bin/dash /bin/sh
    passwd_files "$work/rootfs" ferretdb /data/db
    mkdir -p "$work/rootfs/data/db"; chown 999:999 "$work/rootfs/data/db"
    cat >"$work/rootfs/usr/local/bin/docker-entrypoint" <<'EOT'
#!/bin/sh
# mongod's interface as the chart uses it, on FerretDB: --bind_ip_all listens on every address,
# --auth requires SCRAM authentication with the MONGO_INITDB_ROOT_* user (created in admin).
set -eu
auth=""
for arg in "$@"; do
  case $arg in
    --bind_ip_all) ;;
    --auth) auth=1 ;;
    *) echo "docker-entrypoint: unsupported mongod argument: $arg" >&2; exit 2 ;;
  esac
done
set -- --listen-addr=0.0.0.0:27017 --handler=sqlite --sqlite-url=file:/data/db/ --state-dir=/data/db \
  --telemetry=disable --debug-addr=- --log-level=warn
if [ -n "$auth" ]; then
  [ -n "${MONGO_INITDB_ROOT_USERNAME:-}" ] && [ -n "${MONGO_INITDB_ROOT_PASSWORD:-}" ] \
    || { echo "docker-entrypoint: --auth needs MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD" >&2; exit 2; }
  set -- "$@" --test-enable-new-auth --setup-database=admin \
    --setup-username="$MONGO_INITDB_ROOT_USERNAME" --setup-password="$MONGO_INITDB_ROOT_PASSWORD"
fi
exec /usr/local/bin/ferretdb "$@"
EOT
    chmod 755 "$work/rootfs/usr/local/bin/docker-entrypoint"
    printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/local/bin:/bin\nUSER 999:999\nWORKDIR /data/db\nEXPOSE 27017\nENTRYPOINT ["/usr/local/bin/docker-entrypoint"]\n' >"$work/Containerfile"
    log "building $img"
    build_image "$img" "$work" --network=none
    rm -rf "$work"
  fi
  echo "$img"
}

redis=$(redis_image)
rabbitmq=$(rabbitmq_image)
mongodb=$(ferretdb_image)
for img in "$redis" "$rabbitmq" "$mongodb"; do log "$img: $(image_size "$img")"; done
ONLY_MISSING=$((1 - ${FORCE:-0})) load_into_cluster "$redis" "$rabbitmq" "$mongodb"
echo "redis=$redis rabbitmq=$rabbitmq mongodb=$mongodb"
