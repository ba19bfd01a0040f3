// Causal attention on the CPU: one query row at a time, keys streamed with
// an online softmax (running maximum and normalizer), so memory stays
// O(head_dim) per row instead of O(T) — never a T×T matrix.
#include "runtime/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace {

using golf::rt::MemRef;

template <typename T>
inline T &at(MemRef<T, 4> *m, int64_t b, int64_t t, int64_t h, int64_t d) {
  return m->aligned[m->offset + b * m->strides[0] + t * m->strides[1] +
                    h * m->strides[2] + d * m->strides[3]];
}

template <typename T>
void attention(MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v,
               MemRef<T, 4> *out, double scale) {
  const int64_t batch = q->sizes[0], len = q->sizes[1], heads = q->sizes[2],
                dim = q->sizes[3], kvHeads = k->sizes[2];
  const int64_t group = heads / kvHeads;
  std::vector<T> acc(dim);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t g = h / group;
      for (int64_t t = 0; t < len; ++t) {
        T maxScore = -std::numeric_limits<T>::infinity(), norm = 0;
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t s = 0; s <= t; ++s) {
          T score = 0;
          for (int64_t d = 0; d < dim; ++d)
            score += at(q, b, t, h, d) * at(k, b, s, g, d);
          score *= (T)scale;
          if (score > maxScore) {
            T correction = std::exp(maxScore - score);
            norm *= correction;
            for (T &a : acc)
              a *= correction;
            maxScore = score;
          }
          T p = std::exp(score - maxScore);
          norm += p;
          for (int64_t d = 0; d < dim; ++d)
            acc[d] += p * at(v, b, s, g, d);
        }
        for (int64_t d = 0; d < dim; ++d)
          at(out, b, t, h, d) = acc[d] / norm;
      }
    }
}

template <typename T>
void attentionGrad(MemRef<T, 4> *q, MemRef<T, 4> *k, MemRef<T, 4> *v,
                   MemRef<T, 4> *out, MemRef<T, 4> *g, MemRef<T, 4> *dq,
                   MemRef<T, 4> *dk, MemRef<T, 4> *dv, double scale) {
  const int64_t batch = q->sizes[0], len = q->sizes[1], heads = q->sizes[2],
                dim = q->sizes[3], kvHeads = k->sizes[2];
  const int64_t group = heads / kvHeads;
  const T s = (T)scale;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < len; ++t) {
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t d = 0; d < dim; ++d)
          at(dq, b, t, h, d) = 0;
      for (int64_t h = 0; h < kvHeads; ++h)
        for (int64_t d = 0; d < dim; ++d)
          at(dk, b, t, h, d) = at(dv, b, t, h, d) = 0;
    }
  std::vector<T> scores(len);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t kvh = h / group;
      for (int64_t t = 0; t < len; ++t) {
        // The row's softmax, recomputed: scores, maximum, normalizer.
        T maxScore = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j <= t; ++j) {
          T score = 0;
          for (int64_t d = 0; d < dim; ++d)
            score += at(q, b, t, h, d) * at(k, b, j, kvh, d);
          scores[j] = score * s;
          maxScore = std::max(maxScore, scores[j]);
        }
        T norm = 0;
        for (int64_t j = 0; j <= t; ++j)
          norm += std::exp(scores[j] - maxScore);
        // D = g · out; ds_j = p_j (g · v_j - D).
        T dot = 0;
        for (int64_t d = 0; d < dim; ++d)
          dot += at(g, b, t, h, d) * at(out, b, t, h, d);
        for (int64_t j = 0; j <= t; ++j) {
          T p = std::exp(scores[j] - maxScore) / norm;
          T dp = 0;
          for (int64_t d = 0; d < dim; ++d)
            dp += at(g, b, t, h, d) * at(v, b, j, kvh, d);
          T ds = p * (dp - dot) * s;
          for (int64_t d = 0; d < dim; ++d) {
            at(dq, b, t, h, d) += ds * at(k, b, j, kvh, d);
            at(dk, b, j, kvh, d) += ds * at(q, b, t, h, d);
            at(dv, b, j, kvh, d) += p * at(g, b, t, h, d);
          }
        }
      }
    }
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
