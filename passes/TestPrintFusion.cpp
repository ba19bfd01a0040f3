//===- TestPrintFusion.cpp - prints the groups golf-fuse would make -------===//

#include "passes/FusionGroups.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace golf {
#define GEN_PASS_DEF_GOLFTESTPRINTFUSION
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct TestPrintFusion : golf::impl::GolfTestPrintFusionBase<TestPrintFusion> {
  void runOnOperation() override {
    llvm::raw_ostream &os = llvm::outs();
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      os << "@" << fn.getName() << "\n";
      int index = 0;
      for (const FusionGroup &group : findFusionGroups(fn.getBody().front())) {
        os << "  group k" << index++ << ": " << group.inputs.size() << " in, "
           << group.outputs.size() << " out:";
        for (Operation *op : group.ops)
          os << " " << op->getName().stripDialect();
        os << "\n";
      }
    }
    markAllAnalysesPreserved();
  }
};

} // namespace
