//===- Autodiff.cpp - reverse-mode differentiation of @model --------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/STLExtras.h"

namespace golf {
#define GEN_PASS_DEF_GOLFAUTODIFF
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct Autodiff : golf::impl::GolfAutodiffBase<Autodiff> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>("model");
    if (!model || model.isExternal()) {
      module.emitError("golf-autodiff: no func.func @model with a body");
      return signalPassFailure();
    }
    if (module.lookupSymbol("train_step")) {
      module.emitError("golf-autodiff: the module already has @train_step");
      return signalPassFailure();
    }
    if (model.getNumResults() != 1 ||
        cast<RankedTensorType>(model.getResultTypes()[0]).getRank() != 0) {
      model.emitError("golf-autodiff: @model must return its scalar loss");
      return signalPassFailure();
    }
    OpBuilder b(&getContext());
    b.setInsertionPointAfter(model);
    auto step = cast<func::FuncOp>(b.clone(*model.getOperation()));
    step.setName("train_step");
    Block &body = step.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    Value loss = ret.getOperand(0);
    auto lossType = cast<RankedTensorType>(loss.getType());

    b.setInsertionPoint(ret);
    DenseMap<Value, Value> grads;
    grads[loss] =
        b.create<ConstantOp>(ret.getLoc(), lossType, b.getF64FloatAttr(1.0));
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    for (Operation *op : llvm::reverse(ops)) {
      SmallVector<Value> resultGrads;
      bool needed = false;
      for (Value r : op->getResults()) {
        resultGrads.push_back(grads.lookup(r));
        needed |= (bool)resultGrads.back();
      }
      // Ops without operands (constants) pass nothing further back.
      if (!needed || op->getNumOperands() == 0)
        continue;
      auto rule = dyn_cast<DifferentiableOpInterface>(op);
      if (!rule) {
        op->emitOpError("golf-autodiff: no gradient rule");
        return signalPassFailure();
      }
      SmallVector<Value> operandGrads;
      if (failed(rule.buildGradients(b, resultGrads, operandGrads)) ||
          operandGrads.size() != op->getNumOperands()) {
        op->emitOpError("golf-autodiff: the gradient rule failed");
        return signalPassFailure();
      }
      for (auto [operand, g] : llvm::zip(op->getOperands(), operandGrads)) {
        if (!g)
          continue;
        Value &acc = grads[operand];
        acc = acc ? b.create<AddOp>(op->getLoc(), operand.getType(), acc, g)
                        .getResult()
                  : g;
      }
    }

    SmallVector<Value> results = {loss};
    SmallVector<Type> types = {lossType};
    SmallVector<StringAttr> names;
    for (BlockArgument arg : body.getArguments()) {
      auto name =
          step.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "golf.param");
      if (!name)
        continue;
      Value g = grads.lookup(arg);
      if (!g) {
        auto type = cast<RankedTensorType>(arg.getType());
        Value zero = b.create<ConstantOp>(
            ret.getLoc(), RankedTensorType::get({}, type.getElementType()),
            b.getF64FloatAttr(0.0));
        g = b.create<BroadcastToOp>(ret.getLoc(), type, zero);
      }
      results.push_back(g);
      types.push_back(arg.getType());
      names.push_back(name);
    }
    ret->setOperands(results);
    step.setFunctionType(
        FunctionType::get(&getContext(), body.getArgumentTypes(), types));
    for (auto [i, name] : llvm::enumerate(names))
      step.setResultAttr(i + 1, "golf.grad", name);
  }
};

} // namespace
