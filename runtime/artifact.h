// The artifact: the quantized weights and the spec they belong to, in one
// compressed, checksummed file (issue 5; reference §7).
//
//   offset  0  "GOLFART\0"
//           8  u32 version (3)
//          12  u8 compressor (0 zlib, 1 zstd, 2 lzma), 3 zero bytes
//          16  u64 size of the payload
//          24  u64 size of the compressed payload that follows
//          32  u32 CRC-32 of the compressed payload
//          36  u32 CRC-32 of the payload
//          40  SHA-256 of the payload: the content hash (issue 7)
//          72  the compressed payload
//
// The payload (little-endian): the spec text and the run's settings (u32
// length + bytes each), u32 tensor count, then per tensor: u16 name length,
// name, u8 format, u8 packing (0: one byte per code; b: b-bit codes packed
// end to end), u8 rank, i64 sizes; integer formats then hold one fp16
// scale per row, the codes, and LQER's correction: u8 rank r (0: none),
// then u16 group, u16 Â's fp16 scale, Â's rows·r int2 codes and B̂'s r·cols
// int4 codes a byte each, B̂'s fp16 scales, one per group; fp16 two bytes
// per value, fp32 four.
#pragma once

#include "runtime/quant.h"

#include <cstdint>
#include <string>
#include <vector>

namespace golf::rt {

struct Artifact {
  std::string spec;     // the spec's text
  std::string settings; // the resolved configuration the weights need
  std::vector<QuantTensor> tensors;
  /// The content hash of a decoded artifact (64 hex digits).
  std::string sha256;
};

/// The content hash of encoded artifact bytes, read from its header ("" if
/// they are too short to hold one).
std::string artifactHash(const std::string &bytes);

/// CRC-32 (IEEE 802.3, as zlib and PNG compute it).
uint32_t crc32(const void *data, size_t size, uint32_t crc = 0);

/// The artifact's bytes with `compressor` ("zlib", "zstd", "lzma") at
/// `level`. With `pack`, codes of 5 and 6 bits are packed end to end
/// instead of one per byte. Returns an error message, empty on success.
std::string encodeArtifact(const Artifact &a, const std::string &compressor,
                           int level, bool pack, std::string &bytes);

/// The smaller of the packed and the byte-per-code encodings (packing only
/// matters when there are int5 or int6 tensors); `packed` says which won.
std::string encodeSmallestArtifact(const Artifact &a,
                                   const std::string &compressor, int level,
                                   std::string &bytes, bool *packed = nullptr);

/// Reads an artifact's bytes; `source` names them in errors (a path). A
/// truncated, corrupted or foreign file is an error.
std::string decodeArtifact(const std::string &bytes, const std::string &source,
                           Artifact &a);

/// Reads the file at `path` and decodes it.
std::string readArtifact(const std::string &path, Artifact &a);

} // namespace golf::rt
