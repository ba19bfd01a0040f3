// The training loop's own arithmetic on a device's buffers: accumulation,
// clipping, the optimizer steps, weight averaging. Compiled code computes
// the model; these are what the loop does between its calls, on the device
// where the weights live, so that a step moves no weight, gradient or moment
// through the host. A backend implements them (the CPU's in
// runtime/backend/cpu); each says what it computes, in which precision, so
// that every backend computes the same thing. Plain C++: no MLIR.
#pragma once

#include "runtime/device.h"
#include "runtime/optim.h"

#include <vector>

namespace golf::rt {

/// Every buffer is float32 unless a function says otherwise, and the
/// buffers of one call are of the same element count.
class DeviceOps {
public:
  virtual ~DeviceOps() = default;

  /// y ← y + a·x, in float32.
  virtual void axpy(Buffer &y, float a, const Buffer &x) = 0;
  /// x ← a·x, in float32.
  virtual void scale(Buffer &x, float a) = 0;
  /// Σ x² over every element of every buffer, accumulated in float64: the
  /// square of the global norm that clipping takes.
  virtual double sumSquares(const std::vector<Buffer> &xs) = 0;

  /// adamStep (runtime/optim.h) on the weights w, gradient g and moments m
  /// and v; t ≥ 1 is the step number.
  virtual void adamStep(const AdamSettings &s, double lrScale, int64_t t,
                        Buffer &w, const Buffer &g, Buffer &m, Buffer &v) = 0;
  /// muonStep (runtime/optim.h) of a matrix w [rows, cols] with momentum
  /// buffer buf; t is the 0-based step.
  virtual void muonStep(const MuonSettings &s, double lrScale, int64_t t,
                        Buffer &w, const Buffer &g, Buffer &buf) = 0;
  /// torch.optim.SGD with momentum μ, no dampening, on the gradient scaled
  /// by c: buf ← c·g at the first step (fresh), μ·buf + c·g after it;
  /// w ← w − lr·buf. In float32.
  virtual void sgdStep(Buffer &w, const Buffer &g, Buffer &buf, float c,
                       float mu, float lr, bool fresh) = 0;

  /// The exponential moving average: avg ← d·avg + (1 − d)·w with d and
  /// 1 − d rounded to float32, in float32.
  virtual void lerp(Buffer &avg, const Buffer &w, double d) = 0;
  /// sum ← sum + x, `sum` float64 and `x` float32.
  virtual void accumulate(Buffer &sum, const Buffer &x) = 0;
  /// out ← sum / count, rounded to float32 (`sum` float64).
  virtual void mean(Buffer &out, const Buffer &sum, double count) = 0;
};

/// The elements of `b` as the host reads them: its own memory where its
/// device is host-visible, else a copy in `staging`.
template <typename T>
const T *readOnHost(const Buffer &b, std::vector<T> &staging) {
  if (b.device()->hostVisible())
    return b.host<T>();
  if (b.dtype() != DTypeOf<T>::value)
    bufferMisuse("read with the wrong element type");
  staging.resize((size_t)b.elements());
  b.device()->copyOut(staging.data(), b);
  return staging.data();
}

/// The first element of a float32 buffer (a loss), on the host.
float readScalar(const Buffer &b);

/// One buffer per parameter, in plan order.
using ParamBuffers = std::vector<Buffer>;
/// Zeros of `dtype` in each shape.
ParamBuffers zerosLike(Device &device,
                       const std::vector<std::vector<int64_t>> &shapes,
                       DType dtype = DType::f32);
/// A device copy of every buffer.
ParamBuffers copyOf(const ParamBuffers &from);
/// Each `to[i]` ← `from[i]` (the same shapes), on their device.
void copyInto(ParamBuffers &to, const ParamBuffers &from);

} // namespace golf::rt
