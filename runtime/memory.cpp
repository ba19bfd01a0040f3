#include "runtime/memory.h"

#include <malloc.h>

#include <fstream>
#include <string>

void golf::rt::configureAllocator() {
  // Serve blocks up to glibc's largest mmap threshold (32 MiB) from the
  // heap, and never trim it.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, -1);
}

bool golf::rt::resetPeakResident() {
  malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

int64_t golf::rt::peakResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stoll(line.substr(6)) * 1024; // "VmHWM:   1234 kB"
  return -1;
}
