// Causal attention on the CPU: one query row at a time, keys streamed with
// an online softmax (running maximum and normalizer), so memory stays
// O(head_dim) per row instead of O(T) — never a T×T matrix.
#include "runtime/kernels.h"

#include <cmath>
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

} // namespace

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
