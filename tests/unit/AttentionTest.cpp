//===- AttentionTest.cpp - the blocked attention kernels against a plain one
//===//
//
// Every copy of the kernels this CPU can run (generic, AVX2, AVX-512) and the
// dispatched C interface are compared with a float64 reference that
// materializes each softmax row, on shapes that cross block boundaries
// (T = 64·k ± 1), with grouped KV heads and a layout whose head dimension is
// not contiguous.
//
// Tolerance: every output is a sum of at most T products of sums of D
// products, so its rounding error is below γ_n·(max magnitude) with
// n = 2(T + D) + 16 (the exp and divisions add a few ulps), γ_n = n·u/(1-n·u).

#include "runtime/attention_blocks.h"
#include "runtime/kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace golf::rt;

namespace {

struct Case {
  int64_t batch, len, heads, kvHeads, dim;
  bool headMajor; // store [B, T, D, H]: the head dimension is strided
};

std::ostream &operator<<(std::ostream &os, const Case &c) {
  return os << c.batch << "x" << c.len << " heads " << c.heads << "/"
            << c.kvHeads << " dim " << c.dim << (c.headMajor ? " strided" : "");
}

/// A [B, T, H, D] tensor in float64, with its storage order.
struct Tensor {
  int64_t b, t, h, d;
  bool headMajor;
  std::vector<double> data;
  int64_t index(int64_t i, int64_t j, int64_t k, int64_t l) const {
    return headMajor ? ((i * t + j) * d + l) * h + k
                     : ((i * t + j) * h + k) * d + l;
  }
  double &at(int64_t i, int64_t j, int64_t k, int64_t l) {
    return data[index(i, j, k, l)];
  }
  double at(int64_t i, int64_t j, int64_t k, int64_t l) const {
    return data[index(i, j, k, l)];
  }
  template <typename T> MemRef<T, 4> memref(std::vector<T> &storage) const {
    MemRef<T, 4> m{storage.data(), storage.data(), 0, {b, t, h, d}, {}};
    m.strides[0] = t * h * d;
    m.strides[1] = h * d;
    m.strides[2] = headMajor ? 1 : d;
    m.strides[3] = headMajor ? h : 1;
    return m;
  }
};

Tensor make(int64_t b, int64_t t, int64_t h, int64_t d, bool headMajor,
            std::mt19937_64 &rng) {
  Tensor x{b, t, h, d, headMajor, std::vector<double>(b * t * h * d)};
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  for (double &v : x.data)
    v = u(rng);
  return x;
}

/// The reference: softmax rows materialized, in float64.
/// With `first` ([B, T], each position's document start), a position sees
/// only the keys of its document.
void reference(const Case &c, const Tensor &q, const Tensor &k, const Tensor &v,
               const Tensor &g, double scale, Tensor &out, Tensor &dq,
               Tensor &dk, Tensor &dv,
               const std::vector<int64_t> *first = nullptr) {
  const int64_t group = c.heads / c.kvHeads;
  std::vector<double> p(c.len), dp(c.len);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t t = 0; t < c.len; ++t) {
        const int64_t kvh = h / group;
        const int64_t s0 = first ? (*first)[b * c.len + t] : 0;
        std::fill(p.begin(), p.end(), 0.0);
        double maxScore = -INFINITY, norm = 0;
        for (int64_t s = s0; s <= t; ++s) {
          double dot = 0;
          for (int64_t d = 0; d < c.dim; ++d)
            dot += q.at(b, t, h, d) * k.at(b, s, kvh, d);
          p[s] = dot * scale;
          maxScore = std::max(maxScore, p[s]);
        }
        for (int64_t s = s0; s <= t; ++s)
          norm += p[s] = std::exp(p[s] - maxScore);
        for (int64_t s = s0; s <= t; ++s)
          p[s] /= norm;
        for (int64_t d = 0; d < c.dim; ++d) {
          double o = 0;
          for (int64_t s = s0; s <= t; ++s)
            o += p[s] * v.at(b, s, kvh, d);
          out.at(b, t, h, d) = o;
        }
        double delta = 0;
        for (int64_t d = 0; d < c.dim; ++d)
          delta += g.at(b, t, h, d) * out.at(b, t, h, d);
        for (int64_t s = s0; s <= t; ++s) {
          double gv = 0;
          for (int64_t d = 0; d < c.dim; ++d)
            gv += g.at(b, t, h, d) * v.at(b, s, kvh, d);
          const double ds = p[s] * (gv - delta) * scale;
          for (int64_t d = 0; d < c.dim; ++d) {
            dq.at(b, t, h, d) += ds * k.at(b, s, kvh, d);
            dk.at(b, s, kvh, d) += ds * q.at(b, t, h, d);
            dv.at(b, s, kvh, d) += p[s] * g.at(b, t, h, d);
          }
        }
      }
}

template <typename T> double unitRoundoff() {
  return std::numeric_limits<T>::epsilon() / 2;
}

/// Largest |x - y| over the largest |y|.
double relativeError(const std::vector<double> &x, const Tensor &y) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err = std::max(err, std::abs(x[i] - y.data[i]));
    scale = std::max(scale, std::abs(y.data[i]));
  }
  return scale > 0 ? err / scale : err;
}

template <typename T> std::vector<T> cast(const Tensor &x) {
  return std::vector<T>(x.data.begin(), x.data.end());
}

/// Runs the dispatched kernels (table == nullptr) or one copy's, in T, and
/// checks them against the reference.
template <typename T>
void check(const Case &c, const attn::Kernels *table, const char *name) {
  SCOPED_TRACE(::testing::Message() << c << " " << name);
  std::mt19937_64 rng(c.len * 131 + c.dim);
  Tensor q = make(c.batch, c.len, c.heads, c.dim, c.headMajor, rng),
         k = make(c.batch, c.len, c.kvHeads, c.dim, c.headMajor, rng),
         v = make(c.batch, c.len, c.kvHeads, c.dim, c.headMajor, rng),
         g = make(c.batch, c.len, c.heads, c.dim, c.headMajor, rng);
  Tensor out = q, dq = q, dk = k, dv = v;
  for (Tensor *x : {&out, &dq, &dk, &dv})
    std::fill(x->data.begin(), x->data.end(), 0.0);
  const double scale = 1 / std::sqrt(double(c.dim));
  reference(c, q, k, v, g, scale, out, dq, dk, dv);

  std::vector<T> qs = cast<T>(q), ks = cast<T>(k), vs = cast<T>(v),
                 gs = cast<T>(g), os(out.data.size(), T(7)),
                 dqs(dq.data.size(), T(7)), dks(dk.data.size(), T(7)),
                 dvs(dv.data.size(), T(7));
  MemRef<T, 4> qm = q.memref(qs), km = k.memref(ks), vm = v.memref(vs),
               gm = g.memref(gs), om = out.memref(os), dqm = dq.memref(dqs),
               dkm = dk.memref(dks), dvm = dv.memref(dvs);
  if (!table) {
    if constexpr (std::is_same_v<T, float>) {
      _mlir_ciface_golf_rt_attention_f32(&qm, &km, &vm, &om, scale);
      _mlir_ciface_golf_rt_attention_grad_f32(&qm, &km, &vm, &om, &gm, &dqm,
                                              &dkm, &dvm, scale);
    } else {
      _mlir_ciface_golf_rt_attention_f64(&qm, &km, &vm, &om, scale);
      _mlir_ciface_golf_rt_attention_grad_f64(&qm, &km, &vm, &om, &gm, &dqm,
                                              &dkm, &dvm, scale);
    }
  } else {
    ASSERT_FALSE(c.headMajor) << "the copies take contiguous rows";
    attn::Shape s{c.batch, c.len, c.heads, c.kvHeads, c.dim, scale};
    auto view = [](MemRef<T, 4> &m) {
      return attn::View<T>{m.aligned, m.strides[0], m.strides[1], m.strides[2]};
    };
    attn::View<T> views[] = {view(qm), view(km),  view(vm),  view(om),
                             view(gm), view(dqm), view(dkm), view(dvm)};
    std::vector<T> scratch(
        std::max(attn::forwardScratch(s), attn::backwardScratch(s)));
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t h = 0; h < c.kvHeads; ++h) {
        if constexpr (std::is_same_v<T, float>)
          table->forward32(s, views, b, h, scratch.data());
        else
          table->forward64(s, views, b, h, scratch.data());
      }
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t h = 0; h < c.kvHeads; ++h) {
        if constexpr (std::is_same_v<T, float>)
          table->backward32(s, views, b, h, scratch.data());
        else
          table->backward64(s, views, b, h, scratch.data());
      }
  }
  const double n = 2.0 * (c.len + c.dim) + 16, u = unitRoundoff<T>();
  const double bound = n * u / (1 - n * u);
  auto back = [](const std::vector<T> &x) {
    return std::vector<double>(x.begin(), x.end());
  };
  EXPECT_LE(relativeError(back(os), out), bound) << "out";
  EXPECT_LE(relativeError(back(dqs), dq), bound) << "dq";
  EXPECT_LE(relativeError(back(dks), dk), bound) << "dk";
  EXPECT_LE(relativeError(back(dvs), dv), bound) << "dv";
}

const Case kCases[] = {
    {2, 150, 4, 2, 16, false}, // three blocks, the last partial; GQA 2
    {1, 64, 2, 2, 8, false},   // exactly one block
    {1, 65, 3, 1, 5, false},   // one row into the second block; GQA 3
    {2, 1, 2, 1, 4, false},    // a single position
    {1, 129, 8, 2, 64, false}, // the head size of the records
    {2, 70, 4, 2, 6, true},    // strided head dimension: copied in and out
};

TEST(Attention, DispatchedMatchesReference) {
  for (const Case &c : kCases) {
    check<double>(c, nullptr, "dispatched f64");
    check<float>(c, nullptr, "dispatched f32");
  }
}

/// The copies of the kernels this CPU can run, with their names.
std::vector<std::pair<const attn::Kernels *, const char *>> runnableCopies() {
  std::vector<std::pair<const attn::Kernels *, const char *>> copies = {
      {&attn::kTable_generic, "generic"}};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
      __builtin_cpu_supports("bmi2"))
    copies.push_back({&attn::kTable_avx2, "avx2"});
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    copies.push_back({&attn::kTable_avx512, "avx512"});
#endif
  return copies;
}

TEST(Attention, EveryInstructionSetMatchesReference) {
  for (auto [table, name] : runnableCopies())
    for (const Case &c : kCases)
      if (!c.headMajor) {
        check<double>(c, table, name);
        check<float>(c, table, name);
      }
}

} // namespace

namespace {

// The gradient that reads the forward's softmax statistics computes the same
// numbers as the one that recomputes them: the statistics are the same values
// by the same code, so the results are equal to the bit.
template <typename T> void checkStatsPath() {
  const Case c = {2, 150, 4, 2, 16, false};
  std::mt19937_64 rng(5);
  Tensor q = make(c.batch, c.len, c.heads, c.dim, false, rng),
         k = make(c.batch, c.len, c.kvHeads, c.dim, false, rng),
         g = make(c.batch, c.len, c.heads, c.dim, false, rng);
  Tensor stats{c.batch, c.len,
               c.heads, 2,
               false,   std::vector<double>(c.batch * c.len * c.heads * 2)};
  std::vector<T> qs = cast<T>(q), ks = cast<T>(k), gs = cast<T>(g);
  std::vector<T> out1(qs.size()), out2(qs.size()), st(stats.data.size());
  auto qm = q.memref(qs), km = k.memref(ks), gm = g.memref(gs),
       o1 = q.memref(out1), o2 = q.memref(out2), sm = stats.memref(st);
  std::vector<T> dq1(qs.size()), dk1(ks.size()), dv1(ks.size()), dq2(qs.size()),
      dk2(ks.size()), dv2(ks.size());
  auto a1 = q.memref(dq1), b1 = k.memref(dk1), c1 = k.memref(dv1),
       a2 = q.memref(dq2), b2 = k.memref(dk2), c2 = k.memref(dv2);
  const double scale = 0.25;
  if constexpr (std::is_same_v<T, float>) {
    _mlir_ciface_golf_rt_attention_f32(&qm, &km, &km, &o1, scale);
    _mlir_ciface_golf_rt_attention_stats_f32(&qm, &km, &km, &o2, &sm, scale);
    _mlir_ciface_golf_rt_attention_grad_f32(&qm, &km, &km, &o1, &gm, &a1, &b1,
                                            &c1, scale);
    _mlir_ciface_golf_rt_attention_grad_stats_f32(&qm, &km, &km, &o2, &gm, &sm,
                                                  &a2, &b2, &c2, scale);
  } else {
    _mlir_ciface_golf_rt_attention_f64(&qm, &km, &km, &o1, scale);
    _mlir_ciface_golf_rt_attention_stats_f64(&qm, &km, &km, &o2, &sm, scale);
    _mlir_ciface_golf_rt_attention_grad_f64(&qm, &km, &km, &o1, &gm, &a1, &b1,
                                            &c1, scale);
    _mlir_ciface_golf_rt_attention_grad_stats_f64(&qm, &km, &km, &o2, &gm, &sm,
                                                  &a2, &b2, &c2, scale);
  }
  EXPECT_EQ(out1, out2);
  EXPECT_EQ(dq1, dq2);
  EXPECT_EQ(dk1, dk2);
  EXPECT_EQ(dv1, dv2);
  // The normalizer of each row is at least 1 (its maximum's term).
  for (size_t i = 1; i < st.size(); i += 2)
    EXPECT_GE(st[i], T(1));
}

TEST(Attention, GradientFromForwardStatisticsIsIdentical) {
  checkStatsPath<float>();
  checkStatsPath<double>();
}

} // namespace

namespace {

// Attention within documents (varlen, reference §8.14): a position sees the
// keys from its document's start to itself. Documents start mid-block, at
// a block boundary, one position apart, and at the last position; every
// copy of the kernels and the C interface match the reference that
// restricts each softmax row, within the bound above; the gradient from the
// forward's statistics equals the recomputing one to the bit.
template <typename T> void checkDocuments(int64_t segment) {
  const Case c = {2, 150, 4, 2, 16, false};
  std::mt19937_64 rng(11);
  Tensor q = make(c.batch, c.len, c.heads, c.dim, false, rng),
         k = make(c.batch, c.len, c.kvHeads, c.dim, false, rng),
         v = make(c.batch, c.len, c.kvHeads, c.dim, false, rng),
         g = make(c.batch, c.len, c.heads, c.dim, false, rng);
  std::vector<T> mask(c.batch * c.len, T(0));
  for (int64_t t : {37, 64, 100, 101})
    mask[t] = T(1);
  mask[c.len + c.len - 1] = T(1);
  std::vector<int64_t> first(c.batch * c.len);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t t = 0, at = 0; t < c.len; ++t) {
      if (mask[b * c.len + t] > T(0.5))
        at = t;
      first[b * c.len + t] = segment ? at + (t - at) / segment * segment : at;
    }
  Tensor out = q, dq = q, dk = k, dv = v;
  for (Tensor *x : {&out, &dq, &dk, &dv})
    std::fill(x->data.begin(), x->data.end(), 0.0);
  const double scale = 1 / std::sqrt(double(c.dim));
  reference(c, q, k, v, g, scale, out, dq, dk, dv, &first);
  const double n = 2.0 * (c.len + c.dim) + 16, u = unitRoundoff<T>();
  const double bound = n * u / (1 - n * u);
  auto back = [](const std::vector<T> &x) {
    return std::vector<double>(x.begin(), x.end());
  };

  std::vector<T> qs = cast<T>(q), ks = cast<T>(k), vs = cast<T>(v),
                 gs = cast<T>(g), os(qs.size()),
                 st(c.batch * c.len * c.heads * 2), dq1(qs.size()),
                 dk1(ks.size()), dv1(ks.size()), dq2(qs.size()), dk2(ks.size()),
                 dv2(ks.size());
  auto qm = q.memref(qs), km = k.memref(ks), vm = v.memref(vs),
       gm = g.memref(gs), om = q.memref(os), a1 = q.memref(dq1),
       b1 = k.memref(dk1), c1 = k.memref(dv1), a2 = q.memref(dq2),
       b2 = k.memref(dk2), c2 = k.memref(dv2);
  Tensor statsShape{c.batch, c.len, c.heads, 2, false, {}};
  auto sm = statsShape.memref(st);
  MemRef<T, 2> mm{mask.data(), mask.data(), 0, {c.batch, c.len}, {c.len, 1}};
  if constexpr (std::is_same_v<T, float>) {
    _mlir_ciface_golf_rt_attention_docs_stats_f32(&qm, &km, &vm, &mm, &om, &sm,
                                                  scale, (double)segment);
    _mlir_ciface_golf_rt_attention_grad_docs_f32(
        &qm, &km, &vm, &om, &gm, &mm, &a1, &b1, &c1, scale, (double)segment);
    _mlir_ciface_golf_rt_attention_grad_docs_stats_f32(&qm, &km, &vm, &om, &gm,
                                                       &mm, &sm, &a2, &b2, &c2,
                                                       scale, (double)segment);
  } else {
    _mlir_ciface_golf_rt_attention_docs_stats_f64(&qm, &km, &vm, &mm, &om, &sm,
                                                  scale, (double)segment);
    _mlir_ciface_golf_rt_attention_grad_docs_f64(
        &qm, &km, &vm, &om, &gm, &mm, &a1, &b1, &c1, scale, (double)segment);
    _mlir_ciface_golf_rt_attention_grad_docs_stats_f64(&qm, &km, &vm, &om, &gm,
                                                       &mm, &sm, &a2, &b2, &c2,
                                                       scale, (double)segment);
  }
  EXPECT_LE(relativeError(back(os), out), bound) << "out";
  EXPECT_LE(relativeError(back(dq1), dq), bound) << "dq";
  EXPECT_LE(relativeError(back(dk1), dk), bound) << "dk";
  EXPECT_LE(relativeError(back(dv1), dv), bound) << "dv";
  EXPECT_EQ(dq1, dq2);
  EXPECT_EQ(dk1, dk2);
  EXPECT_EQ(dv1, dv2);

  // Every copy of the kernels, unit by unit.
  for (auto [table, name] : runnableCopies()) {
    SCOPED_TRACE(name);
    attn::Shape s{c.batch, c.len, c.heads, c.kvHeads, c.dim, scale};
    s.docStart = first.data();
    std::vector<T> o(qs.size()), x(qs.size()), y(ks.size()), z(ks.size());
    auto om2 = q.memref(o), xm = q.memref(x), ym = k.memref(y),
         zm = k.memref(z);
    auto view = [](MemRef<T, 4> &m) {
      return attn::View<T>{m.aligned, m.strides[0], m.strides[1], m.strides[2]};
    };
    attn::View<T> views[] = {view(qm), view(km), view(vm), view(om2),
                             view(gm), view(xm), view(ym), view(zm)};
    std::vector<T> scratch(
        std::max(attn::forwardScratch(s), attn::backwardScratch(s)));
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t h = 0; h < c.kvHeads; ++h) {
        if constexpr (std::is_same_v<T, float>) {
          table->forward32(s, views, b, h, scratch.data());
          table->backward32(s, views, b, h, scratch.data());
        } else {
          table->forward64(s, views, b, h, scratch.data());
          table->backward64(s, views, b, h, scratch.data());
        }
      }
    EXPECT_LE(relativeError(back(o), out), bound) << "copy out";
    EXPECT_LE(relativeError(back(x), dq), bound) << "copy dq";
    EXPECT_LE(relativeError(back(y), dk), bound) << "copy dk";
    EXPECT_LE(relativeError(back(z), dv), bound) << "copy dv";
  }
}

TEST(Attention, WithinDocumentsMatchesReference) {
  checkDocuments<double>(0);
  checkDocuments<float>(0);
  // Documents also cut every 30 positions (TOP's loader cuts at 2,048).
  checkDocuments<double>(30);
  checkDocuments<float>(30);
}

} // namespace
