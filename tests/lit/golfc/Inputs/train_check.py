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

# loss.png: a valid PNG (chunk CRCs, zlib stream) of 800x400 RGB pixels with
# the blue training curve and red validation squares drawn.
import struct
import zlib

png = open(f"{run}/loss.png", "rb").read()
assert png[:8] == b"\x89PNG\r\n\x1a\n"
at, chunks = 8, {}
while at < len(png):
    (n,) = struct.unpack(">I", png[at:at + 4])
    kind, body = png[at + 4:at + 8], png[at + 8:at + 8 + n]
    (crc,) = struct.unpack(">I", png[at + 8 + n:at + 12 + n])
    assert zlib.crc32(kind + body) == crc, kind
    chunks[kind] = chunks.get(kind, b"") + body
    at += 12 + n
width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
assert (width, height, depth, color) == (800, 400, 8, 2)
raw = zlib.decompress(chunks[b"IDAT"])
assert len(raw) == height * (1 + 3 * width)
pixels = [raw[y * (1 + 3 * width) + 1:(y + 1) * (1 + 3 * width)] for y in range(height)]
colors = {bytes(row[3 * x:3 * x + 3]) for row in pixels for x in range(width)}
assert bytes((30, 90, 200)) in colors and bytes((210, 40, 40)) in colors, "curves not drawn"
print("png ok")
