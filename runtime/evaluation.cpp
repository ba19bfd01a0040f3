#include "runtime/evaluation.h"

#include "runtime/file.h"

#include <algorithm>

namespace golf::rt {

void scoreWindows(TrainFunctions &f, ParamBuffers &weights,
                  const std::vector<uint16_t> &val,
                  const std::vector<EvalWindow> &windows,
                  const ByteTable &bytes, double &lossSum, Validation &v) {
  const int64_t batch = f.eval.rows(), seq = f.eval.seq();
  std::vector<int32_t> inputs, targets;
  std::vector<float> staging;
  for (size_t first = 0; first < windows.size(); first += batch) {
    const size_t count = std::min(windows.size() - first, (size_t)batch);
    inputs.assign(batch * seq, 0);
    targets.assign(batch * seq, 0);
    for (size_t r = 0; r < count; ++r) {
      const EvalWindow &w = windows[first + r];
      for (int64_t i = 0; i < w.length; ++i) {
        inputs[r * seq + i] = val[w.start + i];
        targets[r * seq + i] = val[w.start + i + 1];
      }
    }
    f.eval.setInputs(inputs.data(), targets.data());
    f.eval(weights);
    const float *losses = readOnHost(f.eval.result(0), staging);
    for (size_t r = 0; r < count; ++r) {
      const EvalWindow &w = windows[first + r];
      const float *nll = losses + r * seq;
      for (int64_t i = w.scoredFrom; i < w.length; ++i)
        lossSum += (double)nll[i];
      const int64_t scored = w.length - w.scoredFrom;
      v.tokens += scored;
      v.bytes += countBytes(bytes, inputs.data() + r * seq + w.scoredFrom,
                            targets.data() + r * seq + w.scoredFrom, scored);
    }
  }
}

Validation validate(TrainFunctions &f, ParamBuffers &weights,
                    const std::vector<uint16_t> &val, int64_t stride,
                    const ByteTable &bytes) {
  Validation v;
  double lossSum = 0;
  scoreWindows(f, weights, val,
               evalWindows((int64_t)val.size() - 1, f.eval.seq(), stride),
               bytes, lossSum, v);
  v.loss = lossSum / (double)v.tokens;
  v.bpb = bitsPerByte(v.loss, v.tokens, v.bytes);
  return v;
}

std::string evaluate(const TrainPlan &plan, const TrainExecutables &exes,
                     std::vector<std::vector<float>> weights,
                     const std::string &valGlob, const std::string &tokenizer,
                     int64_t stride, Score &score, Score *slot) {
  TrainFunctions f;
  std::string error = bindFunctions(plan, exes, f);
  if (!error.empty())
    return error;
  if (!f.eval)
    return "the evaluation needs its compiled forward";
  std::vector<std::string> files = matchFiles(valGlob, error);
  ByteTable bytes;
  std::vector<uint16_t> val;
  if (error.empty())
    loadByteTable(tokenizer, plan.tokenLimit, bytes, error);
  if (error.empty())
    loadValidation(files, plan.evalSeqLen, val, error);
  if (!error.empty())
    return error;
  for (uint16_t t : val)
    if (t >= plan.tokenLimit)
      return valGlob + ": token " + std::to_string(t) +
             " is not below the model's " + std::to_string(plan.tokenLimit) +
             " token ids";
  if (weights.size() != plan.params.size())
    return "the evaluation needs " + std::to_string(plan.params.size()) +
           " weights, got " + std::to_string(weights.size());
  // The weights on the evaluation's device.
  Device &device = exes.eval->device();
  ParamBuffers args;
  for (size_t i = 0; i < weights.size(); ++i) {
    const TrainParam &p = plan.params[i];
    if ((int64_t)weights[i].size() != elementCount(p.shape))
      return "weight " + p.name + " has " + std::to_string(weights[i].size()) +
             " values, its shape " + shapeText(p.shape) + " holds " +
             std::to_string(elementCount(p.shape));
    args.push_back(device.allocate(DType::f32, p.shape));
    device.copyIn(args.back(), weights[i].data());
  }
  if (plan.settings.slotEnabled && slot) {
    std::string why = f.hidden ? slotCheck(plan)
                               : "SLOT needs its compiled "
                                 "hidden-state forward";
    if (!why.empty())
      return why;
    *slot = validateSlot(plan, f, args, val, stride, bytes);
  }
  if (plan.settings.tttEnabled) {
    if (!f.ttt)
      return "ttt_enabled needs TTT's compiled step";
    std::string why = tttCheck(plan);
    if (!why.empty())
      return why;
    score = validateTtt(plan, f, args, val, stride, bytes);
    return "";
  }
  Validation v = validate(f, args, val, stride, bytes);
  score = {v.loss, v.bpb, v.tokens, v.bytes};
  return "";
}

} // namespace golf::rt
