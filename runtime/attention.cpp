// Causal attention on the CPU: memref views, threads and the choice of
// instruction set around the blocked kernels of attention_isa.cpp.
#include "runtime/attention_blocks.h"
#include "runtime/kernels.h"
#include "runtime/parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using golf::rt::MemRef;
namespace attn = golf::rt::attn;

/// Rows of a [B, T, H, D] memref as pointers: the head dimension is read
/// contiguously (a copy is made first when it is not).
template <typename T> struct Rows {
  T *base;
  int64_t sb, st, sh;
  std::vector<T> copy;
  MemRef<T, 4> *source = nullptr;

  explicit Rows(MemRef<T, 4> *m, bool output = false) {
    const int64_t *n = m->sizes;
    if (m->strides[3] == 1) {
      base = m->aligned + m->offset;
      sb = m->strides[0], st = m->strides[1], sh = m->strides[2];
      return;
    }
    copy.assign(n[0] * n[1] * n[2] * n[3], T(0));
    sh = n[3], st = n[2] * n[3], sb = n[1] * n[2] * n[3];
    base = copy.data();
    if (output) {
      source = m; // Written back by flush().
      return;
    }
    for (int64_t i = 0; i < (int64_t)copy.size(); ++i)
      copy[i] = element(m, i);
  }
  static T &element(MemRef<T, 4> *m, int64_t i) {
    const int64_t *n = m->sizes;
    int64_t d = i % n[3], h = i / n[3] % n[2], t = i / (n[2] * n[3]) % n[1],
            b = i / (n[1] * n[2] * n[3]);
    return m->aligned[m->offset + b * m->strides[0] + t * m->strides[1] +
                      h * m->strides[2] + d * m->strides[3]];
  }
  T *operator()(int64_t b, int64_t t, int64_t h) const {
    return base + b * sb + t * st + h * sh;
  }
  void flush() {
    if (source)
      for (int64_t i = 0; i < (int64_t)copy.size(); ++i)
        element(source, i) = copy[i];
  }
};

/// The copy of the kernels for this CPU's instruction set.
const attn::Kernels &kernels() {
  static const attn::Kernels *chosen = [] {
#ifdef GOLF_ATTENTION_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
      return &attn::kTable_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("bmi2"))
      return &attn::kTable_avx2;
#endif
    return &attn::kTable_generic;
  }();
  return *chosen;
}

template <typename T> attn::View<T> view(const Rows<T> &r) {
  return {r.base, r.sb, r.st, r.sh};
}

void run(const attn::Kernels &k, const attn::Shape &s,
         const attn::View<float> *v, int64_t b, int64_t h, float *scratch,
         bool grad) {
  (grad ? k.backward32 : k.forward32)(s, v, b, h, scratch);
}
void run(const attn::Kernels &k, const attn::Shape &s,
         const attn::View<double> *v, int64_t b, int64_t h, double *scratch,
         bool grad) {
  (grad ? k.backward64 : k.forward64)(s, v, b, h, scratch);
}

/// Runs the kernel on every (sequence, KV head) unit, spread over threads,
/// each with its own scratch.
template <typename T>
void runUnits(const attn::Shape &s, const attn::View<T> *views, bool grad) {
  const attn::Kernels &k = kernels();
  const int64_t units = s.batch * s.kvHeads;
  const int64_t scratch =
      grad ? attn::backwardScratch(s) : attn::forwardScratch(s);
  // Scratch per worker, made by the worker that uses it.
  std::vector<std::vector<T>> memory(golf::rt::parallelThreads());
  golf::rt::parallelFor(0, units, 1,
                        [&](int64_t begin, int64_t end, int worker) {
                          std::vector<T> &mine = memory[worker];
                          mine.resize(scratch);
                          for (int64_t unit = begin; unit < end; ++unit)
                            run(k, s, views, unit / s.kvHeads, unit % s.kvHeads,
                                mine.data(), grad);
                        });
}

/// A [B, T, H, 2] statistics memref as a contiguous buffer: its own data
/// when it is contiguous, else a copy (written back by flush()).
template <typename T> struct Stats {
  MemRef<T, 4> *m;
  std::vector<T> copy;
  T *data = nullptr;
  explicit Stats(MemRef<T, 4> *m) : m(m) {
    if (!m)
      return;
    const int64_t *n = m->sizes, *st = m->strides;
    if (st[3] == 1 && st[2] == n[3] && st[1] == n[2] * n[3] &&
        st[0] == n[1] * n[2] * n[3]) {
      data = m->aligned + m->offset;
      return;
    }
    copy.resize(n[0] * n[1] * n[2] * n[3]);
    for (int64_t i = 0; i < (int64_t)copy.size(); ++i)
      copy[i] = Rows<T>::element(m, i);
    data = copy.data();
  }
  void flush() {
    if (!copy.empty())
      for (int64_t i = 0; i < (int64_t)copy.size(); ++i)
        Rows<T>::element(m, i) = copy[i];
  }
};

/// Each position's document start, [B, T], from a [B, T] mask whose
/// entries above 0.5 start a document (position 0 always does), documents
/// cut every `segment` positions from their start (0: never); empty
/// without a mask.
template <typename T>
std::vector<int64_t> documentStarts(MemRef<T, 2> *starts, int64_t segment) {
  std::vector<int64_t> first;
  if (!starts)
    return first;
  const int64_t batch = starts->sizes[0], len = starts->sizes[1];
  first.resize(batch * len);
  for (int64_t b = 0; b < batch; ++b) {
    int64_t at = 0;
    for (int64_t t = 0; t < len; ++t) {
      if (starts->aligned[starts->offset + b * starts->strides[0] +
                          t * starts->strides[1]] > T(0.5))
        at = t;
      first[b * len + t] = segment > 0 ? at + (t - at) / segment * segment : at;
    }
  }
  return first;
}

template <typename T>
void attention(MemRef<T, 4> *qm, MemRef<T, 4> *km, MemRef<T, 4> *vm,
               MemRef<T, 2> *startsm, MemRef<T, 4> *outm, MemRef<T, 4> *statsm,
               double scale, double segment = 0) {
  Stats<T> stats(statsm);
  const std::vector<int64_t> first = documentStarts(startsm, (int64_t)segment);
  attn::Shape s{qm->sizes[0], qm->sizes[1], qm->sizes[2], km->sizes[2],
                qm->sizes[3], scale,        stats.data};
  s.docStart = first.empty() ? nullptr : first.data();
  Rows<T> q(qm), k(km), v(vm), out(outm, true);
  const attn::View<T> views[] = {view(q), view(k), view(v), view(out)};
  runUnits(s, views, false);
  out.flush();
  stats.flush();
}

template <typename T>
void attentionGrad(MemRef<T, 4> *qm, MemRef<T, 4> *km, MemRef<T, 4> *vm,
                   MemRef<T, 4> *outm, MemRef<T, 4> *gm, MemRef<T, 2> *startsm,
                   MemRef<T, 4> *statsm, MemRef<T, 4> *dqm, MemRef<T, 4> *dkm,
                   MemRef<T, 4> *dvm, double scale, double segment = 0) {
  Stats<T> stats(statsm);
  const std::vector<int64_t> first = documentStarts(startsm, (int64_t)segment);
  attn::Shape s{qm->sizes[0], qm->sizes[1], qm->sizes[2], km->sizes[2],
                qm->sizes[3], scale,        stats.data};
  s.docStart = first.empty() ? nullptr : first.data();
  Rows<T> q(qm), k(km), v(vm), out(outm), g(gm), dq(dqm, true), dk(dkm, true),
      dv(dvm, true);
  const attn::View<T> views[] = {view(q), view(k),  view(v),  view(out),
                                 view(g), view(dq), view(dk), view(dv)};
  runUnits(s, views, true);
  dq.flush();
  dk.flush();
  dv.flush();
}

template <typename T>
void embeddingGrad(MemRef<int32_t, 1> *ids, MemRef<T, 2> *g,
                   MemRef<T, 2> *out) {
  const int64_t rows = out->sizes[0], dim = out->sizes[1], n = ids->sizes[0];
  auto o = [&](int64_t r, int64_t d) -> T & {
    return out
        ->aligned[out->offset + r * out->strides[0] + d * out->strides[1]];
  };
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t d = 0; d < dim; ++d)
      o(r, d) = 0;
  for (int64_t i = 0; i < n; ++i) {
    int64_t id = ids->aligned[ids->offset + i * ids->strides[0]];
    if (id < 0 || id >= rows)
      continue; // The caller validates ids; never write out of bounds.
    for (int64_t d = 0; d < dim; ++d)
      o(id, d) += g->aligned[g->offset + i * g->strides[0] + d * g->strides[1]];
  }
}

} // namespace

extern "C" void _mlir_ciface_golf_rt_attention_grad_f32(
    MemRef<float, 4> *q, MemRef<float, 4> *k, MemRef<float, 4> *v,
    MemRef<float, 4> *out, MemRef<float, 4> *g, MemRef<float, 4> *dq,
    MemRef<float, 4> *dk, MemRef<float, 4> *dv, double scale) {
  attentionGrad(q, k, v, out, g, (MemRef<float, 2> *)nullptr,
                decltype(q)(nullptr), dq, dk, dv, scale);
}

extern "C" void _mlir_ciface_golf_rt_attention_grad_f64(
    MemRef<double, 4> *q, MemRef<double, 4> *k, MemRef<double, 4> *v,
    MemRef<double, 4> *out, MemRef<double, 4> *g, MemRef<double, 4> *dq,
    MemRef<double, 4> *dk, MemRef<double, 4> *dv, double scale) {
  attentionGrad(q, k, v, out, g, (MemRef<double, 2> *)nullptr,
                decltype(q)(nullptr), dq, dk, dv, scale);
}

extern "C" void _mlir_ciface_golf_rt_embedding_grad_f32(MemRef<int32_t, 1> *ids,
                                                        MemRef<float, 2> *g,
                                                        MemRef<float, 2> *out) {
  embeddingGrad(ids, g, out);
}

extern "C" void _mlir_ciface_golf_rt_embedding_grad_f64(
    MemRef<int32_t, 1> *ids, MemRef<double, 2> *g, MemRef<double, 2> *out) {
  embeddingGrad(ids, g, out);
}

extern "C" void _mlir_ciface_golf_rt_attention_f32(MemRef<float, 4> *q,
                                                   MemRef<float, 4> *k,
                                                   MemRef<float, 4> *v,
                                                   MemRef<float, 4> *out,
                                                   double scale) {
  attention(q, k, v, (MemRef<float, 2> *)nullptr, out, decltype(q)(nullptr),
            scale);
}

extern "C" void _mlir_ciface_golf_rt_attention_f64(MemRef<double, 4> *q,
                                                   MemRef<double, 4> *k,
                                                   MemRef<double, 4> *v,
                                                   MemRef<double, 4> *out,
                                                   double scale) {
  attention(q, k, v, (MemRef<double, 2> *)nullptr, out, decltype(q)(nullptr),
            scale);
}

extern "C" void memrefCopy(int64_t elemSize, golf::rt::UnrankedMemRef *src,
                           golf::rt::UnrankedMemRef *dst) {
  // Descriptor words: allocated, aligned, offset, sizes[rank], strides[rank].
  const int64_t rank = src->rank;
  const int64_t *s = static_cast<const int64_t *>(src->descriptor);
  const int64_t *d = static_cast<const int64_t *>(dst->descriptor);
  const char *from = reinterpret_cast<const char *>(s[1]) + s[2] * elemSize;
  char *to = reinterpret_cast<char *>(d[1]) + d[2] * elemSize;
  if (rank == 0) {
    std::memcpy(to, from, elemSize);
    return;
  }
  const int64_t *sizes = s + 3, *srcStrides = s + 3 + rank,
                *dstStrides = d + 3 + rank;
  for (int64_t r = 0; r < rank; ++r)
    if (sizes[r] == 0)
      return;
  std::vector<int64_t> index(rank, 0);
  while (true) {
    int64_t si = 0, di = 0;
    for (int64_t r = 0; r < rank; ++r) {
      si += index[r] * srcStrides[r];
      di += index[r] * dstStrides[r];
    }
    std::memcpy(to + di * elemSize, from + si * elemSize, elemSize);
    int64_t r = rank - 1;
    while (r >= 0 && ++index[r] == sizes[r])
      index[r--] = 0;
    if (r < 0)
      return;
  }
}

#define GOLF_ATTENTION_STATS(T, SUFFIX)                                        \
  extern "C" void _mlir_ciface_golf_rt_attention_stats_##SUFFIX(               \
      MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v, MemRef<T, 4> *out,    \
      MemRef<T, 4> *stats, double scale) {                                     \
    attention(q, k, v, (MemRef<T, 2> *)nullptr, out, stats, scale);            \
  }                                                                            \
  extern "C" void _mlir_ciface_golf_rt_attention_grad_stats_##SUFFIX(          \
      MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v, MemRef<T, 4> *out,    \
      MemRef<T, 4> *g, MemRef<T, 4> *stats, MemRef<T, 4> *dq,                  \
      MemRef<T, 4> *dk, MemRef<T, 4> *dv, double scale) {                      \
    attentionGrad(q, k, v, out, g, (MemRef<T, 2> *)nullptr, stats, dq, dk, dv, \
                  scale);                                                      \
  }                                                                            \
  extern "C" void _mlir_ciface_golf_rt_attention_docs_stats_##SUFFIX(          \
      MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v, MemRef<T, 2> *starts, \
      MemRef<T, 4> *out, MemRef<T, 4> *stats, double scale, double segment) {  \
    attention(q, k, v, starts, out, stats, scale, segment);                    \
  }                                                                            \
  extern "C" void _mlir_ciface_golf_rt_attention_grad_docs_##SUFFIX(           \
      MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v, MemRef<T, 4> *out,    \
      MemRef<T, 4> *g, MemRef<T, 2> *starts, MemRef<T, 4> *dq,                 \
      MemRef<T, 4> *dk, MemRef<T, 4> *dv, double scale, double segment) {      \
    attentionGrad(q, k, v, out, g, starts, (MemRef<T, 4> *)nullptr, dq, dk,    \
                  dv, scale, segment);                                         \
  }                                                                            \
  extern "C" void _mlir_ciface_golf_rt_attention_grad_docs_stats_##SUFFIX(     \
      MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v, MemRef<T, 4> *out,    \
      MemRef<T, 4> *g, MemRef<T, 2> *starts, MemRef<T, 4> *stats,              \
      MemRef<T, 4> *dq, MemRef<T, 4> *dk, MemRef<T, 4> *dv, double scale,      \
      double segment) {                                                        \
    attentionGrad(q, k, v, out, g, starts, stats, dq, dk, dv, scale, segment); \
  }
GOLF_ATTENTION_STATS(float, f32)
GOLF_ATTENTION_STATS(double, f64)
#undef GOLF_ATTENTION_STATS
