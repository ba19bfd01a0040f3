//===- CpuPipeline.cpp - the CPU target's passes --------------------------===//

#include "codegen/cpu/CpuCodegen.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

namespace {

/// From linalg on tensors to the LLVM dialect, as toolchain notes measured
/// it on MLIR 19: fuse producer-consumer elementwise generics (fewer loops
/// and buffers), bufferize with identity layouts at function boundaries,
/// write every result into a buffer the caller passes, free each buffer
/// after its last use, loops (each large parallel nest
/// outlined as a part the runtime's threads share), then the standard
/// conversions (math functions without an LLVM intrinsic become libm calls)
/// and the hand-off of each part to the runtime's pool.
const char *kToLLVM = "linalg-fuse-elementwise-ops,"
                      "one-shot-bufferize{bufferize-function-boundaries "
                      "function-boundary-type-conversion=identity-layout-map},"
                      "golf-results-to-outputs,"
                      "golf-free-buffers,"
                      "convert-linalg-to-parallel-loops,"
                      "golf-outline-parallel,"
                      "convert-scf-to-cf,"
                      "expand-strided-metadata,"
                      "lower-affine,"
                      "finalize-memref-to-llvm,"
                      "convert-math-to-libm,"
                      "convert-math-to-llvm,"
                      "convert-arith-to-llvm,"
                      "convert-cf-to-llvm,"
                      "convert-func-to-llvm,"
                      "convert-index-to-llvm,"
                      "reconcile-unrealized-casts,"
                      "golf-dispatch-parallel";

} // namespace

void golf::cpu::addLibraryCalls(OpPassManager &pm) {
  pm.addPass(createGolfCpuLibraryCalls());
}

LogicalResult golf::cpu::addToLLVM(OpPassManager &pm) {
  return parsePassPipeline(kToLLVM, pm);
}
