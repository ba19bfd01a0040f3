#include "runtime/evaluation.h"

#include "runtime/file.h"

#include <algorithm>

namespace golf::rt {

void scoreWindows(const TrainFunctions &f, std::vector<Tensor> &args,
                  const std::vector<uint16_t> &val, int64_t seq, int64_t batch,
                  const std::vector<EvalWindow> &windows,
                  const ByteTable &bytes, double &lossSum, Validation &v) {
  Tensor &inputs = args[args.size() - 2], &targets = args.back();
  inputs.shape = targets.shape = {batch, seq};
  for (size_t first = 0; first < windows.size(); first += batch) {
    const size_t count = std::min(windows.size() - first, (size_t)batch);
    inputs.i32.assign(batch * seq, 0);
    targets.i32.assign(batch * seq, 0);
    for (size_t r = 0; r < count; ++r) {
      const EvalWindow &w = windows[first + r];
      for (int64_t i = 0; i < w.length; ++i) {
        inputs.i32[r * seq + i] = val[w.start + i];
        targets.i32[r * seq + i] = val[w.start + i + 1];
      }
    }
    const std::vector<Tensor> &out = f.eval(args);
    for (size_t r = 0; r < count; ++r) {
      const EvalWindow &w = windows[first + r];
      const float *nll = out[0].f32.data() + r * seq;
      for (int64_t i = w.scoredFrom; i < w.length; ++i)
        lossSum += (double)nll[i];
      const int64_t scored = w.length - w.scoredFrom;
      v.tokens += scored;
      v.bytes +=
          countBytes(bytes, inputs.i32.data() + r * seq + w.scoredFrom,
                     targets.i32.data() + r * seq + w.scoredFrom, scored);
    }
  }
}

Validation validate(const TrainFunctions &f, std::vector<Tensor> &args,
                    const std::vector<uint16_t> &val, int64_t seq,
                    int64_t batch, int64_t stride, const ByteTable &bytes) {
  Validation v;
  double lossSum = 0;
  scoreWindows(f, args, val, seq, batch,
               evalWindows((int64_t)val.size() - 1, seq, stride), bytes,
               lossSum, v);
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
  std::vector<Tensor> args;
  for (size_t i = 0; i < weights.size(); ++i) {
    Tensor t;
    t.shape = plan.params[i].shape;
    t.f32 = std::move(weights[i]);
    args.push_back(std::move(t));
  }
  args.push_back({});
  args.push_back({});
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
    score = validateTtt(plan, f, args, weights.size(), val, stride, bytes);
    return "";
  }
  Validation v =
      validate(f, args, val, plan.evalSeqLen, plan.evalBatch, stride, bytes);
  score = {v.loss, v.bpb, v.tokens, v.bytes};
  return "";
}

} // namespace golf::rt
