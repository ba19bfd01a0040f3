"""golfc's compiled loss against the PyTorch float64 reference of the
baseline, on one small configuration given as baseline.py's options.

usage: check_loss.py SPEC [baseline.py options] --work DIR
Runs baseline.py, then `golfc loss` in float64 (relative error at most
1e-12) and in float32 (the bound derived in baseline.py)."""
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
spec = sys.argv[1]
args = sys.argv[2:]
work = args[args.index("--work") + 1]
del args[args.index("--work") : args.index("--work") + 2]
subprocess.run([sys.executable, os.path.join(here, "baseline.py"), "--out", work] + args, check=True)
expected = json.load(open(os.path.join(work, "expected.json")))
c = expected["config"]
sets = []
for key in ("num_layers", "model_dim", "num_heads", "num_kv_heads", "vocab_size", "mlp_mult"):
    sets += ["--set", f"{key}={c[key]}"]
sets += ["--set", f"tie_embeddings={'true' if c['tie_embeddings'] else 'false'}"]
failed = False
for dtype, bound in (("f64", 1e-12), ("f32", expected["f32_bound"])):
    cmd = ["golfc", "loss", spec, *sets, "--weights", os.path.join(work, "weights.safetensors"),
           "--tokens", os.path.join(work, "tokens.bin"), "--batch", str(expected["batch"]),
           "--seq", str(expected["seq"]), "--dtype", dtype]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.startswith("loss: ")]
    assert len(lines) == 1, out
    got = float(lines[0].split()[1])
    rel = abs(got - expected["loss"]) / abs(expected["loss"])
    ok = rel <= bound
    failed |= not ok
    print(f"{dtype}: reference {expected['loss']!r} golfc {got!r} relative error {rel:.3e} "
          f"bound {bound:.3e} {'ok' if ok else 'FAIL'}")
sys.exit(1 if failed else 0)
