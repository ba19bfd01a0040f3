#include "runtime/file.h"

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace golf::rt {

std::string
writeAtomically(const std::string &path,
                const std::vector<std::pair<const void *, size_t>> &parts) {
  const std::string tmp = path + ".tmp";
  {
    File file;
    file.f = std::fopen(tmp.c_str(), "wb");
    if (!file.f)
      return tmp + ": " + std::strerror(errno);
    bool ok = true;
    for (auto [data, size] : parts)
      ok = ok && std::fwrite(data, 1, size, file.f) == size;
    // Flushed, synced and closed before the rename: a crash never leaves a
    // truncated file under the final name.
    ok = ok && std::fflush(file.f) == 0 && fsync(fileno(file.f)) == 0;
    ok = std::fclose(file.f) == 0 && ok;
    file.f = nullptr;
    if (!ok) {
      std::remove(tmp.c_str());
      return tmp + ": write failed";
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return path + ": " + why;
  }
  return "";
}

} // namespace golf::rt
