// The Device seam: where buffers live and compiled code runs. A backend (the
// CPU in runtime/backend/cpu, CUDA next) implements it; the training loop,
// evaluation and export only see Buffers, Devices and Executables. Plain
// C++: no MLIR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace golf::rt {

/// Element types of buffers, as compiled code sees them.
enum class DType : uint8_t { f32, f64, i32 };
size_t sizeOf(DType t);
const char *nameOf(DType t);
/// "f32", "f64", "i32"; false for anything else.
bool parseDType(const std::string &name, DType &t);

int64_t elementCount(const std::vector<int64_t> &shape);
/// "[4, 2]", for messages.
std::string shapeText(const std::vector<int64_t> &shape);

class Device;

/// A typed, contiguous, row-major buffer on one device. Move-only: it frees
/// its memory through its device, unless it is a view of memory it does not
/// own (Buffer::view).
class Buffer {
public:
  Buffer() = default;
  Buffer(Buffer &&other) noexcept { *this = std::move(other); }
  Buffer &operator=(Buffer &&other) noexcept;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() { reset(); }

  /// A buffer that borrows `data` (host memory, or `device`'s): the caller
  /// keeps it alive and frees it.
  static Buffer view(Device &device, DType dtype, std::vector<int64_t> shape,
                     void *data);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int64_t elements() const { return elementCount(shape_); }
  size_t bytes() const { return (size_t)elements() * sizeOf(dtype_); }
  Device *device() const { return device_; }
  void *data() const { return data_; }
  explicit operator bool() const { return device_ != nullptr; }

  /// The elements, for a buffer in host memory whose dtype is T's (checked:
  /// a mismatch aborts, as it is a bug of the runtime's).
  template <typename T> T *host() const;

private:
  friend class Device;
  void reset();
  Device *device_ = nullptr;
  DType dtype_ = DType::f32;
  std::vector<int64_t> shape_;
  void *data_ = nullptr;
  bool owned_ = false;
};

struct ExecutableImage;
class Executable;
class DeviceOps;

class Device {
public:
  virtual ~Device() = default;
  /// For logs: "cpu", "cuda:0 (NVIDIA H200)".
  virtual std::string name() const = 0;
  /// Whether buffers live in host memory, so that Buffer::host reads them.
  virtual bool hostVisible() const = 0;

  /// A new buffer, its contents undefined.
  Buffer allocate(DType dtype, std::vector<int64_t> shape);
  /// A new buffer of zeros.
  Buffer zeros(DType dtype, std::vector<int64_t> shape);
  /// Host memory (buffer.bytes() of it) to the buffer, and back.
  virtual void copyIn(Buffer &to, const void *from) = 0;
  virtual void copyOut(void *to, const Buffer &from) = 0;
  /// Between two buffers of this device, of the same size.
  virtual void copy(Buffer &to, const Buffer &from) = 0;
  virtual void fillZero(Buffer &buffer) = 0;
  /// Makes compiled code runnable here; null and `error` when it cannot.
  virtual std::unique_ptr<Executable> load(const ExecutableImage &image,
                                           std::string &error) = 0;
  /// Waits for everything queued on the device.
  virtual void synchronize() = 0;
  /// The training loop's arithmetic on this device's buffers
  /// (runtime/device_ops.h).
  virtual DeviceOps &ops() = 0;

protected:
  virtual void *allocateBytes(size_t bytes) = 0;
  virtual void freeBytes(void *data) = 0;
  friend class Buffer;
};

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> {
  static constexpr DType value = DType::f32;
};
template <> struct DTypeOf<double> {
  static constexpr DType value = DType::f64;
};
template <> struct DTypeOf<int32_t> {
  static constexpr DType value = DType::i32;
};

[[noreturn]] void bufferMisuse(const char *what);

template <typename T> T *Buffer::host() const {
  if (dtype_ != DTypeOf<T>::value)
    bufferMisuse("read with the wrong element type");
  if (device_ && !device_->hostVisible())
    bufferMisuse("read on the host, but it lives on a device");
  return static_cast<T *>(data_);
}

} // namespace golf::rt
