#include "runtime/schedule.h"

#include <algorithm>
#include <cmath>

namespace golf::rt {

namespace {
double linearScale(const Schedule &s, int64_t step, double elapsedMs) {
  if (s.warmdownIters <= 0)
    return 1.0;
  if (s.maxWallclockSeconds <= 0) {
    const int64_t start = std::max<int64_t>(s.iterations - s.warmdownIters, 0);
    if (step < start || step >= s.iterations)
      return 1.0;
    return std::max((double)(s.iterations - step) /
                        (double)std::max<int64_t>(s.warmdownIters, 1),
                    0.0);
  }
  const double stepMs = elapsedMs / (double)std::max<int64_t>(step, 1);
  const double warmdownMs = (double)s.warmdownIters * stepMs;
  const double remainingMs =
      std::max(s.maxWallclockSeconds * 1000.0 - elapsedMs, 0.0);
  return remainingMs <= warmdownMs ? remainingMs / std::max(warmdownMs, 1e-9)
                                   : 1.0;
}

} // namespace

double lrScale(const Schedule &s, int64_t step, double elapsedMs) {
  double f = linearScale(s, step, elapsedMs);
  if (s.warmdownFrac > 0) {
    const double frac = trainingFraction(s, step, elapsedMs);
    f = frac < 1 - s.warmdownFrac ? 1.0 : (1 - frac) / s.warmdownFrac;
  }
  if (s.sqrtShape && f < 1.0)
    f = 1.0 - std::sqrt(1.0 - f);
  return f < 1.0 ? std::max(f, s.minLr) : f;
}

double trainingFraction(const Schedule &s, int64_t step, double elapsedMs) {
  double frac = (double)step / (double)std::max<int64_t>(s.iterations, 1);
  if (s.maxWallclockSeconds > 0)
    frac = std::max(frac, elapsedMs / (s.maxWallclockSeconds * 1000.0));
  return std::min(frac, 1.0);
}

bool scheduleDone(const Schedule &s, int64_t step, double elapsedMs) {
  return step >= s.iterations || (s.maxWallclockSeconds > 0 &&
                                  elapsedMs >= s.maxWallclockSeconds * 1000.0);
}

} // namespace golf::rt
