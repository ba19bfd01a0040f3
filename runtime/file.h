// Files as the runtime writes them: a FILE* that closes itself, and writes
// that never leave a half-written file under the final name.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace golf::rt {

struct File {
  FILE *f = nullptr;
  File() = default;
  File(const File &) = delete;
  File &operator=(const File &) = delete;
  ~File() {
    if (f)
      std::fclose(f);
  }
};

/// Writes the byte ranges `parts`, in order, to path + ".tmp", flushes and
/// syncs it, then renames it to `path`. Returns an error message ("file:
/// reason"), empty on success; on failure the temporary file is removed.
std::string
writeAtomically(const std::string &path,
                const std::vector<std::pair<const void *, size_t>> &parts);

} // namespace golf::rt
