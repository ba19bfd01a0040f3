#include "runtime/log.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

#include <unistd.h>

namespace golf::rt {

Log::Log(const std::string &path, bool append)
    : file(path, append ? std::ios::app : std::ios::trunc),
      tty(isatty(fileno(stdout))) {}

void Log::line(const std::string &text) {
  std::printf("%s%s\n", barShown ? "\r\033[K" : "", text.c_str());
  barShown = false;
  std::fflush(stdout);
  file << text << "\n";
  file.flush();
}

void Log::progress(int64_t step, int64_t total, double loss, double stepMs) {
  if (!tty)
    return;
  const int width = 30;
  const int done =
      total > 0 ? (int)std::min<int64_t>(width, step * width / total) : 0;
  const double eta = stepMs * (double)std::max<int64_t>(0, total - step);
  std::printf("\r\033[K[%s%s] step %lld/%lld  loss %.4f  %.0f ms/step  "
              "%.0f s left",
              std::string(done, '#').c_str(),
              std::string(width - done, '.').c_str(), (long long)step,
              (long long)total, loss, stepMs, eta / 1000);
  std::fflush(stdout);
  barShown = true;
}

std::string format(const char *fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

} // namespace golf::rt
