"""Checks golfc's SLOT (reference §10.5) against PyTorch: the float64
reference model (tests/reference/baseline.py) on the run's final weights
(the run's export is fp32, so they are the weights its round trip
restores) gives the hidden states; per batch of windows, δ [n, 1, d] and
β [n, 1, V] are fitted by torch.optim.AdamW to the batch's mean loss over
the scored targets, as PR #1319's eval_val_sliding_slot does, then score
those targets. The windows, masks, warm start and schedule are written here
from the record's code, not from golfc's.

Usage: slot_check.py RUN_DIR VAL_SHARD SP_MODEL GOLF_SRC EVAL_SEQ STRIDE
       BATCH STEPS LR LR_MIN WEIGHT_DECAY WARM_START
  (the model is the train.test configuration: vocab 320, 2 layers, width
  64, 2/1 heads, softcap 30)
"""
import json
import math
import sys

import sentencepiece as spm
import torch
import torch.nn.functional as F

run, shard, model, src = sys.argv[1:5]
L, S, batch, steps = (int(a) for a in sys.argv[5:9])
lr0, lr_min, wd, warm0 = (float(a) for a in sys.argv[9:13])
sys.path.insert(0, src + "/tests/reference")
from baseline import forward  # noqa: E402
from golf_io import byte_tables, read_safetensors, sliding_windows, validation_tokens  # noqa: E402

c = dict(vocab_size=320, num_layers=2, model_dim=64, num_heads=2, num_kv_heads=1,
         mlp_mult=2, tie_embeddings=True, rope_base=10000.0, logit_softcap=30.0)
V, d, cap = c["vocab_size"], c["model_dim"], c["logit_softcap"]
p = {k: torch.tensor(v, dtype=torch.float64)
     for k, v in read_safetensors(f"{run}/final.safetensors").items()}
W = p["tok_emb.weight"]

tokens = validation_tokens(shard, L)
T = len(tokens) - 1
sp = spm.SentencePieceProcessor(model_file=model)
base, space, boundary = byte_tables(sp, V)
windows = sliding_windows(T, L, S)

# The frozen model's hidden states, window by window.
hidden = []
with torch.no_grad():
    for ws, wlen, s0 in windows:
        x = torch.tensor(tokens[ws:ws + wlen])[None]
        y = torch.tensor(tokens[ws + 1:ws + wlen + 1])[None]
        hidden.append(forward(p, c, x, y, reduction="hidden")[0])


def slot(warm=warm0, scored_only=True, cosine=True, bias_after_cap=False, n_steps=steps):
    """SLOT's loss. The variants show that the check tells the record's
    algorithm from its near misses: warm=0 starts every batch from zero,
    scored_only=False fits every position of the windows, cosine=False
    keeps lr0, bias_after_cap adds β after the softcap, n_steps - 1 stops a
    step early."""
    loss_sum, ntokens, nbytes, prev = 0.0, 0, 0, None
    for b0 in range(0, len(windows), batch):
        ws_batch = windows[b0:b0 + batch]
        n = len(ws_batch)
        h = torch.zeros(n, L, d, dtype=torch.float64)
        y = torch.zeros(n, L, dtype=torch.long)
        mask = torch.zeros(n, L, dtype=torch.float64)
        for i, (ws, wlen, s0) in enumerate(ws_batch):
            h[i, :wlen] = hidden[b0 + i]
            y[i, :wlen] = torch.tensor(tokens[ws + 1:ws + wlen + 1])
            mask[i, (s0 if scored_only else 0):wlen] = 1
        delta = torch.zeros(n, 1, d, dtype=torch.float64)
        bias = torch.zeros(n, 1, V, dtype=torch.float64)
        if warm > 0 and prev is not None and prev[0].size(0) == n:
            delta, bias = warm * prev[0], warm * prev[1]
        delta.requires_grad_(True)
        bias.requires_grad_(True)
        opt = torch.optim.AdamW([delta, bias], lr=lr0, weight_decay=wd)

        def losses():
            z = F.linear(h + delta, W)
            z = cap * torch.tanh(z / cap) + bias if bias_after_cap else cap * torch.tanh((z + bias) / cap)
            return F.cross_entropy(z.reshape(-1, V), y.reshape(-1), reduction="none").reshape(n, L)

        for k in range(n_steps):
            for g in opt.param_groups:
                g["lr"] = lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * k / steps)) if cosine else lr0
            opt.zero_grad()
            ((losses() * mask).sum() / mask.sum()).backward()
            opt.step()
        with torch.no_grad():
            nll = losses()
        for i, (ws, wlen, s0) in enumerate(ws_batch):
            loss_sum += float(nll[i, s0:wlen].sum())
            t, prv = y[i, s0:wlen].numpy(), tokens[ws + s0:ws + wlen]
            nbytes += int((base[t] + (space[t] & ~boundary[prv])).sum())
            ntokens += wlen - s0
        prev = (delta.detach(), bias.detach())
    return loss_sum / ntokens, ntokens, nbytes


val_loss, ntokens, nbytes = slot()
val_bpb = val_loss / math.log(2) * ntokens / nbytes
near_misses = {"no warm start": slot(warm=0)[0],
               "fitted on every position": slot(scored_only=False)[0],
               "constant lr": slot(cosine=False)[0],
               "bias after the softcap": slot(bias_after_cap=True)[0],
               "one step fewer": slot(n_steps=steps - 1)[0]}
summary = json.load(open(f"{run}/summary.json"))
got = summary["slot_val_loss"]
assert summary["slot_legal"] is False
assert summary["val_tokens"] == ntokens == T, (summary["val_tokens"], ntokens, T)
# The only difference from golfc is its float32 hidden states (within
# K·2^-24 of their norm, eval_check.py's derivation); everything after them
# is float64 on both sides. Adam divides by √v, so no closed-form bound
# carries that error through the steps: the check rests on discrimination.
# golfc must sit at least 100 times closer to this algorithm than to no SLOT
# or to any near miss of it.
near_misses["no SLOT"] = summary["roundtrip_val_loss"]
for name, other in near_misses.items():
    print(f"{name}: {other:.8f}, off by {abs(other - got):.1e}")
for name, other in near_misses.items():
    assert abs(other - got) > 100 * abs(val_loss - got), (name, other, got, val_loss)
assert abs(summary["slot_val_bpb"] - val_bpb) <= abs(val_loss - got) / math.log(2) * ntokens / nbytes + 1e-12
nearest = min(abs(v - got) for v in near_misses.values())
print(f"ok: {len(windows)} windows in batches of {batch}, {steps} steps, val_loss {val_loss:.8f} "
      f"(golfc {got:.8f}, off by {abs(val_loss - got):.1e}; without SLOT "
      f"{summary['roundtrip_val_loss']:.8f}; nearest miss off by {nearest:.1e})")
