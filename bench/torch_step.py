"""The PyTorch peer of `golfc bench`: the same baseline training step
(forward, loss, backward) in float32 on the CPU, from tests/reference's
model, timed the same way (median of --steps after one warm-up).

usage: torch_step.py --vocab-size V --num-layers L --model-dim D --num-heads H
                     --num-kv-heads K --batch B --seq T [--steps N] [--threads 2]"""
import argparse
import os
import gc
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from baseline import forward, parameters  # noqa: E402

ap = argparse.ArgumentParser()
for name, default in (("vocab-size", 1024), ("num-layers", 4), ("model-dim", 256), ("num-heads", 4),
                      ("num-kv-heads", 2), ("mlp-mult", 2), ("batch", 16), ("seq", 256), ("steps", 5),
                      ("threads", 2)):
    ap.add_argument("--" + name, type=int, default=default)
a = ap.parse_args()
torch.set_num_threads(a.threads)
c = dict(vocab_size=a.vocab_size, num_layers=a.num_layers, model_dim=a.model_dim,
         num_heads=a.num_heads, num_kv_heads=a.num_kv_heads, mlp_mult=a.mlp_mult,
         tie_embeddings=True, rope_base=10000.0, logit_softcap=30.0, qk_gain_init=1.5)
rng = np.random.default_rng(1337)
p = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True) for k, v in parameters(c, rng).items()}
x = torch.tensor(rng.integers(0, a.vocab_size, (a.batch, a.seq)), dtype=torch.long)
y = torch.tensor(rng.integers(0, a.vocab_size, (a.batch, a.seq)), dtype=torch.long)
params = sum(t.numel() for t in p.values())


def step():
    for t in p.values():
        t.grad = None
    forward(p, c, x, y).backward()


# Peak memory of the steps alone, measured as golfc bench does: restart the
# kernel's high-water mark (VmHWM) after setting up.
def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


gc.collect()
step_peak = reset_peak()
step()
times = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    times.append(time.perf_counter() - t0)
median = sorted(times)[len(times) // 2]
tokens = a.batch * a.seq
dim = a.model_dim
flops = 6 * params * tokens + 6 * a.num_layers * dim * a.seq * tokens
peak = peak_mb() if step_peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"torch: params {params}  tokens/step {tokens}  step {median:.4f} s  tokens/s {tokens / median:.0f}  "
      f"GFLOP/s {flops / median / 1e9:.2f}  peak RSS {peak:.0f} MB {'(steps)' if step_peak else '(process)'}")
