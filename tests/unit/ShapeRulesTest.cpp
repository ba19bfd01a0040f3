//===- ShapeRulesTest.cpp - the shape rules shared by verifiers and front end
//-===//

#include "dialect/ShapeRules.h"

#include <gtest/gtest.h>

using namespace golf;

namespace {

Shape S(std::initializer_list<int64_t> dims) { return Shape(dims); }
constexpr int64_t D = kDyn;

TEST(ShapeRules, Broadcast) {
  EXPECT_EQ(broadcastShapes(S({D, D, 512}), S({512})).shape, S({D, D, 512}));
  EXPECT_EQ(broadcastShapes(S({D, D, 8, 64}), S({8, 1})).shape,
            S({D, D, 8, 64}));
  EXPECT_EQ(broadcastShapes(S({}), S({3, 1})).shape, S({3, 1}));
  EXPECT_EQ(broadcastShapes(S({4, 1}), S({1, 5})).shape, S({4, 5}));
  EXPECT_EQ(broadcastShapes(S({D, D, 512}), S({256})).error,
            "cannot broadcast [?, ?, 512] with [256]");
  // A batch or sequence dimension never meets a static size other than 1.
  EXPECT_FALSE(broadcastShapes(S({D, 4}), S({3, 4})).ok());
}

TEST(ShapeRules, Linear) {
  EXPECT_EQ(linearShape(S({D, D, 512}), S({256, 512})).shape, S({D, D, 256}));
  EXPECT_FALSE(linearShape(S({D, D, 512}), S({256, 384})).ok());
  EXPECT_FALSE(linearShape(S({D, D}), S({256, 384})).ok()); // last dim dynamic
  EXPECT_FALSE(linearShape(S({512}), S({512})).ok());
}

TEST(ShapeRules, Attention) {
  EXPECT_EQ(attentionShape(S({D, D, 8, 64}), S({D, D, 4, 64}), S({D, D, 4, 64}))
                .shape,
            S({D, D, 8, 64}));
  EXPECT_TRUE(
      attentionShape(S({D, D, 8, 64}), S({D, D, 8, 64}), S({D, D, 8, 64}))
          .ok());
  EXPECT_FALSE(
      attentionShape(S({D, D, 8, 64}), S({D, D, 3, 64}), S({D, D, 3, 64}))
          .ok());
  EXPECT_FALSE(
      attentionShape(S({D, D, 8, 64}), S({D, D, 4, 32}), S({D, D, 4, 32}))
          .ok());
  EXPECT_FALSE(
      attentionShape(S({2, 16, 8, 64}), S({2, 8, 4, 64}), S({2, 8, 4, 64}))
          .ok());
}

TEST(ShapeRules, Rope) {
  EXPECT_TRUE(ropeShape(S({D, D, 8, 64}), 16).ok());
  EXPECT_TRUE(ropeShape(S({D, D, 8, 64}), 64).ok());
  EXPECT_FALSE(ropeShape(S({D, D, 8, 64}), 15).ok());
  EXPECT_FALSE(ropeShape(S({D, D, 8, 64}), 66).ok());
  EXPECT_FALSE(ropeShape(S({D, D, 8, 64}), 0).ok());
  EXPECT_FALSE(ropeShape(S({D, D, 512}), 16).ok());
}

TEST(ShapeRules, Reshape) {
  EXPECT_TRUE(reshapeShape(S({D, D, 512}), S({D, D, 8, 64})).ok());
  EXPECT_TRUE(reshapeShape(S({8}), S({8, 1})).ok());
  EXPECT_FALSE(reshapeShape(S({D, D, 512}), S({D, 8, 64})).ok());
  EXPECT_FALSE(reshapeShape(S({D, D, 510}), S({D, D, 8, 63})).ok());
  EXPECT_FALSE(reshapeShape(S({4}), S({-4, -1})).ok());
}

TEST(ShapeRules, SliceConcatReduceShift) {
  EXPECT_EQ(sliceShape(S({D, D, 8, 64}), 3, 0, 16).shape, S({D, D, 8, 16}));
  EXPECT_FALSE(sliceShape(S({D, D, 8}), 1, 0, 1).ok());
  EXPECT_FALSE(sliceShape(S({4, 8}), 1, 4, 4).ok());
  EXPECT_FALSE(sliceShape(S({4, 8}), 2, 0, 1).ok());
  EXPECT_EQ(concatShape({S({D, D, 16}), S({D, D, 48})}, 2).shape,
            S({D, D, 64}));
  EXPECT_FALSE(concatShape({S({D, D, 16}), S({D, 2, 48})}, 2).ok());
  EXPECT_FALSE(concatShape({}, 0).ok());
  EXPECT_EQ(reduceShape(S({D, D, 4, 64}), 3, true).shape, S({D, D, 4, 1}));
  EXPECT_EQ(reduceShape(S({D, D, 4, 64}), 3, false).shape, S({D, D, 4}));
  EXPECT_FALSE(reduceShape(S({D, D}), 2, false).ok());
  EXPECT_TRUE(shiftShape(S({D, D}), 1).ok());
  EXPECT_FALSE(shiftShape(S({D}), 1).ok());
  EXPECT_FALSE(shiftShape(S({D, D}), 0).ok());
}

TEST(ShapeRules, EmbeddingAndCrossEntropy) {
  EXPECT_EQ(embeddingShape(S({D, D}), S({1024, 512})).shape, S({D, D, 512}));
  EXPECT_FALSE(embeddingShape(S({D, D}), S({1024})).ok());
  EXPECT_EQ(crossEntropyShape(S({D, D, 1024}), S({D, D})).shape, S({}));
  EXPECT_FALSE(crossEntropyShape(S({D, D, 1024}), S({D})).ok());
}

} // namespace
