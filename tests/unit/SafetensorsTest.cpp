//===- SafetensorsTest.cpp - the checkpoint format shared with PyTorch ----===//

#include "runtime/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

using namespace golf::rt;

namespace {

std::string tempPath(const char *name) {
  return ::testing::TempDir() + "golf_st_" + name;
}

/// A file with the given JSON header and `dataBytes` zero bytes of data.
void writeRaw(const std::string &path, const std::string &header,
              size_t dataBytes) {
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out.put((char)(n >> (8 * i)));
  out << header << std::string(dataBytes, '\0');
}

TEST(Safetensors, RoundTripsValuesAndOrder) {
  std::string path = tempPath("rt.safetensors");
  std::vector<double> a = {1.5, -2.25, 3e-300, 7};
  std::vector<double> b = {0.1f, 2.0f, -3.0f};
  ASSERT_EQ(writeSafetensors(path, {{"w.0", fromDoubles({2, 2}, a, true)},
                                    {"w.1", fromDoubles({3}, b, false)}}),
            "");
  SafeTensors st = readSafetensors(path);
  ASSERT_TRUE(st.ok()) << st.error;
  ASSERT_EQ(st.tensors.size(), 2u);
  EXPECT_EQ(st.tensors["w.0"].dtype, "F64");
  EXPECT_EQ(st.tensors["w.0"].shape, (std::vector<int64_t>{2, 2}));
  std::vector<double> back;
  ASSERT_TRUE(toDoubles(st.tensors["w.0"], back));
  EXPECT_EQ(back, a);
  ASSERT_TRUE(toDoubles(st.tensors["w.1"], back));
  EXPECT_EQ(back, b); // Exactly representable in float32.
  EXPECT_FALSE(std::ifstream(path + ".tmp").good());
}

TEST(Safetensors, ReadsHalfPrecisions) {
  std::string path = tempPath("half.safetensors");
  // F16 1.5 = 0x3E00, BF16 -2.0 = 0xC000.
  writeRaw(path,
           R"({"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},)"
           R"("b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}})",
           0);
  std::ofstream(path, std::ios::binary | std::ios::app)
      .write("\x00\x3e\x00\xc0", 4);
  SafeTensors st = readSafetensors(path);
  ASSERT_TRUE(st.ok()) << st.error;
  std::vector<double> v;
  ASSERT_TRUE(toDoubles(st.tensors["h"], v));
  EXPECT_EQ(v, std::vector<double>{1.5});
  ASSERT_TRUE(toDoubles(st.tensors["b"], v));
  EXPECT_EQ(v, std::vector<double>{-2.0});
}

TEST(Safetensors, BadFilesAreClearErrors) {
  std::string path = tempPath("bad.safetensors");
  writeRaw(path, "{not json", 0);
  EXPECT_EQ(readSafetensors(path).error,
            path + ": not a safetensors file: the header is not a JSON object");
  writeRaw(path, R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})",
           8);
  EXPECT_EQ(readSafetensors(path).error,
            path + ": tensor 'w' has 8 bytes for 4 F32 values");
  writeRaw(path, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
           4);
  EXPECT_EQ(readSafetensors(path).error,
            path + ": tensor 'w' lies outside the file's data");
  writeRaw(path, R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}})", 1);
  EXPECT_EQ(readSafetensors(path).error,
            path + ": tensor 'w' has unknown dtype Q4");
  // A shape whose element count would overflow is refused, not wrapped.
  writeRaw(
      path,
      R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})",
      0);
  EXPECT_EQ(readSafetensors(path).error,
            path + ": tensor 'w' has a malformed or too large shape");
  std::ofstream(path, std::ios::binary | std::ios::trunc).write("\x01\x02", 2);
  EXPECT_EQ(readSafetensors(path).error,
            path + ": not a safetensors file: shorter than its 8-byte header "
                   "length");
}

} // namespace
