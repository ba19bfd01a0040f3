//===- OptimTest.cpp - Muon and AdamW against PyTorch goldens -------------===//
//
// tests/golden/optim.safetensors holds weights, gradients and the weights
// after each of four steps, in float64, written by tests/reference/optim.py
// (train_gpt.py's Muon and torch.optim.AdamW). The runtime's optimizers
// replay the steps in float64.
//
// Tolerances, relative to the largest weight:
// - AdamW: each step rounds a handful of times per element; with the
//   bias corrections and the square root, 16 roundings per step bound it:
//   16·steps·u.
// - Muon: Newton–Schulz multiplies errors by at most the derivative of
//   p(σ) = aσ + bσ³ + cσ⁵ on [0, 1], |a| + 3|b| + 5|c| ≈ 27.9, per
//   iteration, on top of the rounding of its products (length 3r + k for an
//   r×k wide matrix): steps · 27.9^iterations · γ(3r + k).

#include "runtime/optim.h"
#include "runtime/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

using namespace golf::rt;

namespace {

constexpr int kSteps = 4;
constexpr double kU = std::numeric_limits<double>::epsilon() / 2;

struct Golden {
  SafeTensors file;
  std::vector<double> get(const std::string &name) {
    std::vector<double> v;
    auto it = file.tensors.find(name);
    EXPECT_TRUE(it != file.tensors.end()) << "no tensor " << name;
    if (it != file.tensors.end())
      EXPECT_TRUE(toDoubles(it->second, v));
    return v;
  }
  std::vector<int64_t> shape(const std::string &name) {
    return file.tensors[name].shape;
  }
};

Golden load() {
  Golden g{readSafetensors(GOLF_SOURCE_DIR "/tests/golden/optim.safetensors")};
  EXPECT_TRUE(g.file.ok()) << g.file.error;
  return g;
}

double maxAbs(const std::vector<double> &x) {
  double m = 0;
  for (double v : x)
    m = std::max(m, std::abs(v));
  return m;
}

double maxDiff(const std::vector<double> &x, const std::vector<double> &y) {
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i)
    m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

struct MuonCase {
  const char *name;
  MuonSettings settings;
};

TEST(Optim, MuonMatchesTrainGpt) {
  Golden golden = load();
  std::vector<double> scales = golden.get("lr_scales");
  ASSERT_EQ(scales.size(), (size_t)kSteps);
  const MuonCase cases[] = {
      {"muon_wide", {0.04, 0.95, true, 5, 0.85, 3, 0.0}},
      {"muon_tall", {0.02, 0.99, true, 5, 0.92, 2, 0.04}},
      {"muon_plain", {0.05, 0.9, false, 3, 0.9, 0, 0.0}},
      // MuonEq-R, then with the Polar Express coefficients too.
      {"muon_eqr", {0.026, 0.97, true, 5, 0.92, 3, 0.095, true, false}},
      {"muon_polar", {0.026, 0.97, true, 5, 0.92, 3, 0.095, true, true}},
  };
  for (const MuonCase &c : cases) {
    SCOPED_TRACE(c.name);
    std::string n = c.name;
    std::vector<int64_t> shape = golden.shape(n + ".w0");
    const int64_t rows = shape[0], cols = shape[1];
    std::vector<double> w = golden.get(n + ".w0"), buf(w.size(), 0.0), scratch;
    const int64_t r = std::min(rows, cols), k = std::max(rows, cols);
    // The row normalization adds a reduction of k and a division.
    const int64_t chain = 3 * r + k + (c.settings.rowNormalize ? k + 2 : 0);
    const double gamma = chain * kU / (1 - chain * kU);
    // Each iteration's derivative bound |a| + 3|b| + 5|c|.
    const double polar[5][3] = {{8.15655, -22.48329, 15.87877},
                                {4.04293, -2.80892, 0.50002},
                                {3.89167, -2.77248, 0.50606},
                                {3.28575, -2.36813, 0.46449},
                                {2.34654, -1.70978, 0.42324}};
    double growth = 1;
    for (int64_t i = 0; i < c.settings.backendSteps; ++i)
      growth *= c.settings.polarExpress
                    ? std::abs(polar[i][0]) + 3 * std::abs(polar[i][1]) +
                          5 * std::abs(polar[i][2])
                    : 27.93;
    for (int t = 0; t < kSteps; ++t) {
      std::vector<double> g = golden.get(n + ".g" + std::to_string(t));
      muonStep(c.settings, scales[t], t, w.data(), g.data(), buf.data(), rows,
               cols, scratch);
      std::vector<double> want = golden.get(n + ".w" + std::to_string(t + 1));
      const double bound = (t + 1) * growth * gamma * maxAbs(want);
      EXPECT_LE(maxDiff(w, want), bound) << "after step " << t + 1;
    }
  }
}

TEST(Optim, AdamWMatchesPyTorch) {
  Golden golden = load();
  std::vector<double> scales = golden.get("lr_scales");
  struct Case {
    const char *name;
    AdamSettings settings;
  } cases[] = {{"adam", {0.05, 0.9, 0.95, 1e-8, 0.0}},
               {"adamw", {0.02, 0.9, 0.99, 1e-8, 0.1}}};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    std::string n = c.name;
    std::vector<double> w = golden.get(n + ".w0"), m(w.size(), 0.0),
                        v(w.size(), 0.0);
    for (int t = 0; t < kSteps; ++t) {
      std::vector<double> g = golden.get(n + ".g" + std::to_string(t));
      adamStep(c.settings, scales[t], t + 1, w.data(), g.data(), m.data(),
               v.data(), (int64_t)w.size());
      std::vector<double> want = golden.get(n + ".w" + std::to_string(t + 1));
      EXPECT_LE(maxDiff(w, want), 16.0 * (t + 1) * kU * maxAbs(want))
          << "after step " << t + 1;
    }
  }
}

TEST(Optim, AdamFloat32StaysWithinItsRounding) {
  // The same AdamW steps in float32 against the float64 golden: the inputs
  // are rounded to float32 once (u32 each) and every step rounds in float32.
  Golden golden = load();
  std::vector<double> scales = golden.get("lr_scales");
  AdamSettings s{0.02, 0.9, 0.99, 1e-8, 0.1};
  std::vector<double> w0 = golden.get("adamw.w0");
  std::vector<float> w(w0.begin(), w0.end()), m(w.size(), 0), v(w.size(), 0);
  const double u32 = std::numeric_limits<float>::epsilon() / 2;
  for (int t = 0; t < kSteps; ++t) {
    std::vector<double> g64 = golden.get("adamw.g" + std::to_string(t));
    std::vector<float> g(g64.begin(), g64.end());
    adamStep(s, scales[t], t + 1, w.data(), g.data(), m.data(), v.data(),
             (int64_t)w.size());
    std::vector<double> want = golden.get("adamw.w" + std::to_string(t + 1));
    std::vector<double> got(w.begin(), w.end());
    EXPECT_LE(maxDiff(got, want), 16.0 * (t + 2) * u32 * maxAbs(want));
  }
}

TEST(Optim, MuonMomentumWarmsUpLinearly) {
  MuonSettings s;
  s.momentum = 0.95;
  s.momentumWarmupStart = 0.85;
  s.momentumWarmupSteps = 500;
  EXPECT_DOUBLE_EQ(muonMomentum(s, 0), 0.85);
  EXPECT_DOUBLE_EQ(muonMomentum(s, 250), 0.9);
  EXPECT_DOUBLE_EQ(muonMomentum(s, 500), 0.95);
  EXPECT_DOUBLE_EQ(muonMomentum(s, 10000), 0.95);
  s.momentumWarmupSteps = 0;
  EXPECT_DOUBLE_EQ(muonMomentum(s, 0), 0.95);
}

TEST(Optim, NewtonSchulzActsOnSingularValues) {
  // For X = 3·Q with orthonormal rows (or columns, when tall), every
  // singular value is 3; the Frobenius normalization makes them 1/√r, and
  // each iteration maps σ to aσ + bσ³ + cσ⁵ without changing Q. So the
  // result is σ₅·Q with σ₅ from the scalar recursion. Q: rows of a
  // permutation with signs, so the product is exact in float64 up to
  // rounding.
  for (bool tall : {false, true}) {
    SCOPED_TRACE(tall ? "tall" : "wide");
    const int64_t r = 4, k = 9, rows = tall ? k : r, cols = tall ? r : k;
    std::vector<double> q(rows * cols, 0.0);
    for (int64_t i = 0; i < r; ++i) {
      int64_t j = (2 * i + 1) % k;
      double sign = i % 2 ? -1.0 : 1.0;
      (tall ? q[j * cols + i] : q[i * cols + j]) = sign;
    }
    std::vector<double> x(q), scratch;
    for (double &v : x)
      v *= 3;
    newtonSchulz(x.data(), rows, cols, 5, scratch);
    double sigma = 3 / (std::sqrt(9.0 * r) + 1e-7);
    for (int step = 0; step < 5; ++step)
      sigma = 3.4445 * sigma - 4.7750 * std::pow(sigma, 3) +
              2.0315 * std::pow(sigma, 5);
    for (int64_t i = 0; i < rows * cols; ++i)
      EXPECT_NEAR(x[i], sigma * q[i], 64 * kU) << "entry " << i;
  }
}

} // namespace
