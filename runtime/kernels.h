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

/// Causal attention with grouped KV heads, tiled with an online softmax so
/// that no T×T score matrix is ever stored. q and out are [B, T, H, D], k and
/// v [B, T, H_kv, D]; query head h reads KV head h / (H / H_kv).
void _mlir_ciface_golf_rt_attention_f32(golf::rt::MemRef<float, 4> *q,
                                        golf::rt::MemRef<float, 4> *k,
                                        golf::rt::MemRef<float, 4> *v,
                                        golf::rt::MemRef<float, 4> *out,
                                        double scale);
void _mlir_ciface_golf_rt_attention_f64(golf::rt::MemRef<double, 4> *q,
                                        golf::rt::MemRef<double, 4> *k,
                                        golf::rt::MemRef<double, 4> *v,
                                        golf::rt::MemRef<double, 4> *out,
                                        double scale);

/// The gradients of causal attention: for `out` and its gradient `g`, the
/// gradients dq, dk, dv (dk and dv summed over the query heads of a KV
/// head). The softmax is recomputed row by row: no T×T matrix.
void _mlir_ciface_golf_rt_attention_grad_f32(
    golf::rt::MemRef<float, 4> *q, golf::rt::MemRef<float, 4> *k,
    golf::rt::MemRef<float, 4> *v, golf::rt::MemRef<float, 4> *out,
    golf::rt::MemRef<float, 4> *g, golf::rt::MemRef<float, 4> *dq,
    golf::rt::MemRef<float, 4> *dk, golf::rt::MemRef<float, 4> *dv,
    double scale);
void _mlir_ciface_golf_rt_attention_grad_f64(
    golf::rt::MemRef<double, 4> *q, golf::rt::MemRef<double, 4> *k,
    golf::rt::MemRef<double, 4> *v, golf::rt::MemRef<double, 4> *out,
    golf::rt::MemRef<double, 4> *g, golf::rt::MemRef<double, 4> *dq,
    golf::rt::MemRef<double, 4> *dk, golf::rt::MemRef<double, 4> *dv,
    double scale);

/// The same, keeping each row's softmax maximum and normalizer in `stats`
/// ([B, T, H, 2]) for the gradient, which then does not recompute them.
#define GOLF_ATTENTION_STATS(T, SUFFIX)                                        \
  void _mlir_ciface_golf_rt_attention_stats_##SUFFIX(                          \
      golf::rt::MemRef<T, 4> *q, golf::rt::MemRef<T, 4> *k,                    \
      golf::rt::MemRef<T, 4> *v, golf::rt::MemRef<T, 4> *out,                  \
      golf::rt::MemRef<T, 4> *stats, double scale);                            \
  void _mlir_ciface_golf_rt_attention_grad_stats_##SUFFIX(                     \
      golf::rt::MemRef<T, 4> *q, golf::rt::MemRef<T, 4> *k,                    \
      golf::rt::MemRef<T, 4> *v, golf::rt::MemRef<T, 4> *out,                  \
      golf::rt::MemRef<T, 4> *g, golf::rt::MemRef<T, 4> *stats,                \
      golf::rt::MemRef<T, 4> *dq, golf::rt::MemRef<T, 4> *dk,                  \
      golf::rt::MemRef<T, 4> *dv, double scale);                               \
  /* Within documents: `starts` [B, T] is above 0.5 where one begins, and      \
     a position sees the keys from its document's start to itself; with        \
     `segment` > 0, documents are also cut every `segment` positions. */       \
  void _mlir_ciface_golf_rt_attention_docs_stats_##SUFFIX(                     \
      golf::rt::MemRef<T, 4> *q, golf::rt::MemRef<T, 4> *k,                    \
      golf::rt::MemRef<T, 4> *v, golf::rt::MemRef<T, 2> *starts,               \
      golf::rt::MemRef<T, 4> *out, golf::rt::MemRef<T, 4> *stats,              \
      double scale, double segment);                                           \
  void _mlir_ciface_golf_rt_attention_grad_docs_##SUFFIX(                      \
      golf::rt::MemRef<T, 4> *q, golf::rt::MemRef<T, 4> *k,                    \
      golf::rt::MemRef<T, 4> *v, golf::rt::MemRef<T, 4> *out,                  \
      golf::rt::MemRef<T, 4> *g, golf::rt::MemRef<T, 2> *starts,               \
      golf::rt::MemRef<T, 4> *dq, golf::rt::MemRef<T, 4> *dk,                  \
      golf::rt::MemRef<T, 4> *dv, double scale, double segment);               \
  void _mlir_ciface_golf_rt_attention_grad_docs_stats_##SUFFIX(                \
      golf::rt::MemRef<T, 4> *q, golf::rt::MemRef<T, 4> *k,                    \
      golf::rt::MemRef<T, 4> *v, golf::rt::MemRef<T, 4> *out,                  \
      golf::rt::MemRef<T, 4> *g, golf::rt::MemRef<T, 2> *starts,               \
      golf::rt::MemRef<T, 4> *stats, golf::rt::MemRef<T, 4> *dq,               \
      golf::rt::MemRef<T, 4> *dk, golf::rt::MemRef<T, 4> *dv, double scale,    \
      double segment);
GOLF_ATTENTION_STATS(float, f32)
GOLF_ATTENTION_STATS(double, f64)
#undef GOLF_ATTENTION_STATS

/// C = op(A)·op(B) by OpenBLAS, op transposing for 't': the four
/// transpositions of golf.gemm, in float32 and float64.
#define GOLF_GEMM_KERNEL(NAME, T)                                              \
  void _mlir_ciface_##NAME(golf::rt::MemRef<T, 2> *a,                          \
                           golf::rt::MemRef<T, 2> *b,                          \
                           golf::rt::MemRef<T, 2> *c);
GOLF_GEMM_KERNEL(golf_rt_gemm_nn_f32, float)
GOLF_GEMM_KERNEL(golf_rt_gemm_nt_f32, float)
GOLF_GEMM_KERNEL(golf_rt_gemm_tn_f32, float)
GOLF_GEMM_KERNEL(golf_rt_gemm_tt_f32, float)
GOLF_GEMM_KERNEL(golf_rt_gemm_nn_f64, double)
GOLF_GEMM_KERNEL(golf_rt_gemm_nt_f64, double)
GOLF_GEMM_KERNEL(golf_rt_gemm_tn_f64, double)
GOLF_GEMM_KERNEL(golf_rt_gemm_tt_f64, double)
#undef GOLF_GEMM_KERNEL

/// The gradient of an embedding table: out[v, :] = Σ g[i, :] over the
/// positions i with ids[i] == v, in position order (deterministic).
void _mlir_ciface_golf_rt_embedding_grad_f32(golf::rt::MemRef<int32_t, 1> *ids,
                                             golf::rt::MemRef<float, 2> *g,
                                             golf::rt::MemRef<float, 2> *out);
void _mlir_ciface_golf_rt_embedding_grad_f64(golf::rt::MemRef<int32_t, 1> *ids,
                                             golf::rt::MemRef<double, 2> *g,
                                             golf::rt::MemRef<double, 2> *out);
}
