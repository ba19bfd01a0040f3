// A FILE* that closes itself.
#pragma once

#include <cstdio>

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

} // namespace golf::rt
