// Token shards in the challenge's format (reference §2.1): a 256-entry
// little-endian int32 header — magic 20240520, version 1, token count — then
// the tokens as little-endian uint16. Plain C++: the runtime never sees MLIR.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace golf::rt {

constexpr int32_t kShardMagic = 20240520;
constexpr int32_t kShardVersion = 1;
constexpr size_t kShardHeaderInts = 256;

struct Shard {
  std::vector<uint16_t> tokens;
  std::string error; // "path: reason" when the file is not a valid shard.
  bool ok() const { return error.empty(); }
};

/// Reads and checks a whole shard: magic, version and exact file size.
Shard readShard(const std::string &path);

/// Writes a shard atomically (a temporary file, then a rename). Returns an
/// error message, empty on success.
std::string writeShard(const std::string &path,
                       const std::vector<uint16_t> &tokens);

} // namespace golf::rt
