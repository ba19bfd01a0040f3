#include "runtime/device.h"
#include "runtime/device_ops.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace golf::rt {

size_t sizeOf(DType t) {
  switch (t) {
  case DType::f32:
  case DType::i32:
    return 4;
  case DType::f64:
    return 8;
  }
  return 0;
}

const char *nameOf(DType t) {
  switch (t) {
  case DType::f32:
    return "f32";
  case DType::f64:
    return "f64";
  case DType::i32:
    return "i32";
  }
  return "?";
}

bool parseDType(const std::string &name, DType &t) {
  for (DType d : {DType::f32, DType::f64, DType::i32})
    if (name == nameOf(d)) {
      t = d;
      return true;
    }
  return false;
}

int64_t elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

void bufferMisuse(const char *what) {
  std::fprintf(stderr, "internal error: a buffer %s\n", what);
  std::abort();
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Buffer &Buffer::operator=(Buffer &&other) noexcept {
  if (this != &other) {
    reset();
    device_ = other.device_;
    dtype_ = other.dtype_;
    shape_ = std::move(other.shape_);
    data_ = other.data_;
    owned_ = other.owned_;
    other.device_ = nullptr;
    other.data_ = nullptr;
    other.owned_ = false;
    other.shape_.clear();
  }
  return *this;
}

void Buffer::reset() {
  if (owned_ && data_)
    device_->freeBytes(data_);
  device_ = nullptr;
  data_ = nullptr;
  owned_ = false;
}

Buffer Buffer::view(Device &device, DType dtype, std::vector<int64_t> shape,
                    void *data) {
  Buffer b;
  b.device_ = &device;
  b.dtype_ = dtype;
  b.shape_ = std::move(shape);
  b.data_ = data;
  return b;
}

Buffer Device::allocate(DType dtype, std::vector<int64_t> shape) {
  Buffer b;
  b.device_ = this;
  b.dtype_ = dtype;
  b.shape_ = std::move(shape);
  b.data_ = allocateBytes(std::max<size_t>(b.bytes(), 1));
  b.owned_ = true;
  return b;
}

Buffer Device::zeros(DType dtype, std::vector<int64_t> shape) {
  Buffer b = allocate(dtype, std::move(shape));
  fillZero(b);
  return b;
}

float readScalar(const Buffer &b) {
  std::vector<float> staging;
  return readOnHost(b, staging)[0];
}

ParamBuffers zerosLike(Device &device,
                       const std::vector<std::vector<int64_t>> &shapes,
                       DType dtype) {
  ParamBuffers out;
  for (const std::vector<int64_t> &shape : shapes)
    out.push_back(device.zeros(dtype, shape));
  return out;
}

ParamBuffers copyOf(const ParamBuffers &from) {
  ParamBuffers out;
  for (const Buffer &b : from) {
    out.push_back(b.device()->allocate(b.dtype(), b.shape()));
    b.device()->copy(out.back(), b);
  }
  return out;
}

void copyInto(ParamBuffers &to, const ParamBuffers &from) {
  if (to.size() != from.size())
    bufferMisuse("list copied into a list of another length");
  for (size_t i = 0; i < to.size(); ++i)
    to[i].device()->copy(to[i], from[i]);
}

} // namespace golf::rt
