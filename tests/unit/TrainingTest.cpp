//===- TrainingTest.cpp - data order, schedules and weight averages -------===//
//
// The loader against train_gpt.py's TokenStream / DistributedTokenLoader
// (reference §2.2), worked out by hand on shards holding 0, 1, 2, …; the lr
// schedule against lr_mul (§5); EMA and SWA arithmetic (§9).

#include "runtime/averaging.h"
#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/data.h"
#include "runtime/init.h"
#include "runtime/schedule.h"
#include "runtime/shards.h"
#include "runtime/train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

using namespace golf::rt;

namespace {

/// Shards dir/prefix_000i.bin holding consecutive numbers from `first`.
std::vector<std::string> writeShards(const std::string &dir,
                                     const std::vector<int> &sizes) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> files;
  uint16_t next = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::vector<uint16_t> tokens(sizes[i]);
    std::iota(tokens.begin(), tokens.end(), next);
    next += sizes[i];
    // Names sort in the order written, whatever the directory lists.
    std::string path = dir + "/train_00000" + std::to_string(i) + ".bin";
    EXPECT_EQ(writeShard(path, tokens), "");
    files.push_back(path);
  }
  return files;
}

std::vector<int32_t> range(int first, int count) {
  std::vector<int32_t> v(count);
  std::iota(v.begin(), v.end(), first);
  return v;
}

TEST(Loader, MatchesSortedFilesOnly) {
  std::string dir = ::testing::TempDir() + "golf_loader_glob";
  writeShards(dir, {3, 3, 3});
  std::string error;
  std::vector<std::string> files = matchFiles(dir + "/train_*.bin", error);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  EXPECT_TRUE(matchFiles(dir + "/val_*.bin", error).empty());
  EXPECT_EQ(error, dir + "/val_*.bin: no file matches");
}

TEST(Loader, SlicesEachRanksSpanAcrossShardsAndWraps) {
  // Two ranks, 8 tokens per rank and step, seq 4: each step takes
  // (8 + 1)·2 = 18 tokens; rank 1 reads the second 9 of them.
  std::string dir = ::testing::TempDir() + "golf_loader_slices";
  std::vector<std::string> files = writeShards(dir, {10, 15});
  TokenStream stream(files);
  std::string error;
  TokenBatch b;
  ASSERT_TRUE(nextBatch(stream, 16, 4, /*world=*/2, /*rank=*/1, 1, b, error))
      << error;
  EXPECT_EQ(b.rows, 2);
  EXPECT_EQ(b.seq, 4);
  EXPECT_EQ(b.inputs, range(9, 8));   // 9..16, across the shard boundary
  EXPECT_EQ(b.targets, range(10, 8)); // shifted by one
  // The second step takes tokens 18..24, then wraps to 0..10 (25 in all).
  ASSERT_TRUE(nextBatch(stream, 16, 4, 2, 1, 1, b, error)) << error;
  std::vector<int32_t> chunk = range(18, 7);
  for (int32_t t : range(0, 11))
    chunk.push_back(t);
  EXPECT_EQ(b.inputs,
            std::vector<int32_t>(chunk.begin() + 9, chunk.begin() + 17));
  EXPECT_EQ(b.targets,
            std::vector<int32_t>(chunk.begin() + 10, chunk.begin() + 18));
}

TEST(Loader, AccumulationSplitsTheGlobalBatch) {
  // 32 global tokens, 1 rank, 4 micro-steps: 8 tokens each, every micro-
  // step a fresh chunk of 9 (one token per micro-step is only a target).
  std::string dir = ::testing::TempDir() + "golf_loader_accum";
  TokenStream stream(writeShards(dir, {100}));
  std::string error;
  TokenBatch b;
  for (int micro = 0; micro < 4; ++micro) {
    ASSERT_TRUE(nextBatch(stream, 32, 8, 1, 0, 4, b, error)) << error;
    EXPECT_EQ(b.rows, 1);
    EXPECT_EQ(b.inputs, range(9 * micro, 8));
  }
}

TEST(Loader, BadBatchesAndShardsAreClearErrors) {
  std::string dir = ::testing::TempDir() + "golf_loader_errors";
  TokenStream stream(writeShards(dir, {100}));
  std::string error;
  TokenBatch b;
  EXPECT_FALSE(nextBatch(stream, 30, 4, 1, 0, 1, b, error));
  EXPECT_EQ(error, "train_batch_tokens 30 over 1 rank(s) and 1 accumulation "
                   "step(s) gives 30 tokens per micro-batch, not a positive "
                   "multiple of train_seq_len 4");
  std::string bad = dir + "/bad.bin";
  { std::ofstream(bad) << "not a shard"; }
  TokenStream broken({bad});
  EXPECT_FALSE(nextBatch(broken, 8, 4, 1, 0, 1, b, error));
  EXPECT_NE(error.find(bad + ":"), std::string::npos) << error;
}

TEST(Loader, ValidationIsWholeSequencesPlusOne) {
  std::string dir = ::testing::TempDir() + "golf_loader_val";
  std::vector<std::string> files = writeShards(dir, {7, 7});
  std::vector<uint16_t> tokens;
  std::string error;
  ASSERT_TRUE(loadValidation(files, 4, tokens, error)) << error;
  EXPECT_EQ(tokens.size(), 13u); // (14 - 1) / 4 · 4 + 1
  EXPECT_EQ(tokens.back(), 12);
  EXPECT_FALSE(loadValidation(files, 20, tokens, error));
  EXPECT_EQ(error, "the validation shards hold 14 tokens, fewer than one "
                   "sequence of 20 plus one");
}

TEST(Loader, EvaluationWindowsScoreEachTargetOnce) {
  for (int64_t targets : {64, 65, 100, 1000, 1023})
    for (int64_t seq : {16, 64})
      for (int64_t stride :
           {int64_t(0), int64_t(1), int64_t(5), int64_t(16), seq}) {
        if (stride > seq)
          continue;
        std::vector<golf::rt::EvalWindow> w =
            golf::rt::evalWindows(targets, seq, stride);
        std::vector<int> scored(targets, 0);
        for (size_t i = 0; i < w.size(); ++i) {
          EXPECT_GE(w[i].start, 0);
          EXPECT_LE(w[i].length, seq);
          EXPECT_LE(w[i].start + w[i].length, targets);
          EXPECT_LT(w[i].scoredFrom, w[i].length);
          for (int64_t p = w[i].scoredFrom; p < w[i].length; ++p)
            ++scored[w[i].start + p];
          // Past the first window, a scored target has the window's context
          // before it.
          if (stride > 0 && stride < seq && i > 0) {
            EXPECT_EQ(w[i].scoredFrom, seq - stride);
          }
        }
        for (int64_t t = 0; t < targets; ++t)
          ASSERT_EQ(scored[t], 1)
              << targets << " " << seq << " " << stride << " target " << t;
        if (stride == 0 || stride == seq)
          EXPECT_EQ(w.size(), size_t((targets + seq - 1) / seq));
        else
          EXPECT_EQ(
              w.size(),
              size_t(targets <= seq
                         ? 1
                         : (targets - (seq - stride) + stride - 1) / stride));
      }
  // Stride 64, windows of 1024, the challenge's 62,021,632 validation
  // targets (reference §6.2): a start every 64 targets while 960 of context
  // still leave a target, 62,021,632 / 64 - 960 / 64 = 969,073 windows.
  EXPECT_EQ(golf::rt::evalWindows(62021632, 1024, 64).size(), 969073u);
}

// A built trainer reads its plan back from JSON: every setting the compiler
// resolves must survive the trip, or the trainer silently runs another one.
TEST(Plan, EverySettingSurvivesTheJsonRoundTrip) {
  golf::rt::TrainPlan a;
  golf::rt::TrainSettings &t = a.settings;
  t.iterations = 77;
  t.warmdownShape = "sqrt";
  t.warmdownFrac = 0.85;
  t.minLr = 0.1;
  t.switchHparam = "looping";
  t.switchAt = 0.35;
  t.tttEnabled = true;
  t.tttLr = 0.005;
  t.slotEnabled = true;
  t.slotSteps = 8;
  t.slotBatchSeqs = 4;
  t.slotLr = 0.02;
  t.slotLrMin = 0.002;
  t.slotWeightDecay = 0.03;
  t.slotWarmStart = 0.5;
  a.headWeight = "tok_emb.weight";
  a.headSoftcap = 30;
  a.params.push_back({"w", {4, 3}, "zeros", {}, "matrix", "matrix"});
  golf::rt::TrainGroup g;
  g.name = "matrix";
  g.kind = "muon";
  g.muon.lr = 0.026;
  g.muon.rowNormalize = true;
  g.muon.polarExpress = true;
  a.groups.push_back(g);
  golf::rt::QuantPolicy q;
  q.format = golf::rt::QuantFormat::Int6;
  q.method = "gptq";
  q.clipSearch = true;
  q.damping = 0.0201;
  a.exports.classes.push_back({"matrix", q});
  a.exports.lqerTopK = 3;
  a.exports.lqerRank = 2;
  a.exports.lqerGroup = 32;

  golf::rt::TrainPlan b;
  ASSERT_EQ(b.fromJson(a.toJson()), "");
  const golf::rt::TrainSettings &u = b.settings;
  EXPECT_EQ(u.iterations, 77);
  EXPECT_EQ(u.warmdownShape, "sqrt");
  EXPECT_EQ(u.warmdownFrac, 0.85);
  EXPECT_EQ(u.minLr, 0.1);
  EXPECT_EQ(u.switchHparam, "looping");
  EXPECT_EQ(u.switchAt, 0.35);
  EXPECT_TRUE(u.tttEnabled);
  EXPECT_EQ(u.tttLr, 0.005);
  EXPECT_TRUE(u.slotEnabled);
  EXPECT_EQ(u.slotSteps, 8);
  EXPECT_EQ(u.slotBatchSeqs, 4);
  EXPECT_EQ(u.slotLr, 0.02);
  EXPECT_EQ(u.slotLrMin, 0.002);
  EXPECT_EQ(u.slotWeightDecay, 0.03);
  EXPECT_EQ(u.slotWarmStart, 0.5);
  EXPECT_EQ(b.headWeight, "tok_emb.weight");
  EXPECT_EQ(b.headSoftcap, 30);
  ASSERT_EQ(b.groups.size(), 1u);
  EXPECT_TRUE(b.groups[0].muon.rowNormalize);
  EXPECT_TRUE(b.groups[0].muon.polarExpress);
  ASSERT_EQ(b.exports.classes.size(), 1u);
  EXPECT_TRUE(b.exports.classes[0].second.clipSearch);
  EXPECT_EQ(b.exports.classes[0].second.damping, 0.0201);
  EXPECT_EQ(b.exports.lqerTopK, 3);
  EXPECT_EQ(b.exports.lqerRank, 2);
  EXPECT_EQ(b.exports.lqerGroup, 32);
}

TEST(Schedule, IterationWarmdownIsLinearToZero) {
  Schedule s{100, 20, 0};
  EXPECT_EQ(lrScale(s, 0, 0), 1.0);
  EXPECT_EQ(lrScale(s, 79, 0), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 80, 0), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 90, 0), 0.5);
  EXPECT_DOUBLE_EQ(lrScale(s, 99, 0), 0.05);
  EXPECT_FALSE(scheduleDone(s, 99, 1e12));
  EXPECT_TRUE(scheduleDone(s, 100, 0));
  EXPECT_EQ(lrScale(Schedule{100, 0, 0}, 99, 0), 1.0);
}

// PR #1319's "sqrt" warm-down: 1 − √(1 − f) of the linear scale f, which
// lies below the line (its comment's "more time at moderate LR"
// notwithstanding), under either schedule.
TEST(Schedule, SqrtWarmdownBendsTheLinearScale) {
  Schedule s{100, 20, 0, /*sqrtShape=*/true};
  EXPECT_EQ(lrScale(s, 79, 0), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 80, 0), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 90, 0), 1.0 - std::sqrt(0.5)); // linear 0.5
  EXPECT_DOUBLE_EQ(lrScale(s, 98, 0), 1.0 - std::sqrt(0.9)); // linear 0.1
  Schedule clock{20000, 1200, 600, true};
  EXPECT_DOUBLE_EQ(lrScale(clock, 5400, 540e3), 1.0 - std::sqrt(0.5));
  EXPECT_EQ(lrScale(clock, 4000, 400e3), 1.0);
}

// The SP8192 stacks' fractional warm-down with TOP's floor: 1 until the
// run's fraction reaches 1 − w, then max((1 − frac)/w, min_lr).
TEST(Schedule, FractionalWarmdownWithAFloor) {
  Schedule s{1000, 0, 0, false, /*warmdownFrac=*/0.85, /*minLr=*/0.1};
  EXPECT_EQ(lrScale(s, 149, 0), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 150, 0), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 575, 0), 0.5);
  EXPECT_DOUBLE_EQ(lrScale(s, 950, 0), 0.1); // (1 − 0.95)/0.85 < 0.1
  // Under a cap the wall clock decides: 300 s of 600 is frac 0.5.
  Schedule clock{20000, 4200, 600, false, 0.85, 0.1};
  EXPECT_DOUBLE_EQ(lrScale(clock, 3000, 300e3), 0.5 / 0.85);
  EXPECT_DOUBLE_EQ(trainingFraction(clock, 3000, 300e3), 0.5);
}

TEST(Schedule, WallclockWarmdownUsesTheMeanStepTime) {
  // 600 s cap, 1200 warm-down steps. At 100 ms per step the warm-down spans
  // 120 s: the scale is 1 until 480 s, then remaining / 120 s.
  Schedule s{20000, 1200, 600};
  EXPECT_EQ(lrScale(s, 4000, 400e3), 1.0);
  EXPECT_DOUBLE_EQ(lrScale(s, 5400, 540e3), 0.5);
  EXPECT_DOUBLE_EQ(lrScale(s, 6000, 600e3), 0.0);
  EXPECT_TRUE(scheduleDone(s, 6000, 600e3));
  // A warm-down longer than the budget starts at once (PR1226 on a 4090).
  Schedule slow{20000, 4000, 600};
  EXPECT_NEAR(lrScale(slow, 1, 514), (600e3 - 514) / (4000 * 514.0), 1e-15);
}

TEST(Averaging, EmaAndSwaArithmetic) {
  using namespace golf::rt;
  Device &cpu = cpuDevice();
  auto buffers = [&](std::vector<float> v) {
    ParamBuffers b;
    b.push_back(cpu.allocate(DType::f32, {(int64_t)v.size()}));
    cpu.copyIn(b.back(), v.data());
    return b;
  };
  Ema ema(0.9, buffers({1.0f, 2.0f}));
  ema.update(buffers({2.0f, 2.0f}));
  // 0.9f·1 + 0.1f·2, in float32 as the records' EMA computes it.
  EXPECT_EQ(ema.weights()[0].host<float>()[0], 0.9f * 1.0f + 0.1f * 2.0f);
  EXPECT_FLOAT_EQ(ema.weights()[0].host<float>()[0], 1.1f);
  EXPECT_FLOAT_EQ(ema.weights()[0].host<float>()[1], 2.0f);

  ParamBuffers one = buffers({1.0f}), four = buffers({4.0f}),
               out = buffers({0.0f});
  Swa swa(/*every=*/50, /*startFrac=*/0.5);
  EXPECT_FALSE(swa.observe(50, 0.6, one)); // lr scale not below 0.5
  EXPECT_FALSE(swa.observe(51, 0.4, one)); // not a multiple of 50
  EXPECT_TRUE(swa.observe(100, 0.4, one));
  EXPECT_TRUE(swa.observe(150, 0.2, four));
  EXPECT_EQ(swa.count(), 2);
  swa.averageInto(out);
  EXPECT_FLOAT_EQ(out[0].host<float>()[0], 2.5f);
  EXPECT_EQ(swa.sums()[0].dtype(), DType::f64);
}

} // namespace

namespace {

using golf::rt::initialize;
using golf::rt::Random;

TEST(Init, ConstantsAndRows) {
  Random r(1);
  std::vector<float> out;
  EXPECT_EQ(initialize("zeros", {}, {2, 3}, r, out), "");
  EXPECT_EQ(out, std::vector<float>(6, 0.0f));
  EXPECT_EQ(initialize("ones", {}, {4}, r, out), "");
  EXPECT_EQ(out, std::vector<float>(4, 1.0f));
  EXPECT_EQ(initialize("const", {1.5}, {2}, r, out), "");
  EXPECT_EQ(out, std::vector<float>(2, 1.5f));
  EXPECT_EQ(initialize("rows", {1, 0}, {2, 3}, r, out), "");
  EXPECT_EQ(out, (std::vector<float>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(initialize("rows", {1}, {2, 3}, r, out),
            "initializer rows: 1 values for 2 rows");
  EXPECT_EQ(initialize("xavier", {}, {2}, r, out),
            "unknown initializer 'xavier'");
}

TEST(Init, RandomDrawsHaveTheirDistribution) {
  // 40,000 draws: the sample mean is within 5 standard errors of the mean.
  Random r(1337);
  std::vector<float> out;
  const int64_t n = 40000;
  EXPECT_EQ(initialize("normal", {0.5, 0.02}, {n}, r, out), "");
  double mean = 0, var = 0;
  for (float x : out)
    mean += x / (double)n;
  for (float x : out)
    var += (x - mean) * (x - mean) / (double)(n - 1);
  EXPECT_NEAR(mean, 0.5, 5 * 0.02 / std::sqrt((double)n));
  // The sample variance's standard error is σ²·√(2/(n−1)).
  EXPECT_NEAR(var, 0.02 * 0.02, 5 * 0.02 * 0.02 * std::sqrt(2.0 / (n - 1)));
  // kaiming_uniform: U(±1/√fan_in) with fan_in the last dimension (64).
  EXPECT_EQ(initialize("kaiming_uniform", {}, {625, 64}, r, out), "");
  float lo = 1, hi = -1;
  for (float x : out)
    lo = std::min(lo, x), hi = std::max(hi, x);
  EXPECT_GE(lo, -0.125f);
  EXPECT_LE(hi, 0.125f);
  EXPECT_LT(lo, -0.124f); // 40,000 draws reach both ends
  EXPECT_GT(hi, 0.124f);
  // The same seed gives the same draws.
  Random a(7), b(7);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(a.next(), b.next());
}

TEST(Init, OrthogonalHasOrthonormalRowsOrColumns) {
  for (auto shape :
       {std::vector<int64_t>{5, 12}, std::vector<int64_t>{12, 5}}) {
    Random r(3);
    std::vector<float> w;
    ASSERT_EQ(initialize("orthogonal", {2.0}, shape, r, w), "");
    const int64_t rows = shape[0], cols = shape[1];
    const bool wide = rows < cols;
    const int64_t k = wide ? rows : cols, m = wide ? cols : rows;
    auto at = [&](int64_t vec, int64_t i) {
      return wide ? w[vec * cols + i] : w[i * cols + vec];
    };
    for (int64_t p = 0; p < k; ++p)
      for (int64_t q = 0; q < k; ++q) {
        double dot = 0;
        for (int64_t i = 0; i < m; ++i)
          dot += at(p, i) * at(q, i);
        // gain² on the diagonal; float32 rounding of m products.
        EXPECT_NEAR(dot, p == q ? 4.0 : 0.0, 4.0 * 8 * m * 6e-8);
      }
  }
}

} // namespace
