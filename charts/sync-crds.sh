#!/usr/bin/env bash
# Copies the CRDs (crds/, owned by the operator) into the chart's crds/ folder, where Helm installs
# them before anything else. A test (e2e/src/charts) fails while the two differ.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rm -f "$root/charts/stargate/crds/"*.yaml
cp "$root/crds/"*.yaml "$root/charts/stargate/crds/"
echo "synced $(ls "$root/crds/"*.yaml | wc -l) CRD file(s) into charts/stargate/crds/"
