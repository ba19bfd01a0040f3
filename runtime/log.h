// The run's log: every line to stdout and to the run directory's train.log,
// with a progress bar on a terminal.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace golf::rt {

/// printf into a std::string (lines of the log).
std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/// Prints to stdout and appends to the run's log file. On a terminal, a
/// progress bar stays on the last line, under the log lines.
class Log {
public:
  Log(const std::string &path, bool append);
  bool ok() const { return file.good(); }
  void line(const std::string &text);
  void progress(int64_t step, int64_t total, double loss, double stepMs);

private:
  std::ofstream file;
  bool tty, barShown = false;
};

} // namespace golf::rt
