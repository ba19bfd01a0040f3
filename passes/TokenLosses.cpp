//===- TokenLosses.cpp - @model returns one loss per position -------------===//

#include "passes/Passes.h"

namespace golf {
#define GEN_PASS_DEF_GOLFTOKENLOSSES
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct TokenLosses : golf::impl::GolfTokenLossesBase<TokenLosses> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>("model");
    if (!model || model.isExternal()) {
      module.emitError("golf-token-losses: the module has no @model");
      return signalPassFailure();
    }
    auto ret = cast<func::ReturnOp>(model.getBody().back().getTerminator());
    CrossEntropyOp loss =
        ret.getNumOperands() == 1
            ? ret.getOperand(0).getDefiningOp<CrossEntropyOp>()
            : nullptr;
    if (!loss) {
      ret.emitOpError("golf-token-losses: @model must return one "
                      "cross_entropy(logits, targets) to be scored per "
                      "position");
      return signalPassFailure();
    }
    OpBuilder b(loss);
    auto perToken = b.create<TokenCrossEntropyOp>(
        loss.getLoc(), loss.getLogits(), loss.getTargets());
    ret->setOperand(0, perToken.getResult());
    if (loss->use_empty())
      loss.erase();
    model.setFunctionType(b.getFunctionType(
        model.getArgumentTypes(), TypeRange{perToken.getResult().getType()}));
  }
};

} // namespace
