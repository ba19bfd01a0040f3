#!/usr/bin/env bash
# Installs everything golfc needs on Debian 12 (bookworm). Idempotent; run as root.
# Usage: scripts/setup.sh
set -euo pipefail

packages=(
  # Compiler toolchain and build system.
  build-essential cmake ninja-build ccache pkg-config git python3
  # MLIR/LLVM 19 (dialect, passes, code generation) and the LLVM test tools (FileCheck, lit).
  libmlir-19-dev mlir-19-tools llvm-19-dev llvm-19-tools
  # Runtime libraries.
  libzstd-dev liblzma-dev zlib1g-dev libfmt-dev libgtest-dev libgmock-dev
  libsentencepiece-dev sentencepiece libopenblas-dev nlohmann-json3-dev
  # The text of the main command's built-in run: the King James Bible (public domain).
  bible-kjv
  # PyTorch (CPU) for the reference checks of the tests, never for training.
  python3-torch python3-numpy python3-sentencepiece
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run as root (or install them with apt-get) and retry" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The CUDA toolkit is optional at this stage: report, never fail.
if [[ -x /usr/local/cuda/bin/nvcc ]]; then
  echo "setup: CUDA toolkit found: $(/usr/local/cuda/bin/nvcc --version | tail -1)"
else
  echo "setup: no CUDA toolkit in /usr/local/cuda (the CUDA backend will be skipped)"
fi
echo "setup: done"
