"""The PyTorch peer of `golfc train`: the challenge's train_gpt.py training of
the baseline on one CPU process, written out from the reference's semantics
(../shared/reference/parameter-golf.md §2-§6; no code copied), in float32:

- initialization as train_gpt.py: tied embedding N(0, 0.005²), nn.Linear's
  default U(±1/√fan_in), output projections zero, scales 1, resid_mix [1, 0],
  q_gain 1.5, skip weights 1 (torch's generator, seeded);
- data: shards in sorted order end to end, one chunk of local+1 tokens per
  micro-step, 8 micro-steps (train_gpt.py's 8 / world size), loss / 8;
- Muon (momentum warm-up 0.85→0.95 over 500 steps, Nesterov, Newton-Schulz
  quintic, 5 steps, √max(1, rows/cols)) on the blocks' matrices, Adam
  (β 0.9/0.95, ε 1e-8) on the embedding (lr 0.05) and the scalars (lr 0.04);
  Newton-Schulz in float32 (train_gpt.py uses bfloat16 on GPUs);
- lr × lr_mul: linear warm-down over the last warmdown_iters iterations;
- val_loss and val_bpb over every non-overlapping window of train_seq_len,
  bytes counted from the SentencePiece model as train_gpt.py counts them.

Usage: train_reference.py --train GLOB --val GLOB --tokenizer MODEL
       [--iterations 300] [--warmdown-iters 100] [--seed 1337] [...]
Prints train_gpt.py-style lines and `final val_loss:… val_bpb:… train_time:…ms`.
"""
import argparse
import glob
import math
import os
import sys
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from baseline import forward  # noqa: E402
from golf_io import byte_tables  # noqa: E402
from optim import newton_schulz  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--train", required=True)
ap.add_argument("--val", required=True)
ap.add_argument("--tokenizer", required=True)
for name, default in (("vocab-size", 1024), ("num-layers", 4), ("model-dim", 256), ("num-heads", 4),
                      ("num-kv-heads", 2), ("mlp-mult", 2), ("seq", 256), ("batch-tokens", 8192),
                      ("iterations", 300), ("warmdown-iters", 100), ("seed", 1337), ("accum", 8),
                      ("threads", 2), ("log-every", 25)):
    ap.add_argument("--" + name, type=int, default=default)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)
c = dict(vocab_size=a.vocab_size, num_layers=a.num_layers, model_dim=a.model_dim,
         num_heads=a.num_heads, num_kv_heads=a.num_kv_heads, mlp_mult=a.mlp_mult,
         tie_embeddings=True, rope_base=10000.0, logit_softcap=30.0, qk_gain_init=1.5)


def read_shard(path):
    header = np.fromfile(path, dtype="<i4", count=256)
    assert header[0] == 20240520 and header[1] == 1, path
    tokens = np.fromfile(path, dtype="<u2", offset=1024)
    assert len(tokens) == header[2], path
    return tokens.astype(np.int64)


# --- parameters, as train_gpt.py initializes them ---------------------------
d, V, L = a.model_dim, a.vocab_size, a.num_layers
hd = d // a.num_heads
kv = a.num_kv_heads * hd
hidden = a.mlp_mult * d


def linear(out_f, in_f):
    w = torch.empty(out_f, in_f)
    bound = 1 / math.sqrt(in_f)
    return w.uniform_(-bound, bound)


p = {"tok_emb.weight": torch.randn(V, d) * 0.005}
for i in range(L):
    pre = f"blocks.{i}."
    p[pre + "attn.c_q.weight"] = linear(d, d)
    p[pre + "attn.c_k.weight"] = linear(kv, d)
    p[pre + "attn.c_v.weight"] = linear(kv, d)
    p[pre + "attn.proj.weight"] = torch.zeros(d, d)
    p[pre + "attn.q_gain"] = torch.full((a.num_heads,), 1.5)
    p[pre + "mlp.fc.weight"] = linear(hidden, d)
    p[pre + "mlp.proj.weight"] = torch.zeros(d, hidden)
    p[pre + "attn_scale"] = torch.ones(d)
    p[pre + "mlp_scale"] = torch.ones(d)
    p[pre + "resid_mix"] = torch.stack([torch.ones(d), torch.zeros(d)])
p["skip_weights"] = torch.ones(min(L // 2, L - L // 2), d)
for t in p.values():
    t.requires_grad_(True)

control = ("attn_scale", "mlp_scale", "resid_mix", "q_gain", "skip_weight")
matrices = [t for n, t in p.items() if n.startswith("blocks.") and t.ndim == 2
            and not any(k in n for k in control)]
scalars = [t for n, t in p.items() if (n.startswith("blocks.") or n.startswith("skip_weights"))
           and (t.ndim < 2 or any(k in n for k in control))]
embed = [p["tok_emb.weight"]]
assert len(matrices) + len(scalars) + len(embed) == len(p)
adam_embed = torch.optim.Adam(embed, lr=0.05, betas=(0.9, 0.95), eps=1e-8)
adam_scalar = torch.optim.Adam(scalars, lr=0.04, betas=(0.9, 0.95), eps=1e-8)
muon_buf = [torch.zeros_like(t) for t in matrices]


def lr_mul(step):
    start = max(a.iterations - a.warmdown_iters, 0)
    if a.warmdown_iters <= 0 or not (start <= step < a.iterations):
        return 1.0
    return max((a.iterations - step) / max(a.warmdown_iters, 1), 0.0)


# --- data -------------------------------------------------------------------
files = sorted(glob.glob(a.train))
stream = {"file": 0, "pos": 0, "tokens": read_shard(files[0])}


def take(n):
    out = []
    while n > 0:
        avail = len(stream["tokens"]) - stream["pos"]
        if avail <= 0:
            stream["file"] = (stream["file"] + 1) % len(files)
            stream["tokens"], stream["pos"] = read_shard(files[stream["file"]]), 0
            continue
        k = min(n, avail)
        out.append(stream["tokens"][stream["pos"]:stream["pos"] + k])
        stream["pos"] += k
        n -= k
    return np.concatenate(out)


val = np.concatenate([read_shard(f) for f in sorted(glob.glob(a.val))])
usable = (len(val) - 1) // a.seq * a.seq
val = val[:usable + 1]

# --- bytes, as train_gpt.py's build_sentencepiece_luts -----------------------
sp = spm.SentencePieceProcessor(model_file=a.tokenizer)
base, space, boundary = byte_tables(sp, V)


def validate():
    with torch.no_grad():
        loss_sum, tokens = 0.0, 0
        x_all = torch.tensor(val[:-1]).reshape(-1, a.seq)
        y_all = torch.tensor(val[1:]).reshape(-1, a.seq)
        for s in range(0, x_all.size(0), 64):
            x, y = x_all[s:s + 64], y_all[s:s + 64]
            loss_sum += float(forward(p, c, x, y)) * y.numel()
            tokens += y.numel()
        tgt, prev = val[1:], val[:-1]
        nbytes = int((base[tgt] + (space[tgt] & ~boundary[prev])).sum())
        loss = loss_sum / tokens
        return loss, loss / math.log(2) * tokens / nbytes


# --- training ---------------------------------------------------------------
local = a.batch_tokens // a.accum
train_ms = 0.0
for step in range(a.iterations):
    t0 = time.perf_counter()
    scale = lr_mul(step)
    total = 0.0
    for _ in range(a.accum):
        chunk = torch.tensor(take(local + 1))
        x, y = chunk[:-1].reshape(-1, a.seq), chunk[1:].reshape(-1, a.seq)
        loss = forward(p, c, x, y)
        (loss / a.accum).backward()
        total += float(loss) / a.accum
    with torch.no_grad():
        f = min(step / 500, 1.0)
        mu = (1 - f) * 0.85 + f * 0.95
        for w, buf in zip(matrices, muon_buf):
            buf.mul_(mu).add_(w.grad)
            update = newton_schulz(w.grad.add(buf, alpha=mu), 5)
            update *= max(1, w.size(0) / w.size(1)) ** 0.5
            w.add_(update, alpha=-0.04 * scale)
    for opt, lr in ((adam_embed, 0.05), (adam_scalar, 0.04)):
        for group in opt.param_groups:
            group["lr"] = lr * scale
        opt.step()
    for t in p.values():
        t.grad = None
    train_ms += (time.perf_counter() - t0) * 1000
    n = step + 1
    if n <= 10 or n % a.log_every == 0 or n == a.iterations:
        print(f"step:{n}/{a.iterations} train_loss:{total:.4f} train_time:{train_ms:.0f}ms "
              f"step_avg:{train_ms / n:.2f}ms", flush=True)
vl, vb = validate()
print(f"final val_loss:{vl:.8f} val_bpb:{vb:.8f} train_time:{train_ms:.0f}ms", flush=True)
