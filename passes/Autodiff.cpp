//===- Autodiff.cpp - reverse-mode differentiation of @model --------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/STLExtras.h"
#include <functional>

namespace golf {
#define GEN_PASS_DEF_GOLFAUTODIFF
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

/// Ops worth recomputing in the backward pass rather than keeping their
/// result: elementwise ops, broadcasts, views and row normalizations.
bool isCheap(Operation *op) {
  return isa<UnaryMathOpInterface, AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp,
             CmpOp, SelectOp, LeakyReluOp, SoftcapOp, ReshapeOp, BroadcastToOp,
             RmsNormOp>(op);
}

struct Autodiff : golf::impl::GolfAutodiffBase<Autodiff> {
  using GolfAutodiffBase::GolfAutodiffBase;

  /// Keep or recompute: a forward value the backward pass reads is
  /// recomputed there, from values kept anyway, when a chain of cheap ops
  /// leads to it from arguments, constants and results of expensive ops
  /// that the backward pass reads itself (at most kDepth ops deep). Its
  /// backward uses then read a copy of the chain placed before the first of
  /// them, and the forward value dies at its last forward use.
  void recomputeCheapValues(Block &body, ArrayRef<Operation *> forwardOps) {
    constexpr int kDepth = 6;
    llvm::SmallPtrSet<Operation *, 32> forward(forwardOps.begin(),
                                               forwardOps.end());
    auto isBackward = [&](Operation *user) {
      return !forward.contains(user) && !isa<func::ReturnOp>(user);
    };
    auto readByBackward = [&](Value v) {
      return llvm::any_of(v.getUsers(), isBackward);
    };
    DenseMap<Value, bool> memo;
    std::function<bool(Value, int)> recomputable = [&](Value v,
                                                       int depth) -> bool {
      Operation *def = v.getDefiningOp();
      if (!def || !isCheap(def) || depth > kDepth)
        return false;
      if (auto it = memo.find(v); it != memo.end())
        return it->second;
      bool ok = llvm::all_of(def->getOperands(), [&](Value o) {
        Operation *d = o.getDefiningOp();
        return !d || isa<ConstantOp>(d) || (!isCheap(d) && readByBackward(o)) ||
               recomputable(o, depth + 1);
      });
      memo[v] = ok;
      return ok;
    };
    // The values to recompute, by their first backward use.
    DenseMap<Operation *, unsigned> position;
    for (auto [i, op] : llvm::enumerate(body.getOperations()))
      position[&op] = i;
    SmallVector<std::pair<Operation *, Value>> work;
    for (Operation *op : forwardOps)
      for (Value r : op->getResults()) {
        if (!readByBackward(r) || !recomputable(r, 0))
          continue;
        Operation *first = nullptr;
        for (Operation *user : r.getUsers())
          if (isBackward(user) && (!first || position[user] < position[first]))
            first = user;
        work.push_back({first, r});
      }
    llvm::stable_sort(work, [&](auto &a, auto &b) {
      return position[a.first] < position[b.first];
    });
    DenseMap<Value, Value> copies;
    OpBuilder b(&getContext());
    std::function<Value(Value)> copyOf = [&](Value v) -> Value {
      Operation *def = v.getDefiningOp();
      if (!def || isa<ConstantOp>(def) || !memo.lookup(v))
        return v;
      if (Value c = copies.lookup(v))
        return c;
      IRMapping map;
      for (Value o : def->getOperands())
        map.map(o, copyOf(o));
      Operation *clone = b.clone(*def, map);
      for (auto [orig, c] : llvm::zip(def->getResults(), clone->getResults()))
        copies[orig] = c;
      return copies[v];
    };
    for (auto [first, v] : work) {
      b.setInsertionPoint(first);
      Value c = copyOf(v);
      v.replaceUsesWithIf(c, [&](OpOperand &use) {
        return isBackward(use.getOwner()) &&
               use.getOwner() != c.getDefiningOp();
      });
    }
  }

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

    if (recompute)
      recomputeCheapValues(body, ops);

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
