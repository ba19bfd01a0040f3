#!/usr/bin/env bash
# `tiny` trained with an int6 GPTQ export (issue 5's measure): the size
# `golfc report` predicts before training against the artifact's, and the
# round-trip val_bpb beside the unquantized one. Prints; asserts nothing.
# Usage: bench/export.sh [DATA_DIR [TOKENIZER [COMPRESSOR]]]
#   default: ../shared/data/enwiki_sp1024 with fineweb_1024_bpe.model, lzma
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
golfc=${GOLFC:-$root/build/bin/golfc}
data=${1:-$root/../shared/data/enwiki_sp1024}
tokenizer=${2:-$root/../shared/data/tokenizers/fineweb_1024_bpe.model}
compressor=${3:-lzma}
out=$(mktemp -d)
# The baseline's spec with int6 GPTQ for the matrices and the embedding.
sed -e 's/format = "int8"/format = "int6"/' -e 's|scale_floor = 1.0 / 127|method = "gptq"|' \
    -e "s/compressor     = \"zlib\"/compressor = \"$compressor\"/" \
    "$root/models/baseline.golf" > "$out/int6_gptq.golf"
tiny=(--set vocab_size=1024 --set num_layers=4 --set model_dim=256 --set num_heads=4
      --set num_kv_heads=2 --set train_seq_len=256 --set train_batch_tokens=8192
      --set iterations=300 --set warmdown_iters=100 --set warmup_steps=0
      --set max_wallclock_seconds=0 --set seed=1337 --set val_loss_every=0
      --set train_log_every=100)
"$golfc" report "$out/int6_gptq.golf" "${tiny[@]}" | sed -n '/artifact estimate/,$p'
OPENBLAS_NUM_THREADS=2 "$golfc" train "$out/int6_gptq.golf" "${tiny[@]}" \
  --train "$data/*train_*.bin" --val "$data/*val_*.bin" --tokenizer "$tokenizer" \
  --out "$out/run" | grep -E '^(final|artifact|gptq)'
python3 - "$out" "$golfc" "${tiny[@]}" <<'PY'
import json, re, subprocess, sys
out, golfc, args = sys.argv[1], sys.argv[2], sys.argv[3:]
report = subprocess.run([golfc, "report", f"{out}/int6_gptq.golf", *args],
                        capture_output=True, text=True).stdout
estimate = int(re.search(r"counted\s+([0-9,]+) of", report).group(1).replace(",", ""))
s = json.load(open(f"{out}/run/summary.json"))
print(f"estimate {estimate} bytes, artifact {s['counted_bytes']} bytes counted: "
      f"{(estimate - s['counted_bytes']) / s['counted_bytes'] * 100:+.2f}%")
print(f"val_bpb {s['val_bpb']:.4f} unquantized, {s['roundtrip_val_bpb']:.4f} round trip "
      f"({s['roundtrip_val_bpb'] - s['val_bpb']:+.4f})")
PY
