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

Score validateTtt(const TrainPlan &plan, TrainFunctions &f,
                  ParamBuffers &weights, const std::vector<uint16_t> &val,
                  int64_t stride, const ByteTable &bytes) {
  const TrainSettings &s = plan.settings;
  const int64_t targets = (int64_t)val.size() - 1, seq = plan.evalSeqLen;
  const int64_t rows = f.ttt.rows();
  const int64_t chunk = s.tttChunkTokens;
  const int64_t numChunks = (targets + chunk - 1) / chunk;
  // Each window belongs to the chunk of its first scored target.
  const std::vector<EvalWindow> windows =
      evalWindows(targets, plan.evalSeqLen, stride);
  std::vector<std::vector<EvalWindow>> byChunk(numChunks);
  for (const EvalWindow &w : windows)
    byChunk[std::min((w.start + w.scoredFrom) / chunk, numChunks - 1)]
        .push_back(w);
  Device &device = f.ttt.executable()->device();
  DeviceOps &ops = device.ops();
  std::vector<std::vector<int64_t>> shapes;
  for (const Buffer &w : weights)
    shapes.push_back(w.shape());
  // The SGD batch's gradient, and the momentum (allocated at the first
  // step: torch's buffer starts as the first gradient).
  ParamBuffers grads = zerosLike(device, shapes), momentum;
  std::vector<int32_t> inputs(rows * seq), targetIds(rows * seq);
  Validation total;
  double totalLoss = 0;
  for (int64_t c = 0; c < numChunks; ++c) {
    // 1. Score the chunk's windows with the weights trained on the chunks
    //    before it only.
    Validation v;
    double lossSum = 0;
    scoreWindows(f, weights, val, byChunk[c], bytes, lossSum, v);
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
        for (Buffer &g : grads)
          device.fillZero(g);
        for (int64_t call = 0; call < n / rows; ++call) {
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t at = start + (b + call * rows + r) * seq;
            for (int64_t i = 0; i < seq; ++i) {
              inputs[r * seq + i] = val[at + i];
              targetIds[r * seq + i] = val[at + i + 1];
            }
          }
          f.ttt.setInputs(inputs.data(), targetIds.data());
          f.ttt(weights);
          // The batch's mean gradient: its calls are equal in size.
          const float w = (float)rows / (float)n;
          for (size_t i = 0; i < grads.size(); ++i)
            ops.axpy(grads[i], w, f.ttt.result(i + 1));
        }
        // torch.nn.utils.clip_grad_norm_, then torch.optim.SGD (momentum,
        // no dampening): buf = m·buf + g (buf = g at first), w -= lr·buf.
        const double norm = std::sqrt(ops.sumSquares(grads));
        const float clip = s.tttGradClip > 0 && norm > s.tttGradClip
                               ? (float)(s.tttGradClip / (norm + 1e-6))
                               : 1.0f;
        const bool fresh = momentum.empty();
        if (fresh)
          momentum = zerosLike(device, shapes);
        for (size_t i = 0; i < weights.size(); ++i)
          ops.sgdStep(weights[i], grads[i], momentum[i], clip,
                      (float)s.tttMomentum, (float)lr, fresh);
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
