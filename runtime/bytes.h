// Bits per byte, counted as the challenge counts them (reference §6.1): each
// scored token stands for the UTF-8 bytes of its SentencePiece piece, plus
// one for a leading space ("▁") unless the previous token is a boundary
// (control, unknown or unused piece, or an id past the tokenizer's vocab).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace golf::rt {

struct ByteTable {
  std::vector<int16_t> baseBytes;    // bytes of the piece, "▁" removed
  std::vector<uint8_t> leadingSpace; // the piece began with "▁"
  std::vector<uint8_t> boundary;     // counts no byte, and no space after it
  int64_t bos = -1;                  // the model's beginning of sequence
};

/// train_gpt.py's build_sentencepiece_luts over max(the model's vocab,
/// vocabSize) ids: byte-fallback pieces count 1. False with "path: reason"
/// when the model cannot be loaded.
bool loadByteTable(const std::string &modelPath, int64_t vocabSize,
                   ByteTable &table, std::string &error);

/// The bytes of targets[i] after inputs[i], summed over i < n.
int64_t countBytes(const ByteTable &table, const int32_t *inputs,
                   const int32_t *targets, int64_t n);

/// val_bpb = (loss / ln 2) · tokens / bytes, loss the mean NLL in nats.
double bitsPerByte(double meanLoss, int64_t tokens, int64_t bytes);

} // namespace golf::rt
