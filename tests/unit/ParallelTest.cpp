// The loop pool: every iteration runs once, in contiguous parts of at least
// the grain, with worker indices below parallelThreads(); loops inside parts
// and thousands of loops back to back (late workers) stay correct.
#include "runtime/parallel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using golf::rt::parallelFor;
using golf::rt::parallelThreads;

struct Part {
  int64_t begin, end;
  int worker;
};

std::vector<Part> partsOf(int64_t begin, int64_t end, int64_t grain) {
  std::mutex m;
  std::vector<Part> parts;
  parallelFor(begin, end, grain, [&](int64_t b, int64_t e, int w) {
    std::lock_guard<std::mutex> lock(m);
    parts.push_back({b, e, w});
  });
  std::sort(parts.begin(), parts.end(),
            [](const Part &x, const Part &y) { return x.begin < y.begin; });
  return parts;
}

TEST(ParallelTest, PartsCoverTheRangeOnce) {
  const int threads = parallelThreads();
  for (int64_t n : {1, 2, 3, 7, 64, 1000, 4097})
    for (int64_t grain : {1, 2, 16, 1000, 5000}) {
      std::vector<Part> parts = partsOf(10, 10 + n, grain);
      const int64_t want =
          std::max<int64_t>(1, std::min<int64_t>(threads, n / grain));
      ASSERT_EQ(int64_t(parts.size()), want) << n << " " << grain;
      int64_t at = 10;
      for (const Part &p : parts) {
        EXPECT_EQ(p.begin, at);
        EXPECT_GT(p.end, p.begin);
        if (parts.size() > 1)
          EXPECT_GE(p.end - p.begin, grain) << n << " " << grain;
        EXPECT_GE(p.worker, 0);
        EXPECT_LT(p.worker, threads);
        at = p.end;
      }
      EXPECT_EQ(at, 10 + n);
    }
  EXPECT_TRUE(partsOf(5, 5, 1).empty());
}

TEST(ParallelTest, OneThreadPerWorkerIndex) {
  // Worker 0 is the calling thread; any other index is one pool thread.
  for (int round = 0; round < 200; ++round) {
    std::mutex m;
    std::vector<std::vector<std::thread::id>> threadsOf(parallelThreads());
    parallelFor(0, 1 << 12, 1, [&](int64_t, int64_t, int w) {
      std::lock_guard<std::mutex> lock(m);
      threadsOf[w].push_back(std::this_thread::get_id());
    });
    for (auto &ids : threadsOf)
      for (std::thread::id id : ids)
        EXPECT_EQ(id, ids.front());
    if (!threadsOf[0].empty())
      EXPECT_EQ(threadsOf[0].front(), std::this_thread::get_id());
  }
}

TEST(ParallelTest, LoopInsideAPartRunsOnItsThread) {
  std::atomic<int64_t> sum{0};
  parallelFor(0, 8, 1, [&](int64_t b, int64_t e, int outer) {
    for (int64_t i = b; i < e; ++i)
      parallelFor(0, 100, 1, [&](int64_t ib, int64_t ie, int inner) {
        EXPECT_EQ(inner, outer);
        EXPECT_EQ(ib, 0);
        EXPECT_EQ(ie, 100);
        for (int64_t j = ib; j < ie; ++j)
          sum += i * 100 + j;
      });
  });
  EXPECT_EQ(sum.load(), (800 * 799) / 2);
}

TEST(ParallelTest, ManyLoopsBackToBack) {
  std::vector<int64_t> data(256, 0);
  for (int round = 0; round < 20000; ++round)
    parallelFor(0, 256, 1, [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i)
        data[i] += i;
    });
  for (int64_t i = 0; i < 256; ++i)
    ASSERT_EQ(data[i], 20000 * i);
}

TEST(ParallelTest, CompiledCodeEntry) {
  std::vector<int> hits(1000, 0);
  golf_rt_parallel_for(
      [](void *c, int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          ++(*static_cast<std::vector<int> *>(c))[i];
      },
      &hits, 0, 1000, 7);
  EXPECT_EQ(std::count(hits.begin(), hits.end(), 1), 1000);
}

} // namespace
