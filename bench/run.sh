#!/usr/bin/env bash
# One training step of golfc against the same step in PyTorch (Debian's
# python3-torch, 2 threads), measured in the same run, plus the machine's
# sgemm rate. Prints figures and ratios; asserts nothing.
# Usage: bench/run.sh [tiny|baseline]...   (default: tiny)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
golfc=${GOLFC:-$root/build/bin/golfc}
configs=("${@:-tiny}")

/usr/bin/python3 "$root/bench/sgemm.py" --threads 2
for config in "${configs[@]}"; do
  case $config in
    tiny)     model="--vocab-size 1024 --num-layers 4 --model-dim 256 --num-heads 4 --num-kv-heads 2"
              shape="--batch 16 --seq 256" ;;
    baseline) model="--vocab-size 1024 --num-layers 9 --model-dim 512 --num-heads 8 --num-kv-heads 4"
              shape="--batch 4 --seq 1024" ;;
    *) echo "unknown configuration '$config' (tiny or baseline)" >&2; exit 2 ;;
  esac
  sets=$(echo "$model" | sed -E 's/--([a-z-]+) ([0-9]+)/--set \1=\2/g; s/-/_/g; s/__set/--set/g')
  echo "== $config"
  g=$(OPENBLAS_NUM_THREADS=2 "$golfc" bench "$root/models/baseline.golf" $sets $shape --steps 3)
  t=$(/usr/bin/python3 "$root/bench/torch_step.py" $model $shape --steps 3 --threads 2)
  echo "$g"
  echo "$t"
  python3 - "$g" "$t" <<'PY'
import re, sys
def field(line, name):
    return float(re.search(name + r" ([0-9.]+)", line).group(1))
g, t = sys.argv[1], sys.argv[2]
print(f"ratio golfc/torch: tokens/s {field(g, 'tokens/s') / field(t, 'tokens/s'):.2f}x  "
      f"peak RSS {field(g, 'peak RSS') / field(t, 'peak RSS'):.2f}x")
PY
done
