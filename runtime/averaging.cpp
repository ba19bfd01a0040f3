#include "runtime/averaging.h"

namespace golf::rt {

namespace {

ParamBuffers sumsLike(const ParamBuffers &weights) {
  ParamBuffers out;
  for (const Buffer &w : weights)
    out.push_back(w.device()->zeros(DType::f64, w.shape()));
  return out;
}

} // namespace

void Ema::update(const ParamBuffers &weights) {
  for (size_t t = 0; t < average.size(); ++t)
    average[t].device()->ops().lerp(average[t], weights[t], decay);
}

bool Swa::observe(int64_t step, double lrScale, const ParamBuffers &weights) {
  if (every <= 0 || !(lrScale < startFrac) || step % every != 0)
    return false;
  if (snapshots == 0)
    sum = sumsLike(weights); // 0 + θ is θ exactly
  for (size_t t = 0; t < weights.size(); ++t)
    sum[t].device()->ops().accumulate(sum[t], weights[t]);
  ++snapshots;
  return true;
}

void Swa::averageInto(ParamBuffers &out) const {
  for (size_t t = 0; t < sum.size(); ++t)
    out[t].device()->ops().mean(out[t], sum[t], (double)snapshots);
}

ParamBuffers &Swa::restore(int64_t count, const ParamBuffers &weights) {
  snapshots = count;
  sum = sumsLike(weights);
  return sum;
}

} // namespace golf::rt
