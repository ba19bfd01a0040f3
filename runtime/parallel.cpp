// The process's loop pool: workers that spin briefly after each loop (loops
// of a step come back to back) and then sleep until the next.
#include "runtime/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace golf::rt {
namespace {

/// The worker running a part on this thread, or -1 outside parts.
thread_local int currentWorker = -1;

class Pool {
public:
  explicit Pool(int threads) {
    for (int w = 1; w < threads; ++w)
      workers.emplace_back([this, w] { work(w); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  int threads() const { return int(workers.size()) + 1; }

  void run(int64_t begin, int64_t end, int64_t parts, LoopPart part,
           void *context) {
    std::lock_guard<std::mutex> serial(running); // One loop at a time.
    Job mine;
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = {begin, end, parts, part, context, job.generation + 1};
      mine = job;
      pending.store(parts, std::memory_order_relaxed);
      ticket.store((mine.generation & 0xffffffffu) << 32,
                   std::memory_order_relaxed);
      generation.store(mine.generation, std::memory_order_release);
    }
    wake.notify_all();
    claim(mine, 0);
    while (pending.load(std::memory_order_acquire) != 0)
      std::this_thread::yield();
  }

private:
  struct Job {
    int64_t begin, end, parts;
    LoopPart part;
    void *context;
    uint64_t generation;
  };

  /// Runs parts of `job` not yet taken; returns when none is left. A part is
  /// taken by advancing `ticket`, which holds the loop's generation in its
  /// high half: a worker late from an earlier loop takes nothing.
  void claim(const Job &job, int worker) {
    uint64_t t = ticket.load(std::memory_order_acquire);
    for (;;) {
      const int64_t index = int64_t(t & 0xffffffffu);
      if ((t >> 32) != (job.generation & 0xffffffffu) || index >= job.parts)
        return;
      if (!ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel))
        continue;
      const int64_t n = job.end - job.begin;
      currentWorker = worker;
      job.part(job.context, job.begin + n * index / job.parts,
               job.begin + n * (index + 1) / job.parts, worker);
      currentWorker = -1;
      pending.fetch_sub(1, std::memory_order_acq_rel);
      t = ticket.load(std::memory_order_acquire);
    }
  }

  void work(int worker) {
    uint64_t seen = 0;
    for (;;) {
      // Spin a little: the next loop of a step usually follows at once.
      for (int i = 0;
           i < kSpin && generation.load(std::memory_order_acquire) == seen; ++i)
        pause();
      Job mine;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] {
          return stopping || generation.load(std::memory_order_acquire) != seen;
        });
        if (stopping)
          return;
        mine = job;
        seen = mine.generation;
      }
      claim(mine, worker);
    }
  }

  /// Pauses a worker spins before it sleeps: a few microseconds. Longer
  /// spins took the core from OpenBLAS's threads during the products and
  /// made `tiny`'s step slower (0.44 s at 200, 0.47–0.57 s at 2,000+).
  static constexpr int kSpin = 256;
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  std::vector<std::thread> workers;
  std::mutex mutex, running;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0}, ticket{0};
  std::atomic<int64_t> pending{0};
  Job job{};
  bool stopping = false;
};

Pool &pool() {
  static Pool instance(parallelThreads());
  return instance;
}

} // namespace

int parallelThreads() {
  static const int threads = [] {
    if (const char *s = std::getenv("GOLF_NUM_THREADS")) {
      int n = std::atoi(s);
      if (n >= 1)
        return std::min(n, 1024);
    }
    return int(std::max(1u, std::thread::hardware_concurrency()));
  }();
  return threads;
}

void parallelFor(int64_t begin, int64_t end, int64_t grain, LoopPart part,
                 void *context) {
  const int64_t n = end - begin;
  if (n <= 0)
    return;
  // Whole grains per part: every part has at least `grain` iterations.
  const int64_t parts =
      std::min<int64_t>(parallelThreads(), n / std::max<int64_t>(grain, 1));
  if (currentWorker >= 0) { // A loop inside a part: this thread runs it.
    part(context, begin, end, currentWorker);
    return;
  }
  if (parts <= 1) {
    part(context, begin, end, 0);
    return;
  }
  pool().run(begin, end, parts, part, context);
}

} // namespace golf::rt

extern "C" void golf_rt_parallel_for(void (*task)(void *, int64_t, int64_t),
                                     void *context, int64_t begin, int64_t end,
                                     int64_t grain) {
  struct Call {
    void (*task)(void *, int64_t, int64_t);
    void *context;
  } call{task, context};
  golf::rt::parallelFor(
      begin, end, grain,
      [](void *c, int64_t b, int64_t e, int) {
        auto *call = static_cast<Call *>(c);
        call->task(call->context, b, e);
      },
      &call);
}
