//===- ReturnHidden.cpp - @model returns its head's input -----------------===//

#include "passes/Model.h"

namespace golf {
#define GEN_PASS_DEF_GOLFRETURNHIDDEN
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct ReturnHidden : golf::impl::GolfReturnHiddenBase<ReturnHidden> {
  void runOnOperation() override {
    const char *pass = "golf-return-hidden";
    const char *purpose = " (SLOT applies the head itself)";
    func::FuncOp model = modelOf(getOperation(), pass);
    CrossEntropyOp loss = model ? returnedLoss(model, pass, purpose) : nullptr;
    Head head = loss ? headOf(model, loss, pass, purpose) : Head();
    if (!head.linear)
      return signalPassFailure();
    returnInstead(model, loss, head.linear.getInput(), "hidden");
    if (head.softcap && head.softcap->use_empty())
      head.softcap.erase();
    Value w = head.linear.getWeight();
    if (head.linear->use_empty())
      head.linear.erase();
    if (auto ref = w.getDefiningOp<ParamRefOp>(); ref && ref->use_empty())
      ref.erase();
  }
};

} // namespace
