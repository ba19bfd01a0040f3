// The Comm seam: the collectives of data-parallel training between the
// processes (ranks) of one run. Not to be confused with the thread pool of
// one process (runtime/parallel.h), which splits one kernel's rows. The
// single-process implementation comes first; MPI (CPUs) and NCCL (GPUs)
// implement the same interface.
#pragma once

#include "runtime/device.h"

#include <memory>
#include <string>

namespace golf::rt {

class Comm {
public:
  virtual ~Comm() = default;
  virtual std::string name() const = 0;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  /// Every rank's `buffer` becomes the elementwise sum over the ranks.
  virtual void allReduceSum(Buffer &buffer) = 0;
  /// `out` (1/world of `in`'s elements) becomes this rank's share of the
  /// elementwise sum of every rank's `in`.
  virtual void reduceScatterSum(const Buffer &in, Buffer &out) = 0;
  /// `out` becomes every rank's `in`, in rank order.
  virtual void allGather(const Buffer &in, Buffer &out) = 0;
  /// Every rank's `buffer` becomes rank `root`'s.
  virtual void broadcast(Buffer &buffer, int root) = 0;
  virtual void barrier() = 0;
};

/// One process: rank 0 of 1; the collectives are identities.
std::unique_ptr<Comm> singleProcessComm();

} // namespace golf::rt
