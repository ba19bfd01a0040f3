"""Checks a run's artifact against the run's own final weights, reading the
file with nothing from golfc: the header and checksums, decompression with
Python's zlib / lzma, the payload, bit-packed codes, and the quantization
of every tensor recomputed with numpy from final.safetensors (percentile
clip with torch.quantile's interpolation, fp16 scales, clip then round half to
even) — the codes and scales must be the same, bit for bit.

With LQER_TOP_K, LQER's corrections (reference §7.8) are checked too: the
corrected matrices are those of largest error ‖W − s·q‖_F, each correction
Â·B̂ is the rank-r truncated SVD of that error (numpy's, signs aligned)
within the rounding of its int2 and int4 codes, and it lowers the error.

Usage: export_check.py RUN_DIR SPEC_FILE FORMAT CLIP FLOOR [LQER_TOP_K]
  (FORMAT: int8, int7, int6 or int5 for the `matrix` and `embed` classes, the
  *.weight matrices; `control` tensors are fp32)
"""
import hashlib
import json
import lzma
import os
import struct
import sys
import zlib

import numpy as np

run, spec_file, fmt, clip, floor = sys.argv[1:6]
lqer_top_k = int(sys.argv[6]) if len(sys.argv) > 6 else 0
clip, floor = float(clip), float(floor)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "reference"))
R = {"int8": 127, "int7": 63, "int6": 31, "int5": 15}[fmt]

blob = open(f"{run}/artifact.bin", "rb").read()
assert blob[:8] == b"GOLFART\0"
version, comp = struct.unpack_from("<IB", blob, 8)
raw_size, packed_size, packed_crc, raw_crc = struct.unpack_from("<QQII", blob, 16)
assert version == 3 and packed_size == len(blob) - 72
packed = blob[72:]
assert zlib.crc32(packed) == packed_crc
raw = zlib.decompress(packed) if comp == 0 else lzma.decompress(packed) if comp == 2 else None
assert raw is not None, "use zlib or lzma in this test"
assert len(raw) == raw_size and zlib.crc32(raw) == raw_crc
# The content hash (issue 7): SHA-256 of the payload, checked with hashlib.
assert blob[40:72] == hashlib.sha256(raw).digest()
summary = json.load(open(f"{run}/summary.json"))
assert summary["artifact_sha256"] == hashlib.sha256(raw).hexdigest(), summary

at = 0
def take(n):
    global at
    b = raw[at:at + n]
    at += n
    return b
def u(fmt_):
    return struct.unpack(fmt_, take(struct.calcsize(fmt_)))[0]
spec = take(u("<I")).decode()
settings = take(u("<I")).decode()
assert spec == open(spec_file).read(), "the artifact holds the spec's text"
assert "num_layers=2" in settings.split("\n"), settings
tensors = {}
for _ in range(u("<I")):
    name = take(u("<H")).decode()
    form, packing, rank = struct.unpack("<BBB", take(3))
    shape = [u("<q") for _ in range(rank)]
    n = int(np.prod(shape)) if shape else 1
    if form == 0:
        tensors[name] = ("fp32", np.frombuffer(take(4 * n), "<f4").reshape(shape))
        continue
    rows = shape[0] if rank >= 2 else 1
    scales = np.frombuffer(take(2 * rows), "<f2")
    if packing == 0:
        codes = np.frombuffer(take(n), np.int8).astype(np.int64)
    else:
        data = np.frombuffer(take((n * packing + 7) // 8), np.uint8)
        bits = np.unpackbits(data, bitorder="little")[: n * packing].reshape(n, packing)
        codes = (bits * (1 << np.arange(packing))).sum(1) - (1 << (packing - 1))
    lqer = None
    r = u("<B")
    if r:  # LQER: group, Â's scale, Â's and B̂'s codes, B̂'s scales
        group, a_scale = u("<H"), np.frombuffer(take(2), "<f2")[0]
        cols = n // rows
        a_codes = np.frombuffer(take(rows * r), np.int8).reshape(rows, r)
        b_codes = np.frombuffer(take(r * cols), np.int8).reshape(r, cols)
        b_scales = np.frombuffer(take(2 * (-(-r * cols // group))), "<f2")
        lqer = (r, group, a_scale, a_codes, b_codes, b_scales)
    tensors[name] = (["fp32", "fp16", "int8", "int6", "int5", "int7"][form], codes.reshape(rows, -1), scales,
                     lqer)
assert at == len(raw)

from golf_io import read_safetensors  # noqa: E402
weights = read_safetensors(f"{run}/final.safetensors")
errors = {}
assert set(weights) == set(tensors)
for name, w in weights.items():
    t = tensors[name]
    if t[0] == "fp32":  # control tensors (vectors, skip weights)
        assert "weight" not in name or name == "skip_weights", name
        assert np.array_equal(t[1], w), name
        continue
    assert t[0] == fmt and w.ndim == 2, (name, t[0])
    w2 = w.astype(np.float32).reshape(w.shape[0], -1)
    # The percentile with linear interpolation between order statistics
    # (torch.quantile's definition), in float64.
    a = np.sort(np.abs(w2), axis=1).astype(np.float64)
    pos = clip / 100 * (a.shape[1] - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, a.shape[1] - 1)
    c = a[:, lo] + (a[:, hi] - a[:, lo]) * (pos - lo)
    s = np.maximum(c / R, floor).astype(np.float32).astype(np.float16)
    assert np.array_equal(s, t[2]), name
    q = np.rint(np.clip(w2, -c.astype(np.float32)[:, None], c.astype(np.float32)[:, None])
                / s.astype(np.float32)[:, None])
    q = np.clip(q, -R, R).astype(np.int64)
    assert np.array_equal(q, t[1]), (name, int((q != t[1]).sum()))
    errors[name] = w2.astype(np.float64) - s.astype(np.float64)[:, None] * q

# LQER: the top-k errors are corrected, each by its truncated SVD.
corrected = sorted(n for n, t in tensors.items() if t[0] != "fp32" and t[3] is not None)
norms = sorted(((-np.linalg.norm(e), n) for n, e in errors.items()))
assert corrected == sorted(n for _, n in norms[:lqer_top_k]), (corrected, norms[:lqer_top_k])
for name in corrected:
    r, group, a_scale, a_codes, b_codes, b_scales = tensors[name][3]
    e = errors[name]
    assert a_codes.min() >= -2 and a_codes.max() <= 1 and b_codes.min() >= -8 and b_codes.max() <= 7
    sa = np.float64(a_scale)
    sb = np.repeat(b_scales.astype(np.float64), group)[: b_codes.size].reshape(b_codes.shape)
    a_hat, b_hat = sa * a_codes, sb * b_codes
    u_, sv, vt = np.linalg.svd(e, full_matrices=False)
    a_ref, b_ref = u_[:, :r] * sv[:r], vt[:r].copy()
    for k in range(r):  # align each component's sign with golfc's
        if np.dot(a_hat[:, k], a_ref[:, k]) < 0:
            a_ref[:, k], b_ref[k] = -a_ref[:, k], -b_ref[k]
    # Each code rounds within half a step (0.51: the fp16 scale may sit a
    # hair under max/1.5 or max/7.5, so the clamp can cost a little more).
    bound = 0.51 * sa * np.abs(b_hat).sum(0)[None, :] + np.abs(a_ref) @ (0.51 * sb) + 1e-9
    assert np.all(np.abs(a_hat @ b_hat - a_ref @ b_ref) <= bound), name
    assert np.linalg.norm(e - a_hat @ b_hat) < np.linalg.norm(e), name

summary = json.load(open(f"{run}/summary.json"))
counted = len(blob) + len(open(spec_file, "rb").read())
assert summary["artifact_bytes"] == len(blob) and summary["counted_bytes"] == counted
print(f"ok: {len(tensors)} tensors, {len(blob)} bytes, {len(raw)} before compression, "
      f"{len(corrected)} LQER corrections")
