// Causal attention in blocks of 64 queries × 64 keys, flash-style: an online
// softmax in the forward pass, the softmax recomputed in the backward pass;
// never a T×T matrix. This file is compiled once per instruction set
// (attention_isa.cpp); what all copies share is plain data, so that no inline
// function compiled for one instruction set can be picked for another: the
// copies use no library template (std::vector, std::copy…), only their own
// internal functions, and take their scratch memory from the caller.
#pragma once

#include <cstdint>

namespace golf::rt::attn {

/// A [B, T, H, D] tensor whose rows of D are contiguous.
template <typename T> struct View {
  T *base;
  int64_t sb, st, sh;
};

struct Shape {
  int64_t batch, len, heads, kvHeads, dim;
  double scale;
  /// Optional, contiguous [B, T, H, 2] of T: each row's softmax maximum and
  /// normalizer. The forward pass writes them; the backward pass reads them
  /// instead of recomputing them (the same values, so the same results).
  void *stats = nullptr;
  /// Optional, contiguous [B, T]: the first position of each position's
  /// document. A query then sees the keys from its document's start to
  /// itself only (FlashAttention's varlen attention, reference §8.14).
  const int64_t *docStart = nullptr;
};

/// (Internal linkage: each copy of the kernels gets its own.)
/// The first key position `t` may see: its document's start, or 0.
static inline int64_t firstKey(const Shape &s, int64_t b, int64_t t) {
  return s.docStart ? s.docStart[b * s.len + t] : 0;
}

/// Queries and keys per block.
constexpr int64_t kBlock = 64;

/// (Internal linkage: each copy of the kernels gets its own.)
/// The sequence length rounded up to whole blocks: copies of K and V are
/// zero-padded to it, so that every block product is a full one.
static inline int64_t paddedLength(const Shape &s) {
  return (s.len + kBlock - 1) / kBlock * kBlock;
}

/// Scratch elements one unit needs: K transposed and V (forward); K, K and V
/// transposed, dK and dV (backward); plus blocks of queries, scores and row
/// statistics.
static inline int64_t forwardScratch(const Shape &s) {
  return 2 * paddedLength(s) * s.dim + 2 * kBlock * s.dim + kBlock * kBlock +
         2 * kBlock;
}
static inline int64_t backwardScratch(const Shape &s) {
  return 5 * paddedLength(s) * s.dim + 3 * kBlock * s.dim +
         2 * kBlock * kBlock + 3 * kBlock;
}

/// One unit of work: every query head of KV head `kvh` in sequence `b`. Units
/// write disjoint outputs, so results do not depend on the thread count.
/// Views, in order: q, k, v, out for the forward pass; q, k, v, out, g (the
/// gradient of out), dq, dk, dv for the backward pass.
struct Kernels {
  void (*forward32)(const Shape &, const View<float> *, int64_t b, int64_t kvh,
                    float *scratch);
  void (*forward64)(const Shape &, const View<double> *, int64_t b, int64_t kvh,
                    double *scratch);
  void (*backward32)(const Shape &, const View<float> *, int64_t b, int64_t kvh,
                     float *scratch);
  void (*backward64)(const Shape &, const View<double> *, int64_t b,
                     int64_t kvh, double *scratch);
};

/// The copies, by instruction set. The x86 ones exist when the build defines
/// GOLF_ATTENTION_X86 (x86-64 hosts).
extern const Kernels kTable_generic;
extern const Kernels kTable_avx2;   // x86-64-v3: AVX2 and FMA
extern const Kernels kTable_avx512; // x86-64-v4: AVX-512

} // namespace golf::rt::attn
