// How the runtime's host allocations behave.
#pragma once

#include <cstdint>

namespace golf::rt {

/// Keeps freed buffers in the process instead of returning them to the
/// system after every step: a training step allocates and frees the same
/// large buffers each time, and mapping them afresh costs page faults.
void configureAllocator();

/// Returns freed heap memory to the system and restarts the peak resident
/// set size (VmHWM) from the current one, so that peakResidentBytes()
/// measures what follows. False where Linux's /proc/self/clear_refs is not
/// writable (the peak then covers the whole process).
bool resetPeakResident();

/// The peak resident set size (VmHWM) in bytes, or -1 if unknown.
int64_t peakResidentBytes();

} // namespace golf::rt
