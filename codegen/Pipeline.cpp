//===- Pipeline.cpp - the ordered list of stages --------------------------===//
//
// Target-independent up to `fused`; the `lowered` stage is the common math
// lowering then the target's library calls, and `llvm` the target's own
// passes (codegen/cpu/CpuPipeline.cpp).
//
//===----------------------------------------------------------------------===//

#include "codegen/Codegen.h"
#include "codegen/cpu/CpuCodegen.h"
#include "passes/Passes.h"

using namespace mlir;

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
      cpu::addLibraryCalls(pm);
    } else if (i == 8 && failed(cpu::addToLLVM(pm)))
      return failure();
  }
  return success();
}
