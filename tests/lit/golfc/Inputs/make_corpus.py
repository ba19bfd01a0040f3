"""A small training set made inside the test: English-like documents from a
seeded grammar, a BPE SentencePiece model trained on them with the
challenge's settings (spm_train), and train/val shards of [BOS] + pieces.

Usage: make_corpus.py DIR GOLF_SRC   (writes DIR/sp.model, DIR/train_000000.bin,
DIR/val_000000.bin)
"""
import random
import subprocess
import sys

sys.path.insert(0, sys.argv[2] + "/tests/reference")
from golf_io import write_shard  # noqa: E402

out = sys.argv[1]
rng = random.Random(20240520)
subjects = ["the cat", "a dog", "my friend", "the old man", "her sister", "the bird", "our teacher"]
verbs = ["sees", "likes", "finds", "draws", "follows", "helps", "calls"]
objects = ["the ball", "a red box", "the river", "some bread", "the small house", "a green tree"]
places = ["in the park", "at home", "near the sea", "after school", "every morning", "on Sunday"]


def sentence():
    s = f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)} {rng.choice(places)}."
    return s[0].upper() + s[1:]


docs = [" ".join(sentence() for _ in range(rng.randint(3, 12))) for _ in range(1500)]
with open(f"{out}/corpus.txt", "w") as f:
    f.write("\n".join(docs) + "\n")
subprocess.run(["spm_train", f"--input={out}/corpus.txt", f"--model_prefix={out}/sp",
                "--model_type=bpe", "--vocab_size=320", "--byte_fallback=true",
                "--split_digits=true", "--normalization_rule_name=nmt_nfkc",
                "--add_dummy_prefix=false", "--pad_id=0", "--bos_id=1", "--eos_id=2",
                "--unk_id=3", "--hard_vocab_limit=false", "--minloglevel=2"],
               check=True, capture_output=True)
ids = subprocess.run(["spm_encode", f"--model={out}/sp.model", "--output_format=id"],
                     input="\n".join(docs) + "\n", text=True, check=True,
                     capture_output=True).stdout.splitlines()
tokens = [[1] + [int(t) for t in line.split()] for line in ids]
val = [t for doc in tokens[:100] for t in doc]
train = [t for doc in tokens[100:] for t in doc]
write_shard(f"{out}/train_000000.bin", train)
write_shard(f"{out}/val_000000.bin", val)
