// The weight averages of a training run (reference §9), EMA and SWA as the
// records compute them, kept on the device of the weights.
#pragma once

#include "runtime/device_ops.h"

namespace golf::rt {

/// An exponential moving average of the weights, in float32: ema ← d·ema +
/// (1 − d)·θ after every step, from the initial weights.
class Ema {
public:
  /// Starts from a copy of `initial`, on its device.
  Ema(double decay, const ParamBuffers &initial)
      : decay(decay), average(copyOf(initial)) {}
  void update(const ParamBuffers &weights);
  /// The average; a checkpoint restores it in place.
  ParamBuffers &weights() { return average; }
  const ParamBuffers &weights() const { return average; }

private:
  double decay;
  ParamBuffers average;
};

/// Stochastic weight averaging as the records do it: after a step whose lr
/// scale is below startFrac and whose number is a multiple of every, add a
/// snapshot to a running sum in float64; the average is the sum over the
/// count (used only with at least two snapshots).
class Swa {
public:
  Swa(int64_t every, double startFrac) : every(every), startFrac(startFrac) {}
  /// Takes a snapshot when the trigger fires; returns whether it did.
  bool observe(int64_t step, double lrScale, const ParamBuffers &weights);
  int64_t count() const { return snapshots; }
  /// `out[i]` ← the mean of the snapshots of weight i.
  void averageInto(ParamBuffers &out) const;
  /// The float64 sums (empty before the first snapshot).
  const ParamBuffers &sums() const { return sum; }
  /// Continues from a checkpoint's `count` snapshots: the sums, allocated
  /// like `weights` in float64, for the caller to fill.
  ParamBuffers &restore(int64_t count, const ParamBuffers &weights);

private:
  int64_t every;
  double startFrac;
  int64_t snapshots = 0;
  ParamBuffers sum;
};

} // namespace golf::rt
