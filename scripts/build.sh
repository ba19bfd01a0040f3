#!/usr/bin/env bash
# Installs the dependencies (scripts/setup.sh) and builds golfc into build/.
# Usage: scripts/build.sh            (from anywhere; BUILD_DIR overrides build/)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}

if [[ $(id -u) -eq 0 ]]; then
  bash "$root/scripts/setup.sh"
elif command -v sudo >/dev/null; then
  sudo bash "$root/scripts/setup.sh"
else
  bash "$root/scripts/setup.sh" # Says what is missing if anything is.
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)"
