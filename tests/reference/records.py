"""PyTorch float64 references of the records' models (reference §3, §8, §12),
for the parity tests of models/*.golf.

One forward covers the records' lineage of train_gpt.py: each feature is a
field of the record's configuration, and each record's parameters carry the
names of its PyTorch state dict (the banked records' artifact names). The
code follows the records' modules, written out for Debian's torch 1.13 (no
F.rms_norm, no SDPA GQA) and run in float64:

- pr1226: I5 (`2026-03-20_10L_Int5MLP_MuonWD04_SWA50`): BigramHash, SmearGate
  v2, ReLU², full RoPE;
- pr1319: AR (`2026-03-25_ValCalib_GPTQ_XSA_BigramHash3072`): adds
  LeakyReLU(0.5)², XSA on every layer, partial RoPE with the NTK base, LN
  scale, the shared value embedding and PR #1319's focal loss;
- pr374: `2026-03-21_v38_TightSWA`: ReLU², XSA on the last layers, partial
  RoPE with the NTK base, LN scale, BigramHash, SmearGate v2, VE;
- pr531: `2026-03-22_XSA4_EMA_GPQ`: full RoPE, XSA on the last layers,
  BigramHash, SmearGate v2;
- top: `2026-04-27_SP8192_LQER_SparseGate_BOSSmearFix_9HpStack_1.0611`:
  depth recurrence, two-lane parallel residuals, gated skips, the sparse
  attention gate, SmearGate v3 with the BOS fix, no bigram.

usage: records.py RECORD --out DIR [--batch B --seq T --seed S]
Writes weights.safetensors (random, every tensor exercised), tokens.bin,
grads.safetensors and expected.json (the loss, float32 bounds, the `--set`
overrides that give golfc the same reduced configuration).
"""
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F

from baseline import attention, rms_norm, write_case


def rope(x, dims, base):
    """Rotary embedding of the first `dims` of [B, T, H, D], rotate-half
    pairs (j, j + dims/2), inv_freq_j = base^(-2j/dims) (the records'
    Rotary with rope_dims)."""
    half = dims // 2
    inv_freq = 1.0 / (base ** (torch.arange(0, dims, 2, dtype=x.dtype) / dims))
    t = torch.arange(x.size(1), dtype=x.dtype)
    freqs = torch.outer(t, inv_freq)
    cos, sin = freqs.cos()[None, :, None, :], freqs.sin()[None, :, None, :]
    x1, x2, rest = x[..., :half], x[..., half:dims], x[..., dims:]
    return torch.cat((x1 * cos + x2 * sin, x1 * (-sin) + x2 * cos, rest), dim=-1)


def prev(x):
    """x at position t - 1 (zeros at t = 0), along dim 1."""
    return torch.cat((torch.zeros_like(x[:, :1]), x[:, :-1]), dim=1)


def bigram_buckets(tokens, buckets):
    # SG2's hash (reference §8.4): the last bucket at position 0, then
    # (36313·cur XOR 27191·prev) mod (buckets - 1); int32 arithmetic.
    t = tokens.to(torch.int32)
    h = torch.bitwise_xor(36313 * t[:, 1:], 27191 * t[:, :-1]) % (buckets - 1)
    first = torch.full_like(t[:, :1], buckets - 1)
    return torch.cat((first, h), dim=1).long()


def xsa(y, v):
    # §8.1: remove from each head's output its component along its own KV
    # head's normalized value, on the [B, T, Hkv, group, D] view.
    B, T, H, D = y.shape
    Hkv = v.size(2)
    y5 = y.reshape(B, T, Hkv, H // Hkv, D)
    vn = F.normalize(v, dim=-1).unsqueeze(3)
    return (y5 - (y5 * vn).sum(-1, keepdim=True) * vn).reshape(B, T, H, D)


def forward(p, c, tokens, targets):
    B, T = tokens.shape
    d, H, Hkv = c["model_dim"], c["num_heads"], c["num_kv_heads"]
    hd = d // H
    L = c["num_layers"]
    x = F.embedding(tokens, p["tok_emb.weight"])
    if c["bigram"]:
        b = F.embedding(bigram_buckets(tokens, c["bigram"][0]), p["bigram.embed.weight"])
        x = x + p["bigram.scale"] * F.linear(b, p["bigram.proj.weight"])
    if c["smear"] == "v3":
        # §8.5 v3 with the BOS fix: x_t += λ·σ(w·x_t[:12])·x_{t-1}·[id_t ≠ BOS].
        g = p["smear_lambda"] * torch.sigmoid(F.linear(x[..., :12], p["smear_gate.weight"]))
        not_bos = (tokens != c["bos_id"]).to(x.dtype)[..., None]
        x = x + g * prev(x) * not_bos
    x = rms_norm(x)
    if c["smear"] == "v2":
        g = torch.sigmoid(p["smear.gate"])
        x = (1 - g) * x + g * prev(x)
    x0 = x
    ve = None
    if c["ve"]:
        e = F.embedding(tokens, p["ve_shared.embed.weight"])
        ve = p["ve_shared.scale"] * F.linear(e, p["ve_shared.proj.weight"])

    def attn(i, h):
        pre = f"blocks.{i}.attn."
        v = F.linear(h, p[pre + "c_v.weight"])
        if ve is not None and i >= L - c["ve"][1]:
            v = v + p[f"ve_layer_scales.{i - (L - c['ve'][1])}"] * ve
        q = F.linear(h, p[pre + "c_q.weight"]).reshape(B, T, H, hd)
        k = F.linear(h, p[pre + "c_k.weight"]).reshape(B, T, Hkv, hd)
        v = v.reshape(B, T, Hkv, hd)
        q = rope(rms_norm(q), c["rope_dims"], c["rope_base"]) * p[pre + "q_gain"][:, None]
        k = rope(rms_norm(k), c["rope_dims"], c["rope_base"])
        y = attention(q, k, v, tokens == c["bos_id"] if c["varlen"] else None,
                      c.get("segment", 0))
        if i >= L - c["xsa_last_n"]:
            y = xsa(y, v)
        if c["attn_gate"]:
            # §8.13 sparse gate: σ(κ·W·n[:12]) per head, from the block's
            # normalized input.
            g = torch.sigmoid(c["attn_gate"] * F.linear(h[..., :12], p[pre + "attn_gate_w"]))
            y = y * g[..., None]
        return F.linear(y.reshape(B, T, d), p[pre + "proj.weight"])

    def mlp(i, h):
        u = F.linear(h, p[f"blocks.{i}.mlp.fc.weight"])
        u = F.leaky_relu(u, 0.5) if c["act"] == "leaky2" else torch.relu(u)
        return F.linear(u.square(), p[f"blocks.{i}.mlp.proj.weight"])

    def scale(i):
        return 1 / math.sqrt(i + 1) if c["ln_scale"] else 1.0

    def block(i, x):
        pre = f"blocks.{i}."
        mix = p[pre + "resid_mix"]
        x = mix[0] * x + mix[1] * x0
        x = x + p[pre + "attn_scale"] * attn(i, rms_norm(x) * scale(i))
        return x + p[pre + "mlp_scale"] * mlp(i, rms_norm(x) * scale(i))

    def parallel_block(i, lanes):
        # TOP's two lanes (§8.11): attention reads resid-mix(lane0, x0), the
        # MLP reads lane1, both from the lanes before the layer.
        pre = f"blocks.{i}."
        mix = p[pre + "resid_mix"]
        l0, l1 = lanes
        a = p[pre + "attn_scale"] * attn(i, rms_norm(mix[0] * l0 + mix[1] * x0) * scale(i))
        m = p[pre + "mlp_scale"] * mlp(i, rms_norm(l1) * scale(i))
        r, post = p["parallel_resid_lambdas"][i], p["parallel_post_lambdas"][i]
        return (r[0] * l0 + post[0, 0] * a + post[1, 0] * m,
                r[1] * l1 + post[0, 1] * a + post[1, 1] * m)

    order = c["order"]
    enc = len(order) // 2
    skips, lanes = [], None
    for k, i in enumerate(order):
        if c["parallel_start"] is not None and i >= c["parallel_start"] and lanes is None:
            lanes = (x, x)  # the lanes split before the skip, lane 0 takes it
        if k >= enc and skips:
            j = k - enc
            s = p["skip_weights"][j] * skips.pop()
            if lanes is not None:
                cur = lanes[0]
            else:
                cur = x
            if c["gated_skips"]:
                g = torch.sigmoid(p["skip_gates"][j])
                cur = (1 - g) * s + g * cur
            else:
                cur = cur + s
            if lanes is not None:
                lanes = (cur, lanes[1])
            else:
                x = cur
        if c["parallel_start"] is not None and i >= c["parallel_start"]:
            lanes = parallel_block(i, lanes)
        else:
            x = block(i, x)
        if k < enc:
            skips.append(x)
    if lanes is not None:
        x = 0.5 * (lanes[0] + lanes[1])
    logits = F.linear(rms_norm(x), p["tok_emb.weight"])
    cap = c["logit_softcap"]
    logits = cap * torch.tanh(logits / cap)
    ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                         reduction="none")
    if c["focal_gamma"]:
        # PR #1319's training loss: (1 - p_t)^γ · CE_t, p_t = exp(-CE_t).
        ce = (1 - torch.exp(-ce)) ** c["focal_gamma"] * ce
    return ce.mean()


def parameters(c, rng):
    """Random values for every parameter, under the record's names; the
    zero-initialized tensors and gates are not zero here, so every path
    carries signal."""
    d, V, L = c["model_dim"], c["vocab_size"], c["num_layers"]
    H = c["num_heads"]
    hd = d // H
    kv = c["num_kv_heads"] * hd
    hidden = c["mlp_mult"] * d
    # Skips are sized for the looped order even before looping is on.
    order = c.get("skip_order", c["order"])
    enc = len(order) // 2
    n_skips = min(enc, len(order) - enc)

    def small(*shape):
        return rng.normal(0, 0.1, shape)

    p = {"tok_emb.weight": rng.normal(0, 0.5, (V, d))}
    p["skip_weights"] = 1 + small(n_skips, d)
    if c["gated_skips"]:
        p["skip_gates"] = small(n_skips, d)
    if c["smear"] == "v2":
        p["smear.gate"] = small(d)
    if c["smear"] == "v3":
        p["smear_gate.weight"] = rng.normal(0, 0.3, (1, 12))
        p["smear_lambda"] = 0.5 + small(1)
    if c["bigram"]:
        m, bd = c["bigram"]
        p["bigram.embed.weight"] = rng.normal(0, 0.5, (m, bd))
        p["bigram.proj.weight"] = rng.normal(0, bd**-0.5, (d, bd))
        p["bigram.scale"] = np.array(0.5 + rng.normal(0, 0.1))
    if c["ve"]:
        vd, n = c["ve"]
        p["ve_shared.embed.weight"] = rng.normal(0, 0.5, (V, vd))
        p["ve_shared.proj.weight"] = rng.normal(0, vd**-0.5, (kv, vd))
        p["ve_shared.scale"] = np.array(0.5 + rng.normal(0, 0.1))
        for j in range(n):
            p[f"ve_layer_scales.{j}"] = 1 + small(1)
    if c["parallel_start"] is not None:
        p["parallel_post_lambdas"] = 1 + small(L, 2, 2)
        p["parallel_resid_lambdas"] = 1.1 + small(L, 2)
    for i in range(L):
        pre = f"blocks.{i}."
        p[pre + "attn_scale"] = 1 + small(d)
        p[pre + "mlp_scale"] = 1 + small(d)
        p[pre + "resid_mix"] = np.stack([1 + small(d), small(d)])
        p[pre + "attn.c_q.weight"] = rng.normal(0, d**-0.5, (d, d))
        p[pre + "attn.c_k.weight"] = rng.normal(0, d**-0.5, (kv, d))
        p[pre + "attn.c_v.weight"] = rng.normal(0, d**-0.5, (kv, d))
        p[pre + "attn.proj.weight"] = rng.normal(0, d**-0.5, (d, d))
        p[pre + "attn.q_gain"] = c["qk_gain_init"] + small(H)
        if c["attn_gate"]:
            p[pre + "attn.attn_gate_w"] = rng.normal(0, 0.3, (H, 12))
        p[pre + "mlp.fc.weight"] = rng.normal(0, d**-0.5, (hidden, d))
        p[pre + "mlp.proj.weight"] = rng.normal(0, hidden**-0.5, (d, hidden))
    return p


def looped(num_layers, loop_start, loop_end, num_loops):
    """The virtual layer order of depth recurrence (§8.10): layers
    loop_start..loop_end run 1 + num_loops times."""
    loop = list(range(loop_start, loop_end + 1))
    return list(range(loop_start)) + loop * (1 + num_loops) + list(range(loop_end + 1, num_layers))


BASE = dict(vocab_size=64, model_dim=32, num_heads=4, num_kv_heads=2, logit_softcap=30.0,
            qk_gain_init=1.5, rope_base=10000.0, ln_scale=False, xsa_last_n=0, bigram=None,
            smear=None, bos_id=1, ve=None, act="relu2", parallel_start=None,
            gated_skips=False, attn_gate=None, focal_gamma=0.0, varlen=False)

# Each record on a reduced configuration that keeps every feature on: the
# reference's fields, and the settings that give golfc the same model.
RECORDS = {
    "pr1226": dict(
        spec="pr1226.golf",
        config=dict(num_layers=5, mlp_mult=3, rope_dims=8, bigram=(24, 8), smear="v2"),
        sets=dict(num_layers=5, model_dim=32, num_heads=4, num_kv_heads=2, vocab_size=64,
                  bigram_vocab_size=24, bigram_dim=8)),
    "pr374": dict(
        spec="pr374.golf",
        config=dict(num_layers=5, mlp_mult=3, rope_dims=4,
                    rope_base=10000.0 * 2.0 ** (4 / 2), ln_scale=True, xsa_last_n=2,
                    bigram=(24, 8), smear="v2", ve=(8, 2)),
        sets=dict(num_layers=5, model_dim=32, num_heads=4, num_kv_heads=2, vocab_size=64,
                  rope_dims=4, xsa_last_n=2, bigram_vocab_size=24, bigram_dim=8, ve_dim=8,
                  ve_last_n=2)),
    "pr531": dict(
        spec="pr531.golf",
        config=dict(num_layers=5, mlp_mult=3, rope_dims=8, xsa_last_n=2, bigram=(24, 8),
                    smear="v2"),
        sets=dict(num_layers=5, model_dim=32, num_heads=4, num_kv_heads=2, vocab_size=64,
                  xsa_last_n=2, bigram_vocab_size=24, bigram_dim=8)),
    "pr1319": dict(
        spec="pr1319.golf",
        # The NTK base of a rotary built for 1024 tokens, trained at 2048.
        config=dict(num_layers=5, mlp_mult=3, rope_dims=4,
                    rope_base=10000.0 * 2.0 ** (4 / 2), ln_scale=True, xsa_last_n=5,
                    bigram=(24, 8), smear="v2", ve=(8, 2), act="leaky2", focal_gamma=1.0),
        sets=dict(num_layers=5, model_dim=32, num_heads=4, num_kv_heads=2, vocab_size=64,
                  rope_dims=4, xsa_last_n=5, bigram_vocab_size=24, bigram_dim=8, ve_dim=8,
                  ve_last_n=2)),
    "top": dict(
        spec="top.golf",
        # Layers 1..2 twice: [0, 1, 2, 1, 2, 3, 4], 3 encoder and 4 decoder
        # slots (the last without a skip); two lanes from layer 3 on, the
        # first with a skip onto lane 0.
        config=dict(num_layers=5, mlp_mult=4, rope_dims=4, qk_gain_init=5.0, ln_scale=True,
                    xsa_last_n=5, smear="v3", act="leaky2", order=looped(5, 1, 2, 1),
                    parallel_start=3, gated_skips=True, attn_gate=0.5, varlen=True,
                    segment=5),
        sets=dict(num_layers=5, model_dim=32, num_heads=4, num_kv_heads=2, vocab_size=64,
                  rope_dims=4, xsa_last_n=5, loop_start=1, loop_end=2, num_loops=1,
                  parallel_start=3, attention_segment=5)),
}
# TOP before its loop is switched on (train.switch_hparam): the five layers
# once, 2 encoder and 3 decoder slots, with the skips sized for the loop.
RECORDS["top-early"] = dict(
    spec="top.golf",
    config=dict(RECORDS["top"]["config"], order=list(range(5)), skip_order=looped(5, 1, 2, 1)),
    sets=dict(RECORDS["top"]["sets"], looping="false"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("record", choices=sorted(RECORDS))
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seq", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    r = RECORDS[a.record]
    c = dict(BASE, **r["config"])
    c.setdefault("order", list(range(c["num_layers"])))
    rng = np.random.default_rng(a.seed)
    weights = parameters(c, rng)
    tokens = rng.integers(0, c["vocab_size"], a.batch * a.seq + 1 + 7)
    tokens[[3, 11, a.seq + 2]] = c["bos_id"]  # documents start inside the rows

    # float32 bounds as baseline.py derives them, per virtual layer: the
    # attention input (d), scores and weighted sum (2T), the MLP (d +
    # hidden), the norms (3d), and the small reductions of the techniques
    # (bigram and value-embedding projections, gates, XSA: 3d at most).
    d, hidden = c["model_dim"], c["mlp_mult"] * c["model_dim"]
    chain = len(c["order"]) * (d + 2 * a.seq + d + hidden + 3 * d + 3 * d)
    chain += d + c["vocab_size"] + a.batch * a.seq
    write_case(a.out, weights, tokens, lambda p, x, y: forward(p, c, x, y), a.batch, a.seq,
               chain, {"config": c, "sets": r["sets"]})


if __name__ == "__main__":
    main()
