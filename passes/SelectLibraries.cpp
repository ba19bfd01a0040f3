//===- SelectLibraries.cpp - matrix products become library calls ---------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace golf {
#define GEN_PASS_DEF_GOLFSELECTLIBRARIES
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

struct SelectLibraries : golf::impl::GolfSelectLibrariesBase<SelectLibraries> {
  using GolfSelectLibrariesBase::GolfSelectLibrariesBase;
  std::string chosen;

  /// `v` viewed as a matrix of its rows: [prod(leading), last].
  Value rows(OpBuilder &b, Location loc, Value v) {
    RankedTensorType t = typeOf(v);
    if (t.getRank() == 2)
      return v;
    int64_t last = t.getShape().back();
    return b.create<ReshapeOp>(
        loc,
        RankedTensorType::get({t.getNumElements() / last, last},
                              t.getElementType()),
        v);
  }

  Value gemm(OpBuilder &b, Location loc, Value x, Value y, bool ta, bool tb) {
    RankedTensorType xt = typeOf(x), yt = typeOf(y);
    int64_t m = ta ? xt.getDimSize(1) : xt.getDimSize(0);
    int64_t n = tb ? yt.getDimSize(0) : yt.getDimSize(1);
    return b.create<GemmOp>(
        loc, RankedTensorType::get({m, n}, xt.getElementType()), x, y,
        ta ? b.getUnitAttr() : nullptr, tb ? b.getUnitAttr() : nullptr,
        b.getStringAttr(chosen));
  }

  /// The library of the matrix products ("" after an error).
  std::string choose() {
    // Each target's libraries, its default first.
    static const std::pair<const char *, const char *> kLibraries[] = {
        {"cpu", "blas"}, {"cuda", "cublaslt"}};
    const char *byDefault = nullptr;
    for (auto [t, l] : kLibraries)
      if (target == t)
        byDefault = l;
    if (!byDefault) {
      getOperation().emitError("golf-select-libraries: unknown target '")
          << target << "' (expected cpu or cuda)";
      return "";
    }
    if (library.empty())
      return byDefault;
    if (library == "none" || library == byDefault)
      return library;
    getOperation().emitError("golf-select-libraries: library '")
        << library << "' is not one of target " << target << "'s (" << byDefault
        << " or none)";
    return "";
  }

  void runOnOperation() override {
    chosen = choose();
    if (chosen.empty())
      return signalPassFailure();
    // Attention, forward and backward: the target's attention library
    // (golfc's own kernel on the CPU, cuDNN's fused attention on CUDA),
    // whatever was chosen for the products.
    StringRef attention = target == "cuda" ? "cudnn" : "golf";
    getOperation().walk([&](Operation *op) {
      if (isa<CausalAttentionOp, CausalAttentionGradOp>(op) &&
          !op->hasAttr("library"))
        op->setAttr("library", StringAttr::get(&getContext(), attention));
    });
    if (chosen == "none")
      return;
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isa<LinearOp, LinearGradInputOp, LinearGradWeightOp>(op)) {
        for (Type t : op->getOperandTypes())
          if (!cast<RankedTensorType>(t).hasStaticShape())
            return;
        ops.push_back(op);
      }
    });
    OpBuilder b(&getContext());
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      Location loc = op->getLoc();
      auto result = cast<RankedTensorType>(op->getResult(0).getType());
      Value y;
      if (auto lin = dyn_cast<LinearOp>(op))
        y = gemm(b, loc, rows(b, loc, lin.getInput()), lin.getWeight(), false,
                 true);
      else if (auto g = dyn_cast<LinearGradInputOp>(op))
        y = gemm(b, loc, rows(b, loc, g.getGrad()), g.getWeight(), false,
                 false);
      else if (auto g = dyn_cast<LinearGradWeightOp>(op))
        y = gemm(b, loc, rows(b, loc, g.getGrad()), rows(b, loc, g.getInput()),
                 true, false);
      if (typeOf(y) != result)
        y = b.create<ReshapeOp>(loc, result, y);
      op->getResult(0).replaceAllUsesWith(y);
      op->erase();
    }
  }
};

} // namespace
