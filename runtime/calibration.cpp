#include "runtime/calibration.h"

#include "runtime/init.h"
#include "runtime/log.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace golf::rt {

bool takeBatches(const TrainPlan &plan, const Comm &comm, TokenStream &from,
                 const std::string &source, Tensor &inputs, Tensor &targets,
                 std::string &err) {
  const TrainSettings &s = plan.settings;
  inputs.i32.clear();
  targets.i32.clear();
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
    inputs.i32.insert(inputs.i32.end(), batch.inputs.begin(),
                      batch.inputs.end());
    targets.i32.insert(targets.i32.end(), batch.targets.begin(),
                       batch.targets.end());
  }
  return true;
}

namespace {

/// Sequences the model samples itself: from the tokenizer's BOS (AR's
/// records draw a uniform first token, which derails a small model into
/// noise: measured on the test corpus, loss 4.7 on its samples against 0.4
/// from BOS), each next token from softmax(logits / temperature) at the last
/// position, re-running the whole window (later positions, still 0, do not
/// reach earlier ones). Fills the tokens and targets of `args`.
void sample(const TrainPlan &plan, const TrainFunctions &f,
            std::vector<Tensor> &args, const ByteTable &bytes,
            Random &sampler) {
  const size_t nParams = plan.params.size();
  const int64_t rows = plan.microBatch * plan.stepGroup;
  const int64_t seq = plan.settings.trainSeqLen;
  std::vector<int32_t> buffer(rows * (seq + 1), 0);
  for (int64_t r = 0; r < rows; ++r)
    buffer[r * (seq + 1)] =
        bytes.bos >= 0 && bytes.bos < plan.tokenLimit
            ? (int32_t)bytes.bos
            : (int32_t)(sampler.next() % (uint64_t)plan.tokenLimit);
  std::vector<double> p;
  for (int64_t t = 0; t < seq; ++t) {
    std::vector<int32_t> &in = args[nParams].i32;
    in.assign(rows * seq, 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i <= t; ++i)
        in[r * seq + i] = buffer[r * (seq + 1) + i];
    args[nParams + 1].i32 = in;
    const std::vector<Tensor> &out = f.logits(args);
    const int64_t vocab = (int64_t)out[0].f32.size() / (rows * seq);
    for (int64_t r = 0; r < rows; ++r) {
      const float *z = out[0].f32.data() + (r * seq + t) * vocab;
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
      args[nParams].i32[r * seq + i] = buffer[r * (seq + 1) + i];
      args[nParams + 1].i32[r * seq + i] = buffer[r * (seq + 1) + i + 1];
    }
}

} // namespace

std::string collectHessians(const TrainPlan &plan, const TrainFunctions &f,
                            std::vector<Tensor> &args,
                            const std::vector<std::string> &trainFiles,
                            const std::string &trainGlob,
                            const ByteTable &bytes, const Comm &comm,
                            Hessians &hessians, std::string &summary) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  const size_t nParams = plan.params.size();
  TokenStream calibration(trainFiles);
  const bool selfGenerated = plan.exports.calibration == "self";
  Random sampler((uint64_t)plan.settings.seed ^ 0x9e3779b97f4a7c15ull);
  hessians.clear();
  for (const std::string &name : plan.exports.hessianParams)
    hessians.push_back({name, {}});
  int64_t tokens = 0;
  double calibrationLoss = 0;
  std::string error;
  for (int64_t b = 0; b < plan.exports.calibrationBatches; ++b) {
    if (selfGenerated)
      sample(plan, f, args, bytes, sampler);
    else if (!takeBatches(plan, comm, calibration, trainGlob, args[nParams],
                          args[nParams + 1], error))
      return error;
    tokens += (int64_t)args[nParams].i32.size();
    const std::vector<Tensor> &out = f.calibrate(args);
    calibrationLoss +=
        (double)out[0].f32[0] / (double)plan.exports.calibrationBatches;
    for (size_t k = 0; k < hessians.size(); ++k) {
      std::vector<double> &h = hessians[k].second;
      const std::vector<float> &x = out[k + 1].f32;
      h.resize(x.size(), 0.0);
      for (size_t i = 0; i < x.size(); ++i)
        h[i] += x[i];
    }
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
