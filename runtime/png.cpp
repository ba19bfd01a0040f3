#include "runtime/png.h"
#include "runtime/file.h"

#include <algorithm>
#include <cmath>

namespace golf::rt {
namespace {

constexpr int kWidth = 800, kHeight = 400, kMargin = 40;

struct Image {
  std::vector<uint8_t> rgb = std::vector<uint8_t>(kWidth * kHeight * 3, 255);
  void set(int x, int y, uint8_t r, uint8_t g, uint8_t b) {
    if (x < 0 || y < 0 || x >= kWidth || y >= kHeight)
      return;
    uint8_t *p = &rgb[(y * kWidth + x) * 3];
    p[0] = r, p[1] = g, p[2] = b;
  }
  void line(int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b) {
    const int steps = std::max(std::abs(x1 - x0), std::abs(y1 - y0)) + 1;
    for (int i = 0; i <= steps; ++i)
      set(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps, r, g, b);
  }
};

uint32_t crc32(const uint8_t *data, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k)
      crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

void put32(std::vector<uint8_t> &out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8)
    out.push_back((uint8_t)(v >> s));
}

void chunk(std::vector<uint8_t> &png, const char *type,
           const std::vector<uint8_t> &data) {
  put32(png, (uint32_t)data.size());
  std::vector<uint8_t> body(type, type + 4);
  body.insert(body.end(), data.begin(), data.end());
  png.insert(png.end(), body.begin(), body.end());
  put32(png, crc32(body.data(), body.size()));
}

} // namespace

std::string writeLossCurve(const std::string &path,
                           const std::vector<std::pair<double, double>> &train,
                           const std::vector<std::pair<double, double>> &val) {
  Image img;
  double maxStep = 1, lo = INFINITY, hi = -INFINITY;
  for (const auto *series : {&train, &val})
    for (auto [step, loss] : *series)
      if (std::isfinite(loss)) {
        maxStep = std::max(maxStep, step);
        lo = std::min(lo, loss);
        hi = std::max(hi, loss);
      }
  if (!(hi > lo))
    hi = lo + 1, lo = lo - 1;
  auto px = [&](double step) {
    return kMargin + (int)std::lround(step / maxStep * (kWidth - 2 * kMargin));
  };
  auto py = [&](double loss) {
    return kHeight - kMargin -
           (int)std::lround((loss - lo) / (hi - lo) * (kHeight - 2 * kMargin));
  };
  img.line(kMargin, kHeight - kMargin, kWidth - kMargin, kHeight - kMargin, 0,
           0, 0);
  img.line(kMargin, kMargin, kMargin, kHeight - kMargin, 0, 0, 0);
  for (size_t i = 1; i < train.size(); ++i)
    if (std::isfinite(train[i - 1].second) && std::isfinite(train[i].second))
      img.line(px(train[i - 1].first), py(train[i - 1].second),
               px(train[i].first), py(train[i].second), 30, 90, 200);
  for (auto [step, loss] : val)
    if (std::isfinite(loss))
      for (int dy = -3; dy <= 3; ++dy)
        for (int dx = -3; dx <= 3; ++dx)
          img.set(px(step) + dx, py(loss) + dy, 210, 40, 40);

  // Scanlines with filter 0, in stored deflate blocks, in a zlib stream.
  std::vector<uint8_t> raw;
  for (int y = 0; y < kHeight; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), img.rgb.begin() + y * kWidth * 3,
               img.rgb.begin() + (y + 1) * kWidth * 3);
  }
  std::vector<uint8_t> z = {0x78, 0x01};
  for (size_t at = 0; at < raw.size(); at += 65535) {
    const size_t n = std::min<size_t>(65535, raw.size() - at);
    z.push_back(at + n == raw.size() ? 1 : 0);
    z.push_back((uint8_t)n), z.push_back((uint8_t)(n >> 8));
    z.push_back((uint8_t)~n), z.push_back((uint8_t)(~n >> 8));
    z.insert(z.end(), raw.begin() + at, raw.begin() + at + n);
  }
  uint32_t a = 1, b = 0;
  for (uint8_t byte : raw)
    a = (a + byte) % 65521, b = (b + a) % 65521;
  put32(z, (b << 16) | a);

  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  std::vector<uint8_t> header;
  put32(header, kWidth);
  put32(header, kHeight);
  header.insert(header.end(), {8, 2, 0, 0, 0}); // 8-bit RGB
  chunk(png, "IHDR", header);
  chunk(png, "IDAT", z);
  chunk(png, "IEND", {});
  return writeAtomically(path, {{png.data(), png.size()}});
}

} // namespace golf::rt
