//===- BytesTest.cpp - bits per byte as the challenge counts bytes --------===//
//
// A BPE SentencePiece model is trained inside the test with the challenge's
// settings (byte fallback, split digits, no dummy prefix, ids pad 0, bos 1,
// eos 2, unk 3); documents encoded as [BOS] + pieces must count exactly the
// UTF-8 bytes of the text SentencePiece decodes them to.

#include "runtime/bytes.h"

#include <gtest/gtest.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cmath>
#include <fstream>

using namespace golf::rt;

namespace {

const char *kDocs[] = {
    "The quick brown fox jumps over the lazy dog.",
    "In 1969, 3 astronauts flew 384400 km to the Moon and back.",
    "Caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9e costs 7 euros; na\xc3\xafve "
    "r\xc3\xa9sum\xc3\xa9s are free.",
    "Tokens: a, an, the, then, there, these, those, this, that.",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e is written with kanji; "
    "\xce\xb1\xce\xb2"
    "\xce\xb3 with Greek letters.",
};

std::string modelPath() {
  static std::string path = [] {
    std::string dir = ::testing::TempDir();
    std::string text = dir + "golf_sp_corpus.txt";
    {
      std::ofstream out(text);
      for (int r = 0; r < 40; ++r)
        for (const char *d : kDocs)
          out << d << "\n";
    }
    std::string prefix = dir + "golf_sp";
    auto status = sentencepiece::SentencePieceTrainer::Train(
        "--input=" + text + " --model_prefix=" + prefix +
        " --model_type=bpe --vocab_size=320 --byte_fallback=true"
        " --split_digits=true --normalization_rule_name=nmt_nfkc"
        " --add_dummy_prefix=false --pad_id=0 --bos_id=1 --eos_id=2"
        " --unk_id=3 --hard_vocab_limit=false --character_coverage=0.9995"
        " --minloglevel=2");
    EXPECT_TRUE(status.ok()) << status.message();
    return prefix + ".model";
  }();
  return path;
}

TEST(Bytes, CountsWhatSentencePieceDecodes) {
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(modelPath()).ok());
  ByteTable table;
  std::string error;
  ASSERT_TRUE(loadByteTable(modelPath(), 1024, table, error)) << error;
  EXPECT_EQ(table.baseBytes.size(), 1024u); // padded to the model's vocab
  EXPECT_TRUE(table.boundary[1]);           // BOS
  EXPECT_TRUE(table.boundary[1000]);        // past the tokenizer
  // Whole stream: BOS, doc, BOS, doc, …
  std::vector<int32_t> stream;
  int64_t expected = 0;
  for (const char *d : kDocs) {
    std::vector<int> ids;
    ASSERT_TRUE(sp.Encode(d, &ids).ok());
    stream.push_back(1);
    stream.insert(stream.end(), ids.begin(), ids.end());
    std::string decoded;
    ASSERT_TRUE(sp.Decode(ids, &decoded).ok());
    EXPECT_EQ(decoded, d); // no normalization changes these texts
    expected += (int64_t)decoded.size();
    // This document alone, after its BOS.
    std::vector<int32_t> in = {1}, out;
    in.insert(in.end(), ids.begin(), ids.end() - 1);
    out.assign(ids.begin(), ids.end());
    EXPECT_EQ(countBytes(table, in.data(), out.data(), (int64_t)out.size()),
              (int64_t)decoded.size())
        << d;
  }
  // Targets are the stream shifted by one; a BOS target counts nothing.
  const int64_t n = (int64_t)stream.size() - 1;
  EXPECT_EQ(countBytes(table, stream.data(), stream.data() + 1, n), expected);
}

TEST(Bytes, ByteFallbackAndSpaces) {
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.Load(modelPath()).ok());
  ByteTable table;
  std::string error;
  ASSERT_TRUE(loadByteTable(modelPath(), 0, table, error)) << error;
  // A character never seen in training falls back to its UTF-8 bytes.
  std::vector<int> ids;
  ASSERT_TRUE(sp.Encode("\xe2\x82\xac", &ids).ok()); // €
  ASSERT_EQ(ids.size(), 3u);
  for (int id : ids) {
    EXPECT_TRUE(sp.IsByte(id));
    EXPECT_EQ(table.baseBytes[id], 1);
  }
  // " the" after any other piece counts its space; after BOS it does not.
  int space = sp.PieceToId("\xe2\x96\x81the");
  ASSERT_NE(space, sp.unk_id());
  int32_t afterWord[] = {ids[0]}, afterBos[] = {1}, target[] = {space};
  EXPECT_EQ(countBytes(table, afterWord, target, 1), 4);
  EXPECT_EQ(countBytes(table, afterBos, target, 1), 3);
}

TEST(Bytes, BadModelAndBitsPerByte) {
  ByteTable table;
  std::string error;
  std::string bad = ::testing::TempDir() + "golf_not_a_model";
  { std::ofstream(bad) << "nope"; }
  EXPECT_FALSE(loadByteTable(bad, 16, table, error));
  EXPECT_EQ(error.rfind(bad + ": not a SentencePiece model", 0), 0u) << error;
  // ln 2 nats per token at one byte per token is one bit per byte.
  EXPECT_DOUBLE_EQ(bitsPerByte(std::log(2.0), 100, 100), 1.0);
  EXPECT_DOUBLE_EQ(bitsPerByte(std::log(2.0), 100, 400), 0.25);
}

} // namespace
