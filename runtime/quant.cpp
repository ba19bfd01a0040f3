// Quantization of trained weights (reference §7).
#include "runtime/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

// LAPACK's SVD, from OpenBLAS.
extern "C" void dgesvd_(const char *jobu, const char *jobvt, const int *m,
                        const int *n, double *a, const int *lda, double *s,
                        double *u, const int *ldu, double *vt, const int *ldvt,
                        double *work, const int *lwork, int *info);

namespace golf::rt {

bool parseQuantFormat(const std::string &name, QuantFormat &format) {
  static const std::pair<const char *, QuantFormat> names[] = {
      {"fp32", QuantFormat::F32},  {"fp16", QuantFormat::F16},
      {"int8", QuantFormat::Int8}, {"int7", QuantFormat::Int7},
      {"int6", QuantFormat::Int6}, {"int5", QuantFormat::Int5}};
  for (const auto &[n, f] : names)
    if (name == n) {
      format = f;
      return true;
    }
  return false;
}

const char *quantFormatName(QuantFormat format) {
  switch (format) {
  case QuantFormat::F32:
    return "fp32";
  case QuantFormat::F16:
    return "fp16";
  case QuantFormat::Int8:
    return "int8";
  case QuantFormat::Int6:
    return "int6";
  case QuantFormat::Int5:
    return "int5";
  case QuantFormat::Int7:
    return "int7";
  }
  return "?";
}

int quantRange(QuantFormat format) {
  switch (format) {
  case QuantFormat::Int8:
    return 127;
  case QuantFormat::Int7:
    return 63;
  case QuantFormat::Int6:
    return 31;
  case QuantFormat::Int5:
    return 15;
  default:
    return 0;
  }
}

int64_t QuantTensor::rows() const { return shape.size() >= 2 ? shape[0] : 1; }

int64_t QuantTensor::cols() const {
  int64_t n = 1;
  for (size_t i = shape.size() >= 2 ? 1 : 0; i < shape.size(); ++i)
    n *= shape[i];
  return n;
}

uint16_t toHalf(float x) {
  uint32_t f;
  std::memcpy(&f, &x, 4);
  const uint32_t sign = (f >> 16) & 0x8000u;
  const uint32_t absBits = f & 0x7fffffffu;
  if (absBits >= 0x7f800000u) // inf or NaN
    return uint16_t(sign | 0x7c00u | (absBits > 0x7f800000u ? 0x200u : 0));
  if (absBits >= 0x477ff000u) // rounds to beyond the largest half: inf
    return uint16_t(sign | 0x7c00u);
  if (absBits < 0x38800000u) { // below the smallest normal half: subnormal
    // The value in units of 2^-24, rounded to nearest even.
    float a;
    std::memcpy(&a, &absBits, 4);
    return uint16_t(sign | (uint32_t)std::nearbyint(a * 16777216.0f));
  }
  // Normal: drop 13 mantissa bits, rounding to nearest even.
  uint32_t h = ((absBits - 0x38000000u) >> 13);
  const uint32_t rest = absBits & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
    ++h;
  return uint16_t(sign | h);
}

float fromHalf(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
  float value;
  if (exp == 0) {
    value = std::ldexp((float)man, -24);
  } else if (exp == 31) {
    value = man ? std::numeric_limits<float>::quiet_NaN()
                : std::numeric_limits<float>::infinity();
  } else {
    value = std::ldexp((float)(man | 0x400u), (int)exp - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits |= sign;
  std::memcpy(&value, &bits, 4);
  return value;
}

double quantileAbs(const float *x, int64_t n, double q) {
  if (n <= 0)
    return 0;
  std::vector<float> a(n);
  for (int64_t i = 0; i < n; ++i)
    a[i] = std::fabs(x[i]);
  const double position = q * double(n - 1);
  const int64_t lo = (int64_t)std::floor(position);
  const int64_t hi = std::min<int64_t>(lo + 1, n - 1);
  std::nth_element(a.begin(), a.begin() + lo, a.end());
  const double low = a[lo];
  if (hi == lo)
    return low;
  const double high = *std::min_element(a.begin() + lo + 1, a.end());
  return low + (high - low) * (position - double(lo));
}

namespace {

/// Each row's clip value: the percentile of its |w| (100: its maximum).
std::vector<double> rowClips(const float *w, int64_t rows, int64_t cols,
                             double percentile) {
  std::vector<double> clips(rows);
  for (int64_t r = 0; r < rows; ++r)
    clips[r] =
        quantileAbs(w + r * cols, cols, std::min(percentile, 100.0) / 100);
  return clips;
}

} // namespace

std::vector<double> policyClips(const float *w, int64_t rows, int64_t cols,
                                const QuantPolicy &policy) {
  if (policy.clipSigmas <= 0)
    return rowClips(w, rows, cols, policy.clipPercentile);
  std::vector<double> clips(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = w + r * cols;
    double mean = 0, sq = 0;
    for (int64_t j = 0; j < cols; ++j)
      mean += row[j];
    mean /= double(cols);
    for (int64_t j = 0; j < cols; ++j)
      sq += (row[j] - mean) * (row[j] - mean);
    clips[r] = policy.clipSigmas *
               std::sqrt(sq / double(std::max<int64_t>(cols - 1, 1)));
  }
  return clips;
}

namespace {

/// fp16 scales per row: the clip value over the range, at least the floor,
/// and never 0 (an all-zero row gets 1).
std::vector<uint16_t> rowScales(const std::vector<double> &clips, double floor,
                                int range, double stepScale) {
  std::vector<uint16_t> scales(clips.size());
  for (size_t r = 0; r < clips.size(); ++r) {
    const double s = stepScale * std::max(clips[r] / range, floor);
    uint16_t h = toHalf((float)s);
    if (s == 0)
      h = toHalf(1.0f);
    else if (fromHalf(h) == 0)
      h = 1; // the smallest subnormal: 2^-24
    scales[r] = h;
  }
  return scales;
}

/// Round to nearest after clipping each row to ±clip, as the baseline
/// does (§7.1): with a scale floor, an entry beyond the clip maps to the
/// clip's code, not beyond it.
void clipAndRound(const float *w, int64_t rows, int64_t cols,
                  const std::vector<double> &clips,
                  const std::vector<uint16_t> &scales, int range,
                  std::vector<int8_t> &codes) {
  codes.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float s = fromHalf(scales[r]), c = (float)clips[r];
    for (int64_t k = 0; k < cols; ++k) {
      const float q = std::nearbyint(std::clamp(w[r * cols + k], -c, c) / s);
      codes[r * cols + k] = (int8_t)std::clamp(q, -(float)range, (float)range);
    }
  }
}

double squaredError(const float *w, int64_t rows, int64_t cols,
                    const std::vector<int8_t> &codes,
                    const std::vector<uint16_t> &scales) {
  double e = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double s = fromHalf(scales[r]);
    for (int64_t c = 0; c < cols; ++c) {
      const double d = w[r * cols + c] - s * codes[r * cols + c];
      e += d * d;
    }
  }
  return e;
}

/// In-place lower Cholesky factor of the n×n matrix a (row-major); false
/// when it is not positive definite.
bool cholesky(std::vector<double> &a, int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (int64_t k = 0; k < j; ++k)
      d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0))
      return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (int64_t k = 0; k < j; ++k)
        v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / d;
    }
    for (int64_t k = j + 1; k < n; ++k)
      a[j * n + k] = 0;
  }
  return true;
}

} // namespace

bool gptq(const float *w, int64_t rows, int64_t cols,
          const std::vector<double> &hessian,
          const std::vector<uint16_t> &scales, int range, int64_t block,
          double damp, std::vector<int8_t> &codes) {
  const int64_t n = cols;
  std::vector<double> h(hessian);
  std::vector<double> work(rows * n);
  for (int64_t i = 0; i < rows * n; ++i)
    work[i] = w[i];
  double meanDiag = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (h[j * n + j] == 0) { // A dead input: its weights do not matter.
      h[j * n + j] = 1;
      for (int64_t r = 0; r < rows; ++r)
        work[r * n + j] = 0;
    }
    meanDiag += h[j * n + j] / double(n);
  }
  for (int64_t j = 0; j < n; ++j)
    h[j * n + j] += damp * meanDiag;
  // Act-order: columns by decreasing diagonal.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return h[a * n + a] > h[b * n + b];
  });
  std::vector<double> hp(n * n), wp(rows * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      hp[i * n + j] = h[order[i] * n + order[j]];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      wp[r * n + j] = work[r * n + order[j]];
  // H⁻¹ from the Cholesky factor L of H: solve L Lᵀ X = I column by
  // column, then U, the upper factor of H⁻¹ = Uᵀ U (the transposed lower
  // factor).
  if (!cholesky(hp, n))
    return false;
  std::vector<double> inv(n * n, 0.0), y(n);
  for (int64_t col = 0; col < n; ++col) {
    for (int64_t i = 0; i < n; ++i) { // L y = e_col
      double v = i == col ? 1.0 : 0.0;
      for (int64_t k = 0; k < i; ++k)
        v -= hp[i * n + k] * y[k];
      y[i] = v / hp[i * n + i];
    }
    for (int64_t i = n - 1; i >= 0; --i) { // Lᵀ x = y
      double v = y[i];
      for (int64_t k = i + 1; k < n; ++k)
        v -= hp[k * n + i] * inv[k * n + col];
      inv[i * n + col] = v / hp[i * n + i];
    }
  }
  if (!cholesky(inv, n))
    return false;
  std::vector<double> u(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = i; j < n; ++j)
      u[i * n + j] = inv[j * n + i];

  std::vector<int8_t> qp(rows * n);
  std::vector<double> err;
  for (int64_t i1 = 0; i1 < n; i1 += block) {
    const int64_t i2 = std::min(n, i1 + block), count = i2 - i1;
    err.assign(rows * count, 0.0);
    for (int64_t j = i1; j < i2; ++j) {
      const double d = u[j * n + j];
      for (int64_t r = 0; r < rows; ++r) {
        const double s = fromHalf(scales[r]);
        const double x = wp[r * n + j];
        const double q =
            std::clamp(std::nearbyint(x / s), -(double)range, (double)range);
        qp[r * n + j] = (int8_t)q;
        const double e = (x - s * q) / d;
        err[r * count + (j - i1)] = e;
        for (int64_t k = j + 1; k < i2; ++k)
          wp[r * n + k] -= e * u[j * n + k];
      }
    }
    // The block's errors reach every later column.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < count; ++j) {
        const double e = err[r * count + j];
        if (e == 0)
          continue;
        const double *uj = &u[(i1 + j) * n];
        double *wr = &wp[r * n];
        for (int64_t k = i2; k < n; ++k)
          wr[k] -= e * uj[k];
      }
  }
  codes.assign(rows * n, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n; ++j)
      codes[r * n + order[j]] = qp[r * n + j];
  return true;
}

QuantTensor quantize(const std::string &name, const std::vector<int64_t> &shape,
                     const std::vector<float> &w, const QuantPolicy &policy,
                     const std::vector<double> *hessian, std::string &error) {
  QuantTensor t;
  t.name = name;
  t.format = policy.format;
  t.shape = shape;
  // Pruning comes first, whatever the format (I5 prunes its fp16 embedding).
  std::vector<float> values(w);
  if (policy.prunePercentile > 0) {
    const double cut = quantileAbs(values.data(), (int64_t)values.size(),
                                   policy.prunePercentile / 100);
    for (float &v : values)
      if (std::fabs(v) < cut)
        v = 0;
  }
  if (policy.format == QuantFormat::F32) {
    t.full = std::move(values);
    return t;
  }
  if (policy.format == QuantFormat::F16) {
    t.half.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i)
      t.half[i] = toHalf(values[i]);
    return t;
  }
  const int64_t rows = t.rows(), cols = t.cols();
  const int range = quantRange(policy.format);
  if (policy.method == "rtn") {
    std::vector<double> clips = policyClips(values.data(), rows, cols, policy);
    t.scales = rowScales(clips, policy.scaleFloor, range, policy.stepScale);
    clipAndRound(values.data(), rows, cols, clips, t.scales, range, t.codes);
  } else if (policy.method == "gptq_lite") {
    double best = INFINITY;
    std::vector<double> tried = {policy.clipPercentile};
    tried.insert(tried.end(), std::begin(kClipSearch), std::end(kClipSearch));
    for (double p : tried) {
      std::vector<double> clips = rowClips(values.data(), rows, cols, p);
      std::vector<uint16_t> scales =
          rowScales(clips, policy.scaleFloor, range, policy.stepScale);
      std::vector<int8_t> codes;
      clipAndRound(values.data(), rows, cols, clips, scales, range, codes);
      const double e = squaredError(values.data(), rows, cols, codes, scales);
      if (e < best) {
        best = e;
        t.scales = std::move(scales);
        t.codes = std::move(codes);
      }
    }
  } else if (policy.method == "gptq") {
    if (!hessian || (int64_t)hessian->size() != cols * cols) {
      error = name + ": gptq needs the input Hessian of the tensor (" +
              std::to_string(cols) + " x " + std::to_string(cols) + ")";
      return t;
    }
    // One clip rule, or each of the search's percentiles with the least
    // squared error over the tensor (the first of equals).
    std::vector<std::vector<double>> candidates;
    if (policy.clipSearch)
      for (double p : kClipSearch)
        candidates.push_back(rowClips(values.data(), rows, cols, p));
    else
      candidates.push_back(policyClips(values.data(), rows, cols, policy));
    double best = INFINITY;
    for (const std::vector<double> &clips : candidates) {
      std::vector<uint16_t> scales =
          rowScales(clips, policy.scaleFloor, range, policy.stepScale);
      std::vector<int8_t> codes;
      if (!gptq(values.data(), rows, cols, *hessian, scales, range, 128,
                policy.damping, codes)) {
        error = name + ": the damped Hessian is not positive definite";
        return t;
      }
      const double e = candidates.size() > 1 ? squaredError(values.data(), rows,
                                                            cols, codes, scales)
                                             : 0.0;
      if (e < best) {
        best = e;
        t.scales = std::move(scales);
        t.codes = std::move(codes);
      }
    }
  } else {
    error = name + ": unknown quantization method '" + policy.method +
            "' (rtn, gptq_lite or gptq)";
  }
  return t;
}

std::vector<float> dequantize(const QuantTensor &t) {
  if (t.format == QuantFormat::F32)
    return t.full;
  std::vector<float> w;
  if (t.format == QuantFormat::F16) {
    w.resize(t.half.size());
    for (size_t i = 0; i < t.half.size(); ++i)
      w[i] = fromHalf(t.half[i]);
    return w;
  }
  const int64_t rows = t.rows(), cols = t.cols();
  w.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    const float s = fromHalf(t.scales[r]);
    for (int64_t c = 0; c < cols; ++c)
      w[r * cols + c] = s * (float)t.codes[r * cols + c];
  }
  const int64_t rank = t.lqerRank;
  if (rank > 0) {
    // Â·B̂, each product summed in float over the rank, then added.
    const float sa = fromHalf(t.lqerAScale);
    std::vector<float> b(rank * cols);
    for (int64_t i = 0; i < rank * cols; ++i)
      b[i] = fromHalf(t.lqerBScales[i / t.lqerGroup]) * (float)t.lqerB[i];
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        float sum = 0;
        for (int64_t k = 0; k < rank; ++k)
          sum += sa * (float)t.lqerA[r * rank + k] * b[k * cols + c];
        w[r * cols + c] += sum;
      }
  }
  return w;
}

double quantError(const QuantTensor &t, const std::vector<float> &w) {
  const std::vector<float> back = dequantize(t);
  double sum = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double d = (double)w[i] - (double)back[i];
    sum += d * d;
  }
  return std::sqrt(sum);
}

std::string lqerCorrect(QuantTensor &t, const std::vector<float> &w,
                        int64_t rank, int64_t group) {
  const int64_t rows = t.rows(), cols = t.cols();
  if (quantRange(t.format) == 0 || t.shape.size() != 2 || t.lqerRank > 0)
    return t.name + ": LQER corrects integer matrices once";
  if (rank < 1 || rank > std::min(rows, cols) || group < 1)
    return t.name + ": LQER rank " + std::to_string(rank) + " and group " +
           std::to_string(group) + " do not fit its shape";
  const std::vector<float> back = dequantize(t);
  // E row-major [rows, cols] is Eᵀ column-major [cols, rows]: its SVD
  // Eᵀ = U' S V'ᵀ gives E = V' S U'ᵀ.
  int m = (int)cols, n = (int)rows, k = (int)std::min(rows, cols);
  std::vector<double> e(rows * cols), s(k), u((size_t)m * k), vt((size_t)k * n);
  for (int64_t i = 0; i < rows * cols; ++i)
    e[i] = (double)w[i] - (double)back[i];
  char job = 'S';
  int lwork = -1, info = 0;
  double query = 0;
  dgesvd_(&job, &job, &m, &n, e.data(), &m, s.data(), u.data(), &m, vt.data(),
          &k, &query, &lwork, &info);
  lwork = (int)query;
  std::vector<double> work(std::max(lwork, 1));
  dgesvd_(&job, &job, &m, &n, e.data(), &m, s.data(), u.data(), &m, vt.data(),
          &k, work.data(), &lwork, &info);
  if (info != 0)
    return t.name + ": the SVD of its quantization error failed";
  // A = U_r·diag(S_r) [rows, r]: E's left vectors are V' (rows of vt);
  // B = V_rᵀ [r, cols]: E's right vectors are U' (columns of u).
  std::vector<double> a(rows * rank), b(rank * cols);
  double amax = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < rank; ++j) {
      a[r * rank + j] = vt[j + r * k] * s[j];
      amax = std::max(amax, std::fabs(a[r * rank + j]));
    }
  for (int64_t j = 0; j < rank; ++j)
    for (int64_t c = 0; c < cols; ++c)
      b[j * cols + c] = u[c + j * m];
  t.lqerRank = rank;
  t.lqerGroup = group;
  t.lqerAScale = toHalf((float)(amax / 1.5));
  const double sa = fromHalf(t.lqerAScale);
  t.lqerA.resize(rows * rank);
  for (int64_t i = 0; i < rows * rank; ++i)
    t.lqerA[i] =
        sa > 0 ? (int8_t)std::clamp(std::nearbyint(a[i] / sa), -2.0, 1.0) : 0;
  const int64_t n2 = rank * cols, groups = (n2 + group - 1) / group;
  t.lqerB.resize(n2);
  t.lqerBScales.resize(groups);
  for (int64_t gi = 0; gi < groups; ++gi) {
    const int64_t lo = gi * group, hi = std::min(n2, lo + group);
    double gmax = 0;
    for (int64_t i = lo; i < hi; ++i)
      gmax = std::max(gmax, std::fabs(b[i]));
    t.lqerBScales[gi] = toHalf((float)(gmax / 7.5));
    const double sb = fromHalf(t.lqerBScales[gi]);
    for (int64_t i = lo; i < hi; ++i)
      t.lqerB[i] =
          sb > 0 ? (int8_t)std::clamp(std::nearbyint(b[i] / sb), -8.0, 7.0) : 0;
  }
  return "";
}

namespace {

double normalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

/// The q-quantile of |N(0, 1)|, by bisection.
double halfNormalQuantile(double q) {
  double lo = 0, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (2 * normalCdf(mid) - 1 < q ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

} // namespace

double gaussianCodeBits(const QuantPolicy &policy, int64_t cols, double sigma) {
  const int range = quantRange(policy.format);
  if (range == 0 || cols <= 0)
    return 0;
  // The percentile of `cols` samples interpolates between order statistics
  // at position p·(cols − 1); the k-th of n sits near the (k + ½)/n
  // quantile of the distribution.
  const double p = std::min(policy.clipPercentile, 100.0) / 100;
  const double q = (p * double(cols - 1) + 0.5) / double(cols);
  const double clip = policy.clipSigmas > 0
                          ? policy.clipSigmas
                          : halfNormalQuantile(q); // in units of sigma
  double step = clip / range;
  if (policy.scaleFloor > 0 && sigma > 0)
    step = std::max(step, policy.scaleFloor / sigma);
  // Codes: round(clamp(w, -clip, clip) / step), saturating at ±range.
  const double top = std::min(clip / step, double(range));
  double bits = 0;
  auto add = [&](double mass) {
    if (mass > 0)
      bits -= mass * std::log2(mass);
  };
  const int last = (int)std::nearbyint(top);
  for (int k = -last; k <= last; ++k) {
    const double lo = k == -last ? -INFINITY : (k - 0.5) * step;
    const double hi = k == last ? INFINITY : (k + 0.5) * step;
    add(normalCdf(hi) - normalCdf(lo));
  }
  return bits;
}

} // namespace golf::rt
