"""Checks the sliding-window score of a `golfc train` run against PyTorch:
the float64 reference model (tests/reference/baseline.py) on the run's
final weights, windows written here and byte counting (tests/reference) from the reference's
description (§6.1, §6.2 third form), not from golfc's code.

Usage: eval_check.py RUN_DIR VAL_SHARD SP_MODEL GOLF_SRC SEQ STRIDE
  (the model is the train.test configuration: vocab 320, 2 layers, width
  64, 2/1 heads)
"""
import json
import math
import sys

import numpy as np
import sentencepiece as spm
import torch

run, shard, model, src, L, S = sys.argv[1:7]
L, S = int(L), int(S)
sys.path.insert(0, src + "/tests/reference")
from baseline import forward  # noqa: E402
from golf_io import byte_tables, read_safetensors, sliding_windows, validation_tokens  # noqa: E402

c = dict(vocab_size=320, num_layers=2, model_dim=64, num_heads=2, num_kv_heads=1,
         mlp_mult=2, tie_embeddings=True, rope_base=10000.0, logit_softcap=30.0)
p = {k: torch.tensor(v, dtype=torch.float64) for k, v in read_safetensors(f"{run}/final.safetensors").items()}

# The shard, cut as train_gpt.py does to whole sequences plus one.
tokens = validation_tokens(shard, L)
T = len(tokens) - 1

# Byte counting, train_gpt.py's tables.
sp = spm.SentencePieceProcessor(model_file=model)
base, space, boundary = byte_tables(sp, c["vocab_size"])

windows = sliding_windows(T, L, S)
scored = np.zeros(T, np.int64)
for ws, wlen, s0 in windows:
    scored[ws + s0: ws + wlen] += 1
assert (scored == 1).all(), "every target is scored exactly once"

loss_sum, nbytes, ntokens = 0.0, 0, 0
with torch.no_grad():
    for first in range(0, len(windows), 64):
        group = windows[first:first + 64]
        x = np.zeros((len(group), L), np.int64)
        y = np.zeros((len(group), L), np.int64)
        for r, (ws, wlen, _) in enumerate(group):
            x[r, :wlen] = tokens[ws:ws + wlen]
            y[r, :wlen] = tokens[ws + 1:ws + wlen + 1]
        nll = forward(p, c, torch.tensor(x), torch.tensor(y), reduction="none").numpy()
        for r, (ws, wlen, s0) in enumerate(group):
            loss_sum += float(nll[r, s0:wlen].sum())
            t, prev = y[r, s0:wlen], x[r, s0:wlen]
            nbytes += int((base[t] + (space[t] & ~boundary[prev])).sum())
            ntokens += wlen - s0
val_loss = loss_sum / ntokens
val_bpb = val_loss / math.log(2) * ntokens / nbytes

summary = json.load(open(f"{run}/summary.json"))
assert summary["eval_stride"] == (S if S < L else 0), summary["eval_stride"]
assert summary["val_tokens"] == ntokens == T, (summary["val_tokens"], ntokens, T)
assert summary["val_bytes"] == nbytes, (summary["val_bytes"], nbytes)
# golfc computes each position's loss in float32. Each is a chain of
# sequential reductions of at most K = layers·(d + 2L + d + hidden + 3d) +
# d + V terms, each adding at most one unit roundoff relative to the logits'
# scale, which the softcap bounds by 30: |error| <= K·2^-24·30 per position,
# hence for their mean.
K = c["num_layers"] * (64 + 2 * L + 64 + 128 + 3 * 64) + 64 + c["vocab_size"]
tol = K * 2.0**-24 * c["logit_softcap"]
assert abs(summary["val_loss"] - val_loss) < tol, (summary["val_loss"], val_loss, tol)
assert abs(summary["val_bpb"] - val_bpb) < tol / math.log(2) * ntokens / nbytes, (summary["val_bpb"], val_bpb)
print(f"ok: {len(windows)} windows, val_loss {val_loss:.6f} (golfc {summary['val_loss']:.6f}, bound {tol:.1e})")
