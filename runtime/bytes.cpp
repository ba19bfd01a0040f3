#include "runtime/bytes.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cmath>

namespace golf::rt {

bool loadByteTable(const std::string &modelPath, int64_t vocabSize,
                   ByteTable &table, std::string &error) {
  sentencepiece::SentencePieceProcessor sp;
  auto status = sp.Load(modelPath);
  if (!status.ok()) {
    error = modelPath + ": not a SentencePiece model (" +
            std::string(status.message()) + ")";
    return false;
  }
  const int64_t pieces = sp.GetPieceSize();
  const int64_t size = std::max(pieces, vocabSize);
  table.baseBytes.assign(size, 0);
  table.leadingSpace.assign(size, 0);
  table.boundary.assign(size, 1);
  table.bos = sp.bos_id();
  static const std::string kSpace = "\xe2\x96\x81"; // U+2581 "▁"
  for (int64_t id = 0; id < pieces; ++id) {
    if (sp.IsControl(id) || sp.IsUnknown(id) || sp.IsUnused(id))
      continue;
    table.boundary[id] = 0;
    if (sp.IsByte(id)) {
      table.baseBytes[id] = 1;
      continue;
    }
    std::string piece = sp.IdToPiece(id);
    if (piece.compare(0, kSpace.size(), kSpace) == 0) {
      table.leadingSpace[id] = 1;
      piece = piece.substr(kSpace.size());
    }
    table.baseBytes[id] = (int16_t)piece.size();
  }
  return true;
}

int64_t countBytes(const ByteTable &table, const int32_t *inputs,
                   const int32_t *targets, int64_t n) {
  const int64_t size = (int64_t)table.baseBytes.size();
  auto inTable = [&](int32_t id) { return id >= 0 && id < size; };
  int64_t bytes = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t t = targets[i], p = inputs[i];
    if (!inTable(t))
      continue; // past the table: a boundary, no bytes
    bytes += table.baseBytes[t];
    if (table.leadingSpace[t] && inTable(p) && !table.boundary[p])
      bytes += 1;
  }
  return bytes;
}

double bitsPerByte(double meanLoss, int64_t tokens, int64_t bytes) {
  return meanLoss / std::log(2.0) * (double)tokens / (double)bytes;
}

} // namespace golf::rt
