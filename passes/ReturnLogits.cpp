//===- ReturnLogits.cpp - @model returns its logits -----------------------===//

#include "passes/Model.h"

namespace golf {
#define GEN_PASS_DEF_GOLFRETURNLOGITS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct ReturnLogits : golf::impl::GolfReturnLogitsBase<ReturnLogits> {
  void runOnOperation() override {
    func::FuncOp model = modelOf(getOperation(), "golf-return-logits");
    CrossEntropyOp loss =
        model ? returnedLoss(model, "golf-return-logits", "") : nullptr;
    if (!loss)
      return signalPassFailure();
    returnInstead(model, loss, loss.getLogits(), "logits");
  }
};

} // namespace
