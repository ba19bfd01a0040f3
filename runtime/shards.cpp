#include "runtime/shards.h"
#include "runtime/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace golf::rt {

namespace {

int32_t le32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[3] << 24);
}
} // namespace

Shard readShard(const std::string &path) {
  Shard shard;
  auto fail = [&](const std::string &why) {
    shard.tokens.clear();
    shard.error = path + ": " + why;
    return shard;
  };
  File file;
  file.f = std::fopen(path.c_str(), "rb");
  if (!file.f)
    return fail(std::strerror(errno));
  unsigned char header[kShardHeaderInts * 4];
  if (std::fread(header, 1, sizeof header, file.f) != sizeof header)
    return fail("not a token shard: shorter than its 1024-byte header");
  if (le32(header) != kShardMagic)
    return fail("not a token shard: magic " + std::to_string(le32(header)) +
                ", expected " + std::to_string(kShardMagic));
  if (le32(header + 4) != kShardVersion)
    return fail("unsupported shard version " +
                std::to_string(le32(header + 4)) + ", expected " +
                std::to_string(kShardVersion));
  int32_t count = le32(header + 8);
  if (count < 0)
    return fail("negative token count " + std::to_string(count));
  if (std::fseek(file.f, 0, SEEK_END) != 0)
    return fail(std::strerror(errno));
  long size = std::ftell(file.f);
  long expected = (long)sizeof header + 2L * count;
  if (size != expected)
    return fail("size " + std::to_string(size) +
                " bytes, but its header promises " + std::to_string(count) +
                " tokens (" + std::to_string(expected) + " bytes)");
  std::fseek(file.f, (long)sizeof header, SEEK_SET);
  std::vector<unsigned char> raw(2 * (size_t)count);
  if (std::fread(raw.data(), 1, raw.size(), file.f) != raw.size())
    return fail("read failed");
  shard.tokens.resize(count);
  for (int32_t i = 0; i < count; ++i)
    shard.tokens[i] = (uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
  return shard;
}

std::string writeShard(const std::string &path,
                       const std::vector<uint16_t> &tokens) {
  if (tokens.size() > (size_t)INT32_MAX)
    return path + ": too many tokens for one shard";
  std::vector<unsigned char> bytes(kShardHeaderInts * 4 + 2 * tokens.size(), 0);
  auto put32 = [&](size_t at, int32_t v) {
    for (int b = 0; b < 4; ++b)
      bytes[at + b] = (unsigned char)((uint32_t)v >> (8 * b));
  };
  put32(0, kShardMagic);
  put32(4, kShardVersion);
  put32(8, (int32_t)tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    bytes[kShardHeaderInts * 4 + 2 * i] = (unsigned char)(tokens[i] & 0xff);
    bytes[kShardHeaderInts * 4 + 2 * i + 1] = (unsigned char)(tokens[i] >> 8);
  }
  return writeAtomically(path, {{bytes.data(), bytes.size()}});
}

} // namespace golf::rt
