// The CPU's DeviceOps: the training loop's arithmetic on host buffers, one
// thread, element after element (the order fixes every result's rounding).
#include "runtime/backend/cpu/cpu_device.h"

namespace golf::rt {

namespace {

void sameCount(const Buffer &a, const Buffer &b) {
  if (a.elements() != b.elements())
    bufferMisuse("combined with a buffer of another element count");
}

class CpuOps final : public DeviceOps {
public:
  void axpy(Buffer &y, float a, const Buffer &x) override {
    sameCount(y, x);
    float *py = y.host<float>();
    const float *px = x.host<float>();
    for (int64_t i = 0, n = y.elements(); i < n; ++i)
      py[i] += a * px[i];
  }

  void scale(Buffer &x, float a) override {
    float *p = x.host<float>();
    for (int64_t i = 0, n = x.elements(); i < n; ++i)
      p[i] *= a;
  }

  double sumSquares(const std::vector<Buffer> &xs) override {
    double sq = 0;
    for (const Buffer &x : xs) {
      const float *p = x.host<float>();
      for (int64_t i = 0, n = x.elements(); i < n; ++i)
        sq += (double)p[i] * p[i];
    }
    return sq;
  }

  void adamStep(const AdamSettings &s, double lrScale, int64_t t, Buffer &w,
                const Buffer &g, Buffer &m, Buffer &v) override {
    sameCount(w, g);
    sameCount(w, m);
    sameCount(w, v);
    rt::adamStep(s, lrScale, t, w.host<float>(), g.host<float>(),
                 m.host<float>(), v.host<float>(), w.elements());
  }

  void muonStep(const MuonSettings &s, double lrScale, int64_t t, Buffer &w,
                const Buffer &g, Buffer &buf) override {
    if (w.shape().size() != 2)
      bufferMisuse("given to Muon, which takes matrices only");
    sameCount(w, g);
    sameCount(w, buf);
    rt::muonStep(s, lrScale, t, w.host<float>(), g.host<float>(),
                 buf.host<float>(), w.shape()[0], w.shape()[1], scratch);
  }

  void sgdStep(Buffer &w, const Buffer &g, Buffer &buf, float c, float mu,
               float lr, bool fresh) override {
    sameCount(w, g);
    sameCount(w, buf);
    float *pw = w.host<float>(), *pb = buf.host<float>();
    const float *pg = g.host<float>();
    for (int64_t i = 0, n = w.elements(); i < n; ++i) {
      const float gi = pg[i] * c;
      pb[i] = fresh ? gi : mu * pb[i] + gi;
      pw[i] -= lr * pb[i];
    }
  }

  void lerp(Buffer &avg, const Buffer &w, double d) override {
    sameCount(avg, w);
    const float keep = (float)d, take = (float)(1.0 - d);
    float *pa = avg.host<float>();
    const float *pw = w.host<float>();
    for (int64_t i = 0, n = avg.elements(); i < n; ++i)
      pa[i] = keep * pa[i] + take * pw[i];
  }

  void accumulate(Buffer &sum, const Buffer &x) override {
    sameCount(sum, x);
    double *ps = sum.host<double>();
    const float *px = x.host<float>();
    for (int64_t i = 0, n = sum.elements(); i < n; ++i)
      ps[i] += px[i];
  }

  void mean(Buffer &out, const Buffer &sum, double count) override {
    sameCount(out, sum);
    float *po = out.host<float>();
    const double *ps = sum.host<double>();
    for (int64_t i = 0, n = out.elements(); i < n; ++i)
      po[i] = (float)(ps[i] / count);
  }

private:
  /// Muon's work space, grown to the largest matrix once.
  std::vector<float> scratch;
};

} // namespace

DeviceOps &CpuDevice::ops() {
  static CpuOps ops;
  return ops;
}

} // namespace golf::rt
