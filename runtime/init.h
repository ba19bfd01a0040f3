// Parameter initialization from the plan: the initializers a spec names
// (PyTorch's semantics), drawn from one seeded generator in parameter order,
// so that a seed gives the same weights on every machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace golf::rt {

/// xoshiro256** seeded by SplitMix64: fast, and defined bit for bit here
/// rather than by a C++ library.
class Random {
public:
  explicit Random(uint64_t seed);
  uint64_t next();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box–Muller, both values used in turn).
  double normal();

private:
  uint64_t s[4];
  bool haveSpare = false;
  double spare = 0;
};

/// Fills `out` (row-major, `shape`) with initializer `kind` and its `args`:
/// zeros, ones, const(v), normal(mean, std), uniform(lo, hi),
/// kaiming_uniform (nn.Linear's default: U(±1/√fan_in), fan_in the last
/// dimension), orthogonal(gain) (QR of a normal matrix, signs fixed so that
/// R's diagonal is positive, as torch.nn.init.orthogonal_), rows(v0, v1, …)
/// (row i filled with v_i). Returns an error message, empty on success.
std::string initialize(const std::string &kind, const std::vector<double> &args,
                       const std::vector<int64_t> &shape, Random &random,
                       std::vector<float> &out);

} // namespace golf::rt
