// How the runtime's host allocations behave.
#pragma once

namespace golf::rt {

/// Keeps freed buffers in the process instead of returning them to the
/// system after every step: a training step allocates and frees the same
/// large buffers each time, and mapping them afresh costs page faults.
void configureAllocator();

} // namespace golf::rt
