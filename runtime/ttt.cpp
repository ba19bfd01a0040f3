// Score-first test-time training (reference §10.2), an evaluation option.
#include "runtime/evaluation.h"
#include "runtime/log.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace golf::rt {

std::string tttCheck(const TrainPlan &plan) {
  const TrainSettings &s = plan.settings;
  if (s.tttEpochs < 0 || s.tttLr < 0 || s.tttGradClip < 0)
    return "ttt_epochs, ttt_lr and ttt_grad_clip must not be negative";
  if (s.tttBatchSeqs < 1)
    return "ttt_batch_seqs must be at least 1, got " +
           std::to_string(s.tttBatchSeqs);
  if (!(s.tttMomentum >= 0 && s.tttMomentum < 1))
    return "ttt_momentum must be in [0, 1), got " + format("%g", s.tttMomentum);
  if (s.tttChunkTokens < plan.evalSeqLen)
    return "ttt_chunk_tokens " + std::to_string(s.tttChunkTokens) +
           " holds no sequence of eval_seq_len " +
           std::to_string(plan.evalSeqLen);
  return "";
}

int64_t tttRows(const TrainPlan &plan) {
  const TrainSettings &s = plan.settings;
  const int64_t seqs = std::max<int64_t>(s.tttChunkTokens / plan.evalSeqLen, 1);
  const int64_t g =
      std::gcd(std::min(seqs, std::max<int64_t>(s.tttBatchSeqs, 1)), seqs);
  for (int64_t d = g; d >= 1; --d)
    if (g % d == 0 &&
        d * plan.evalSeqLen <= std::max<int64_t>(plan.evalSeqLen, 16384))
      return d;
  return 1;
}

Score validateTtt(const TrainPlan &plan, const TrainFunctions &f,
                  std::vector<Tensor> &step, size_t nParams,
                  const std::vector<uint16_t> &val, int64_t stride,
                  const ByteTable &bytes) {
  const TrainSettings &s = plan.settings;
  const int64_t targets = (int64_t)val.size() - 1, seq = plan.evalSeqLen;
  const int64_t rows = tttRows(plan);
  const int64_t chunk = s.tttChunkTokens;
  const int64_t numChunks = (targets + chunk - 1) / chunk;
  // Each window belongs to the chunk of its first scored target.
  const std::vector<EvalWindow> windows =
      evalWindows(targets, plan.evalSeqLen, stride);
  std::vector<std::vector<EvalWindow>> byChunk(numChunks);
  for (const EvalWindow &w : windows)
    byChunk[std::min((w.start + w.scoredFrom) / chunk, numChunks - 1)]
        .push_back(w);
  // The evaluation's arguments borrow the step's weights (swapped in and
  // out, never copied).
  std::vector<Tensor> evalArgs(nParams + 2);
  std::vector<std::vector<float>> momentum(nParams), grads(nParams);
  Tensor &inputs = step[nParams], &targetsT = step[nParams + 1];
  inputs.shape = targetsT.shape = {rows, seq};
  inputs.i32.resize(rows * seq);
  targetsT.i32.resize(rows * seq);
  Validation total;
  double totalLoss = 0;
  for (int64_t c = 0; c < numChunks; ++c) {
    // 1. Score the chunk's windows with the weights trained on the chunks
    //    before it only.
    for (size_t i = 0; i < nParams; ++i) {
      evalArgs[i].shape = step[i].shape;
      evalArgs[i].f32.swap(step[i].f32);
    }
    Validation v;
    double lossSum = 0;
    scoreWindows(f, evalArgs, val, plan.evalSeqLen, plan.evalBatch, byChunk[c],
                 bytes, lossSum, v);
    for (size_t i = 0; i < nParams; ++i)
      evalArgs[i].f32.swap(step[i].f32);
    totalLoss += lossSum;
    total.tokens += v.tokens;
    total.bytes += v.bytes;
    // 2. Then train on it, unless it is the last: its sequences of
    //    eval_seq_len whose targets end inside it, ttt_epochs passes of SGD
    //    with momentum in batches of ttt_batch_seqs, the lr cosine-decayed
    //    over the chunks.
    if (c == numChunks - 1 || s.tttEpochs == 0)
      continue;
    const int64_t start = c * chunk;
    const int64_t seqs = (std::min(start + chunk, targets) - start) / seq;
    const double lr =
        s.tttLr * 0.5 *
        (1 + std::cos(M_PI * (double)c /
                      (double)std::max<int64_t>(numChunks - 1, 1)));
    for (int64_t epoch = 0; epoch < s.tttEpochs; ++epoch)
      for (int64_t b = 0; b < seqs; b += s.tttBatchSeqs) {
        const int64_t n = std::min(seqs - b, s.tttBatchSeqs);
        for (size_t i = 0; i < nParams; ++i)
          grads[i].assign(step[i].f32.size(), 0.0f);
        for (int64_t call = 0; call < n / rows; ++call) {
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t at = start + (b + call * rows + r) * seq;
            for (int64_t i = 0; i < seq; ++i) {
              inputs.i32[r * seq + i] = val[at + i];
              targetsT.i32[r * seq + i] = val[at + i + 1];
            }
          }
          const std::vector<Tensor> &out = f.ttt(step);
          // The batch's mean gradient: its calls are equal in size.
          const float w = (float)rows / (float)n;
          for (size_t i = 0; i < nParams; ++i)
            for (size_t k = 0; k < grads[i].size(); ++k)
              grads[i][k] += w * out[i + 1].f32[k];
        }
        // torch.nn.utils.clip_grad_norm_, then torch.optim.SGD (momentum,
        // no dampening): buf = m·buf + g (buf = g at first), w -= lr·buf.
        double sq = 0;
        for (const auto &g : grads)
          for (float x : g)
            sq += (double)x * x;
        const double norm = std::sqrt(sq);
        const float clip = s.tttGradClip > 0 && norm > s.tttGradClip
                               ? (float)(s.tttGradClip / (norm + 1e-6))
                               : 1.0f;
        for (size_t i = 0; i < nParams; ++i) {
          std::vector<float> &buf = momentum[i];
          const bool fresh = buf.empty();
          if (fresh)
            buf.assign(grads[i].size(), 0.0f);
          float *w = step[i].f32.data();
          for (size_t k = 0; k < buf.size(); ++k) {
            const float g = grads[i][k] * clip;
            buf[k] = fresh ? g : (float)s.tttMomentum * buf[k] + g;
            w[k] -= (float)lr * buf[k];
          }
        }
      }
  }
  Score score;
  score.tokens = total.tokens;
  score.bytes = total.bytes;
  score.loss = totalLoss / (double)total.tokens;
  score.bpb = bitsPerByte(score.loss, total.tokens, total.bytes);
  return score;
}

} // namespace golf::rt
