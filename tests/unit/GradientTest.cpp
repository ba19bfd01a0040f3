//===- GradientTest.cpp - every gradient rule against finite differences --===//
//
// Each case is a small spec around one op (or a few), compiled for this CPU
// in float64: @train_step's gradient of every parameter entry is compared
// with the central difference (L(p + e) - L(p - e)) / 2e of @model. With
// e = 1e-5 the truncation error (e²·|L'''|/6) and the rounding error
// (u·|L|/e, u = 2^-53) both stay below 1e-9 for these losses (|L| < 10,
// third derivatives below 1e3), so a difference above 1e-7·(1 + |g|) is a
// wrong rule, not noise.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuCodegen.h"
#include "frontend/Frontend.h"
#include "runtime/quant.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>

using namespace golf;

namespace {

constexpr int64_t kB = 2, kT = 5, kV = 7, kD = 8;
// The step's arguments with late QAT: emb, head, w, tokens, targets, then
// qat_enable and w's clips.
constexpr size_t kArgEnable = 5;

struct Case {
  const char *name;
  std::string params; // Extra parameter declarations (group g, quant q).
  std::string body;   // Computes h [B, T, D] from x [B, T, D].
  // The loss of h; the cross-entropy of its head by default.
  std::string loss = "cross_entropy(linear(h, head), targets)";
};

void PrintTo(const Case &c, std::ostream *os) { *os << c.name; }

std::string spec(const Case &c) {
  return R"(hparams {
  vocab_size = 7
  model_dim = 8
}
optimizer g adam {
  lr = 0.1
}
quant q {
  format = "fp32"
}
model(tokens, targets) {
  param emb [vocab_size, model_dim] init=zeros group=g quant=q
  param head [vocab_size, model_dim] init=zeros group=g quant=q
)" + c.params +
         R"(
  x = embedding(tokens, emb)
)" + c.body +
         "\n  return " + c.loss + "\n}\n";
}

struct Compiled {
  std::unique_ptr<CompiledFunction> model, step;
  std::vector<std::vector<int64_t>> shapes;
};

bool compile(const std::string &text, mlir::MLIRContext &context, Compiled &out,
             std::string &errors) {
  llvm::raw_string_ostream os(errors);
  Diagnostics diags("case.golf", text, os);
  CompileOptions options;
  options.f64 = true;
  CompileResult result;
  if (!compileSpec(diags, options, context, result))
    return false;
  for (ParamInfo &p : result.params)
    out.shapes.push_back(p.shape);
  mlir::PassManager pm(&context);
  if (mlir::failed(buildPipeline(pm, "parsed", "lowered", kB, kT)) ||
      mlir::failed(pm.run(*result.module))) {
    errors += "pipeline failed";
    return false;
  }
  mlir::OwningOpRef<mlir::ModuleOp> copy = result.module->clone();
  out.model = CompiledFunction::create(*copy, "model", errors);
  out.step = CompiledFunction::create(*result.module, "train_step", errors);
  return out.model && out.step;
}

class Gradient : public ::testing::TestWithParam<Case> {
protected:
  static void SetUpTestSuite() { registerCompilerPasses(); }
};

TEST_P(Gradient, MatchesCentralDifferences) {
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  Compiled c;
  std::string errors;
  ASSERT_TRUE(compile(spec(GetParam()), context, c, errors)) << errors;

  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0.0, 0.7);
  std::vector<HostTensor> args;
  for (const std::vector<int64_t> &shape : c.shapes) {
    HostTensor t;
    t.shape = shape;
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    for (int64_t i = 0; i < n; ++i)
      t.f64.push_back(normal(rng));
    args.push_back(t);
  }
  HostTensor tokens, targets;
  tokens.shape = targets.shape = {kB, kT};
  for (int64_t i = 0; i < kB * kT; ++i) {
    tokens.i32.push_back((int32_t)(rng() % kV));
    targets.i32.push_back((int32_t)(rng() % kV));
  }
  args.push_back(tokens);
  args.push_back(targets);

  std::vector<HostTensor> step = c.step->run(args);
  ASSERT_EQ(step.size(), c.shapes.size() + 1);
  double loss = step[0].f64[0];
  std::vector<HostTensor> ref = c.model->run(args);
  EXPECT_EQ(ref[0].f64[0], loss) << "@model and @train_step disagree";

  const double eps = 1e-5;
  int checked = 0;
  for (size_t p = 0; p < c.shapes.size(); ++p) {
    std::vector<double> &values = args[p].f64;
    for (size_t i = 0; i < values.size(); ++i) {
      double saved = values[i];
      values[i] = saved + eps;
      double up = c.model->run(args)[0].f64[0];
      values[i] = saved - eps;
      double down = c.model->run(args)[0].f64[0];
      values[i] = saved;
      double fd = (up - down) / (2 * eps);
      double g = step[p + 1].f64[i];
      ASSERT_LE(std::fabs(fd - g), 1e-7 * (1 + std::fabs(g)))
          << "parameter #" << p << " element " << i << ": autodiff " << g
          << ", finite differences " << fd;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
}

// h must be [B, T, D] = [2, 5, 8]; heads are 2 × 4.
const Case kCases[] = {
    {"AddSubMulDiv",
     "  param a [model_dim] init=zeros group=g quant=q\n"
     "  param b [model_dim] init=zeros group=g quant=q",
     "  h = (x + a) * b - x / (a * a + 1) + 2.0 * x - b"},
    {"MaxMin", "  param a [model_dim] init=zeros group=g quant=q",
     "  h = max(x, a) + min(x * 0.5, a)"},
    {"SelectCompare", "  param a [model_dim] init=zeros group=g quant=q",
     "  h = where(x > a, x * a, x - a)"},
    {"Activations", "",
     "  h = relu(x) + square(x) + tanh(x) + sigmoid(x) + leaky_relu(x, "
     "alpha=0.5) - x"},
    {"Silu", "", "  h = silu(x * 3.0) + x"},
    {"Elementary", "",
     "  h = sqrt(x * x + 1) + rsqrt(x * x + 1) + exp(x * 0.3) + log(x * x + "
     "1) + abs(x)"},
    {"Softcap", "  param a [model_dim] init=zeros group=g quant=q",
     "  h = softcap(x * a * 3.0, 2.0)"},
    {"IndexSliceConcat",
     "  param mix [2, model_dim] init=zeros group=g quant=q",
     "  h = concat([x[..., 4:8], x[..., 0:4]], axis=-1) * mix[0] + mix[1]"},
    {"Shift", "  param a [model_dim] init=zeros group=g quant=q",
     "  h = x + shift(x * a, 1) - shift(x, 2, fill=0.5)"},
    {"SumMean", "  param a [model_dim] init=zeros group=g quant=q",
     "  h = x * sum(x * a, -1, keepdim=true) + mean(x, -1)[..., None] - "
     "sum(a, 0)"},
    {"Linear", "  param w [model_dim, model_dim] init=zeros group=g quant=q",
     "  h = linear(x, w)"},
    {"RmsNorm", "  param a [model_dim] init=zeros group=g quant=q",
     "  h = rms_norm(x * a) + rms_norm(x, eps=0.1)"},
    {"Rope", "",
     "  r = reshape(x, [B, T, 2, 4])\n"
     "  h = reshape(rope(r, dims=2, base=100.0) + rope(r), [B, T, model_dim])"},
    {"AttentionGQA",
     "  param wq [model_dim, model_dim] init=zeros group=g quant=q\n"
     "  param wk [4, model_dim] init=zeros group=g quant=q\n"
     "  param wv [4, model_dim] init=zeros group=g quant=q\n"
     "  param gain [2] init=zeros group=g quant=q",
     "  q = reshape(linear(x, wq), [B, T, 2, 4]) * gain[:, None]\n"
     "  k = reshape(linear(x, wk), [B, T, 1, 4])\n"
     "  v = reshape(linear(x, wv), [B, T, 1, 4])\n"
     "  h = reshape(causal_attention(q, k, v), [B, T, model_dim])"},
    // Within documents: tokens 3 and above start one (4 in 7 positions).
    {"AttentionWithinDocuments",
     "  param wq [model_dim, model_dim] init=zeros group=g quant=q\n"
     "  param wk [4, model_dim] init=zeros group=g quant=q\n"
     "  param wv [4, model_dim] init=zeros group=g quant=q",
     "  q = reshape(linear(x, wq), [B, T, 2, 4])\n"
     "  k = reshape(linear(x, wk), [B, T, 1, 4])\n"
     "  v = reshape(linear(x, wv), [B, T, 1, 4])\n"
     "  s = where(tokens >= 3, 1.0, 0.0)\n"
     "  h = reshape(causal_attention(q, k, v, starts=s), [B, T, model_dim])"},
    // And cut every 2 positions from each document's start.
    {"AttentionSegments",
     "  param wq [model_dim, model_dim] init=zeros group=g quant=q\n"
     "  param wk [4, model_dim] init=zeros group=g quant=q",
     "  q = reshape(linear(x, wq), [B, T, 2, 4])\n"
     "  k = reshape(linear(x, wk), [B, T, 1, 4])\n"
     "  s = where(tokens == 3, 1.0, 0.0)\n"
     "  h = reshape(causal_attention(q, k, k, starts=s, segment=2), [B, T, "
     "model_dim])"},
    {"AttentionScaled",
     "  param wq [model_dim, model_dim] init=zeros group=g quant=q",
     "  q = reshape(linear(x, wq), [B, T, 2, 4])\n"
     "  h = reshape(causal_attention(q, q, q, scale=0.3), [B, T, model_dim])"},
    {"SharedAndUnused",
     "  param a [model_dim] init=zeros group=g quant=q\n"
     "  param unused [3] init=zeros group=g quant=q",
     "  h = x * a + x * a * a"},
    // PR #1319's focal loss, at γ = 2 and at γ = 0.5 (the general rule).
    {"FocalLoss", "", "  h = x",
     "cross_entropy(linear(h, head), targets, focal_gamma=2.0) + "
     "cross_entropy(linear(h, head), targets, focal_gamma=0.5)"},
};

// Late QAT (golf-insert-fake-quant): off, the step is the plain model's;
// on, its loss is the loss of the weights the export restores (int6,
// round to nearest, clip at each row's max, computed by the runtime's
// quantize()), and the gradient of the weight is the gradient at those
// restored weights, passed straight through.
TEST(FakeQuant, ForwardIsTheExportAndGradientPassesThrough) {
  registerCompilerPasses();
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  const std::string text = R"(hparams {
  vocab_size = 7
  model_dim = 8
}
export {
  late_qat_threshold = 0.5
}
optimizer g adam {
  lr = 0.1
}
quant q {
  format = "fp32"
}
quant m {
  format = "int6"
}
model(tokens, targets) {
  param emb [vocab_size, model_dim] init=zeros group=g quant=q
  param head [vocab_size, model_dim] init=zeros group=g quant=q
  param w [model_dim, model_dim] init=zeros group=g quant=m
  h = linear(embedding(tokens, emb), w)
  return cross_entropy(linear(h, head), targets)
}
)";
  std::string errors;
  llvm::raw_string_ostream os(errors);
  Diagnostics diags("qat.golf", text, os);
  CompileOptions options;
  CompileResult result;
  ASSERT_TRUE(compileSpec(diags, options, context, result)) << errors;
  mlir::PassManager pm(&context);
  ASSERT_TRUE(mlir::succeeded(buildPipeline(pm, "parsed", "lowered", kB, kT)) &&
              mlir::succeeded(pm.run(*result.module)));
  auto step = CompiledFunction::create(*result.module, "train_step", errors);
  ASSERT_TRUE(step) << errors;
  // The runtime finds every argument and result by role, not by position.
  auto roles = [](const std::vector<rt::Slot> &slots) {
    std::vector<std::string> r;
    for (const rt::Slot &s : slots)
      r.push_back(s.role + ":" + rt::nameOf(s.dtype));
    return r;
  };
  EXPECT_EQ(roles(step->signature().args),
            (std::vector<std::string>{
                "param:emb:f32", "param:head:f32", "param:w:f32", "tokens:i32",
                "targets:i32", "qat_enable:f32", "qat_clip:w:f32"}));
  EXPECT_EQ(roles(step->signature().results),
            (std::vector<std::string>{"loss:f32", "grad:emb:f32",
                                      "grad:head:f32", "grad:w:f32"}));
  EXPECT_EQ(step->signature().args[6].shape, (std::vector<int64_t>{kD, 1}));

  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.7f);
  auto tensor = [&](std::vector<int64_t> shape) {
    HostTensor t;
    t.shape = shape;
    for (int64_t i = 0; i < shape[0] * shape[1]; ++i)
      t.f32.push_back(normal(rng));
    return t;
  };
  std::vector<HostTensor> args = {tensor({kV, kD}), tensor({kV, kD}),
                                  tensor({kD, kD})};
  HostTensor tokens, targets;
  tokens.shape = targets.shape = {kB, kT};
  for (int64_t i = 0; i < kB * kT; ++i) {
    tokens.i32.push_back((int32_t)(rng() % kV));
    targets.i32.push_back((int32_t)(rng() % kV));
  }
  args.push_back(tokens);
  args.push_back(targets);
  HostTensor enable, clip;
  enable.shape = {};
  enable.f32 = {0.0f};
  clip.shape = {kD, 1};
  const std::vector<float> w = args[2].f32;
  for (int64_t r = 0; r < kD; ++r)
    clip.f32.push_back((float)rt::quantileAbs(w.data() + r * kD, kD, 1.0));
  args.push_back(enable);
  args.push_back(clip);

  std::vector<HostTensor> off = step->run(args);
  args[kArgEnable].f32[0] = 1.0f;
  std::vector<HostTensor> on = step->run(args);
  EXPECT_NE(on[0].f32[0], off[0].f32[0]) << "QAT did not switch on";

  rt::QuantPolicy policy;
  policy.format = rt::QuantFormat::Int6;
  std::string error;
  rt::QuantTensor qt = rt::quantize("w", {kD, kD}, w, policy, nullptr, error);
  ASSERT_TRUE(error.empty()) << error;
  args[kArgEnable].f32[0] = 0.0f;
  args[2].f32 = rt::dequantize(qt);
  std::vector<HostTensor> exported = step->run(args);
  EXPECT_EQ(on[0].f32[0], exported[0].f32[0]);
  EXPECT_EQ(on[3].f32, exported[3].f32); // the weight's gradient
  EXPECT_EQ(on[1].f32, exported[1].f32);
}

INSTANTIATE_TEST_SUITE_P(Rules, Gradient, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
