// Kernels that compiled code calls through MLIR's C interface: each takes
// pointers to memref descriptors. Plain C++: no MLIR header here; the
// descriptor layout is MLIR's documented ABI.
#pragma once

#include <cstdint>

namespace golf::rt {

/// A strided memref descriptor of rank N, as MLIR lowers memref<...>.
template <typename T, int N> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};

/// An unranked memref: the rank, then a pointer to a ranked descriptor.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

} // namespace golf::rt

extern "C" {
/// Copies between two memrefs of any rank and layout (elements of
/// `elemSize` bytes): the function MLIR's memref lowering calls for copies
/// it cannot turn into one memcpy.
void memrefCopy(int64_t elemSize, golf::rt::UnrankedMemRef *src,
                golf::rt::UnrankedMemRef *dst);

/// The kernels, from the one list of them (runtime/entry_points.def):
///
/// - golf_rt_attention_*: causal attention with grouped KV heads, tiled with
///   an online softmax so that no T×T score matrix is ever stored. q and out
///   are [B, T, H, D], k and v [B, T, H_kv, D]; query head h reads KV head
///   h / (H / H_kv). `_stats` keeps each row's softmax maximum and
///   normalizer in `stats` ([B, T, H, 2]) for the gradient, which then does
///   not recompute them. `_docs`: within documents, `starts` [B, T] is above
///   0.5 where one begins, and a position sees the keys from its document's
///   start to itself; with `segment` > 0, documents are also cut every
///   `segment` positions.
/// - golf_rt_attention_grad_*: for `out` and its gradient `g`, the gradients
///   dq, dk, dv (dk and dv summed over the query heads of a KV head); the
///   softmax is recomputed row by row: no T×T matrix.
/// - golf_rt_gemm_{n,t}{n,t}_*: C = op(A)·op(B) by OpenBLAS, op transposing
///   for 't': the four transpositions of golf.gemm.
/// - golf_rt_embedding_grad_*: out[v, :] = Σ g[i, :] over the positions i
///   with ids[i] == v, in position order (deterministic).
#define GOLF_ENTRY(NAME, PARAMS) void _mlir_ciface_##NAME PARAMS;
#include "runtime/entry_points.def"
}
