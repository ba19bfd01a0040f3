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

/// 64 bytes of T: one AVX-512 register, two AVX2 ones, four SSE ones. Loads
/// and stores through Vec may be unaligned.
template <typename T> struct Lanes {
  typedef T Vec __attribute__((vector_size(64), aligned(sizeof(T)), may_alias));
  static constexpr int64_t kWidth = 64 / sizeof(T);
};

/// out[m][0..kBlock) = Σ_d a[m][d] · bt[d][0..kBlock) for m < kBlock: a is
/// kBlock×dim (row stride dim), bt dim×(≥ kBlock) with row stride ldb, out
/// kBlock×kBlock. R rows at a time keep R·kBlock accumulators in registers.
template <typename T>
void productNT(const T *a, const T *bt, int64_t ldb, T *out, int64_t dim) {
  using V = typename Lanes<T>::Vec;
  constexpr int64_t NV = kBlock / Lanes<T>::kWidth, R = 16 / NV;
  for (int64_t m = 0; m < kBlock; m += R) {
    V acc[R][NV] = {};
    for (int64_t d = 0; d < dim; ++d) {
      const V *row = reinterpret_cast<const V *>(bt + d * ldb);
      V b[NV];
      for (int64_t v = 0; v < NV; ++v)
        b[v] = row[v];
      for (int64_t r = 0; r < R; ++r) {
        const T x = a[(m + r) * dim + d];
        for (int64_t v = 0; v < NV; ++v)
          acc[r][v] += x * b[v];
      }
    }
    for (int64_t r = 0; r < R; ++r)
      for (int64_t v = 0; v < NV; ++v)
        reinterpret_cast<V *>(out + (m + r) * kBlock)[v] = acc[r][v];
  }
}

/// out[i][0..dim) += Σ_j p(i, j) · b[j][0..dim) for i, j < kBlock, with
/// p(i, j) = p[i·kBlock + j] (transposed: p[j·kBlock + i]); b has rows of
/// dim. ND = dim / lanes; R rows of out at a time stay in registers.
template <typename T, int64_t ND, bool Transposed>
void accumulateFixed(const T *p, const T *b, T *out) {
  using V = typename Lanes<T>::Vec;
  constexpr int64_t R = ND >= 16 ? 1 : 16 / ND, dim = ND * Lanes<T>::kWidth;
  for (int64_t i = 0; i < kBlock; i += R) {
    V acc[R][ND];
    for (int64_t r = 0; r < R; ++r)
      for (int64_t v = 0; v < ND; ++v)
        acc[r][v] = reinterpret_cast<const V *>(out + (i + r) * dim)[v];
    for (int64_t j = 0; j < kBlock; ++j) {
      const V *row = reinterpret_cast<const V *>(b + j * dim);
      V x[ND];
      for (int64_t v = 0; v < ND; ++v)
        x[v] = row[v];
      for (int64_t r = 0; r < R; ++r) {
        const T w =
            Transposed ? p[j * kBlock + i + r] : p[(i + r) * kBlock + j];
        for (int64_t v = 0; v < ND; ++v)
          acc[r][v] += w * x[v];
      }
    }
    for (int64_t r = 0; r < R; ++r)
      for (int64_t v = 0; v < ND; ++v)
        reinterpret_cast<V *>(out + (i + r) * dim)[v] = acc[r][v];
  }
}

/// The same for any dim, without register blocking.
template <typename T, bool Transposed>
void accumulateAny(const T *p, const T *b, T *out, int64_t dim) {
  for (int64_t i = 0; i < kBlock; ++i) {
    T *o = out + i * dim;
    for (int64_t j = 0; j < kBlock; ++j) {
      const T w = Transposed ? p[j * kBlock + i] : p[i * kBlock + j];
      const T *bj = b + j * dim;
      for (int64_t d = 0; d < dim; ++d)
        o[d] += w * bj[d];
    }
  }
}

template <typename T, bool Transposed>
void accumulate(const T *p, const T *b, T *out, int64_t dim) {
  constexpr int64_t W = Lanes<T>::kWidth;
  switch (dim % W ? 0 : dim / W) {
  case 1:
    return accumulateFixed<T, 1, Transposed>(p, b, out);
  case 2:
    return accumulateFixed<T, 2, Transposed>(p, b, out);
  case 4:
    return accumulateFixed<T, 4, Transposed>(p, b, out);
  case 8:
    return accumulateFixed<T, 8, Transposed>(p, b, out);
  case 16:
    return accumulateFixed<T, 16, Transposed>(p, b, out);
  default:
    return accumulateAny<T, Transposed>(p, b, out, dim);
  }
}

/// out[m][:] += Σ_n p[m][n] · b[n][:].
template <typename T>
void accumulateRows(const T *p, const T *b, T *out, int64_t dim) {
  accumulate<T, false>(p, b, out, dim);
}

/// out[n][:] += Σ_m p[m][n] · a[m][:] (the transposed product).
template <typename T>
void accumulateColumns(const T *p, const T *a, T *out, int64_t dim) {
  accumulate<T, true>(p, a, out, dim);
}

/// exp on 16 floats at once: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 in two
/// parts), e^r by its Taylor polynomial of degree 6 (relative error below
/// 2e-7, about 2 ulp), 2^n put in the exponent bits. x is clamped to
/// [-87, 88]: below, e^x is under 2^-125 and counts as e^-87 against a
/// softmax normalizer of at least 1.
Lanes<float>::Vec expVec(Lanes<float>::Vec x) {
  using V = Lanes<float>::Vec;
  typedef int32_t I __attribute__((vector_size(64)));
  x = x < -87.0f ? V{} - 87.0f : x;
  x = x > 88.0f ? V{} + 88.0f : x;
  const float magic = 12582912.0f; // 1.5·2^23: adding it rounds to integer
  V n = (x * 1.44269504088896341f + magic) - magic;
  V r = x - n * 0.693359375f;     // ln2, high part (exact in float)
  r = r - n * -2.12194440e-4f;    // ln2, low part
  V p = 1.0f / 720.0f + r * 0.0f; // r·0 keeps the type a vector
  p = 1.0f / 120.0f + r * p;
  p = 1.0f / 24.0f + r * p;
  p = 1.0f / 6.0f + r * p;
  p = 0.5f + r * p;
  p = 1.0f + r * p;
  p = 1.0f + r * p;
  I bits = (__builtin_convertvector(n, I) + 127) << 23;
  V scale;
  __builtin_memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/// p[j] = exp(p[j]·scale - shift) for lo ≤ j < n and 0 elsewhere in
/// [0, kBlock); returns the sum over [lo, n). The float copy computes 16 at
/// a time.
float expRow(float *p, float scale, float shift, int64_t lo, int64_t n) {
  using V = Lanes<float>::Vec;
  constexpr int64_t W = Lanes<float>::kWidth;
  for (int64_t j = 0; j < kBlock; j += W) {
    V *v = reinterpret_cast<V *>(p + j);
    *v = expVec(*v * scale - shift);
  }
  float sum = 0;
  for (int64_t j = lo; j < n; ++j)
    sum += p[j];
  fill(p, lo, 0.0f);
  fill(p + n, kBlock - n, 0.0f);
  return sum;
}
double expRow(double *p, double scale, double shift, int64_t lo, int64_t n) {
  double sum = 0;
  for (int64_t j = lo; j < n; ++j)
    sum += p[j] = ::exp(p[j] * scale - shift);
  fill(p, lo, 0.0);
  fill(p + n, kBlock - n, 0.0);
  return sum;
}

/// Rows [t0, t0 + rows) of head h, copied contiguously, then zero rows up
/// to `padded`.
template <typename T>
void gather(const View<T> &v, int64_t b, int64_t h, int64_t t0, int64_t rows,
            int64_t padded, int64_t dim, T *out) {
  for (int64_t t = 0; t < rows; ++t)
    copy(row(v, b, t0 + t, h), dim, out + t * dim);
  fill(out + rows * dim, (padded - rows) * dim, T(0));
}

/// All of head h, transposed: out[d][t] (dim × padded, zero past len).
template <typename T>
void gatherTransposed(const View<T> &v, int64_t b, int64_t h, int64_t len,
                      int64_t padded, int64_t dim, T *out) {
  for (int64_t t = 0; t < len; ++t) {
    const T *r = row(v, b, t, h);
    for (int64_t d = 0; d < dim; ++d)
      out[d * padded + t] = r[d];
  }
  for (int64_t d = 0; d < dim; ++d)
    fill(out + d * padded + len, padded - len, T(0));
}

/// The keys of block [j0, j0 + kBlock) that query t0 + m may see (j0 ≤ t0):
/// [lo, n) of the block, from its document's start `first`; empty when
/// lo ≥ n.
int64_t visible(int64_t t0, int64_t m, int64_t j0) {
  return minOf(kBlock, t0 + m - j0 + 1);
}
int64_t visibleFrom(int64_t first, int64_t j0) {
  return first > j0 ? first - j0 : 0;
}

/// The first key block any of the rows [t0, t0 + rows) may see.
int64_t firstBlock(const Shape &s, int64_t b, int64_t t0, int64_t rows) {
  int64_t first = t0;
  for (int64_t m = 0; m < rows; ++m) {
    const int64_t f = firstKey(s, b, t0 + m);
    first = f < first ? f : first;
  }
  return first / kBlock * kBlock;
}

template <typename T>
void forward(const Shape &s, const View<T> *views, int64_t b, int64_t kvh,
             T *scratch) {
  const View<T> &q = views[0], &k = views[1], &v = views[2], &out = views[3];
  const int64_t len = s.len, dim = s.dim, group = s.heads / s.kvHeads;
  const int64_t padded = paddedLength(s);
  const T scale = T(s.scale);
  Carve<T> c{scratch};
  T *kt = c.take(dim * padded), *vc = c.take(padded * dim),
    *qb = c.take(kBlock * dim), *acc = c.take(kBlock * dim),
    *sc = c.take(kBlock * kBlock), *maxScore = c.take(kBlock),
    *norm = c.take(kBlock);
  gatherTransposed(k, b, kvh, len, padded, dim, kt);
  gather(v, b, kvh, 0, len, padded, dim, vc);
  for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
    for (int64_t t0 = 0; t0 < len; t0 += kBlock) {
      const int64_t rows = minOf(kBlock, len - t0);
      gather(q, b, h, t0, rows, kBlock, dim, qb);
      fill(acc, kBlock * dim, T(0));
      fill(maxScore, kBlock, negativeInfinity<T>());
      fill(norm, kBlock, T(0));
      for (int64_t j0 = firstBlock(s, b, t0, rows); j0 <= t0; j0 += kBlock) {
        productNT(qb, kt + j0, padded, sc, dim);
        for (int64_t m = 0; m < kBlock; ++m) {
          T *p = sc + m * kBlock;
          const int64_t n = m < rows ? visible(t0, m, j0) : 0;
          const int64_t lo =
              m < rows ? visibleFrom(firstKey(s, b, t0 + m), j0) : 0;
          if (lo >= n) {
            fill(p, kBlock, T(0));
            continue;
          }
          T blockMax = negativeInfinity<T>();
          for (int64_t j = lo; j < n; ++j)
            blockMax = maxOf(blockMax, p[j] * scale);
          const T newMax = maxOf(maxScore[m], blockMax);
          const T correction = expOf(maxScore[m] - newMax);
          const T sum = expRow(p, scale, newMax, lo, n);
          norm[m] = norm[m] * correction + sum;
          maxScore[m] = newMax;
          if (correction != T(1))
            for (int64_t d = 0; d < dim; ++d)
              acc[m * dim + d] *= correction;
        }
        accumulateRows(sc, vc + j0 * dim, acc, dim);
      }
      for (int64_t m = 0; m < rows; ++m) {
        T *o = row(out, b, t0 + m, h);
        for (int64_t d = 0; d < dim; ++d)
          o[d] = acc[m * dim + d] / norm[m];
      }
      if (s.stats) {
        T *stats = static_cast<T *>(s.stats);
        for (int64_t m = 0; m < rows; ++m) {
          T *st = stats + ((b * len + t0 + m) * s.heads + h) * 2;
          st[0] = maxScore[m];
          st[1] = norm[m];
        }
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
  const int64_t padded = paddedLength(s);
  const T scale = T(s.scale);
  Carve<T> c{scratch};
  T *kt = c.take(dim * padded), *vt = c.take(dim * padded),
    *kc = c.take(padded * dim), *dkc = c.take(padded * dim),
    *dvc = c.take(padded * dim), *qb = c.take(kBlock * dim),
    *gb = c.take(kBlock * dim), *dqb = c.take(kBlock * dim),
    *sc = c.take(kBlock * kBlock), *dp = c.take(kBlock * kBlock),
    *maxScore = c.take(kBlock), *norm = c.take(kBlock), *delta = c.take(kBlock);
  gatherTransposed(k, b, kvh, len, padded, dim, kt);
  gatherTransposed(v, b, kvh, len, padded, dim, vt);
  gather(k, b, kvh, 0, len, padded, dim, kc);
  fill(dkc, padded * dim, T(0));
  fill(dvc, padded * dim, T(0));
  for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h) {
    for (int64_t t0 = 0; t0 < len; t0 += kBlock) {
      const int64_t rows = minOf(kBlock, len - t0);
      gather(q, b, h, t0, rows, kBlock, dim, qb);
      gather(g, b, h, t0, rows, kBlock, dim, gb);
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
      if (s.stats) {
        const T *stats = static_cast<const T *>(s.stats);
        for (int64_t m = 0; m < rows; ++m) {
          const T *st = stats + ((b * len + t0 + m) * s.heads + h) * 2;
          maxScore[m] = st[0];
          norm[m] = st[1];
        }
      }
      const int64_t j1 = firstBlock(s, b, t0, rows);
      for (int64_t j0 = j1; !s.stats && j0 <= t0; j0 += kBlock) {
        productNT(qb, kt + j0, padded, sc, dim);
        for (int64_t m = 0; m < rows; ++m) {
          T *p = sc + m * kBlock;
          const int64_t n = visible(t0, m, j0);
          const int64_t lo = visibleFrom(firstKey(s, b, t0 + m), j0);
          if (lo >= n)
            continue;
          T blockMax = negativeInfinity<T>();
          for (int64_t j = lo; j < n; ++j)
            blockMax = maxOf(blockMax, p[j] * scale);
          const T newMax = maxOf(maxScore[m], blockMax);
          const T sum = expRow(p, scale, newMax, lo, n);
          norm[m] = norm[m] * expOf(maxScore[m] - newMax) + sum;
          maxScore[m] = newMax;
        }
      }
      // p = the softmax row, ds = p (g·v - delta) · scale; then the three
      // products of the block: dq += ds·k, dk += dsᵀ·q, dv += pᵀ·g. Masked
      // entries and padding rows are zero.
      for (int64_t j0 = j1; j0 <= t0; j0 += kBlock) {
        productNT(qb, kt + j0, padded, sc, dim);
        productNT(gb, vt + j0, padded, dp, dim);
        for (int64_t m = 0; m < kBlock; ++m) {
          T *p = sc + m * kBlock, *ds = dp + m * kBlock;
          const int64_t n = m < rows ? visible(t0, m, j0) : 0;
          const int64_t lo =
              m < rows ? visibleFrom(firstKey(s, b, t0 + m), j0) : 0;
          if (lo >= n) {
            fill(p, kBlock, T(0));
            fill(ds, kBlock, T(0));
            continue;
          }
          expRow(p, scale, maxScore[m], lo, n);
          for (int64_t j = lo; j < n; ++j) {
            p[j] /= norm[m];
            ds[j] = p[j] * (ds[j] - delta[m]) * scale;
          }
          fill(ds, lo, T(0));
          fill(ds + n, kBlock - n, T(0));
        }
        accumulateRows(dp, kc + j0 * dim, dqb, dim);
        accumulateColumns(dp, qb, dkc + j0 * dim, dim);
        accumulateColumns(sc, gb, dvc + j0 * dim, dim);
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
