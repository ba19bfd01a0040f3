//===- Registration.cpp - every dialect and pass golfc uses ---------------===//
//
// The only file that includes mlir/InitAll*.h: they are slow to compile.
//
//===----------------------------------------------------------------------===//

#include "codegen/Codegen.h"
#include "dialect/GolfDialect.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void golf::registerCompilerDialects(mlir::DialectRegistry &registry) {
  registry.insert<golf::GolfDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

namespace {

struct ToCpuOptions : mlir::PassPipelineOptions<ToCpuOptions> {
  Option<int64_t> batch{*this, "batch", llvm::cl::desc("sequences per batch"),
                        llvm::cl::init(1)};
  Option<int64_t> seq{*this, "seq", llvm::cl::desc("tokens per sequence"),
                      llvm::cl::init(1)};
};

} // namespace

void golf::registerCompilerPasses() {
  mlir::registerAllPasses();
  golf::registerGolfPasses();
  // The whole pipeline for a target, as golfc runs it: from the parsed
  // stage to the LLVM dialect.
  mlir::PassPipelineRegistration<ToCpuOptions>(
      "golf-to-cpu",
      "golf IR (the parsed stage) to the LLVM dialect for the CPU: every "
      "stage of docs/pipeline.md",
      [](mlir::OpPassManager &pm, const ToCpuOptions &o) {
        (void)golf::buildPipeline(pm, "parsed", "llvm", o.batch, o.seq);
      });
}
