// One training step as the runtime runs it: the plan the compiler hands
// over (parameter names and shapes, element type, batch and sequence), the
// inputs it reads (weights by name, tokens from a shard), the call into the
// compiled code, and the gradients it writes. Plain C++: no MLIR.
#pragma once

#include "runtime/executable.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace golf::rt {

/// A contiguous row-major host buffer handed to or returned by compiled
/// code; one of the three vectors holds its elements.
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<double> f64;
  std::vector<float> f32;
  std::vector<int32_t> i32;
};

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
};

struct StepPlan {
  std::vector<ParamSpec> params; // In argument order.
  bool f64 = false;
  int64_t batch = 1, seq = 1;
  int64_t tokenLimit = INT64_MAX; // Token ids must be below it.

  std::string toJson() const;
  /// Reads a plan; returns an error message, empty on success.
  std::string fromJson(const std::string &text);
};

/// Reads the parameters (a safetensors file, by name, any float dtype) and
/// the first batch*seq+1 tokens of a shard into the arguments of the step:
/// the parameters, the inputs, the targets. Returns an error message.
std::string loadStepInputs(const StepPlan &plan, const std::string &weights,
                           const std::string &tokens,
                           std::vector<Tensor> &args);

/// Writes results[1..] (one gradient per parameter) to a safetensors file.
std::string writeGradients(const StepPlan &plan,
                           const std::vector<Tensor> &results,
                           const std::string &path);

/// The dtype of a host tensor (f32 when it holds no element yet), and its
/// elements.
DType dtypeOf(const Tensor &t);
void *dataOf(Tensor &t);
/// A tensor of zeros of a slot's dtype and shape.
Tensor tensorFor(const Slot &slot);
/// A buffer of the CPU device viewing `t`'s elements; a tensor whose
/// length is not its shape's is a bug of the runtime's and aborts.
Buffer hostView(Tensor &t);

/// Runs `exe` (on the CPU device) on host tensors, which its arguments view
/// in place, and returns its results in new tensors: for tools and tests,
/// where a call's allocation does not matter. The training loop binds
/// buffers once instead (Call).
std::vector<Tensor> runOnHost(Executable &exe, std::vector<Tensor> &args);

} // namespace golf::rt
