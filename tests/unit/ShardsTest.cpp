//===- ShardsTest.cpp - the challenge's token shard format ----------------===//

#include "runtime/shards.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace golf::rt;

namespace {

std::string tempPath(const char *name) {
  return ::testing::TempDir() + "golf_shard_" + name;
}

void writeBytes(const std::string &path,
                const std::vector<unsigned char> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write((const char *)bytes.data(), (std::streamsize)bytes.size());
}

/// A shard written byte by byte, as the challenge's writer lays it out.
std::vector<unsigned char> shardBytes(int32_t magic, int32_t version,
                                      int32_t count,
                                      const std::vector<uint16_t> &tokens) {
  std::vector<unsigned char> b(1024 + 2 * tokens.size(), 0);
  auto put = [&](size_t at, int32_t v) {
    for (int k = 0; k < 4; ++k)
      b[at + k] = (unsigned char)((uint32_t)v >> (8 * k));
  };
  put(0, magic);
  put(4, version);
  put(8, count);
  for (size_t i = 0; i < tokens.size(); ++i) {
    b[1024 + 2 * i] = tokens[i] & 0xff;
    b[1024 + 2 * i + 1] = tokens[i] >> 8;
  }
  return b;
}

TEST(Shards, ReadsTheChallengesLayout) {
  std::string path = tempPath("ok.bin");
  std::vector<uint16_t> tokens = {1, 2, 1023, 65535, 0, 258};
  writeBytes(path, shardBytes(20240520, 1, 6, tokens));
  Shard s = readShard(path);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.tokens, tokens);
}

TEST(Shards, WriteThenReadRoundTrips) {
  std::string path = tempPath("rt.bin");
  std::vector<uint16_t> tokens;
  for (int i = 0; i < 5000; ++i)
    tokens.push_back((uint16_t)(i * 7919));
  ASSERT_EQ(writeShard(path, tokens), "");
  // Byte-exact with the challenge's layout.
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes, shardBytes(20240520, 1, 5000, tokens));
  EXPECT_EQ(readShard(path).tokens, tokens);
  EXPECT_FALSE(std::ifstream(path + ".tmp").good()); // No leftovers.
}

TEST(Shards, BadFilesAreClearErrors) {
  std::string path = tempPath("bad.bin");
  writeBytes(path, shardBytes(12345, 1, 0, {}));
  EXPECT_EQ(readShard(path).error,
            path + ": not a token shard: magic 12345, expected 20240520");
  writeBytes(path, shardBytes(20240520, 2, 0, {}));
  EXPECT_EQ(readShard(path).error,
            path + ": unsupported shard version 2, expected 1");
  writeBytes(path, shardBytes(20240520, 1, 10, {1, 2, 3}));
  EXPECT_EQ(
      readShard(path).error,
      path +
          ": size 1030 bytes, but its header promises 10 tokens (1044 bytes)");
  writeBytes(path, {1, 2, 3});
  EXPECT_EQ(readShard(path).error,
            path + ": not a token shard: shorter than its 1024-byte header");
  EXPECT_EQ(readShard(tempPath("missing.bin")).error,
            tempPath("missing.bin") + ": No such file or directory");
}

} // namespace
