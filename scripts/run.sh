#!/usr/bin/env bash
# golfc's main job on its built-in default: build golfc, then compile the
# challenge's baseline spec and print its IR and its report.
# Usage: scripts/run.sh [SPEC] [--set name=value ...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"

spec=$root/models/baseline.golf
if [[ $# -gt 0 && $1 != --* ]]; then
  spec=$1
  shift
fi
echo "== golfc ir $spec --emit=parsed $*"
"$build/bin/golfc" ir "$spec" --emit=parsed "$@"
echo
echo "== golfc report $spec $*"
"$build/bin/golfc" report "$spec" "$@"
