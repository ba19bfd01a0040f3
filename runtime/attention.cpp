// Causal attention on the CPU: one query row at a time, keys streamed with
// an online softmax (running maximum and normalizer), so memory stays
// O(head_dim) per row instead of O(T) — never a T×T matrix.
#include "runtime/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

namespace {

using golf::rt::MemRef;

/// Runs body(b) for b in [0, n) on up to hardware_concurrency threads. The
/// work of one b never touches another's outputs, so the result does not
/// depend on the number of threads.
template <typename F> void parallelFor(int64_t n, F body) {
  int64_t threads =
      std::min<int64_t>(n, std::max(1u, std::thread::hardware_concurrency()));
  if (threads <= 1) {
    for (int64_t b = 0; b < n; ++b)
      body(b);
    return;
  }
  std::vector<std::thread> pool;
  for (int64_t w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      for (int64_t b = w; b < n; b += threads)
        body(b);
    });
  for (std::thread &t : pool)
    t.join();
}

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

/// x · y with eight partial sums, so that the compiler can vectorize it
/// without reassociating (the order is fixed: results are reproducible).
template <typename T> inline T dot(const T *x, const T *y, int64_t n) {
  T part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l)
      part[l] += x[i + l] * y[i + l];
  T s = ((part[0] + part[1]) + (part[2] + part[3])) +
        ((part[4] + part[5]) + (part[6] + part[7]));
  for (; i < n; ++i)
    s += x[i] * y[i];
  return s;
}

template <typename T>
void attention(MemRef<T, 4> *qm, MemRef<T, 4> *km, MemRef<T, 4> *vm,
               MemRef<T, 4> *outm, double scale) {
  const int64_t batch = qm->sizes[0], len = qm->sizes[1], heads = qm->sizes[2],
                dim = qm->sizes[3], kvHeads = km->sizes[2];
  const int64_t group = heads / kvHeads;
  Rows<T> q(qm), k(km), v(vm), out(outm, true);
  parallelFor(batch, [&](int64_t b) {
    std::vector<T> acc(dim);
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / group;
      for (int64_t t = 0; t < len; ++t) {
        const T *qr = q(b, t, h);
        T maxScore = -std::numeric_limits<T>::infinity(), norm = 0;
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t s = 0; s <= t; ++s) {
          T score = dot(qr, k(b, s, g), dim) * (T)scale;
          if (score > maxScore) {
            T correction = std::exp(maxScore - score);
            norm *= correction;
            for (T &a : acc)
              a *= correction;
            maxScore = score;
          }
          T p = std::exp(score - maxScore);
          norm += p;
          const T *vr = v(b, s, g);
          for (int64_t d = 0; d < dim; ++d)
            acc[d] += p * vr[d];
        }
        T *o = out(b, t, h);
        for (int64_t d = 0; d < dim; ++d)
          o[d] = acc[d] / norm;
      }
    }
  });
  out.flush();
}

template <typename T>
void attentionGrad(MemRef<T, 4> *qm, MemRef<T, 4> *km, MemRef<T, 4> *vm,
                   MemRef<T, 4> *outm, MemRef<T, 4> *gm, MemRef<T, 4> *dqm,
                   MemRef<T, 4> *dkm, MemRef<T, 4> *dvm, double scale) {
  const int64_t batch = qm->sizes[0], len = qm->sizes[1], heads = qm->sizes[2],
                dim = qm->sizes[3], kvHeads = km->sizes[2];
  const int64_t group = heads / kvHeads;
  const T s = (T)scale;
  Rows<T> q(qm), k(km), v(vm), out(outm), g(gm), dq(dqm, true), dk(dkm, true),
      dv(dvm, true);
  parallelFor(batch, [&](int64_t b) {
    for (int64_t t = 0; t < len; ++t) {
      for (int64_t h = 0; h < heads; ++h)
        std::fill(dq(b, t, h), dq(b, t, h) + dim, T(0));
      for (int64_t h = 0; h < kvHeads; ++h) {
        std::fill(dk(b, t, h), dk(b, t, h) + dim, T(0));
        std::fill(dv(b, t, h), dv(b, t, h) + dim, T(0));
      }
    }
    std::vector<T> scores(len);
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t kvh = h / group;
      for (int64_t t = 0; t < len; ++t) {
        // The row's softmax, recomputed: scores, maximum, normalizer.
        const T *qr = q(b, t, h), *gr = g(b, t, h);
        T maxScore = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j <= t; ++j) {
          scores[j] = dot(qr, k(b, j, kvh), dim) * s;
          maxScore = std::max(maxScore, scores[j]);
        }
        T norm = 0;
        for (int64_t j = 0; j <= t; ++j) {
          scores[j] = std::exp(scores[j] - maxScore);
          norm += scores[j];
        }
        // D = g · out; ds_j = p_j (g · v_j - D).
        T D = dot(gr, out(b, t, h), dim);
        T *dqr = dq(b, t, h);
        for (int64_t j = 0; j <= t; ++j) {
          T p = scores[j] / norm;
          const T *kr = k(b, j, kvh), *vr = v(b, j, kvh);
          T ds = p * (dot(gr, vr, dim) - D) * s;
          T *dkr = dk(b, j, kvh), *dvr = dv(b, j, kvh);
          for (int64_t d = 0; d < dim; ++d) {
            dqr[d] += ds * kr[d];
            dkr[d] += ds * qr[d];
            dvr[d] += p * gr[d];
          }
        }
      }
    }
  });
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
  attentionGrad(q, k, v, out, g, dq, dk, dv, scale);
}

extern "C" void _mlir_ciface_golf_rt_attention_grad_f64(
    MemRef<double, 4> *q, MemRef<double, 4> *k, MemRef<double, 4> *v,
    MemRef<double, 4> *out, MemRef<double, 4> *g, MemRef<double, 4> *dq,
    MemRef<double, 4> *dk, MemRef<double, 4> *dv, double scale) {
  attentionGrad(q, k, v, out, g, dq, dk, dv, scale);
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
  attention(q, k, v, out, scale);
}

extern "C" void _mlir_ciface_golf_rt_attention_f64(MemRef<double, 4> *q,
                                                   MemRef<double, 4> *k,
                                                   MemRef<double, 4> *v,
                                                   MemRef<double, 4> *out,
                                                   double scale) {
  attention(q, k, v, out, scale);
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
