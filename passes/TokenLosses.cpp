//===- TokenLosses.cpp - @model returns one loss per position -------------===//

#include "passes/Model.h"

namespace golf {
#define GEN_PASS_DEF_GOLFTOKENLOSSES
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct TokenLosses : golf::impl::GolfTokenLossesBase<TokenLosses> {
  void runOnOperation() override {
    func::FuncOp model = modelOf(getOperation(), "golf-token-losses");
    CrossEntropyOp loss = model ? returnedLoss(model, "golf-token-losses",
                                               " to be scored per position")
                                : nullptr;
    if (!loss)
      return signalPassFailure();
    OpBuilder b(loss);
    returnInstead(model, loss,
                  b.create<TokenCrossEntropyOp>(loss.getLoc(), loss.getLogits(),
                                                loss.getTargets()),
                  "losses");
  }
};

} // namespace
