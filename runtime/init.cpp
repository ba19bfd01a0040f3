#include "runtime/init.h"

#include <cmath>

namespace golf::rt {

namespace {
uint64_t splitmix(uint64_t &x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
} // namespace

Random::Random(uint64_t seed) {
  for (uint64_t &w : s)
    w = splitmix(seed);
}

uint64_t Random::next() {
  const uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Random::uniform() { return (double)(next() >> 11) * 0x1.0p-53; }

double Random::normal() {
  if (haveSpare) {
    haveSpare = false;
    return spare;
  }
  double u1 = uniform(), u2 = uniform();
  while (u1 <= 0)
    u1 = uniform();
  const double r = std::sqrt(-2 * std::log(u1)), theta = 2 * M_PI * u2;
  spare = r * std::sin(theta);
  haveSpare = true;
  return r * std::cos(theta);
}

std::string initialize(const std::string &kind, const std::vector<double> &args,
                       const std::vector<int64_t> &shape, Random &random,
                       std::vector<float> &out) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  out.assign(n, 0.0f);
  const int64_t cols = shape.empty() ? 1 : shape.back(),
                rows = cols ? n / cols : 0;
  if (kind == "zeros")
    return "";
  if (kind == "ones" || kind == "const") {
    const float v = kind == "ones" ? 1.0f : (float)args.at(0);
    for (float &x : out)
      x = v;
    return "";
  }
  if (kind == "normal") {
    for (float &x : out)
      x = (float)(args.at(0) + args.at(1) * random.normal());
    return "";
  }
  if (kind == "uniform" || kind == "kaiming_uniform") {
    const double lo = kind == "uniform" ? args.at(0) : -1 / std::sqrt(cols),
                 hi = kind == "uniform" ? args.at(1) : 1 / std::sqrt(cols);
    for (float &x : out)
      x = (float)(lo + (hi - lo) * random.uniform());
    return "";
  }
  if (kind == "rows") {
    if ((int64_t)args.size() != rows)
      return "initializer rows: " + std::to_string(args.size()) +
             " values for " + std::to_string(rows) + " rows";
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        out[i * cols + j] = (float)args[i];
    return "";
  }
  if (kind == "orthogonal") {
    // A tall normal matrix (transposed when wide), its Q by modified
    // Gram–Schmidt in float64 (R's diagonal comes out positive).
    const bool wide = rows < cols;
    const int64_t m = wide ? cols : rows, k = wide ? rows : cols;
    std::vector<double> a(rows * cols);
    for (double &x : a)
      x = random.normal();
    // q[j] is column j of the tall matrix (m values).
    std::vector<std::vector<double>> q(k, std::vector<double>(m));
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        (wide ? q[i][j] : q[j][i]) = a[i * cols + j];
    for (int64_t j = 0; j < k; ++j) {
      for (int64_t p = 0; p < j; ++p) {
        double dot = 0;
        for (int64_t i = 0; i < m; ++i)
          dot += q[p][i] * q[j][i];
        for (int64_t i = 0; i < m; ++i)
          q[j][i] -= dot * q[p][i];
      }
      double norm = 0;
      for (double x : q[j])
        norm += x * x;
      norm = std::sqrt(norm);
      if (norm == 0)
        return "initializer orthogonal: a degenerate draw";
      for (double &x : q[j])
        x /= norm;
    }
    const double gain = args.at(0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        out[i * cols + j] = (float)(gain * (wide ? q[i][j] : q[j][i]));
    return "";
  }
  return "unknown initializer '" + kind + "'";
}

} // namespace golf::rt
