// One pool of threads for the whole process: compiled kernels and the
// runtime's own kernels split their loops over it.
#pragma once

#include <cstdint>

namespace golf::rt {

/// A part of a loop: run iterations [begin, end) as `worker` (0 is the
/// calling thread; each worker index is used by one thread at a time, so it
/// may pick per-worker scratch memory).
using LoopPart = void (*)(void *context, int64_t begin, int64_t end,
                          int worker);

/// How many threads run loops (the caller included): GOLF_NUM_THREADS, or
/// the machine's hardware threads.
int parallelThreads();

/// Splits [begin, end) into contiguous parts of at least `grain` iterations,
/// at most one per thread, runs them on the pool and returns when all are
/// done. The parts never overlap, so when iterations write disjoint memory
/// the result does not depend on the number of threads. Called from inside a
/// part, it runs the whole range on the calling thread, as the same worker.
/// A part must not throw (compiled kernels and the runtime's do not).
void parallelFor(int64_t begin, int64_t end, int64_t grain, LoopPart part,
                 void *context);

/// The same for a callable `body(begin, end, worker)`.
template <typename F>
void parallelFor(int64_t begin, int64_t end, int64_t grain, F &&body) {
  parallelFor(
      begin, end, grain,
      [](void *c, int64_t b, int64_t e, int w) {
        (*static_cast<F *>(c))(b, e, w);
      },
      &body);
}

} // namespace golf::rt

extern "C" {
/// What compiled code calls for a parallel loop (golf-dispatch-parallel):
/// `task(context, begin, end)` runs the iterations [begin, end).
void golf_rt_parallel_for(void (*task)(void *, int64_t, int64_t), void *context,
                          int64_t begin, int64_t end, int64_t grain);
}
