#!/usr/bin/env bash
# golfc's main job on its built-in default: set up and build golfc, make a
# corpus from the King James Bible that Debian's bible-kjv package ships (one
# document per chapter), train a BPE tokenizer on it with the challenge's
# settings, then train a small version of the challenge's baseline on the
# CPU for at most 3 minutes and print its val_bpb.
#
# Usage: scripts/run.sh [--train GLOB --val GLOB --tokenizer MODEL] [--set name=value]...
#   With --train/--val/--tokenizer (e.g. the challenge's FineWeb shards, or
#   ../shared/data/enwiki_sp1024 with fineweb_1024_bpe.model) it trains on
#   those instead. --set overrides the run's settings (golfc report lists them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh"
golfc=$build/bin/golfc
demo=$build/demo
mkdir -p "$demo"

train="" val="" tokenizer="" extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --train) train=$2; shift 2 ;;
    --val) val=$2; shift 2 ;;
    --tokenizer) tokenizer=$2; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

if [[ -z $train ]]; then
  echo "== corpus: the King James Bible (bible-kjv), one document per chapter"
  # `bible` prints each chapter as a header line after a blank line, then
  # numbered verses wrapped at 80 columns: join each chapter into one line.
  bible "Gen1:1-Rev22:21" | awk '
    $0 == "" { prev = ""; next }
    prev == "" && $0 !~ /^ / { if (doc != "") print doc "\n"; doc = ""; prev = $0; next }
    { prev = $0; sub(/^ +[0-9]+ /, ""); doc = doc (doc == "" ? "" : " ") $0 }
    END { print doc }' > "$demo/kjv.txt.tmp"
  mv "$demo/kjv.txt.tmp" "$demo/kjv.txt"
  echo "== golfc data: a 1024-piece BPE tokenizer and shards"
  "$golfc" data "$demo/kjv.txt" --vocab 1024 --out "$demo/data" 2>/dev/null
  train="$demo/data/train_*.bin" val="$demo/data/val_*.bin"
  tokenizer="$demo/data/tokenizer.model"
fi

# A small baseline: 4 layers of width 256, 4 query / 2 KV heads, sequences
# of 256 tokens, 8192 tokens a step, at most 3 minutes of training.
settings=(--set vocab_size=1024 --set num_layers=4 --set model_dim=256
          --set num_heads=4 --set num_kv_heads=2 --set train_seq_len=256
          --set train_batch_tokens=8192 --set grad_accum_steps=2
          --set iterations=1000 --set warmdown_iters=60
          --set max_wallclock_seconds=180 --set val_loss_every=100
          --set train_log_every=20)
echo "== golfc train models/baseline.golf ${settings[*]} ${extra[*]}"
"$golfc" train "$root/models/baseline.golf" "${settings[@]}" "${extra[@]}" \
  --train "$train" --val "$val" --tokenizer "$tokenizer" --out "$demo/run" \
  | grep -E '^(step|final|weights|compiled|train_shards|artifact)'
echo "== the run directory: $demo/run (train.log, final.safetensors, artifact.bin, summary.json)"
