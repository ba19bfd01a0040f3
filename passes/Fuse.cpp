//===- Fuse.cpp - groups elementwise ops and row reductions into kernels --===//

#include "passes/FusionGroups.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

namespace golf {
#define GEN_PASS_DEF_GOLFFUSE
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

/// Moves `group` into a golf.fused op named `name`, placed at its last op.
void fuse(const FusionGroup &group, StringRef name) {
  // The groups fused before this one have replaced some of its inputs.
  SmallVector<Value> inputs = fusionInputs(group.ops);
  Operation *last = group.ops.back();
  OpBuilder b(last->getContext());
  b.setInsertionPointAfter(last);
  SmallVector<Type> resultTypes;
  for (Value v : group.outputs)
    resultTypes.push_back(v.getType());
  auto fused = b.create<FusedOp>(last->getLoc(), resultTypes,
                                 b.getStringAttr(name), inputs);
  Block *body = b.createBlock(&fused.getBody());
  IRMapping map;
  for (Value in : inputs)
    map.map(in, body->addArgument(in.getType(), in.getLoc()));
  b.setInsertionPointToStart(body);
  for (Operation *op : group.ops) {
    for (Value v : op->getOperands())
      if (auto c = v.getDefiningOp<ConstantOp>(); c && !map.contains(v))
        map.map(v, b.clone(*c)->getResult(0));
    b.clone(*op, map);
  }
  SmallVector<Value> yielded;
  for (Value v : group.outputs)
    yielded.push_back(map.lookup(v));
  b.create<YieldOp>(last->getLoc(), yielded);
  for (auto [i, v] : llvm::enumerate(group.outputs))
    Value(v).replaceAllUsesWith(fused.getResult(i));
  for (Operation *op : llvm::reverse(group.ops))
    op->erase();
}

struct Fuse : golf::impl::GolfFuseBase<Fuse> {
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      int index = 0;
      for (const FusionGroup &group : findFusionGroups(fn.getBody().front()))
        if (!group.outputs.empty())
          fuse(group, "k" + std::to_string(index++));
      // Constants every group copied are dead now.
      for (Operation &op :
           llvm::make_early_inc_range(fn.getBody().front().getOperations()))
        if (isa<ConstantOp>(op) && op.use_empty())
          op.erase();
    }
  }
};

} // namespace
