//===- Pipeline.cpp - the ordered list of stages --------------------------===//

#include "codegen/Codegen.h"
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

const std::vector<std::string> &golf::stageNames() {
  static const std::vector<std::string> names = {
      "parsed",   "specialized", "bound",   "quantized", "grad",
      "selected", "fused",       "lowered", "llvm"};
  return names;
}

LogicalResult golf::buildPipeline(OpPassManager &pm, const std::string &from,
                                  const std::string &to, int64_t batch,
                                  int64_t seq, bool qat) {
  const std::vector<std::string> &names = stageNames();
  auto first = std::find(names.begin(), names.end(), from);
  auto last = std::find(names.begin(), names.end(), to);
  if (first == names.end() || last == names.end() || first > last)
    return failure();
  // Stage i is produced by the passes of step i.
  for (size_t i = first - names.begin() + 1; i <= size_t(last - names.begin());
       ++i) {
    if (i == 1)
      pm.addPass(createGolfSpecializeShapes({batch, seq}));
    else if (i == 2)
      pm.addPass(createGolfBindParams());
    else if (i == 3 && qat)
      pm.addPass(createGolfInsertFakeQuant());
    else if (i == 4)
      pm.addPass(createGolfAutodiff());
    else if (i == 5)
      pm.addPass(createGolfSelectLibraries());
    else if (i == 6)
      pm.addPass(createGolfFuse());
    else if (i == 7) {
      pm.addPass(createGolfLowerToLinalg());
      pm.addPass(createGolfCpuLibraryCalls());
    } else if (i == 8 && failed(parsePassPipeline(kToLLVM, pm)))
      return failure();
  }
  return success();
}
