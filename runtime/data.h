// The token stream of training and validation, as the challenge's
// train_gpt.py reads it (reference §2.2): shards in sorted filename order,
// concatenated forever, no shuffling; each step takes one contiguous chunk
// and gives every rank its slice.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace golf::rt {

/// The files matching a glob pattern, sorted by name. An error (pattern and
/// reason) when nothing matches.
std::vector<std::string> matchFiles(const std::string &pattern,
                                    std::string &error);

/// train_gpt.py's TokenStream: the shards' tokens end to end, wrapping from
/// the last shard to the first.
class TokenStream {
public:
  explicit TokenStream(std::vector<std::string> files)
      : files(std::move(files)) {}
  /// Appends the next n tokens to `out`. False, with `error` naming the file
  /// and the reason, when a shard is not valid.
  bool take(int64_t n, std::vector<uint16_t> &out, std::string &error);
  /// Where the next token comes from: a shard's index and a position in it.
  std::pair<int64_t, int64_t> position() const {
    return {(int64_t)file, loaded ? pos : 0};
  }
  /// Continues from a position() (of a stream over the same files).
  bool seek(int64_t shard, int64_t at, std::string &error);

private:
  bool load(size_t index, std::string &error);
  std::vector<std::string> files;
  std::vector<uint16_t> tokens;
  size_t file = 0;
  int64_t pos = 0;
  bool loaded = false;
};

/// One micro-batch of one rank: `rows` sequences of `seq` tokens and their
/// targets (the same tokens shifted by one).
struct TokenBatch {
  int64_t rows = 0, seq = 0;
  std::vector<int32_t> inputs, targets;
};

/// train_gpt.py's DistributedTokenLoader.next_batch: local = globalTokens /
/// (world · accum) tokens per rank and micro-step; one chunk of
/// (local + 1) · world tokens is taken from the stream, and rank r reads
/// [r·(local + 1), (r + 1)·(local + 1)). False with an error when local is
/// not a positive multiple of seq, or a shard is bad.
bool nextBatch(TokenStream &stream, int64_t globalTokens, int64_t seq,
               int64_t world, int64_t rank, int64_t accum, TokenBatch &batch,
               std::string &error);

/// The validation tokens: every shard of `files` end to end, cut to a whole
/// number of sequences of `seq` plus one token for the last target.
bool loadValidation(const std::vector<std::string> &files, int64_t seq,
                    std::vector<uint16_t> &tokens, std::string &error);

/// One evaluation window: the model reads targets [start, start + length)
/// with their inputs, and the loss counts positions [scoredFrom, length).
struct EvalWindow {
  int64_t start, length, scoredFrom;
};

/// The windows over `targets` validation targets, `seq` tokens long. With
/// stride 0 (or seq), train_gpt.py's non-overlapping windows, each scored
/// whole. With 0 < stride < seq, the corrected sliding windows of the
/// records (reference §6.2, third form): a window starts every `stride`
/// targets while it still has a target past its context of seq - stride;
/// the first scores all its positions, the others those past the context,
/// so every target is scored exactly once and all but the first seq have
/// at least seq - stride tokens before them. The last windows may be
/// shorter than seq.
std::vector<EvalWindow> evalWindows(int64_t targets, int64_t seq,
                                    int64_t stride);

} // namespace golf::rt
