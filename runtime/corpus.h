// From text to the challenge's shards (reference §2.1): documents read from
// JSONL ({"text": ...} per line, as docs_selected.jsonl) or plain text
// (documents separated by blank lines), an optional BPE SentencePiece model
// trained with the challenge's settings, and shards of [BOS] + pieces per
// document — the first documents for validation, the rest for training.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace golf::rt {

/// The documents of a file: JSONL when its name ends in .jsonl, else plain
/// text split at blank lines. Errors name the file (and line).
bool readDocuments(const std::string &path, std::vector<std::string> &docs,
                   std::string &error);

/// Trains a BPE model on `docs` with the challenge's settings: byte
/// fallback, split digits, nmt_nfkc, no dummy prefix, ids pad 0, bos 1,
/// eos 2, unk 3. Writes `prefix`.model and `prefix`.vocab.
bool trainTokenizer(const std::vector<std::string> &docs, int64_t vocabSize,
                    const std::string &prefix, std::string &error);

struct ShardCounts {
  int64_t trainDocs = 0, valDocs = 0, trainTokens = 0, valTokens = 0,
          trainShards = 0, valShards = 0;
};

/// Tokenizes every document as [BOS] + pieces with `model` and writes
/// outDir/val_NNNNNN.bin (the first valDocs documents) and
/// outDir/train_NNNNNN.bin (the rest), at most shardTokens tokens a shard.
bool writeTokenShards(const std::vector<std::string> &docs,
                      const std::string &model, int64_t valDocs,
                      const std::string &outDir, int64_t shardTokens,
                      ShardCounts &counts, std::string &error);

} // namespace golf::rt
