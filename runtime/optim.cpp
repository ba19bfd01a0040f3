// Muon and Adam(W), reference §4.1–4.2.
#include "runtime/optim.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

namespace golf::rt {
namespace {

/// C = alpha·op(A)·op(B) + beta·C on row-major matrices (C is m×n).
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
          const float *a, const float *b, float beta, float *c) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, ta ? m : k, b,
              tb ? k : n, beta, c, n);
}
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
          const double *a, const double *b, double beta, double *c) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, ta ? m : k, b,
              tb ? k : n, beta, c, n);
}

} // namespace

template <typename T>
void adamStep(const AdamSettings &s, double lrScale, int64_t t, T *w,
              const T *g, T *m, T *v, int64_t n) {
  const double lr = s.lr * lrScale;
  const double correction1 = 1 - std::pow(s.beta1, (double)t);
  const double correction2 = 1 - std::pow(s.beta2, (double)t);
  const T decay = T(1 - lr * s.weightDecay), beta1 = T(s.beta1),
          beta2 = T(s.beta2), stepSize = T(lr / correction1),
          rootCorrection2 = T(std::sqrt(correction2)), eps = T(s.eps);
  for (int64_t i = 0; i < n; ++i) {
    if (s.weightDecay != 0)
      w[i] *= decay;
    m[i] = beta1 * m[i] + (T(1) - beta1) * g[i];
    v[i] = beta2 * v[i] + (T(1) - beta2) * g[i] * g[i];
    w[i] -= stepSize * m[i] / (std::sqrt(v[i]) / rootCorrection2 + eps);
  }
}

double muonMomentum(const MuonSettings &s, int64_t t) {
  if (s.momentumWarmupSteps <= 0)
    return s.momentum;
  double f = std::min(1.0, (double)t / (double)s.momentumWarmupSteps);
  return (1 - f) * s.momentumWarmupStart + f * s.momentum;
}

/// Polar Express's (a, b, c), one per iteration (PX, TOP L1720–1748).
constexpr double kPolarExpress[5][3] = {{8.15655, -22.48329, 15.87877},
                                        {4.04293, -2.80892, 0.50002},
                                        {3.89167, -2.77248, 0.50606},
                                        {3.28575, -2.36813, 0.46449},
                                        {2.34654, -1.70978, 0.42324}};

/// The workspace newtonSchulz needs: two copies of x and two r×r products.
static int64_t orthogonalizeWork(int64_t rows, int64_t cols) {
  const int64_t r = std::min(rows, cols);
  return 2 * rows * cols + 2 * r * r;
}

/// newtonSchulz on a workspace of orthogonalizeWork(rows, cols) elements.
template <typename T>
static void orthogonalize(T *x, int64_t rows, int64_t cols, int64_t steps,
                          T *work, bool polarExpress) {
  T a = T(3.4445), b = T(-4.7750), c = T(2.0315);
  const int64_t n = rows * cols;
  // The wide orientation: r ≤ k.
  const bool tall = rows > cols;
  const int64_t r = tall ? cols : rows, k = tall ? rows : cols;
  T *xs = work, *y = xs + n, *A = y + n, *B = A + r * r;
  if (tall) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        xs[j * rows + i] = x[i * cols + j];
  } else {
    std::copy(x, x + n, xs);
  }
  T norm = 0;
  for (int64_t i = 0; i < n; ++i)
    norm += xs[i] * xs[i];
  norm = std::sqrt(norm) + T(1e-7);
  for (int64_t i = 0; i < n; ++i)
    xs[i] /= norm;
  for (int64_t step = 0; step < steps; ++step) {
    if (polarExpress) {
      const double *abc = kPolarExpress[std::min<int64_t>(step, 4)];
      a = T(abc[0]);
      b = T(abc[1]);
      c = T(abc[2]);
    }
    gemm(false, true, r, r, k, T(1), xs, xs, T(0), A); // A = X·Xᵀ
    gemm(false, false, r, r, r, c, A, A, T(0), B);     // B = c·A²
    for (int64_t i = 0; i < r * r; ++i)
      B[i] += b * A[i]; // B = b·A + c·A²
    for (int64_t i = 0; i < n; ++i)
      y[i] = a * xs[i];
    gemm(false, false, r, k, r, T(1), B, xs, T(1), y); // Y = a·X + B·X
    std::swap_ranges(y, y + n, xs);
  }
  if (tall) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        x[i * cols + j] = xs[j * rows + i];
  } else {
    std::copy(xs, xs + n, x);
  }
}

template <typename T>
void newtonSchulz(T *x, int64_t rows, int64_t cols, int64_t steps,
                  std::vector<T> &scratch, bool polarExpress) {
  scratch.resize(orthogonalizeWork(rows, cols));
  orthogonalize(x, rows, cols, steps, scratch.data(), polarExpress);
}

template <typename T>
void muonStep(const MuonSettings &s, double lrScale, int64_t t, T *w,
              const T *g, T *buf, int64_t rows, int64_t cols,
              std::vector<T> &scratch) {
  const int64_t n = rows * cols;
  const T mu = T(muonMomentum(s, t));
  // The update, then the orthogonalization's workspace: one buffer the
  // caller keeps from step to step.
  scratch.resize(n + orthogonalizeWork(rows, cols));
  T *update = scratch.data();
  for (int64_t i = 0; i < n; ++i) {
    buf[i] = mu * buf[i] + g[i];
    update[i] = s.nesterov ? g[i] + mu * buf[i] : buf[i];
  }
  if (s.rowNormalize)
    for (int64_t i = 0; i < rows; ++i) {
      T *row = update + i * cols;
      T norm = 0;
      for (int64_t j = 0; j < cols; ++j)
        norm += row[j] * row[j];
      norm = std::max(std::sqrt(norm), T(1e-7));
      for (int64_t j = 0; j < cols; ++j)
        row[j] /= norm;
    }
  orthogonalize(update, rows, cols, s.backendSteps, update + n, s.polarExpress);
  const double lr = s.lr * lrScale;
  const T step = T(lr * std::sqrt(std::max(1.0, (double)rows / (double)cols)));
  const T decay = T(1 - lr * s.weightDecay);
  for (int64_t i = 0; i < n; ++i) {
    if (s.weightDecay != 0)
      w[i] *= decay;
    w[i] -= step * update[i];
  }
}

template void adamStep(const AdamSettings &, double, int64_t, float *,
                       const float *, float *, float *, int64_t);
template void adamStep(const AdamSettings &, double, int64_t, double *,
                       const double *, double *, double *, int64_t);
template void newtonSchulz(float *, int64_t, int64_t, int64_t,
                           std::vector<float> &, bool);
template void newtonSchulz(double *, int64_t, int64_t, int64_t,
                           std::vector<double> &, bool);
template void muonStep(const MuonSettings &, double, int64_t, float *,
                       const float *, float *, int64_t, int64_t,
                       std::vector<float> &);
template void muonStep(const MuonSettings &, double, int64_t, double *,
                       const double *, double *, int64_t, int64_t,
                       std::vector<double> &);

} // namespace golf::rt
