#!/usr/bin/env bash
# `tiny` trained by golfc and by the PyTorch peer of train_gpt.py
# (bench/train_reference.py) on the same data, in the same run: val_bpb and
# training time side by side (issue 4's measure). Prints; asserts nothing.
# Usage: bench/train.sh [DATA_DIR [TOKENIZER]]
#   default: ../shared/data/enwiki_sp1024 with fineweb_1024_bpe.model
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
golfc=${GOLFC:-$root/build/bin/golfc}
data=${1:-$root/../shared/data/enwiki_sp1024}
tokenizer=${2:-$root/../shared/data/tokenizers/fineweb_1024_bpe.model}
out=$(mktemp -d)
train="$data/*train_*.bin" val="$data/*val_*.bin"

# tiny: vocab 1024, 4 layers, width 256, 4/2 heads, MLP x2, seq 256, 8192
# tokens a step, 300 iterations, 100 of warm-down, no warm-up, no wall-clock
# cap, seed 1337, the baseline's optimizers, 8 micro-steps as train_gpt.py.
OPENBLAS_NUM_THREADS=2 "$golfc" train "$root/models/baseline.golf" \
  --set vocab_size=1024 --set num_layers=4 --set model_dim=256 --set num_heads=4 \
  --set num_kv_heads=2 --set train_seq_len=256 --set train_batch_tokens=8192 \
  --set iterations=300 --set warmdown_iters=100 --set warmup_steps=0 \
  --set max_wallclock_seconds=0 --set seed=1337 --set val_loss_every=0 \
  --set train_log_every=100 --train "$train" --val "$val" --tokenizer "$tokenizer" \
  --out "$out/golfc" | grep -E '^(step|final)'
/usr/bin/python3 "$root/bench/train_reference.py" --train "$train" --val "$val" \
  --tokenizer "$tokenizer" --iterations 300 --warmdown-iters 100 --seed 1337 \
  --log-every 100 --threads 2 | tee "$out/reference.txt" | grep -E '^(step|final)'
python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
g = json.load(open(f"{out}/golfc/summary.json"))
r = re.search(r"final val_loss:([0-9.]+) val_bpb:([0-9.]+) train_time:([0-9]+)ms",
              open(f"{out}/reference.txt").read())
rb, rt = float(r.group(2)), float(r.group(3))
print(f"golfc:     val_bpb {g['val_bpb']:.4f}  train_time {g['train_time_ms'] / 1000:.1f} s")
print(f"reference: val_bpb {rb:.4f}  train_time {rt / 1000:.1f} s")
print(f"difference {g['val_bpb'] - rb:+.4f} bpb  speed {rt / g['train_time_ms']:.2f}x")
PY
