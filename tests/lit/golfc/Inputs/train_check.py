"""Checks a run directory of `golfc train`: the summary agrees with the log,
and the model learned the test corpus (its grammar is easy: the loss must
fall from ln(320) ≈ 5.77 to well under 1.5 in 40 steps)."""
import json
import math
import re
import sys

run = sys.argv[1]
summary = json.load(open(f"{run}/summary.json"))
log = open(f"{run}/train.log").read()
losses = [float(x) for x in re.findall(r"train_loss:([0-9.]+)", log)]
assert abs(losses[0] - math.log(320)) < 0.05, losses[0]
assert losses[-1] < 1.5, losses[-1]
final = re.search(r"final val_loss:([0-9.]+) val_bpb:([0-9.]+)", log)
assert abs(float(final.group(1)) - summary["val_loss"]) < 1e-8
assert abs(float(final.group(2)) - summary["val_bpb"]) < 1e-8
# bits per byte is loss / ln 2 scaled by tokens per byte
bpb = summary["val_loss"] / math.log(2) * summary["val_tokens"] / summary["val_bytes"]
assert abs(bpb - summary["val_bpb"]) < 1e-12, (bpb, summary["val_bpb"])
assert summary["steps"] == 40 and summary["tokens"] == 40 * 2048
assert summary["weights"] == "raw"
print("ok")
