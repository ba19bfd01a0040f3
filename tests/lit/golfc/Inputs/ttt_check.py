"""Checks golfc's score-first TTT (reference §10.2) against PyTorch: the
float64 reference model (tests/reference/baseline.py) on the run's final
weights (the run's export is fp32, so they are the weights its round trip
restores), adapted chunk by chunk as the records' eval_val_ttt does. The
windows, chunks, SGD and schedule are written here from the reference's
description, not from golfc's code.

Usage: ttt_check.py RUN_DIR VAL_SHARD SP_MODEL GOLF_SRC EVAL_SEQ STRIDE
       TRAIN_SEQ CHUNK BATCH_SEQS EPOCHS LR CLIP
  (the model is the train.test configuration: vocab 320, 2 layers, width
  64, 2/1 heads; momentum 0.9)
"""
import json
import math
import sys

import sentencepiece as spm
import torch

run, shard, model, src = sys.argv[1:5]
L, S, seq, C, batch_seqs, epochs = (int(a) for a in sys.argv[5:11])
lr0, clip = float(sys.argv[11]), float(sys.argv[12])
momentum = 0.9
sys.path.insert(0, src + "/tests/reference")
from baseline import forward  # noqa: E402
from golf_io import byte_tables, read_safetensors, sliding_windows, validation_tokens  # noqa: E402

c = dict(vocab_size=320, num_layers=2, model_dim=64, num_heads=2, num_kv_heads=1,
         mlp_mult=2, tie_embeddings=True, rope_base=10000.0, logit_softcap=30.0)
p = {k: torch.tensor(v, dtype=torch.float64)
     for k, v in read_safetensors(f"{run}/final.safetensors").items()}

tokens = validation_tokens(shard, L)
T = len(tokens) - 1
sp = spm.SentencePieceProcessor(model_file=model)
base, space, boundary = byte_tables(sp, c["vocab_size"])
windows = sliding_windows(T, L, S)
chunks = (T + C - 1) // C
by_chunk = [[] for _ in range(chunks)]
for w in windows:
    by_chunk[min((w[0] + w[2]) // C, chunks - 1)].append(w)

weights = {k: v.detach().clone() for k, v in p.items()}


def ttt(score_first=True, reset=False, cosine=True, shift=0, whole=False):
    """The TTT score. The variants show that the check tells the records'
    algorithm from its near misses: score_first=False trains on each chunk
    before scoring it (the illegal order), reset restarts the momentum at
    every chunk, cosine=False keeps lr0, shift moves the training sequences
    by a token, whole takes each chunk in one batch."""
    q = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    params = list(q.values())
    buf = [None] * len(params)
    loss_sum, nbytes, ntokens, steps, drift, gmax = 0.0, 0, 0, 0, 0.0, 0.0

    def score(ci):
        nonlocal loss_sum, nbytes, ntokens
        with torch.no_grad():
            for ws, wlen, s0 in by_chunk[ci]:
                x = torch.tensor(tokens[ws:ws + wlen])[None]
                y = torch.tensor(tokens[ws + 1:ws + wlen + 1])[None]
                nll = forward(q, c, x, y, reduction="none")[0].numpy()
                loss_sum += float(nll[s0:].sum())
                t, prev = y[0, s0:].numpy(), x[0, s0:].numpy()
                nbytes += int((base[t] + (space[t] & ~boundary[prev])).sum())
                ntokens += wlen - s0

    for ci in range(chunks):
        if reset:
            buf = [None] * len(params)
        if score_first:
            score(ci)
        if ci < chunks - 1:
            start = ci * C
            n = (min(start + C, T) - start - shift) // seq
            start += shift
            lr = lr0 * 0.5 * (1 + math.cos(math.pi * ci / max(chunks - 1, 1))) if cosine else lr0
            for _ in range(epochs):
                for b in range(0, n, n if whole else batch_seqs):
                    e = min(b + (n if whole else batch_seqs), n)
                    local = tokens[start + b * seq: start + e * seq + 1]
                    x = torch.tensor(local[:-1]).reshape(-1, seq)
                    y = torch.tensor(local[1:]).reshape(-1, seq)
                    for w in params:
                        w.grad = None
                    forward(q, c, x, y).backward()
                    gmax = max(gmax, float(torch.nn.utils.clip_grad_norm_(params, clip)))
                    with torch.no_grad():
                        for i, w in enumerate(params):
                            buf[i] = w.grad.clone() if buf[i] is None else momentum * buf[i] + w.grad
                            w -= lr * buf[i]
                    steps += 1
                    drift += lr
        if not score_first:
            score(ci)
    wnorm = math.sqrt(sum(float((w.detach() ** 2).sum()) for w in params))
    return loss_sum / ntokens, ntokens, nbytes, steps, drift, gmax, wnorm


val_loss, ntokens, nbytes, steps, drift, gmax, wnorm = ttt()
near_misses = {"trained before scored": ttt(score_first=False)[0],
               "momentum reset per chunk": ttt(reset=True)[0],
               "constant lr": ttt(cosine=False)[0],
               "sequences shifted by a token": ttt(shift=1)[0],
               "one batch per chunk": ttt(whole=True)[0]}
val_bpb = val_loss / math.log(2) * ntokens / nbytes

summary = json.load(open(f"{run}/summary.json"))
assert steps > 0, "the run trained on no chunk"
# The bound: golfc computes each position's loss in float32 within
# K·2^-24·30 (eval_check.py's derivation), plus the weights' drift from the
# float64 path. A float32 gradient is within eps = 4·K'·2^-24 of its norm,
# which the clip keeps at most 1 (tests/reference/baseline.py), so the
# momentum buffers differ by at most eps/(1 - m) and the weights by
# sum(lr)·eps/(1 - m); each float32 update also rounds every weight (2^-24
# of the weights' norm a step). A weight error moves the loss by at most
# the gradient's norm, at most gmax along the path.
u = 2.0**-24
K = c["num_layers"] * (64 + 2 * L + 64 + 128 + 3 * 64) + 64 + c["vocab_size"]
K_step = c["num_layers"] * (64 + 2 * seq + 64 + 128 + 3 * 64) + 64 + c["vocab_size"] + batch_seqs * seq
tol = K * u * c["logit_softcap"] + gmax * (drift * 4 * K_step * u / (1 - momentum) + steps * u * wnorm)
got = summary["ttt_val_loss"]
assert summary["val_tokens"] == ntokens == T, (summary["val_tokens"], ntokens, T)
assert abs(got - val_loss) < tol, (got, val_loss, tol)
assert abs(summary["ttt_val_bpb"] - val_bpb) < tol / math.log(2) * ntokens / nbytes, (summary["ttt_val_bpb"], val_bpb)
# golfc agrees with this algorithm at least 100 times more closely than with
# no TTT or with any near miss of it, so the bound above is not what makes
# the check pass.
near_misses["no TTT"] = summary["roundtrip_val_loss"]
for name, other in near_misses.items():
    print(f"{name}: {other:.8f}, off by {abs(other - got):.1e}")
for name, other in near_misses.items():
    assert abs(other - got) > 100 * abs(val_loss - got), (name, other, got, val_loss)
# The gradient clip fired at least once, so the check covers it.
assert gmax > clip, gmax
nearest = min(abs(v - got) for v in near_misses.values())
print(f"ok: {chunks} chunks, {steps} SGD steps, val_loss {val_loss:.6f} "
      f"(golfc {got:.6f}, off by {abs(val_loss - got):.1e}, bound {tol:.1e}; "
      f"without TTT {summary['roundtrip_val_loss']:.6f}; nearest miss off by {nearest:.1e})")
