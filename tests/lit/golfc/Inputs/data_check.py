"""Checks golfc data's shards against SentencePiece's own encoding: the
shards hold [BOS] + spm_encode(text) per document, validation first."""
import json
import subprocess
import sys

sys.path.insert(0, __file__.rsplit("/", 3)[0] + "/reference")
docs_path, data, val_docs = sys.argv[1], sys.argv[2], int(sys.argv[3])
texts = [json.loads(line)["text"] for line in open(docs_path)]


def read_shard(path):
    raw = open(path, "rb").read()
    header = [int.from_bytes(raw[4 * i:4 * i + 4], "little", signed=True) for i in range(3)]
    assert header[0] == 20240520 and header[1] == 1, header
    assert len(raw) == 1024 + 2 * header[2]
    return [int.from_bytes(raw[1024 + 2 * i:1026 + 2 * i], "little") for i in range(header[2])]


ids = subprocess.run(["spm_encode", f"--model={data}/tokenizer.model", "--output_format=id"],
                     input="\n".join(texts) + "\n", text=True, check=True,
                     capture_output=True).stdout.splitlines()
expected = [[1] + [int(t) for t in line.split()] for line in ids]
val = read_shard(f"{data}/val_000000.bin")
train = read_shard(f"{data}/train_000000.bin")
assert val == [t for d in expected[:val_docs] for t in d]
assert train == [t for d in expected[val_docs:] for t in d]
print("ok")
