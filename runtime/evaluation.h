// Scoring the validation split (val_loss, val_bpb) through the compiled
// evaluation: what the training loop, TTT and `golfc eval` share.
#pragma once

#include "runtime/data.h"
#include "runtime/train.h"

namespace golf::rt {

struct Validation {
  double loss = 0, bpb = 0;
  int64_t tokens = 0, bytes = 0;
};

/// Scores `windows` (`batch` per call of the evaluation, a short window
/// padded after its end: the model is causal, padding changes no scored
/// position), adding each scored position's loss in float64, window after
/// window, to `lossSum`, and the targets and bytes to `v`. `args` holds the
/// weights, then the tokens and targets the call fills.
void scoreWindows(const TrainFunctions &f, std::vector<Tensor> &args,
                  const std::vector<uint16_t> &val, int64_t seq, int64_t batch,
                  const std::vector<EvalWindow> &windows,
                  const ByteTable &bytes, double &lossSum, Validation &v);

/// The loss and bytes of the validation split over evalWindows(stride).
/// The result does not depend on the batch.
Validation validate(const TrainFunctions &f, std::vector<Tensor> &args,
                    const std::vector<uint16_t> &val, int64_t seq,
                    int64_t batch, int64_t stride, const ByteTable &bytes);

} // namespace golf::rt
