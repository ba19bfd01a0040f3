// Matrix products by OpenBLAS, for golf.gemm. Operands come as strided
// memrefs; BLAS takes a leading dimension, so a matrix whose rows are not
// contiguous (never the case for golfc's buffers today) is copied first.
#include "runtime/kernels.h"

#include <cblas.h>

#include <vector>

namespace {

using golf::rt::MemRef;

/// A pointer and leading dimension BLAS can read, copying when the inner
/// stride is not 1.
template <typename T> struct Matrix {
  const T *data;
  int64_t ld;
  std::vector<T> copy;
  explicit Matrix(const MemRef<T, 2> *m) {
    const T *base = m->aligned + m->offset;
    if (m->strides[1] == 1 && m->strides[0] >= m->sizes[1]) {
      data = base;
      ld = m->strides[0] > 0 ? m->strides[0] : 1;
      return;
    }
    copy.resize(m->sizes[0] * m->sizes[1]);
    for (int64_t i = 0; i < m->sizes[0]; ++i)
      for (int64_t j = 0; j < m->sizes[1]; ++j)
        copy[i * m->sizes[1] + j] = base[i * m->strides[0] + j * m->strides[1]];
    data = copy.data();
    ld = m->sizes[1] > 0 ? m->sizes[1] : 1;
  }
};

void gemm(bool ta, bool tb, const MemRef<float, 2> *a,
          const MemRef<float, 2> *b, MemRef<float, 2> *c) {
  Matrix<float> A(a), B(b);
  int64_t m = c->sizes[0], n = c->sizes[1], k = ta ? a->sizes[0] : a->sizes[1];
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, A.data, A.ld,
              B.data, B.ld, 0.0f, c->aligned + c->offset, c->strides[0]);
}

void gemm(bool ta, bool tb, const MemRef<double, 2> *a,
          const MemRef<double, 2> *b, MemRef<double, 2> *c) {
  Matrix<double> A(a), B(b);
  int64_t m = c->sizes[0], n = c->sizes[1], k = ta ? a->sizes[0] : a->sizes[1];
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
              tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, A.data, A.ld,
              B.data, B.ld, 0.0, c->aligned + c->offset, c->strides[0]);
}

} // namespace

#define GOLF_GEMM_KERNEL(NAME, T, TA, TB)                                      \
  extern "C" void _mlir_ciface_##NAME(MemRef<T, 2> *a, MemRef<T, 2> *b,        \
                                      MemRef<T, 2> *c) {                       \
    gemm(TA, TB, a, b, c);                                                     \
  }
GOLF_GEMM_KERNEL(golf_rt_gemm_nn_f32, float, false, false)
GOLF_GEMM_KERNEL(golf_rt_gemm_nt_f32, float, false, true)
GOLF_GEMM_KERNEL(golf_rt_gemm_tn_f32, float, true, false)
GOLF_GEMM_KERNEL(golf_rt_gemm_tt_f32, float, true, true)
GOLF_GEMM_KERNEL(golf_rt_gemm_nn_f64, double, false, false)
GOLF_GEMM_KERNEL(golf_rt_gemm_nt_f64, double, false, true)
GOLF_GEMM_KERNEL(golf_rt_gemm_tn_f64, double, true, false)
GOLF_GEMM_KERNEL(golf_rt_gemm_tt_f64, double, true, true)
