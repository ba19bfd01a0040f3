#include "runtime/calibration.h"

#include "runtime/device_ops.h"
#include "runtime/init.h"
#include "runtime/log.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace golf::rt {

bool takeBatches(const TrainPlan &plan, const Comm &comm, TokenStream &from,
                 const std::string &source, Runner &into, std::string &err) {
  const TrainSettings &s = plan.settings;
  std::vector<int32_t> inputs, targets;
  for (int64_t micro = 0; micro < plan.stepGroup; ++micro) {
    TokenBatch batch;
    if (!nextBatch(from, s.trainBatchTokens, s.trainSeqLen, comm.world(),
                   comm.rank(), plan.accumSteps, batch, err))
      return false;
    for (const std::vector<int32_t> *ids : {&batch.inputs, &batch.targets})
      for (int32_t t : *ids)
        if (t >= plan.tokenLimit) {
          err = source + ": token " + std::to_string(t) +
                " is not below the model's " + std::to_string(plan.tokenLimit) +
                " token ids";
          return false;
        }
    inputs.insert(inputs.end(), batch.inputs.begin(), batch.inputs.end());
    targets.insert(targets.end(), batch.targets.begin(), batch.targets.end());
  }
  if ((int64_t)inputs.size() != into.rows() * into.seq()) {
    err = source + ": a call of " + std::to_string(inputs.size()) +
          " tokens for a function of " +
          std::to_string(into.rows() * into.seq());
    return false;
  }
  into.setInputs(inputs.data(), targets.data());
  return true;
}

namespace {

/// Sequences the model samples itself: from the tokenizer's BOS (AR's
/// records draw a uniform first token, which derails a small model into
/// noise: measured on the test corpus, loss 4.7 on its samples against 0.4
/// from BOS), each next token from softmax(logits / temperature) at the last
/// position, re-running the whole window (later positions, still 0, do not
/// reach earlier ones). Gives the sequences to `f.calibrate`.
void sample(const TrainPlan &plan, TrainFunctions &f, ParamBuffers &weights,
            const ByteTable &bytes, Random &sampler) {
  const int64_t rows = f.logits.rows(), seq = f.logits.seq();
  std::vector<int32_t> buffer(rows * (seq + 1), 0);
  for (int64_t r = 0; r < rows; ++r)
    buffer[r * (seq + 1)] =
        bytes.bos >= 0 && bytes.bos < plan.tokenLimit
            ? (int32_t)bytes.bos
            : (int32_t)(sampler.next() % (uint64_t)plan.tokenLimit);
  std::vector<double> p;
  std::vector<int32_t> in, out(rows * seq);
  std::vector<float> staging;
  for (int64_t t = 0; t < seq; ++t) {
    in.assign(rows * seq, 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i <= t; ++i)
        in[r * seq + i] = buffer[r * (seq + 1) + i];
    f.logits.setInputs(in.data(), in.data());
    f.logits(weights);
    const Buffer &result = f.logits.result(0);
    const float *all = readOnHost(result, staging);
    const int64_t vocab = result.elements() / (rows * seq);
    for (int64_t r = 0; r < rows; ++r) {
      const float *z = all + (r * seq + t) * vocab;
      const int64_t classes = std::min(vocab, plan.tokenLimit);
      double top = -INFINITY, sum = 0;
      for (int64_t v = 0; v < classes; ++v)
        top = std::max(top, (double)z[v] / plan.exports.temperature);
      p.assign(classes, 0.0);
      for (int64_t v = 0; v < classes; ++v)
        sum += p[v] = std::exp((double)z[v] / plan.exports.temperature - top);
      double u = sampler.uniform() * sum;
      int64_t pick = classes - 1;
      for (int64_t v = 0; v < classes; ++v)
        if ((u -= p[v]) < 0) {
          pick = v;
          break;
        }
      buffer[r * (seq + 1) + t + 1] = (int32_t)pick;
    }
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < seq; ++i) {
      in[r * seq + i] = buffer[r * (seq + 1) + i];
      out[r * seq + i] = buffer[r * (seq + 1) + i + 1];
    }
  f.calibrate.setInputs(in.data(), out.data());
}

} // namespace

std::string collectHessians(const TrainPlan &plan, TrainFunctions &f,
                            ParamBuffers &weights,
                            const std::vector<std::string> &trainFiles,
                            const std::string &trainGlob,
                            const ByteTable &bytes, const Comm &comm,
                            Hessians &hessians, std::string &summary) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  TokenStream calibration(trainFiles);
  const bool selfGenerated = plan.exports.calibration == "self";
  Random sampler((uint64_t)plan.settings.seed ^ 0x9e3779b97f4a7c15ull);
  // Summed in float64 on the device, then read once.
  Device &device = f.calibrate.executable()->device();
  ParamBuffers sums;
  for (size_t k = 0; k < plan.exports.hessianParams.size(); ++k)
    sums.push_back(device.zeros(DType::f64, f.calibrate.result(k + 1).shape()));
  int64_t tokens = 0;
  double calibrationLoss = 0;
  std::string error;
  for (int64_t b = 0; b < plan.exports.calibrationBatches; ++b) {
    if (selfGenerated)
      sample(plan, f, weights, bytes, sampler);
    else if (!takeBatches(plan, comm, calibration, trainGlob, f.calibrate,
                          error))
      return error;
    tokens += f.calibrate.rows() * f.calibrate.seq();
    f.calibrate(weights);
    calibrationLoss += (double)readScalar(f.calibrate.result(0)) /
                       (double)plan.exports.calibrationBatches;
    for (size_t k = 0; k < sums.size(); ++k)
      device.ops().accumulate(sums[k], f.calibrate.result(k + 1));
  }
  hessians.clear();
  for (size_t k = 0; k < sums.size(); ++k) {
    hessians.push_back({plan.exports.hessianParams[k], {}});
    hessians.back().second.resize((size_t)sums[k].elements());
    device.copyOut(hessians.back().second.data(), sums[k]);
  }
  // The model's loss on its calibration tokens: on its own samples it is
  // low (about its entropy at the temperature), which shows the sampler
  // draws from the model.
  summary =
      format("gptq: %zu Hessians from %lld %s tokens (loss %.4f) in "
             "%.1fs",
             hessians.size(), (long long)tokens,
             selfGenerated ? "self-generated" : "training", calibrationLoss,
             std::chrono::duration<double>(Clock::now() - t0).count());
  return "";
}

} // namespace golf::rt
