//===- ReturnLogits.cpp - @model returns its logits -----------------------===//

#include "passes/Passes.h"

namespace golf {
#define GEN_PASS_DEF_GOLFRETURNLOGITS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct ReturnLogits : golf::impl::GolfReturnLogitsBase<ReturnLogits> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>("model");
    if (!model || model.isExternal()) {
      module.emitError("golf-return-logits: the module has no @model");
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(model.getBody().back().getTerminator());
    CrossEntropyOp loss =
        ret.getNumOperands() == 1
            ? ret.getOperand(0).getDefiningOp<CrossEntropyOp>()
            : nullptr;
    if (!loss) {
      ret.emitOpError("golf-return-logits: @model must return one "
                      "cross_entropy(logits, targets)");
      return signalPassFailure();
    }
    Value logits = loss.getLogits();
    ret->setOperand(0, logits);
    if (loss->use_empty())
      loss.erase();
    model.setFunctionType(FunctionType::get(
        &getContext(), model.getArgumentTypes(), TypeRange{logits.getType()}));
  }
};

} // namespace
