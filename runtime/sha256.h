// SHA-256 (FIPS 180-4): the artifact's content hash (issue 7), so that two
// runs, or a run and its copy, can be compared by one line.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace golf::rt {

std::array<uint8_t, 32> sha256(const void *data, size_t size);

/// The digest as 64 lowercase hex digits.
std::string hex(const std::array<uint8_t, 32> &digest);

} // namespace golf::rt
