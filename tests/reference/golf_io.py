"""The file formats golfc reads, written without third-party packages:
safetensors (weights) and the challenge's token shards."""
import json
import struct

import numpy as np

DTYPES = {np.dtype("float64"): "F64", np.dtype("float32"): "F32"}


def write_safetensors(path, tensors):
    """tensors: list of (name, numpy array), written in that order."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors:
        array = np.asarray(array)  # (ascontiguousarray would make a scalar [1])
        blob = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<"))).tobytes()
        header[name] = {
            "dtype": DTYPES[array.dtype],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F64": "<f8", "F32": "<f4"}[entry["dtype"]]
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
    return out


def write_shard(path, tokens):
    """The challenge's shard: 256 int32 header (magic, version, count), uint16 tokens."""
    header = np.zeros(256, dtype="<i4")
    header[0], header[1], header[2] = 20240520, 1, len(tokens)
    with open(path, "wb") as f:
        f.write(header.tobytes())
        f.write(np.asarray(tokens, dtype="<u2").tobytes())


def byte_tables(sp, vocab_size):
    """train_gpt.py's build_sentencepiece_luts (reference §6.1): per token id,
    its base bytes, whether it starts with a space marker, and whether it is
    a boundary (control, unknown, unused, or beyond the SentencePiece
    vocabulary). A target t after input p counts base[t] + (space[t] and not
    boundary[p]) bytes."""
    size = max(sp.get_piece_size(), vocab_size)
    base = np.zeros(size, np.int64)
    space = np.zeros(size, bool)
    boundary = np.ones(size, bool)
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i) or sp.is_unused(i):
            continue
        boundary[i] = False
        if sp.is_byte(i):
            base[i] = 1
            continue
        piece = sp.id_to_piece(i)
        if piece.startswith("\u2581"):
            space[i] = True
            piece = piece[1:]
        base[i] = len(piece.encode("utf-8"))
    return base, space, boundary


def validation_tokens(shard, seq):
    """The validation shard as train_gpt.py cuts it: whole sequences of
    `seq` targets plus one token (the header is 256 int32)."""
    raw = np.fromfile(shard, dtype=np.uint16)[512:].astype(np.int64)
    targets = (len(raw) - 1) // seq * seq
    return raw[: targets + 1]


def sliding_windows(targets, seq, stride):
    """The corrected sliding windows (reference §6.2, third form), written
    from the reference: one every `stride` targets while it has a target
    past its context of seq - stride; the first scores everything, the
    others what follows the context. (start, length, first scored)."""
    context = seq - stride
    windows, ws = [], 0
    while ws == 0 or ws + context < targets:
        windows.append((ws, min(seq, targets - ws), 0 if ws == 0 else context))
        ws += stride
    return windows
