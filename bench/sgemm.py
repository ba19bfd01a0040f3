"""The machine's own sgemm rate: float32 matrix products through PyTorch's
BLAS on --threads threads, the best of a few runs."""
import argparse
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument("--n", type=int, default=1024)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
x = torch.randn(a.n, a.n)
y = torch.randn(a.n, a.n)
x @ y
best = float("inf")
for _ in range(5):
    t0 = time.perf_counter()
    x @ y
    best = min(best, time.perf_counter() - t0)
print(f"sgemm: {a.n}x{a.n}x{a.n} on {a.threads} threads  GFLOP/s {2 * a.n**3 / best / 1e9:.2f}")
