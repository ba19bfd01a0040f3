// The blocked attention kernels. Compiled several times, with
// GOLF_ATTENTION_ISA naming the copy (generic, avx2, avx512) and the matching
// -march flags (runtime/CMakeLists.txt); attention.cpp picks one at run time.
// Everything here has internal linkage and calls no library template, so no
// copy's code can stand in for another's at link time.
#include "runtime/attention_blocks.h"

#include <math.h>

#ifndef GOLF_ATTENTION_ISA
#error "compile with -DGOLF_ATTENTION_ISA=generic|avx2|avx512"
#endif

namespace golf::rt::attn {
namespace {

float expOf(float x) { return ::expf(x); }
double expOf(double x) { return ::exp(x); }
template <typename T> T maxOf(T a, T b) { return a < b ? b : a; }
int64_t minOf(int64_t a, int64_t b) { return a < b ? a : b; }
template <typename T> T negativeInfinity() { return -T(INFINITY); }

template <typename T>
T *row(const View<T> &v, int64_t b, int64_t t, int64_t h) {
  return v.base + b * v.sb + t * v.st + h * v.sh;
}

template <typename T> void fill(T *p, int64_t n, T x) {
  for (int64_t i = 0; i < n; ++i)
    p[i] = x;
}

template <typename T> void copy(const T *from, int64_t n, T *to) {
  for (int64_t i = 0; i < n; ++i)
    to[i] = from[i];
}

/// Carves consecutive arrays out of the caller's scratch.
template <typename T> struct Carve {
  T *next;
  T *take(int64_t n) {
    T *p = next;
    next += n;
    return p;
  }
};

/// out[m][n] = Σ_d a[m][d] · bt[d][n] for m < rows, n < cols: a is rows×dim
/// (row stride dim), bt is dim×(≥cols) with row stride ldb, out has rows of
/// kBlock. The inner loop runs over n, contiguous in bt and out.
template <typename T>
void productNT(const T *a, const T *bt, int64_t ldb, T *out, int64_t rows,
               int64_t cols, int64_t dim) {
  for (int64_t m = 0; m < rows; ++m) {
    T acc[kBlock] = {};
    const T *am = a + m * dim;
    for (int64_t d = 0; d < dim; ++d) {
      const T x = am[d], *bd = bt + d * ldb;
      for (int64_t n = 0; n < cols; ++n)
        acc[n] += x * bd[n];
    }
    copy(acc, cols, out + m * kBlock);
  }
}

/// out[m][:] += Σ_n p[m][n] · b[n][:] (p rows of kBlock, b rows of dim).
template <typename T>
void accumulateRows(const T *p, const T *b, T *out, int64_t rows, int64_t cols,
                    int64_t dim) {
  for (int64_t m = 0; m < rows; ++m) {
    T *o = out + m * dim;
    for (int64_t n = 0; n < cols; ++n) {
      const T x = p[m * kBlock + n];
      const T *bn = b + n * dim;
      for (int64_t d = 0; d < dim; ++d)
        o[d] += x * bn[d];
    }
  }
}

/// out[n][:] += Σ_m p[m][n] · a[m][:] (the transposed product).
template <typename T>
void accumulateColumns(const T *p, const T *a, T *out, int64_t rows,
                       int64_t cols, int64_t dim) {
  for (int64_t n = 0; n < cols; ++n) {
    T *o = out + n * dim;
    for (int64_t m = 0; m < rows; ++m) {
      const T x = p[m * kBlock + n];
      const T *am = a + m * dim;
      for (int64_t d = 0; d < dim; ++d)
        o[d] += x * am[d];
    }
  }
}

/// Rows [t0, t0 + rows) of head h, copied contiguously.
template <typename T>
void gather(const View<T> &v, int64_t b, int64_t h, int64_t t0, int64_t rows,
            int64_t dim, T *out) {
  for (int64_t t = 0; t < rows; ++t)
    copy(row(v, b, t0 + t, h), dim, out + t * dim);
}

/// All of head h, transposed: out[d][t] (dim × len).
template <typename T>
void gatherTransposed(const View<T> &v, int64_t b, int64_t h, int64_t len,
                      int64_t dim, T *out) {
  for (int64_t t = 0; t < len; ++t) {
    const T *r = row(v, b, t, h);
    for (int64_t d = 0; d < dim; ++d)
      out[d * len + t] = r[d];
  }
}

/// The keys of block [j0, j0 + cols) that query t0 + m may see.
int64_t visible(int64_t t0, int64_t m, int64_t j0, int64_t cols) {
  return minOf(cols, t0 + m - j0 + 1);
}

template <typename T>
void forward(const Shape &s, const View<T> *views, int64_t b, int64_t kvh,
             T *scratch) {
  const View<T> &q = views[0], &k = views[1], &v = views[2], &out = views[3];
  const int64_t len = s.len, dim = s.dim, group = s.heads / s.kvHeads;
  const T scale = T(s.scale);
  Carve<T> c{scratch};
  T *kt = c.take(dim * len), *vc = c.take(len * dim),
    *qb = c.take(kBlock * dim), *acc = c.take(kBlock * dim),
    *sc = c.take(kBlock * kBlock), *maxScore = c.take(kBlock),
    *norm = c.take(kBlock);
  gatherTransposed(k, b, kvh, len, dim, kt);
  gather(v, b, kvh, 0, len, dim, vc);
  for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
    for (int64_t t0 = 0; t0 < len; t0 += kBlock) {
      const int64_t rows = minOf(kBlock, len - t0);
      gather(q, b, h, t0, rows, dim, qb);
      fill(acc, kBlock * dim, T(0));
      fill(maxScore, kBlock, negativeInfinity<T>());
      fill(norm, kBlock, T(0));
      for (int64_t j0 = 0; j0 < t0 + rows; j0 += kBlock) {
        const int64_t cols = minOf(kBlock, t0 + rows - j0);
        productNT(qb, kt + j0, len, sc, rows, cols, dim);
        for (int64_t m = 0; m < rows; ++m) {
          T *p = sc + m * kBlock;
          const int64_t n = visible(t0, m, j0, cols);
          T blockMax = negativeInfinity<T>();
          for (int64_t j = 0; j < n; ++j) {
            p[j] *= scale;
            blockMax = maxOf(blockMax, p[j]);
          }
          const T newMax = maxOf(maxScore[m], blockMax);
          const T correction = expOf(maxScore[m] - newMax);
          T sum = 0;
          for (int64_t j = 0; j < n; ++j) {
            p[j] = expOf(p[j] - newMax);
            sum += p[j];
          }
          fill(p + n, cols - n, T(0));
          norm[m] = norm[m] * correction + sum;
          maxScore[m] = newMax;
          if (correction != T(1))
            for (int64_t d = 0; d < dim; ++d)
              acc[m * dim + d] *= correction;
        }
        accumulateRows(sc, vc + j0 * dim, acc, rows, cols, dim);
      }
      for (int64_t m = 0; m < rows; ++m) {
        T *o = row(out, b, t0 + m, h);
        for (int64_t d = 0; d < dim; ++d)
          o[d] = acc[m * dim + d] / norm[m];
      }
    }
  }
}

template <typename T>
void backward(const Shape &s, const View<T> *views, int64_t b, int64_t kvh,
              T *scratch) {
  const View<T> &q = views[0], &k = views[1], &v = views[2], &out = views[3],
                &g = views[4], &dq = views[5], &dk = views[6], &dv = views[7];
  const int64_t len = s.len, dim = s.dim, group = s.heads / s.kvHeads;
  const T scale = T(s.scale);
  Carve<T> c{scratch};
  T *kt = c.take(dim * len), *kc = c.take(len * dim), *vt = c.take(dim * len),
    *dkc = c.take(len * dim), *dvc = c.take(len * dim),
    *qb = c.take(kBlock * dim), *gb = c.take(kBlock * dim),
    *dqb = c.take(kBlock * dim), *sc = c.take(kBlock * kBlock),
    *dp = c.take(kBlock * kBlock), *maxScore = c.take(kBlock),
    *norm = c.take(kBlock), *delta = c.take(kBlock);
  gatherTransposed(k, b, kvh, len, dim, kt);
  gather(k, b, kvh, 0, len, dim, kc);
  gatherTransposed(v, b, kvh, len, dim, vt);
  fill(dkc, len * dim, T(0));
  fill(dvc, len * dim, T(0));
  for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
    for (int64_t t0 = 0; t0 < len; t0 += kBlock) {
      const int64_t rows = minOf(kBlock, len - t0);
      gather(q, b, h, t0, rows, dim, qb);
      gather(g, b, h, t0, rows, dim, gb);
      fill(dqb, kBlock * dim, T(0));
      // delta = g · out per row; the softmax's maximum and normalizer.
      for (int64_t m = 0; m < rows; ++m) {
        const T *o = row(out, b, t0 + m, h);
        T sum = 0;
        for (int64_t d = 0; d < dim; ++d)
          sum += gb[m * dim + d] * o[d];
        delta[m] = sum;
      }
      fill(maxScore, kBlock, negativeInfinity<T>());
      fill(norm, kBlock, T(0));
      for (int64_t j0 = 0; j0 < t0 + rows; j0 += kBlock) {
        const int64_t cols = minOf(kBlock, t0 + rows - j0);
        productNT(qb, kt + j0, len, sc, rows, cols, dim);
        for (int64_t m = 0; m < rows; ++m) {
          const T *p = sc + m * kBlock;
          const int64_t n = visible(t0, m, j0, cols);
          T blockMax = negativeInfinity<T>();
          for (int64_t j = 0; j < n; ++j)
            blockMax = maxOf(blockMax, p[j] * scale);
          const T newMax = maxOf(maxScore[m], blockMax);
          T sum = 0;
          for (int64_t j = 0; j < n; ++j)
            sum += expOf(p[j] * scale - newMax);
          norm[m] = norm[m] * expOf(maxScore[m] - newMax) + sum;
          maxScore[m] = newMax;
        }
      }
      // p = the softmax row, ds = p (g·v - delta) · scale; then the three
      // products of the block: dq += ds·k, dk += dsᵀ·q, dv += pᵀ·g.
      for (int64_t j0 = 0; j0 < t0 + rows; j0 += kBlock) {
        const int64_t cols = minOf(kBlock, t0 + rows - j0);
        productNT(qb, kt + j0, len, sc, rows, cols, dim);
        productNT(gb, vt + j0, len, dp, rows, cols, dim);
        for (int64_t m = 0; m < rows; ++m) {
          T *p = sc + m * kBlock, *ds = dp + m * kBlock;
          const int64_t n = visible(t0, m, j0, cols);
          for (int64_t j = 0; j < n; ++j) {
            p[j] = expOf(p[j] * scale - maxScore[m]) / norm[m];
            ds[j] = p[j] * (ds[j] - delta[m]) * scale;
          }
          fill(p + n, cols - n, T(0));
          fill(ds + n, cols - n, T(0));
        }
        accumulateRows(dp, kc + j0 * dim, dqb, rows, cols, dim);
        accumulateColumns(dp, qb, dkc + j0 * dim, rows, cols, dim);
        accumulateColumns(sc, gb, dvc + j0 * dim, rows, cols, dim);
      }
      for (int64_t m = 0; m < rows; ++m)
        copy(dqb + m * dim, dim, row(dq, b, t0 + m, h));
    }
  }
  for (int64_t t = 0; t < len; ++t) {
    copy(dkc + t * dim, dim, row(dk, b, t, kvh));
    copy(dvc + t * dim, dim, row(dv, b, t, kvh));
  }
}

} // namespace

#define GOLF_CONCAT_(a, b) a##b
#define GOLF_TABLE_(isa) GOLF_CONCAT_(kTable_, isa)
const Kernels GOLF_TABLE_(GOLF_ATTENTION_ISA) = {
    &forward<float>, &forward<double>, &backward<float>, &backward<double>};

} // namespace golf::rt::attn
