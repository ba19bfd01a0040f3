"""golfc's compiled training step against a PyTorch float64 reference, on
one small configuration.

usage: check_step.py SPEC [baseline.py options] --work DIR
       check_step.py SPEC --record NAME [records.py options] --work DIR
Runs the reference (baseline.py, or records.py for a record's spec), then
`golfc grad` in float64 — the loss within 1e-12 relative, every gradient
within 1e-10 of its tensor's largest magnitude — and in float32, within the
bounds derived by the reference."""
import json
import os
import subprocess
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from golf_io import read_safetensors  # noqa: E402

spec = sys.argv[1]
args = sys.argv[2:]
work = args[args.index("--work") + 1]
del args[args.index("--work") : args.index("--work") + 2]
if "--record" in args:
    i = args.index("--record")
    reference = [os.path.join(here, "records.py"), args[i + 1]]
    del args[i : i + 2]
else:
    reference = [os.path.join(here, "baseline.py")]
subprocess.run([sys.executable, *reference, "--out", work] + args, check=True)
expected = json.load(open(os.path.join(work, "expected.json")))
ref_grads = read_safetensors(os.path.join(work, "grads.safetensors"))
c = expected["config"]
sets = []
if "sets" in expected:
    for key, value in expected["sets"].items():
        sets += ["--set", f"{key}={value}"]
else:
    for key in ("num_layers", "model_dim", "num_heads", "num_kv_heads", "vocab_size", "mlp_mult"):
        sets += ["--set", f"{key}={c[key]}"]
    sets += ["--set", f"tie_embeddings={'true' if c['tie_embeddings'] else 'false'}"]
failed = False
for dtype, loss_bound, grad_bound in (
    ("f64", 1e-12, 1e-10),
    ("f32", expected["f32_bound"], expected["f32_grad_bound"]),
):
    out_path = os.path.join(work, f"golfc_grads_{dtype}.safetensors")
    cmd = ["golfc", "grad", spec, *sets, "--weights", os.path.join(work, "weights.safetensors"),
           "--tokens", os.path.join(work, "tokens.bin"), "--batch", str(expected["batch"]),
           "--seq", str(expected["seq"]), "--dtype", dtype, "--out", out_path]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.startswith("loss: ")]
    assert len(lines) == 1, out
    got = float(lines[0].split()[1])
    rel = abs(got - expected["loss"]) / abs(expected["loss"])
    grads = read_safetensors(out_path)
    if sorted(grads) != sorted(ref_grads):
        sys.exit(f"gradient names differ: {sorted(set(grads) ^ set(ref_grads))}")
    worst, worst_name = 0.0, ""
    for name, ref in ref_grads.items():
        scale = float(np.abs(ref).max())
        err = float(np.abs(grads[name].astype(np.float64) - ref).max()) / scale if scale else float(np.abs(grads[name]).max())
        if err > worst:
            worst, worst_name = err, name
    ok = rel <= loss_bound and worst <= grad_bound
    failed |= not ok
    print(f"{dtype}: loss relative error {rel:.3e} (bound {loss_bound:.1e}); "
          f"worst gradient error {worst:.3e} in {worst_name} (bound {grad_bound:.1e}) "
          f"{'ok' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
