"""PyTorch reference of the challenge's baseline (train_gpt.py, reference §3),
in float64, for parity tests of golfc.

It follows train_gpt.py's GPT: RMSNorm'd tied embedding, U-Net skips,
resid_mix, q/k RMSNorm, rotate-half RoPE (x1 cos + x2 sin, x2 cos - x1 sin),
q_gain, causal GQA attention, ReLU² MLP, logit softcap, mean cross-entropy.
Debian's torch 1.13 has neither F.rms_norm nor SDPA's enable_gqa, so both are
written out; everything runs in float64.

Writes, into --out: weights.safetensors (random, every tensor exercised),
tokens.bin (a shard), expected.json (the loss, the float32 bounds and the
configuration) and grads.safetensors (every parameter's gradient).
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from golf_io import write_safetensors, write_shard


def rms_norm(x):
    # F.rms_norm(x, (d,)) with eps=None uses the dtype's machine epsilon.
    eps = torch.finfo(x.dtype).eps
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


def rope(x, base):
    # x: [B, T, H, D], rotate-half on all D dims.
    d = x.size(-1)
    half = d // 2
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=x.dtype) / d))
    t = torch.arange(x.size(1), dtype=x.dtype)
    freqs = torch.outer(t, inv_freq)
    cos, sin = freqs.cos()[None, :, None, :], freqs.sin()[None, :, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos + x2 * sin, x1 * (-sin) + x2 * cos), dim=-1)


def attention(q, k, v, documents=None, segment=0):
    # q: [B, T, H, D], k, v: [B, T, Hkv, D]; causal, grouped KV heads. With
    # `documents` ([B, T] bool, True where a document begins), a position
    # sees only its own document: flash_attn_varlen_func over the segments;
    # with `segment` L, documents are also cut every L positions from their
    # start (TOP's loader, at 2,048).
    groups = q.size(2) // k.size(2)
    k = k.repeat_interleave(groups, dim=2)
    v = v.repeat_interleave(groups, dim=2)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # [B, H, T, D]
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(q.size(-1))
    T = q.size(2)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    if documents is not None:
        doc = documents.long().cumsum(1)  # [B, T]: the document's index
        if segment:
            t = torch.arange(T).expand_as(doc)
            start = torch.where(documents, t, torch.zeros_like(t)).cummax(1).values
            doc = doc * (T + 1) + (t - start) // segment
        mask = mask & (doc[:, None, :, None] == doc[:, None, None, :])
    scores = scores.masked_fill(~mask, float("-inf"))
    return (scores.softmax(-1) @ v).transpose(1, 2)


def forward(p, c, tokens, targets, reduction="mean"):
    B, T = tokens.shape
    d, H, Hkv = c["model_dim"], c["num_heads"], c["num_kv_heads"]
    hd = d // H
    x = rms_norm(F.embedding(tokens, p["tok_emb.weight"]))
    x0 = x
    enc = c["num_layers"] // 2
    dec = c["num_layers"] - enc

    def block(i, x):
        pre = f"blocks.{i}."
        mix = p[pre + "resid_mix"]
        x = mix[0] * x + mix[1] * x0
        h = rms_norm(x)
        q = F.linear(h, p[pre + "attn.c_q.weight"]).reshape(B, T, H, hd)
        k = F.linear(h, p[pre + "attn.c_k.weight"]).reshape(B, T, Hkv, hd)
        v = F.linear(h, p[pre + "attn.c_v.weight"]).reshape(B, T, Hkv, hd)
        q = rope(rms_norm(q), c["rope_base"]) * p[pre + "attn.q_gain"][:, None]
        k = rope(rms_norm(k), c["rope_base"])
        y = attention(q, k, v).reshape(B, T, d)
        x = x + p[pre + "attn_scale"] * F.linear(y, p[pre + "attn.proj.weight"])
        h = torch.relu(F.linear(rms_norm(x), p[pre + "mlp.fc.weight"])).square()
        return x + p[pre + "mlp_scale"] * F.linear(h, p[pre + "mlp.proj.weight"])

    skips = []
    for i in range(enc):
        x = block(i, x)
        skips.append(x)
    for i in range(dec):
        if skips:
            x = x + p["skip_weights"][i] * skips.pop()
        x = block(enc + i, x)
    h = rms_norm(x)
    if reduction == "hidden":  # the head's input, for SLOT
        return h
    head = p["tok_emb.weight"] if c["tie_embeddings"] else p["lm_head.weight"]
    logits = F.linear(h, head)
    cap = c["logit_softcap"]
    logits = cap * torch.tanh(logits / cap)
    losses = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                             reduction=reduction)
    return losses if reduction == "mean" else losses.reshape(B, T)


def parameters(c, rng):
    """Random values for every parameter of the baseline, in train_gpt.py's
    names; output projections are not zero, so every path carries signal."""
    d, V = c["model_dim"], c["vocab_size"]
    hd = d // c["num_heads"]
    kv = c["num_kv_heads"] * hd
    hidden = c["mlp_mult"] * d
    enc = c["num_layers"] // 2
    p = {"tok_emb.weight": rng.normal(0, 0.5, (V, d))}
    p["skip_weights"] = 1 + rng.normal(0, 0.1, (min(enc, c["num_layers"] - enc), d))
    for i in range(c["num_layers"]):
        pre = f"blocks.{i}."
        p[pre + "attn_scale"] = 1 + rng.normal(0, 0.1, (d,))
        p[pre + "mlp_scale"] = 1 + rng.normal(0, 0.1, (d,))
        p[pre + "resid_mix"] = np.stack([1 + rng.normal(0, 0.1, d), rng.normal(0, 0.1, d)])
        p[pre + "attn.c_q.weight"] = rng.normal(0, d**-0.5, (d, d))
        p[pre + "attn.c_k.weight"] = rng.normal(0, d**-0.5, (kv, d))
        p[pre + "attn.c_v.weight"] = rng.normal(0, d**-0.5, (kv, d))
        p[pre + "attn.proj.weight"] = rng.normal(0, d**-0.5, (d, d))
        p[pre + "attn.q_gain"] = c["qk_gain_init"] + rng.normal(0, 0.1, (c["num_heads"],))
        p[pre + "mlp.fc.weight"] = rng.normal(0, d**-0.5, (hidden, d))
        p[pre + "mlp.proj.weight"] = rng.normal(0, hidden**-0.5, (d, hidden))
    if not c["tie_embeddings"]:
        p["lm_head.weight"] = rng.normal(0, d**-0.5, (V, d))
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab-size", type=int, default=64)
    ap.add_argument("--num-layers", type=int, default=2)
    ap.add_argument("--model-dim", type=int, default=32)
    ap.add_argument("--num-heads", type=int, default=4)
    ap.add_argument("--num-kv-heads", type=int, default=2)
    ap.add_argument("--mlp-mult", type=int, default=2)
    ap.add_argument("--untied", action="store_true")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    c = dict(vocab_size=a.vocab_size, num_layers=a.num_layers, model_dim=a.model_dim,
             num_heads=a.num_heads, num_kv_heads=a.num_kv_heads, mlp_mult=a.mlp_mult,
             tie_embeddings=not a.untied, rope_base=10000.0, logit_softcap=30.0,
             qk_gain_init=1.5)
    rng = np.random.default_rng(a.seed)
    weights = parameters(c, rng)
    tokens = rng.integers(0, c["vocab_size"], a.batch * a.seq + 1 + 7)

    # float32 bound on the loss's relative error: every sequential
    # reduction of length K contributes at most K unit roundoffs (the
    # classic gamma_K bound of a dot product or sum); per layer the longest
    # chain is the attention input (d), the attention scores and weighted
    # sum (2T), the MLP (d + hidden) and the norms (3d); then the head (d),
    # the log-sum-exp (V) and the mean (B·T).
    d, hidden = c["model_dim"], c["mlp_mult"] * c["model_dim"]
    chain = c["num_layers"] * (d + 2 * a.seq + d + hidden + 3 * d)
    chain += d + c["vocab_size"] + a.batch * a.seq
    write_case(a.out, weights, tokens, lambda p, x, y: forward(p, c, x, y), a.batch, a.seq,
               chain, {"config": c})


def write_case(out, weights, tokens, loss_of, batch, seq, chain, extra):
    """Writes a parity case into `out`: weights.safetensors, tokens.bin (a
    shard), grads.safetensors (every parameter's gradient of loss_of(p, x,
    y) in float64 on the first batch·seq tokens) and expected.json (the
    loss, the float32 bounds of a longest reduction chain of `chain` terms,
    the batch and sequence, and `extra`)."""
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "weights.safetensors"), list(weights.items()))
    write_shard(os.path.join(out, "tokens.bin"), tokens)
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in weights.items()}
    n = batch * seq
    x = torch.tensor(tokens[:n], dtype=torch.long).reshape(batch, seq)
    y = torch.tensor(tokens[1 : n + 1], dtype=torch.long).reshape(batch, seq)
    loss = loss_of(p, x, y)
    loss.backward()
    write_safetensors(os.path.join(out, "grads.safetensors"),
                      [(k, v.grad.numpy()) for k, v in p.items()])
    u32 = 2.0**-24
    with open(os.path.join(out, "expected.json"), "w") as f:
        # The backward pass runs each chain again (two matmuls per forward
        # one, the softmax recomputed), and a gradient is measured against its
        # tensor's largest entry: twice the chain, twice again for the
        # cancellation in (g - y·mean(g·y)) and (softmax - onehot).
        json.dump({"loss": loss.item(), "f32_bound": chain * u32,
                   "f32_grad_bound": 4 * chain * u32, "batch": batch, "seq": seq,
                   **extra}, f)


if __name__ == "__main__":
    main()
