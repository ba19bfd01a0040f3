#include "runtime/safetensors.h"
#include "runtime/file.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace golf::rt {

namespace {

size_t dtypeSize(const std::string &dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64")
    return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32")
    return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16")
    return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL")
    return 1;
  return 0;
}

double halfToDouble(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = std::ldexp((double)mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp((double)(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

} // namespace

int64_t SafeTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

SafeTensors readSafetensors(const std::string &path) {
  SafeTensors out;
  auto fail = [&](const std::string &why) {
    out.tensors.clear();
    out.error = path + ": " + why;
    return out;
  };
  File file;
  file.f = std::fopen(path.c_str(), "rb");
  if (!file.f)
    return fail(std::strerror(errno));
  std::fseek(file.f, 0, SEEK_END);
  long size = std::ftell(file.f);
  std::fseek(file.f, 0, SEEK_SET);
  unsigned char lenBytes[8];
  if (size < 8 || std::fread(lenBytes, 1, 8, file.f) != 8)
    return fail(
        "not a safetensors file: shorter than its 8-byte header length");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = headerLen << 8 | lenBytes[i];
  if (headerLen > (uint64_t)size - 8 || headerLen > (1u << 26))
    return fail("not a safetensors file: header length " +
                std::to_string(headerLen) + " exceeds the file");
  std::string header(headerLen, '\0');
  if (std::fread(header.data(), 1, headerLen, file.f) != headerLen)
    return fail("read failed");
  nlohmann::json json = nlohmann::json::parse(header, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    return fail("not a safetensors file: the header is not a JSON object");
  uint64_t dataSize = (uint64_t)size - 8 - headerLen;
  std::vector<uint8_t> data(dataSize);
  if (dataSize && std::fread(data.data(), 1, dataSize, file.f) != dataSize)
    return fail("read failed");
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (it.key() == "__metadata__")
      continue;
    const nlohmann::json &entry = it.value();
    std::string name = it.key();
    if (!entry.is_object() || !entry.contains("dtype") ||
        !entry["dtype"].is_string() || !entry.contains("shape") ||
        !entry["shape"].is_array() || !entry.contains("data_offsets") ||
        !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2)
      return fail("tensor '" + name + "' has a malformed header entry");
    SafeTensor t;
    t.dtype = entry["dtype"].get<std::string>();
    size_t elem = dtypeSize(t.dtype);
    if (!elem)
      return fail("tensor '" + name + "' has unknown dtype " + t.dtype);
    int64_t count = 1;
    for (const nlohmann::json &d : entry["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t(1) << 40) ||
          __builtin_mul_overflow(count, d.get<int64_t>(), &count) ||
          count > (int64_t(1) << 40))
        return fail("tensor '" + name + "' has a malformed or too large shape");
      t.shape.push_back(d.get<int64_t>());
    }
    const nlohmann::json &range = entry["data_offsets"];
    if (!range[0].is_number_unsigned() || !range[1].is_number_unsigned())
      return fail("tensor '" + name + "' has malformed data offsets");
    uint64_t begin = range[0].get<uint64_t>(), end = range[1].get<uint64_t>();
    if (begin > end || end > dataSize)
      return fail("tensor '" + name + "' lies outside the file's data");
    if ((end - begin) != (uint64_t)t.numel() * elem)
      return fail("tensor '" + name + "' has " + std::to_string(end - begin) +
                  " bytes for " + std::to_string(t.numel()) + " " + t.dtype +
                  " values");
    t.data.assign(data.begin() + begin, data.begin() + end);
    out.tensors[name] = std::move(t);
  }
  return out;
}

std::string writeSafetensors(
    const std::string &path,
    const std::vector<std::pair<std::string, SafeTensor>> &tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  uint64_t offset = 0;
  for (const auto &[name, t] : tensors) {
    header[name] = {{"dtype", t.dtype},
                    {"shape", t.shape},
                    {"data_offsets", {offset, offset + t.data.size()}}};
    offset += t.data.size();
  }
  std::string text = header.dump();
  // The data starts on an 8-byte boundary, as the reference writer pads.
  while ((8 + text.size()) % 8)
    text += ' ';
  unsigned char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = (unsigned char)((uint64_t)text.size() >> (8 * i));
  std::vector<std::pair<const void *, size_t>> parts = {
      {len, 8}, {text.data(), text.size()}};
  for (const auto &entry : tensors)
    parts.push_back({entry.second.data.data(), entry.second.data.size()});
  return writeAtomically(path, parts);
}

bool toDoubles(const SafeTensor &t, std::vector<double> &out) {
  int64_t n = t.numel();
  out.resize(n);
  const uint8_t *p = t.data.data();
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype == "F64") {
      double v;
      std::memcpy(&v, p + 8 * i, 8);
      out[i] = v;
    } else if (t.dtype == "F32") {
      float v;
      std::memcpy(&v, p + 4 * i, 4);
      out[i] = v;
    } else if (t.dtype == "F16") {
      out[i] = halfToDouble((uint16_t)(p[2 * i] | p[2 * i + 1] << 8));
    } else if (t.dtype == "BF16") {
      uint32_t bits = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
      float v;
      std::memcpy(&v, &bits, 4);
      out[i] = v;
    } else {
      return false;
    }
  }
  return true;
}

SafeTensor fromDoubles(const std::vector<int64_t> &shape,
                       const std::vector<double> &values, bool f64) {
  SafeTensor t;
  t.dtype = f64 ? "F64" : "F32";
  t.shape = shape;
  t.data.resize(values.size() * (f64 ? 8 : 4));
  for (size_t i = 0; i < values.size(); ++i) {
    if (f64) {
      std::memcpy(t.data.data() + 8 * i, &values[i], 8);
    } else {
      float v = (float)values[i];
      std::memcpy(t.data.data() + 4 * i, &v, 4);
    }
  }
  return t;
}

} // namespace golf::rt
