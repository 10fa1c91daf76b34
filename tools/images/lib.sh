# Shared by the image scripts in tools/images/ (sourced, not run).
# Images are built with Debian's podman from local files only: no registry is pulled from.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/stargate
NODE_VERSION=24.21.0
NPM_VERSION=11.19.1
export CONTAINERS_CONF=$ROOT/tools/images/containers.conf

log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }
# shellcheck source=../lib.sh
. "$ROOT/tools/lib.sh" # wait_for, apt_install

pm() { podman "$@"; }
have_image() { podman image exists "$1"; }

# copy_bin ROOTFS FILE [DEST]: copies an executable and every shared library it loads.
copy_bin() {
  local rootfs=$1 file=$2 dest=${3:-$2} lib
  mkdir -p "$rootfs$(dirname "$dest")"
  cp -L "$file" "$rootfs$dest"
  for lib in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*' || true); do
    [ -e "$rootfs$lib" ] && continue
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
}

# copy_packages ROOTFS PKG...: the files of installed Debian packages and of everything they
# depend on (Pre-Depends/Depends, recursively), as dpkg installed them on this machine.
# Packages named in $SKIP_PACKAGES (and their own dependencies) are left out.
copy_packages() {
  local rootfs=$1 pkg; shift
  local -A seen=()
  for pkg in ${SKIP_PACKAGES:-}; do seen[$pkg]=skip; done
  local queue=("$@") dep
  while [ ${#queue[@]} -gt 0 ]; do
    pkg=${queue[0]}; queue=("${queue[@]:1}")
    [ -n "${seen[$pkg]:-}" ] && continue
    seen[$pkg]=1
    for dep in $(dpkg-query -W -f='${Pre-Depends}, ${Depends}\n' "$pkg" 2>/dev/null |
      tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g' | grep -v '^$' || true); do
      # Of alternatives only the first; virtual or uninstalled packages are skipped.
      dpkg -s "$dep" >/dev/null 2>&1 && queue+=("$dep")
    done
  done
  for pkg in "${!seen[@]}"; do
    [ "${seen[$pkg]}" = skip ] && continue
    dpkg-query -L "$pkg" 2>/dev/null | while read -r f; do
      [ -f "$f" ] || [ -L "$f" ] || continue
      { [ -L "$f" ] && [ -d "$f" ]; } && continue # e.g. /lib64 -> usr/lib64 (merged /usr): its files come by name
      [ -e "$rootfs$f" ] && continue
      mkdir -p "$rootfs$(dirname "$f")"
      cp -a "$f" "$rootfs$f"
    done
  done
}

# build_image NAME CONTEXT [podman build options...]: FROM-scratch builds need no network.
build_image() {
  local name=$1 context=$2; shift 2
  pm build --pull=never --format docker -t "$name" "$@" "$context" >&2
}

image_size() { podman image inspect --format '{{.Size}}' "$1" | awk '{printf "%.1f MB\n", $1/1e6}'; }

# load_into_cluster IMAGE...: into the local cluster's containerd (tools/cluster), when it runs.
# With ONLY_MISSING=1, images the cluster already has (by name) are not loaded again.
load_into_cluster() {
  local sock=${STARGATE_CLUSTER_DIR:-$ROOT/.data/cluster}/run/containerd.sock img tar
  [ -S "$sock" ] || { log "local cluster not running: not loading $* (make cluster, then make image)"; return 0; }
  for img in "$@"; do
    if [ "${ONLY_MISSING:-0}" = 1 ] && ctr --address "$sock" -n k8s.io images ls -q | grep -qxF "$img"; then continue; fi
    tar=$(mktemp --suffix=.tar)
    pm save -q --format docker-archive -o "$tar" "$img" >/dev/null
    ctr --address "$sock" -n k8s.io images import "$tar" >/dev/null
    rm -f "$tar"
    log "loaded $img into the local cluster"
  done
}
