#include "runtime/backend/cpu/cpu_device.h"

#include <cstdlib>
#include <cstring>

namespace golf::rt {

namespace {

/// Compiled code on host buffers. The descriptors (MLIR's memref ABI:
/// {allocated, aligned, offset, sizes[r], strides[r]}) are laid out once;
/// each call writes the buffers' addresses into them and calls the entry.
class CpuExecutable final : public Executable {
public:
  CpuExecutable(const ExecutableImage &image, Device &device)
      : packed(image.packed) {
    device_ = &device;
    name_ = image.name;
    signature_ = image.signature;
    std::vector<const Slot *> slots;
    for (const Slot &s : signature_.args)
      slots.push_back(&s);
    for (const Slot &s : signature_.results)
      slots.push_back(&s);
    size_t words = 0;
    for (const Slot *s : slots)
      words += 3 + 2 * s->shape.size();
    descriptors.assign(words, 0);
    size_t at = 0;
    for (const Slot *s : slots) {
      const int64_t rank = (int64_t)s->shape.size();
      int64_t stride = 1;
      for (int64_t r = rank - 1; r >= 0; --r) {
        descriptors[at + 3 + r] = s->shape[r];
        descriptors[at + 3 + rank + r] = stride;
        stride *= s->shape[r];
      }
      starts.push_back(at);
      at += 3 + 2 * rank;
    }
    pointers.resize(slots.size());
    for (size_t i = 0; i < slots.size(); ++i)
      pointers[i] = descriptors.data() + starts[i];
    for (void *&p : pointers)
      packedArgs.push_back(&p);
  }

  std::string run(Buffer *const *args, Buffer *const *results) override {
    std::string err = check(args, results, *device_);
    if (!err.empty())
      return err;
    const size_t na = signature_.args.size();
    for (size_t i = 0; i < starts.size(); ++i) {
      Buffer *b = i < na ? args[i] : results[i - na];
      descriptors[starts[i]] = descriptors[starts[i] + 1] =
          (int64_t)(intptr_t)b->data();
    }
    packed(packedArgs.data());
    return "";
  }

private:
  std::function<void(void **)> packed;
  std::vector<int64_t> descriptors;
  std::vector<size_t> starts;
  std::vector<void *> pointers, packedArgs;
};

} // namespace

void *CpuDevice::allocateBytes(size_t bytes) {
  // 64-byte aligned, as MLIR's own allocations are for vector loads.
  return std::aligned_alloc(64, (bytes + 63) / 64 * 64);
}

void CpuDevice::freeBytes(void *data) { std::free(data); }

void CpuDevice::copyIn(Buffer &to, const void *from) {
  std::memcpy(to.data(), from, to.bytes());
}

void CpuDevice::copyOut(void *to, const Buffer &from) {
  std::memcpy(to, from.data(), from.bytes());
}

void CpuDevice::copy(Buffer &to, const Buffer &from) {
  if (to.bytes() != from.bytes())
    bufferMisuse("copied into a buffer of another size");
  std::memcpy(to.data(), from.data(), from.bytes());
}

void CpuDevice::fillZero(Buffer &buffer) {
  std::memset(buffer.data(), 0, buffer.bytes());
}

std::unique_ptr<Executable> CpuDevice::load(const ExecutableImage &image,
                                            std::string &error) {
  if (!image.packed) {
    error = image.name + ": no entry point for the CPU";
    return nullptr;
  }
  return std::make_unique<CpuExecutable>(image, *this);
}

CpuDevice &cpuDevice() {
  static CpuDevice device;
  return device;
}

} // namespace golf::rt
