// A loss curve as a PNG image, written without an image library: RGB pixels,
// uncompressed deflate blocks inside the zlib stream PNG requires.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace golf::rt {

/// Plots the training loss (a blue line) and the validation loss (red
/// squares) against the step, on axes from 0 to the last step and from the
/// lowest to the highest loss. Writes through a temporary file and a
/// rename; returns an error message, empty on success.
std::string writeLossCurve(const std::string &path,
                           const std::vector<std::pair<double, double>> &train,
                           const std::vector<std::pair<double, double>> &val);

} // namespace golf::rt
