// The runtime's seams on the CPU: buffers, executables called through MLIR's
// packed interface on caller-owned buffers, signatures, the single-process
// collectives.
#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/comm/comm.h"
#include "runtime/device_ops.h"
#include "runtime/executable.h"
#include "runtime/kernels.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

using namespace golf::rt;

TEST(Device, BuffersAreTypedAndOwned) {
  CpuDevice &cpu = cpuDevice();
  Buffer b = cpu.zeros(DType::f64, {3, 4});
  EXPECT_EQ(b.elements(), 12);
  EXPECT_EQ(b.bytes(), 96u);
  EXPECT_EQ((uintptr_t)b.data() % 64, 0u);
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(b.host<double>()[i], 0.0);
  std::vector<double> in(12);
  for (int i = 0; i < 12; ++i)
    in[i] = i * 0.5;
  cpu.copyIn(b, in.data());
  Buffer c = cpu.allocate(DType::f64, {12});
  cpu.copy(c, b);
  std::vector<double> out(12);
  cpu.copyOut(out.data(), c);
  EXPECT_EQ(out, in);
  Buffer moved = std::move(c);
  EXPECT_FALSE(c);
  EXPECT_TRUE(moved);
  EXPECT_EQ(moved.host<double>()[11], 5.5);
  float borrowed[2] = {1, 2};
  Buffer v = Buffer::view(cpu, DType::f32, {2}, borrowed);
  EXPECT_EQ(v.host<float>(), borrowed);
}

TEST(DeviceDeathTest, WrongElementTypeIsABug) {
  Buffer b = cpuDevice().zeros(DType::f32, {2});
  EXPECT_DEATH(b.host<double>(), "wrong element type");
}

/// A float32 buffer of the CPU holding `v`.
Buffer floats(const std::vector<float> &v) {
  Buffer b = cpuDevice().allocate(DType::f32, {(int64_t)v.size()});
  cpuDevice().copyIn(b, v.data());
  return b;
}

std::vector<float> values(const Buffer &b) {
  return std::vector<float>(b.host<float>(), b.host<float>() + b.elements());
}

// The loop's arithmetic: each op as DeviceOps defines it, in float32 in
// that order (so every backend must give these bits on these inputs), and
// the optimizer steps equal to runtime/optim.h's, which Optim.* checks
// against PyTorch.
TEST(DeviceOps, CpuComputesWhatEachOpDefines) {
  DeviceOps &ops = cpuDevice().ops();
  const std::vector<float> x = {0.5f, -1.25f, 3.0f, 1e-3f},
                           y = {1.0f, 2.0f, -0.75f, 4.0f};
  Buffer by = floats(y), bx = floats(x);
  ops.axpy(by, 0.3f, bx);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(values(by)[i], y[i] + 0.3f * x[i]);
  ops.scale(bx, -2.0f);
  EXPECT_EQ(values(bx), (std::vector<float>{-1.0f, 2.5f, -6.0f, -2e-3f}));

  std::vector<Buffer> both;
  both.push_back(floats(x));
  both.push_back(floats(y));
  double sq = 0;
  for (const std::vector<float> *v : {&x, &y})
    for (float e : *v)
      sq += (double)e * e;
  EXPECT_EQ(ops.sumSquares(both), sq);

  // SGD: the first step takes c·g, the next μ·buf + c·g.
  Buffer w = floats(y), g = floats(x), buf = floats({0, 0, 0, 0});
  ops.sgdStep(w, g, buf, 0.5f, 0.9f, 0.1f, /*fresh=*/true);
  ops.sgdStep(w, g, buf, 0.5f, 0.9f, 0.1f, /*fresh=*/false);
  for (size_t i = 0; i < x.size(); ++i) {
    float b1 = x[i] * 0.5f, w1 = y[i] - 0.1f * b1;
    float b2 = 0.9f * b1 + x[i] * 0.5f;
    EXPECT_EQ(values(buf)[i], b2);
    EXPECT_EQ(values(w)[i], w1 - 0.1f * b2);
  }

  Buffer avg = floats(y);
  ops.lerp(avg, floats(x), 0.997);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_EQ(values(avg)[i], 0.997f * y[i] + (float)(1.0 - 0.997) * x[i]);

  Buffer sum = cpuDevice().zeros(DType::f64, {4}), mean = floats(y);
  ops.accumulate(sum, floats(x));
  ops.accumulate(sum, floats(y));
  ops.mean(mean, sum, 2.0);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(sum.host<double>()[i], (double)x[i] + (double)y[i]);
    EXPECT_EQ(values(mean)[i], (float)(((double)x[i] + (double)y[i]) / 2.0));
  }

  // Adam and Muon through the device are optim.h's steps.
  AdamSettings adam;
  adam.lr = 0.01;
  adam.weightDecay = 0.1;
  std::vector<float> hw = y, hm(4), hv(4);
  Buffer dw = floats(y), dm = floats(hm), dv = floats(hv), dg = floats(x);
  for (int64_t t = 1; t <= 3; ++t) {
    adamStep(adam, 0.5, t, hw.data(), x.data(), hm.data(), hv.data(), 4);
    ops.adamStep(adam, 0.5, t, dw, dg, dm, dv);
  }
  EXPECT_EQ(values(dw), hw);
  EXPECT_EQ(values(dv), hv);

  MuonSettings muon;
  muon.lr = 0.02;
  std::vector<float> mw = {1, 2, 3, 4, 5, 6},
                     mg = {0.1f, -0.2f, 0.3f, 0.05f, 0.4f, -0.1f};
  std::vector<float> mb(6), scratch;
  Buffer bw = cpuDevice().allocate(DType::f32, {2, 3}), bg = floats(mg),
         bb = floats(mb);
  cpuDevice().copyIn(bw, mw.data());
  for (int64_t t = 0; t < 2; ++t) {
    muonStep(muon, 1.0, t, mw.data(), mg.data(), mb.data(), 2, 3, scratch);
    ops.muonStep(muon, 1.0, t, bw, bg, bb);
  }
  EXPECT_EQ(values(bw), mw);
  EXPECT_EQ(values(bb), mb);
}

TEST(DeviceOpsDeathTest, MismatchedCountsAreABug) {
  Buffer a = floats({1, 2}), b = floats({1, 2, 3});
  EXPECT_DEATH(cpuDevice().ops().axpy(a, 1.0f, b), "another element count");
  Buffer v = cpuDevice().allocate(DType::f32, {4});
  EXPECT_DEATH(cpuDevice().ops().muonStep(MuonSettings{}, 1.0, 0, v, v, v),
               "matrices only");
}

TEST(Signature, RoundTripsAndFindsRoles) {
  Signature s;
  s.args = {{"param:w", DType::f32, {4, 2}}, {"tokens", DType::i32, {1, 3}}};
  s.results = {{"loss", DType::f32, {}}, {"grad:w", DType::f32, {4, 2}}};
  Signature back;
  ASSERT_EQ(back.fromJson(s.toJson()), "");
  ASSERT_EQ(back.args.size(), 2u);
  EXPECT_EQ(back.args[1].role, "tokens");
  EXPECT_EQ(back.args[1].dtype, DType::i32);
  EXPECT_EQ(back.results[1].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(back.arg("tokens"), 1);
  EXPECT_EQ(back.result("grad:w"), 1);
  EXPECT_EQ(back.arg("targets"), -1);
  EXPECT_NE(back.fromJson("{\"args\": [{\"role\": \"x\", \"dtype\": \"f16\", "
                          "\"shape\": []}], \"results\": []}"),
            "");
  EXPECT_NE(back.fromJson("[]"), "");
}

// y[i, j] = 2 x[i, j] + j, written into the caller's buffer; checks that the
// descriptors carry the shapes and row-major strides.
void scaleAdd(void **packed) {
  auto *x = *(MemRef<float, 2> **)packed[0];
  auto *y = *(MemRef<float, 2> **)packed[1];
  for (int64_t i = 0; i < x->sizes[0]; ++i)
    for (int64_t j = 0; j < x->sizes[1]; ++j)
      y->aligned[y->offset + i * y->strides[0] + j * y->strides[1]] =
          2 * x->aligned[x->offset + i * x->strides[0] + j * x->strides[1]] +
          (float)j;
}

TEST(Executable, RunsOnCallerOwnedBuffers) {
  CpuDevice &cpu = cpuDevice();
  ExecutableImage image;
  image.name = "scale_add";
  image.signature.args = {{"x", DType::f32, {2, 3}}};
  image.signature.results = {{"y", DType::f32, {2, 3}}};
  image.packed = scaleAdd;
  std::string error;
  std::unique_ptr<Executable> exe = cpu.load(image, error);
  ASSERT_TRUE(exe) << error;
  Buffer x = cpu.allocate(DType::f32, {2, 3}),
         y = cpu.zeros(DType::f32, {2, 3});
  for (int i = 0; i < 6; ++i)
    x.host<float>()[i] = (float)i;
  Call call(exe.get());
  EXPECT_EQ(call.unbound(), "x, y");
  ASSERT_TRUE(call.arg("x", x));
  ASSERT_TRUE(call.result("y", y));
  EXPECT_FALSE(call.arg("z", x));
  EXPECT_EQ(call.unbound(), "");
  void *before = y.data();
  call.run();
  EXPECT_EQ(y.data(), before);
  const float want[6] = {0, 3, 6, 6, 9, 12};
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y.host<float>()[i], want[i]) << i;

  // Wrong shapes, dtypes and overlapping results are refused, with names.
  Buffer *args[1] = {&x}, *bad[1] = {&x};
  EXPECT_NE(exe->run(args, bad).find("result y overlaps x"), std::string::npos);
  Buffer small = cpu.allocate(DType::f32, {3, 2});
  Buffer *wrong[1] = {&small};
  EXPECT_NE(exe->run(args, wrong)
                .find("y is f32[3, 2], the code takes "
                      "f32[2, 3]"),
            std::string::npos);
  Buffer ints = cpu.allocate(DType::i32, {2, 3});
  Buffer *typed[1] = {&ints};
  EXPECT_NE(exe->run(typed, wrong).find("argument x is i32"),
            std::string::npos);
  image.packed = nullptr;
  EXPECT_FALSE(cpu.load(image, error));
  EXPECT_NE(error.find("no entry point"), std::string::npos);
}

TEST(Comm, OneProcessIsTheIdentity) {
  std::unique_ptr<Comm> comm = singleProcessComm();
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->world(), 1);
  CpuDevice &cpu = cpuDevice();
  Buffer a = cpu.allocate(DType::f32, {4}), b = cpu.zeros(DType::f32, {4});
  for (int i = 0; i < 4; ++i)
    a.host<float>()[i] = (float)i + 0.25f;
  comm->allReduceSum(a);
  comm->broadcast(a, 0);
  comm->allGather(a, b);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.bytes()), 0);
  EXPECT_EQ(a.host<float>()[3], 3.25f);
  Buffer c = cpu.zeros(DType::f32, {4});
  comm->reduceScatterSum(a, c);
  EXPECT_EQ(c.host<float>()[1], 1.25f);
  comm->barrier();
}

} // namespace
