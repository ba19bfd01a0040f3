// Quantization of trained weights for the artifact (reference §7): per-row
// integer codes with fp16 scales, percentile clipping, GPTQ-lite's choice of
// clip, full GPTQ with a Hessian, magnitude pruning, and pass-through.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace golf::rt {

enum class QuantFormat : uint8_t {
  F32 = 0,
  F16 = 1,
  Int8 = 2,
  Int6 = 3,
  Int5 = 4,
  Int7 = 5 // TOP's embedding (EMBED_BITS=7)
};

/// "fp32", "fp16", "int8", "int7", "int6", "int5"; false when unknown.
bool parseQuantFormat(const std::string &name, QuantFormat &format);
const char *quantFormatName(QuantFormat format);

/// The largest code R of an integer format: codes lie in [-(R + 1), R]
/// (127, 63, 31, 15); 0 for pass-through formats.
int quantRange(QuantFormat format);

/// How one class of tensors is stored: the spec's `quant NAME { … }`.
struct QuantPolicy {
  QuantFormat format = QuantFormat::F32;
  /// Each row is clipped at this percentile of its |w| (100: its maximum).
  double clipPercentile = 100;
  /// When positive, each row is clipped at this many standard deviations
  /// of its entries instead (SDClip, TOP's k·std(row)); the percentile is
  /// then unused.
  double clipSigmas = 0;
  /// The smallest scale: the baseline's 1/127 (§7.1); 0 for none.
  double scaleFloor = 0;
  /// "rtn" (round to nearest), "gptq_lite" (the clip percentile of the
  /// candidates with the least squared error over the matrix, §7.6) or
  /// "gptq" (§7.7, needs the input Hessian).
  std::string method = "rtn";
  /// gptq: run at each of kClipSearch's percentiles and keep the codes of
  /// least squared error over the tensor (PR #1319's search).
  bool clipSearch = false;
  /// gptq: the fraction of the Hessian's mean diagonal added to it.
  double damping = 0.01;
  /// Before quantizing, entries below this percentile of the tensor's |w|
  /// are set to 0 (magnitude pruning, §7.9); 0 prunes nothing.
  double prunePercentile = 0;
  /// The scale of a row is stepScale · max(clip / R, floor): above 1, a
  /// coarser grid whose codes fill ±R/stepScale (fitting's "coarsen").
  double stepScale = 1;
};

/// The clip percentiles `clip_search` (and gptq_lite) try: AR's and
/// PR #1319's five.
inline constexpr double kClipSearch[] = {99.9, 99.95, 99.99, 99.999, 100.0};

/// Each row's clip under `policy`: k standard deviations (clipSigmas, the
/// unbiased estimate as torch.std) or the percentile of its |w|.
std::vector<double> policyClips(const float *w, int64_t rows, int64_t cols,
                                const QuantPolicy &policy);

/// A tensor as the artifact stores it. Integer formats: `codes` row-major
/// ([rows, cols]: a tensor of rank ≥ 2 is [shape[0], rest]; a vector or a
/// scalar is one row, with one scale) and one fp16 scale per row in
/// `scales`. F16: `half`. F32: `full`.
struct QuantTensor {
  std::string name;
  QuantFormat format = QuantFormat::F32;
  std::vector<int64_t> shape;
  std::vector<int8_t> codes;
  std::vector<uint16_t> scales;
  std::vector<uint16_t> half;
  std::vector<float> full;
  /// LQER (reference §7.8), integer formats: a rank-`lqerRank` correction
  /// Â·B̂ added to the restored values (0: none). Â [rows, r]: int2 codes in
  /// [-2, 1] with one fp16 scale; B̂ [r, cols]: int4 codes in [-8, 7], one
  /// fp16 scale per group of `lqerGroup` consecutive entries (row-major).
  int64_t lqerRank = 0, lqerGroup = 64;
  std::vector<int8_t> lqerA, lqerB;
  uint16_t lqerAScale = 0;
  std::vector<uint16_t> lqerBScales;

  int64_t rows() const;
  int64_t cols() const;
};

/// IEEE half precision, round to nearest even (and back).
uint16_t toHalf(float x);
float fromHalf(uint16_t h);

/// The q-quantile (0 ≤ q ≤ 1) of |x|, with linear interpolation between
/// order statistics (torch.quantile's default).
double quantileAbs(const float *x, int64_t n, double q);

/// Quantizes `w` (of `shape`) under `policy`. `hessian` is the [cols, cols]
/// input Hessian XᵀX (row-major, float64) for method "gptq"; others ignore
/// it. Returns an error message in `error` when the policy cannot apply.
QuantTensor quantize(const std::string &name, const std::vector<int64_t> &shape,
                     const std::vector<float> &w, const QuantPolicy &policy,
                     const std::vector<double> *hessian, std::string &error);

/// The values a quantized tensor stands for (its LQER correction included).
std::vector<float> dequantize(const QuantTensor &t);

/// LQER (reference §7.8, TOP's export): the rank-`rank` truncated SVD of the
/// quantization error E = w − dequantize(t), A = U_r·diag(S_r) and B = V_rᵀ,
/// stored in `t` as int2 Â (scale max|A|/1.5) and int4 B̂ in groups of
/// `group` (scale max|g|/7.5 each). `t` must be of an integer format and
/// rank 2, without a correction. Returns an error message, empty on success.
std::string lqerCorrect(QuantTensor &t, const std::vector<float> &w,
                        int64_t rank, int64_t group);

/// ‖w − dequantize(t)‖_F.
double quantError(const QuantTensor &t, const std::vector<float> &w);

/// GPTQ (§7.7): codes for `w` ([rows, cols]) with fixed per-row scales,
/// column by column in order of decreasing Hessian diagonal, each rounding
/// error spread over the columns not yet quantized through the upper
/// Cholesky factor of the damped inverse Hessian, in blocks of `block`
/// columns. `damp` is the fraction of the mean diagonal added to it. Columns
/// whose input is always 0 (zero diagonal) get code 0. Returns false when
/// the damped Hessian is not positive definite.
bool gptq(const float *w, int64_t rows, int64_t cols,
          const std::vector<double> &hessian,
          const std::vector<uint16_t> &scales, int range, int64_t block,
          double damp, std::vector<int8_t> &codes);

/// The entropy, in bits per code, of a row of `cols` Gaussian entries of
/// standard deviation `sigma` quantized by `policy` (rtn): the clip is the
/// expected percentile of the row's |w|, the step max(clip / R, floor).
/// Without a floor the result does not depend on sigma. What `golfc report`
/// predicts the compressed codes from, before any training.
double gaussianCodeBits(const QuantPolicy &policy, int64_t cols, double sigma);

} // namespace golf::rt
