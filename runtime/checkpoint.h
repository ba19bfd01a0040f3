// Checkpoints: everything a run needs to continue where it stopped, so that
// a resumed run ends with the same bytes as an uninterrupted one.
#pragma once

#include "runtime/averaging.h"
#include "runtime/train.h"

namespace golf::rt {

/// Everything a run needs to continue where it stopped: its buffers (on the
/// training's device) and counters. `second[i]` is empty for a parameter
/// without a second moment (Muon's).
struct RunState {
  ParamBuffers *weights, *first, *second;
  Ema *ema;
  Swa *swa;
  std::vector<std::pair<double, double>> *trainCurve, *valCurve;
  int64_t step = 0;
  double trainMs = 0;
  std::pair<int64_t, int64_t> data{0, 0};
};

/// Writes the state to `path` (safetensors); returns an error message.
std::string saveCheckpoint(const std::string &path, const TrainPlan &plan,
                           const RunState &r);
/// Reads it back into the state's buffers; returns an error message.
std::string loadCheckpoint(const std::string &path, const TrainPlan &plan,
                           RunState &r);

} // namespace golf::rt
