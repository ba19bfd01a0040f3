#include "runtime/comm/comm.h"

namespace golf::rt {

namespace {

class SingleProcess final : public Comm {
public:
  std::string name() const override { return "single process"; }
  int rank() const override { return 0; }
  int world() const override { return 1; }
  void allReduceSum(Buffer &) override {}
  void reduceScatterSum(const Buffer &in, Buffer &out) override {
    if (&in != &out)
      out.device()->copy(out, in);
  }
  void allGather(const Buffer &in, Buffer &out) override {
    if (&in != &out)
      out.device()->copy(out, in);
  }
  void broadcast(Buffer &, int) override {}
  void barrier() override {}
};

} // namespace

std::unique_ptr<Comm> singleProcessComm() {
  return std::make_unique<SingleProcess>();
}

} // namespace golf::rt
