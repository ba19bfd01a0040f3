#include "runtime/memory.h"

#include <malloc.h>

void golf::rt::configureAllocator() {
  // Serve blocks up to glibc's largest mmap threshold (32 MiB) from the
  // heap, and never trim it.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, -1);
}
