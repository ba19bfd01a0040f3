// The artifact's encoding: payload, packing, compression, checksums.
#include "runtime/artifact.h"
#include "runtime/sha256.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <lzma.h>
#include <sstream>
#include <zlib.h>
#include <zstd.h>

namespace golf::rt {
namespace {

constexpr char kMagic[8] = {'G', 'O', 'L', 'F', 'A', 'R', 'T', '\0'};
constexpr uint32_t kVersion = 3;
constexpr size_t kHeader = 72;

void put(std::string &out, const void *p, size_t n) {
  out.append(static_cast<const char *>(p), n);
}
template <typename T> void put(std::string &out, T v) {
  put(out, &v, sizeof v);
}

/// Reads the payload front to back; any read past its end sets `failed`.
struct Reader {
  const std::string &s;
  size_t at = 0;
  bool failed = false;
  bool take(void *p, size_t n) {
    if (failed || n > s.size() - at) {
      failed = true;
      return false;
    }
    std::memcpy(p, s.data() + at, n);
    at += n;
    return true;
  }
  template <typename T> T get() {
    T v{};
    take(&v, sizeof v);
    return v;
  }
};

int codeBits(QuantFormat f) {
  return f == QuantFormat::Int7   ? 7
         : f == QuantFormat::Int6 ? 6
         : f == QuantFormat::Int5 ? 5
                                  : 8;
}

std::string compress(const std::string &raw, const std::string &compressor,
                     int level, std::string &out) {
  if (compressor == "zlib") {
    uLongf n = compressBound(raw.size());
    out.resize(n);
    if (compress2(reinterpret_cast<Bytef *>(out.data()), &n,
                  reinterpret_cast<const Bytef *>(raw.data()), raw.size(),
                  level) != Z_OK)
      return "zlib could not compress the artifact (level " +
             std::to_string(level) + ")";
    out.resize(n);
    return "";
  }
  if (compressor == "zstd") {
    out.resize(ZSTD_compressBound(raw.size()));
    size_t n =
        ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level);
    if (ZSTD_isError(n))
      return std::string("zstd: ") + ZSTD_getErrorName(n);
    out.resize(n);
    return "";
  }
  if (compressor == "lzma") {
    out.resize(lzma_stream_buffer_bound(raw.size()));
    size_t n = 0;
    if (level < 0 || level > 9)
      return "lzma presets are 0 to 9, not " + std::to_string(level);
    lzma_ret r = lzma_easy_buffer_encode(
        (uint32_t)level | LZMA_PRESET_EXTREME, LZMA_CHECK_NONE, nullptr,
        reinterpret_cast<const uint8_t *>(raw.data()), raw.size(),
        reinterpret_cast<uint8_t *>(out.data()), &n, out.size());
    if (r != LZMA_OK)
      return "lzma could not compress the artifact (error " +
             std::to_string((int)r) + ")";
    out.resize(n);
    return "";
  }
  return "unknown compressor '" + compressor + "' (zlib, zstd or lzma)";
}

bool decompress(uint8_t compressor, const std::string &in, size_t rawSize,
                std::string &raw) {
  raw.resize(rawSize);
  if (compressor == 0) {
    uLongf n = rawSize;
    return uncompress(reinterpret_cast<Bytef *>(raw.data()), &n,
                      reinterpret_cast<const Bytef *>(in.data()),
                      in.size()) == Z_OK &&
           n == rawSize;
  }
  if (compressor == 1) {
    size_t n = ZSTD_decompress(raw.data(), raw.size(), in.data(), in.size());
    return !ZSTD_isError(n) && n == rawSize;
  }
  if (compressor == 2) {
    uint64_t memlimit = UINT64_MAX;
    size_t inPos = 0, outPos = 0;
    return lzma_stream_buffer_decode(
               &memlimit, 0, nullptr,
               reinterpret_cast<const uint8_t *>(in.data()), &inPos, in.size(),
               reinterpret_cast<uint8_t *>(raw.data()), &outPos,
               raw.size()) == LZMA_OK &&
           outPos == rawSize;
  }
  return false;
}

std::string payload(const Artifact &a, bool pack) {
  std::string out;
  put<uint32_t>(out, (uint32_t)a.spec.size());
  out += a.spec;
  put<uint32_t>(out, (uint32_t)a.settings.size());
  out += a.settings;
  put<uint32_t>(out, (uint32_t)a.tensors.size());
  for (const QuantTensor &t : a.tensors) {
    put<uint16_t>(out, (uint16_t)t.name.size());
    out += t.name;
    put<uint8_t>(out, (uint8_t)t.format);
    const int bits = codeBits(t.format);
    const bool packed = pack && quantRange(t.format) && bits < 8;
    put<uint8_t>(out, packed ? (uint8_t)bits : 0);
    put<uint8_t>(out, (uint8_t)t.shape.size());
    for (int64_t d : t.shape)
      put<int64_t>(out, d);
    if (t.format == QuantFormat::F32) {
      put(out, t.full.data(), t.full.size() * 4);
    } else if (t.format == QuantFormat::F16) {
      put(out, t.half.data(), t.half.size() * 2);
    } else {
      put(out, t.scales.data(), t.scales.size() * 2);
      // LQER's correction: its rank, then (when above 0) the group, Â's
      // scale and codes, B̂'s codes and scales, a byte per code.
      std::string lqer;
      put<uint8_t>(lqer, (uint8_t)t.lqerRank);
      if (t.lqerRank > 0) {
        put<uint16_t>(lqer, (uint16_t)t.lqerGroup);
        put<uint16_t>(lqer, t.lqerAScale);
        put(lqer, t.lqerA.data(), t.lqerA.size());
        put(lqer, t.lqerB.data(), t.lqerB.size());
        put(lqer, t.lqerBScales.data(), t.lqerBScales.size() * 2);
      }
      if (!packed) {
        put(out, t.codes.data(), t.codes.size());
        out += lqer;
        continue;
      }
      // Codes offset to [0, 2^bits), least significant bits first.
      uint64_t buffer = 0;
      int filled = 0;
      for (int8_t q : t.codes) {
        buffer |= uint64_t((int)q + (1 << (bits - 1))) << filled;
        filled += bits;
        while (filled >= 8) {
          out.push_back((char)(buffer & 0xff));
          buffer >>= 8;
          filled -= 8;
        }
      }
      if (filled > 0)
        out.push_back((char)(buffer & 0xff));
      out += lqer;
    }
  }
  return out;
}

} // namespace

uint32_t crc32(const void *data, size_t size, uint32_t crc) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const uint8_t *p = static_cast<const uint8_t *>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i)
    crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string artifactHash(const std::string &bytes) {
  if (bytes.size() < kHeader)
    return "";
  std::array<uint8_t, 32> digest;
  std::memcpy(digest.data(), bytes.data() + 40, 32);
  return hex(digest);
}

std::string encodeArtifact(const Artifact &a, const std::string &compressor,
                           int level, bool pack, std::string &bytes) {
  const std::string raw = payload(a, pack);
  std::string packed;
  std::string err = compress(raw, compressor, level, packed);
  if (!err.empty())
    return err;
  bytes.clear();
  put(bytes, kMagic, 8);
  put<uint32_t>(bytes, kVersion);
  put<uint8_t>(bytes, compressor == "zlib" ? 0 : compressor == "zstd" ? 1 : 2);
  put(bytes, "\0\0\0", 3);
  put<uint64_t>(bytes, raw.size());
  put<uint64_t>(bytes, packed.size());
  put<uint32_t>(bytes, crc32(packed.data(), packed.size()));
  put<uint32_t>(bytes, crc32(raw.data(), raw.size()));
  const std::array<uint8_t, 32> digest = sha256(raw.data(), raw.size());
  put(bytes, digest.data(), digest.size());
  bytes += packed;
  return "";
}

std::string encodeSmallestArtifact(const Artifact &a,
                                   const std::string &compressor, int level,
                                   std::string &bytes, bool *packed) {
  std::string err = encodeArtifact(a, compressor, level, false, bytes);
  if (packed)
    *packed = false;
  bool narrow = false;
  for (const QuantTensor &t : a.tensors)
    narrow |= codeBits(t.format) < 8 && quantRange(t.format) > 0;
  if (!err.empty() || !narrow)
    return err;
  std::string other;
  err = encodeArtifact(a, compressor, level, true, other);
  if (err.empty() && other.size() < bytes.size()) {
    bytes.swap(other);
    if (packed)
      *packed = true;
  }
  return err;
}

std::string decodeArtifact(const std::string &bytes, const std::string &source,
                           Artifact &a) {
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, 8) != 0)
    return source + ": not a golfc artifact";
  Reader header{bytes, 8};
  const uint32_t version = header.get<uint32_t>();
  if (version != kVersion)
    return source + ": artifact version " + std::to_string(version) +
           ", this golfc reads version " + std::to_string(kVersion);
  const uint8_t compressor = header.get<uint8_t>();
  if (bytes[13] || bytes[14] || bytes[15])
    return source + ": corrupted header (reserved bytes are not zero)";
  header.at += 3;
  const uint64_t rawSize = header.get<uint64_t>();
  const uint64_t packedSize = header.get<uint64_t>();
  const uint32_t packedCrc = header.get<uint32_t>();
  const uint32_t rawCrc = header.get<uint32_t>();
  std::array<uint8_t, 32> digest;
  std::memcpy(digest.data(), bytes.data() + 40, 32);
  if (packedSize != bytes.size() - kHeader)
    return source + ": truncated or extended: the header says " +
           std::to_string(packedSize) + " compressed bytes, the file has " +
           std::to_string(bytes.size() - kHeader);
  const std::string packed = bytes.substr(kHeader);
  if (crc32(packed.data(), packed.size()) != packedCrc)
    return source + ": corrupted (checksum of the compressed weights differs)";
  if (compressor > 2)
    return source + ": unknown compressor " + std::to_string(compressor);
  std::string raw;
  // A header claiming far more than the compressed bytes could hold (over
  // 65,536 to 1) is corrupted, not a reason to allocate it.
  if (rawSize > (uint64_t(1) << 34) || rawSize / 65536 > packedSize + 1 ||
      !decompress(compressor, packed, rawSize, raw) ||
      crc32(raw.data(), raw.size()) != rawCrc ||
      sha256(raw.data(), raw.size()) != digest)
    return source + ": corrupted (the weights do not decompress to their "
                    "checksum)";
  Reader r{raw};
  auto text = [&](std::string &s) {
    const uint32_t n = r.get<uint32_t>();
    if (r.failed || n > raw.size() - r.at) {
      r.failed = true;
      return;
    }
    s = raw.substr(r.at, n);
    r.at += n;
  };
  a = Artifact();
  a.sha256 = hex(digest);
  text(a.spec);
  text(a.settings);
  const uint32_t count = r.get<uint32_t>();
  for (uint32_t i = 0; i < count && !r.failed; ++i) {
    QuantTensor t;
    t.name.resize(r.get<uint16_t>());
    r.take(t.name.data(), t.name.size());
    const uint8_t format = r.get<uint8_t>(), packing = r.get<uint8_t>(),
                  rank = r.get<uint8_t>();
    if (format > (uint8_t)QuantFormat::Int7)
      return source + ": tensor '" + t.name + "' has an unknown format";
    t.format = (QuantFormat)format;
    int64_t n = 1;
    for (uint8_t d = 0; d < rank && !r.failed; ++d) {
      const int64_t size = r.get<int64_t>();
      if (size < 0 || (size > 0 && n > (int64_t(1) << 40) / size))
        return source + ": tensor '" + t.name + "' has a bad shape";
      t.shape.push_back(size);
      n *= size;
    }
    // What the tensor needs must be there before anything is allocated.
    const int bits = codeBits(t.format);
    const uint64_t left = raw.size() - std::min(r.at, raw.size());
    uint64_t need = 0;
    if (t.format == QuantFormat::F32)
      need = uint64_t(n) * 4;
    else if (t.format == QuantFormat::F16)
      need = uint64_t(n) * 2;
    else if ((uint64_t)t.rows() > left)
      need = left + 1;
    else
      need = uint64_t(t.rows()) * 2 +
             (packing ? (uint64_t(n) * bits + 7) / 8 : uint64_t(n));
    if (r.failed || need > left) {
      r.failed = true;
      break;
    }
    if (t.format == QuantFormat::F32) {
      t.full.resize(n);
      r.take(t.full.data(), n * 4);
    } else if (t.format == QuantFormat::F16) {
      t.half.resize(n);
      r.take(t.half.data(), n * 2);
    } else {
      t.scales.resize(t.rows());
      r.take(t.scales.data(), t.scales.size() * 2);
      t.codes.resize(n);
      if (packing == 0) {
        r.take(t.codes.data(), n);
      } else if (packing == bits) {
        const size_t size = (size_t(n) * bits + 7) / 8;
        if (size > raw.size() - r.at) {
          r.failed = true;
          break;
        }
        const uint8_t *p = reinterpret_cast<const uint8_t *>(raw.data()) + r.at;
        uint64_t buffer = 0;
        int filled = 0;
        for (int64_t k = 0; k < n; ++k) {
          while (filled < bits) {
            buffer |= uint64_t(*p++) << filled;
            filled += 8;
          }
          t.codes[k] =
              (int8_t)((int)(buffer & ((1u << bits) - 1)) - (1 << (bits - 1)));
          buffer >>= bits;
          filled -= bits;
        }
        r.at += size;
      } else {
        return source + ": tensor '" + t.name + "' has an unknown packing";
      }
      // LQER's correction (rank ≤ min(rows, cols), group ≥ 1).
      const int64_t rank = r.get<uint8_t>();
      if (rank > 0) {
        t.lqerRank = rank;
        t.lqerGroup = r.get<uint16_t>();
        t.lqerAScale = r.get<uint16_t>();
        const int64_t rows = t.rows(), cols = t.cols();
        if (t.shape.size() != 2 || rank > std::min(rows, cols) ||
            t.lqerGroup < 1)
          return source + ": tensor '" + t.name + "' has a bad LQER header";
        const int64_t groups = (rank * cols + t.lqerGroup - 1) / t.lqerGroup;
        const uint64_t size =
            uint64_t(rank) * (rows + cols) + uint64_t(groups) * 2;
        if (r.failed || size > raw.size() - std::min(r.at, raw.size())) {
          r.failed = true;
          break;
        }
        t.lqerA.resize(rows * rank);
        r.take(t.lqerA.data(), t.lqerA.size());
        t.lqerB.resize(rank * cols);
        r.take(t.lqerB.data(), t.lqerB.size());
        t.lqerBScales.resize(groups);
        r.take(t.lqerBScales.data(), groups * 2);
      }
    }
    a.tensors.push_back(std::move(t));
  }
  if (r.failed || r.at != raw.size())
    return source + ": corrupted (the payload does not parse)";
  return "";
}

std::string readArtifact(const std::string &path, Artifact &a) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return path + ": " + std::strerror(errno);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  return decodeArtifact(bytes, path, a);
}

} // namespace golf::rt
