// Checkpoints: everything a run needs to continue where it stopped, so that
// a resumed run ends with the same bytes as an uninterrupted one.
#pragma once

#include "runtime/schedule.h"
#include "runtime/train.h"

namespace golf::rt {

/// The parameters' current values, by pointer: nothing is copied.
std::vector<const std::vector<float> *>
weightsOf(const std::vector<Tensor> &args, size_t params);

/// Everything a run needs to continue where it stopped.
struct RunState {
  std::vector<Tensor> *args;
  std::vector<std::vector<float>> *first, *second;
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
