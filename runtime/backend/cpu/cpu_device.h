// The CPU backend of the Device seam: buffers in host memory, compiled code
// called through MLIR's packed C interface on them.
#pragma once

#include "runtime/device.h"
#include "runtime/device_ops.h"
#include "runtime/executable.h"

namespace golf::rt {

class CpuDevice final : public Device {
public:
  std::string name() const override { return "cpu"; }
  bool hostVisible() const override { return true; }
  void copyIn(Buffer &to, const void *from) override;
  void copyOut(void *to, const Buffer &from) override;
  void copy(Buffer &to, const Buffer &from) override;
  void fillZero(Buffer &buffer) override;
  std::unique_ptr<Executable> load(const ExecutableImage &image,
                                   std::string &error) override;
  void synchronize() override {}
  DeviceOps &ops() override;

protected:
  void *allocateBytes(size_t bytes) override;
  void freeBytes(void *data) override;
};

/// The process's CPU device.
CpuDevice &cpuDevice();

} // namespace golf::rt
