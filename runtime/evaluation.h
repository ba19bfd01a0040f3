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

/// Scores `windows` with `weights` through `f.eval` (its rows of windows
/// per call, a short window padded after its end: the model is causal,
/// padding changes no scored position), adding each scored position's loss
/// in float64, window after window, to `lossSum`, and the targets and bytes
/// to `v`.
void scoreWindows(TrainFunctions &f, ParamBuffers &weights,
                  const std::vector<uint16_t> &val,
                  const std::vector<EvalWindow> &windows,
                  const ByteTable &bytes, double &lossSum, Validation &v);

/// The loss and bytes of the validation split over evalWindows(stride).
/// The result does not depend on the evaluation's batch.
Validation validate(TrainFunctions &f, ParamBuffers &weights,
                    const std::vector<uint16_t> &val, int64_t stride,
                    const ByteTable &bytes);

} // namespace golf::rt
