// The safetensors format, by which checkpoints move between golfc and
// PyTorch: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range, then the raw little-endian data.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace golf::rt {

struct SafeTensor {
  std::string dtype; // "F64", "F32", "F16", "BF16", "I64", "I32", ...
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  int64_t numel() const;
};

struct SafeTensors {
  std::map<std::string, SafeTensor> tensors;
  std::string error; // "path: reason" when the file is not valid.
  bool ok() const { return error.empty(); }
};

/// Reads and checks a whole file: header, dtypes, shapes and byte ranges.
SafeTensors readSafetensors(const std::string &path);

/// Writes tensors (in the given order) through a temporary file and a
/// rename. Returns an error message, empty on success.
std::string writeSafetensors(
    const std::string &path,
    const std::vector<std::pair<std::string, SafeTensor>> &tensors);

/// The values of a floating-point tensor as doubles (F64, F32, F16, BF16);
/// returns false for other dtypes.
bool toDoubles(const SafeTensor &t, std::vector<double> &out);

/// A tensor of dtype F64 or F32 holding `values`.
SafeTensor fromDoubles(const std::vector<int64_t> &shape,
                       const std::vector<double> &values, bool f64);

} // namespace golf::rt
