//===- UnaryMathTest.cpp - each unary op's two definitions agree ----------===//
//
// A unary op is defined twice in dialect/UnaryMath.cpp: as the front end
// computes it on a number (`evaluate`) and as golf-lower-to-linalg computes
// each element (`buildScalar`). For every op of the dialect with
// UnaryMathOpInterface, found in the registry (so a new op is tested
// without touching this file), the op is lowered through the pipeline,
// compiled for this CPU in float64 and run on points of both signs; each
// element must equal `evaluate` within 4 ulps (both are a few correctly
// rounded operations and libm calls), and be NaN or infinite exactly where
// it is.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuCodegen.h"
#include "dialect/GolfOps.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>

using namespace golf;

namespace {

constexpr double kPoints[] = {-3.1, -1.0, -0.2, 0.0, 0.03, 0.5, 1.7, 6.5};
constexpr int64_t kN = sizeof(kPoints) / sizeof(kPoints[0]);

TEST(UnaryMath, LoweredCodeEqualsTheNumberFunction) {
  registerCompilerPasses();
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  int ops = 0;
  for (mlir::RegisteredOperationName op : context.getRegisteredOperations()) {
    if (!op.hasInterface<UnaryMathOpInterface>())
      continue;
    ++ops;
    std::string name = op.getStringRef().str();
    SCOPED_TRACE(name);
    std::string type = "tensor<" + std::to_string(kN) + "xf64>";
    std::string text = "func.func @model(%x: " + type + ") -> " + type +
                       " {\n  %y = " + name + " %x : " + type +
                       "\n  return %y : " + type + "\n}\n";
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    ASSERT_TRUE(module) << text;
    mlir::PassManager pm(&context);
    ASSERT_TRUE(mlir::succeeded(buildPipeline(pm, "fused", "lowered", 1, 1)));
    ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
    std::string errors;
    std::unique_ptr<CompiledFunction> fn =
        CompiledFunction::create(*module, "model", errors);
    ASSERT_TRUE(fn) << errors;
    HostTensor x;
    x.shape = {kN};
    x.f64.assign(std::begin(kPoints), std::end(kPoints));
    std::vector<HostTensor> args = {x};
    std::vector<HostTensor> y = fn->run(args);
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].f64.size(), (size_t)kN);
    auto evaluate = op.getInterface<UnaryMathOpInterface>()->evaluate;
    for (int64_t i = 0; i < kN; ++i) {
      double want = evaluate(kPoints[i]), got = y[0].f64[i];
      if (!std::isfinite(want)) { // NaN or an infinity, as the number's.
        EXPECT_TRUE(std::isnan(want) ? std::isnan(got) : got == want)
            << "at " << kPoints[i] << ": " << got;
        continue;
      }
      EXPECT_NEAR(got, want, 4 * DBL_EPSILON * std::max(1.0, std::fabs(want)))
          << "at " << kPoints[i];
    }
  }
  // neg, relu, square, tanh, sigmoid, sqrt, rsqrt, exp, log, abs at least.
  EXPECT_GE(ops, 10);
}

} // namespace
