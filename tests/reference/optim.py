"""Writes tests/golden/optim.safetensors: several steps of Muon and AdamW in
float64, as the challenge's train_gpt.py computes them (reference §4.1, §4.2),
for tests/unit/OptimTest.cpp.

Muon follows train_gpt.py's Muon.step and zeropower_via_newtonschulz5 (in
float64 instead of bfloat16), plus the decoupled weight decay of the later
records (w ← w·(1 − lr·wd) before the update). AdamW is torch.optim.AdamW.

Usage: /usr/bin/python3 tests/reference/optim.py OUT.safetensors
"""
import sys

import numpy as np
import torch

from golf_io import write_safetensors

STEPS = 4
LR_SCALES = [1.0, 1.0, 0.7, 0.25]  # the schedule's multiplier, per step


# Polar Express's (a, b, c), one per iteration (reference §4.5).
POLAR_EXPRESS = [(8.15655, -22.48329, 15.87877), (4.04293, -2.80892, 0.50002),
                 (3.89167, -2.77248, 0.50606), (3.28575, -2.36813, 0.46449),
                 (2.34654, -1.70978, 0.42324)]


def newton_schulz(g, steps, eps=1e-7, polar=False):
    a, b, c = (3.4445, -4.7750, 2.0315)
    x = g / (g.norm() + eps)
    transposed = g.size(0) > g.size(1)
    if transposed:
        x = x.T
    for i in range(steps):
        if polar:
            a, b, c = POLAR_EXPRESS[i]
        m = x @ x.T
        n = b * m + c * m @ m
        x = a * x + n @ x
    return x.T if transposed else x


def muon(w, grads, lr, momentum, warmup_start, warmup_steps, wd, nesterov, backend_steps,
         row_normalize=False, polar=False):
    w = w.clone()
    buf = torch.zeros_like(w)
    out = []
    for t, g in enumerate(grads):
        f = min(t / warmup_steps, 1.0) if warmup_steps > 0 else 1.0
        mu = (1 - f) * warmup_start + f * momentum
        step_lr = lr * LR_SCALES[t]
        buf.mul_(mu).add_(g)
        update = g.add(buf, alpha=mu) if nesterov else buf
        if row_normalize:  # MuonEq-R (reference §4.4)
            update = update / update.norm(dim=-1, keepdim=True).clamp_min(1e-7)
        update = newton_schulz(update, backend_steps, polar=polar)
        update = update * max(1, w.size(0) / w.size(1)) ** 0.5
        w.mul_(1 - step_lr * wd)
        w.add_(update, alpha=-step_lr)
        out.append(w.clone())
    return out


def adamw(w, grads, lr, betas, eps, wd):
    p = torch.nn.Parameter(w.clone())
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=wd)
    out = []
    for t, g in enumerate(grads):
        for group in opt.param_groups:
            group["lr"] = lr * LR_SCALES[t]
        p.grad = g.clone()
        opt.step()
        out.append(p.detach().clone())
    return out


def main():
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(20240520)
    tensors = [("lr_scales", np.array(LR_SCALES))]
    cases = {
        # name: (shape, settings)
        "muon_wide": ((8, 12), dict(lr=0.04, momentum=0.95, warmup_start=0.85, warmup_steps=3,
                                    wd=0.0, nesterov=True, backend_steps=5)),
        "muon_tall": ((12, 8), dict(lr=0.02, momentum=0.99, warmup_start=0.92, warmup_steps=2,
                                    wd=0.04, nesterov=True, backend_steps=5)),
        "muon_plain": ((6, 6), dict(lr=0.05, momentum=0.9, warmup_start=0.9, warmup_steps=0,
                                    wd=0.0, nesterov=False, backend_steps=3)),
    }
    for name, (shape, s) in cases.items():
        w = torch.tensor(rng.normal(0, 0.1, shape))
        grads = [torch.tensor(rng.normal(0, 1, shape)) for _ in range(STEPS)]
        out = muon(w, grads, **s)
        tensors += [(f"{name}.w0", w.numpy())]
        tensors += [(f"{name}.g{t}", g.numpy()) for t, g in enumerate(grads)]
        tensors += [(f"{name}.w{t + 1}", o.numpy()) for t, o in enumerate(out)]
    for name, (shape, lr, betas, eps, wd) in {
        "adam": ((5, 7), 0.05, (0.9, 0.95), 1e-8, 0.0),
        "adamw": ((33,), 0.02, (0.9, 0.99), 1e-8, 0.1),
    }.items():
        w = torch.tensor(rng.normal(0, 0.1, shape))
        grads = [torch.tensor(rng.normal(0, 1e-2, shape)) for _ in range(STEPS)]
        out = adamw(w, grads, lr, betas, eps, wd)
        tensors += [(f"{name}.w0", w.numpy())]
        tensors += [(f"{name}.g{t}", g.numpy()) for t, g in enumerate(grads)]
        tensors += [(f"{name}.w{t + 1}", o.numpy()) for t, o in enumerate(out)]
    # MuonEq-R and Polar Express (the SP8192 stacks, TOP), from a generator
    # of their own so that the cases above keep their numbers.
    rng = np.random.default_rng(20261122)
    for name, (shape, s) in {
        "muon_eqr": ((8, 12), dict(lr=0.026, momentum=0.97, warmup_start=0.92, warmup_steps=3,
                                   wd=0.095, nesterov=True, backend_steps=5, row_normalize=True)),
        "muon_polar": ((12, 8), dict(lr=0.026, momentum=0.97, warmup_start=0.92, warmup_steps=3,
                                     wd=0.095, nesterov=True, backend_steps=5, row_normalize=True,
                                     polar=True)),
    }.items():
        w = torch.tensor(rng.normal(0, 0.1, shape))
        grads = [torch.tensor(rng.normal(0, 1, shape)) for _ in range(STEPS)]
        # One row of the first gradient is scaled down a thousandfold: the
        # row normalization must lift it.
        grads[0][1] *= 1e-3
        out = muon(w, grads, **s)
        tensors += [(f"{name}.w0", w.numpy())]
        tensors += [(f"{name}.g{t}", g.numpy()) for t, g in enumerate(grads)]
        tensors += [(f"{name}.w{t + 1}", o.numpy()) for t, o in enumerate(out)]
    write_safetensors(sys.argv[1], tensors)


if __name__ == "__main__":
    main()
