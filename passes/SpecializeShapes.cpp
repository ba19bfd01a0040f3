//===- SpecializeShapes.cpp - fix the batch and sequence dimensions -------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace golf {
#define GEN_PASS_DEF_GOLFSPECIALIZESHAPES
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct SpecializeShapes
    : golf::impl::GolfSpecializeShapesBase<SpecializeShapes> {
  using GolfSpecializeShapesBase::GolfSpecializeShapesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>("model");
    if (!model || model.isExternal()) {
      module.emitError(
          "golf-specialize-shapes: no func.func @model with a body");
      return signalPassFailure();
    }
    if (batch <= 0 || seq <= 0) {
      module.emitError("golf-specialize-shapes: batch and seq must be "
                       "positive");
      return signalPassFailure();
    }

    // Which input dimensions of each reshape are `?`, before types change:
    // its result's `?` dimensions take their new sizes in that order.
    DenseMap<Operation *, SmallVector<unsigned>> dynamicInputDims;
    model.walk([&](ReshapeOp op) {
      for (auto [i, d] : llvm::enumerate(op.getInput().getType().getShape()))
        if (ShapedType::isDynamic(d))
          dynamicInputDims[op].push_back(i);
    });

    Block &body = model.getBody().front();
    auto tokenType = RankedTensorType::get({batch, seq},
                                           IntegerType::get(&getContext(), 32));
    for (BlockArgument arg : body.getArguments()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || type.getRank() != 2) {
        model.emitError("golf-specialize-shapes: @model takes [B, T] token "
                        "tensors");
        return signalPassFailure();
      }
      arg.setType(tokenType);
    }

    WalkResult walk = model.walk([&](Operation *op) -> WalkResult {
      if (auto reshape = dyn_cast<ReshapeOp>(op)) {
        RankedTensorType in = reshape.getInput().getType();
        RankedTensorType out = reshape.getType();
        SmallVector<int64_t> shape(out.getShape());
        auto next = dynamicInputDims[op].begin();
        for (int64_t &d : shape)
          if (ShapedType::isDynamic(d))
            d = in.getDimSize(*next++);
        reshape.getResult().setType(
            RankedTensorType::get(shape, out.getElementType()));
        return WalkResult::advance();
      }
      auto infer = dyn_cast<InferTypeOpInterface>(op);
      if (!infer)
        return WalkResult::advance();
      SmallVector<Type> types;
      if (failed(infer.inferReturnTypes(
              &getContext(), op->getLoc(), op->getOperands(),
              op->getRawDictionaryAttrs(), op->getPropertiesStorage(),
              op->getRegions(), types)))
        return WalkResult::interrupt();
      for (auto [result, type] : llvm::zip(op->getResults(), types))
        result.setType(type);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();

    auto ret = cast<func::ReturnOp>(body.getTerminator());
    model.setFunctionType(FunctionType::get(
        &getContext(), body.getArgumentTypes(), ret.getOperandTypes()));
  }
};

} // namespace
