// The lr schedule of a training run (reference §4.1, §5), as train_gpt.py
// and the records compute it.
#pragma once

#include <cstdint>
#include <vector>

namespace golf::rt {

struct Schedule {
  int64_t iterations = 0;
  int64_t warmdownIters = 0;
  double maxWallclockSeconds = 0; // 0: no cap
  /// PR #1319's sqrt-shaped warm-down: the linear scale f becomes
  /// 1 − √(1 − f), below the line (0.5 → 0.29).
  bool sqrtShape = false;
  /// The fractional warm-down of the SP8192 stacks (§5): above 0, the
  /// scale is 1 until trainingFraction reaches 1 − warmdownFrac, then
  /// (1 − frac)/warmdownFrac; warmdownIters is then unused.
  double warmdownFrac = 0;
  /// The scale's floor once the warm-down has begun (PX/TOP's MIN_LR 0.1).
  double minLr = 0;
};

/// train_gpt.py's lr_mul(step, elapsed_ms), bent by sqrtShape, floored at
/// minLr; with warmdownFrac, the records' fractional form instead. Without a
/// wall-clock cap: 1, then a linear decay to 0 over the last warmdownIters
/// iterations. With a cap: the decay covers the estimated last warmdownIters
/// steps, estimated from the mean step time so far — remaining / (warmdownIters
/// · step_ms) once the remaining time is below that, else 1.
double lrScale(const Schedule &s, int64_t step, double elapsedMs);

/// The fraction of the run done before `step`, by whichever bound ends it
/// first: step / iterations, or the elapsed share of the wall-clock cap (the
/// records' training_frac, which the cap decides in their runs).
double trainingFraction(const Schedule &s, int64_t step, double elapsedMs);

/// True when the run must stop before `step`: the iterations are done, or
/// the wall-clock cap is reached.
bool scheduleDone(const Schedule &s, int64_t step, double elapsedMs);

} // namespace golf::rt
