//===- CollectHessians.cpp - XᵀX of the inputs GPTQ needs -----------------===//

#include "passes/Model.h"

#include "llvm/ADT/StringSet.h"

namespace golf {
#define GEN_PASS_DEF_GOLFCOLLECTHESSIANS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct CollectHessians : golf::impl::GolfCollectHessiansBase<CollectHessians> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp model = modelOf(module, "golf-collect-hessians");
    if (!model)
      return signalPassFailure();
    llvm::StringSet<> gptqClasses;
    for (QuantOp q : module.getOps<QuantOp>())
      if (auto m = q.getSettings().getAs<StringAttr>("method"))
        if (m.getValue() == "gptq")
          gptqClasses.insert(q.getName());
    llvm::StringMap<BlockArgument> args = paramArguments(model);
    auto ret = cast<func::ReturnOp>(model.getBody().back().getTerminator());
    OpBuilder b(ret);
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Attribute> names;
    for (ParamOp p : module.getOps<ParamOp>()) {
      if (!gptqClasses.contains(p.getQuant()))
        continue;
      auto arg = args.find(p.getSymName());
      if (arg == args.end()) {
        p.emitOpError("golf-collect-hessians: parameter is not an argument "
                      "of @model (run golf-bind-params first)");
        return signalPassFailure();
      }
      // Its linears, in program order (the sum's order is then fixed).
      SmallVector<LinearOp> linears;
      for (Operation *user : arg->second.getUsers())
        if (auto linear = dyn_cast<LinearOp>(user))
          if (linear.getWeight() == arg->second &&
              linear->getBlock() == ret->getBlock())
            linears.push_back(linear);
      llvm::sort(linears,
                 [](LinearOp a, LinearOp b) { return a->isBeforeInBlock(b); });
      Value sum;
      for (LinearOp linear : linears) {
        Value x = linear.getInput();
        b.setInsertionPointAfter(linear);
        Value h = b.create<LinearGradWeightOp>(linear.getLoc(), x, x);
        b.setInsertionPoint(ret);
        sum = sum ? b.create<AddOp>(linear.getLoc(), sum, h).getResult() : h;
      }
      if (!sum) {
        p.emitOpError("golf-collect-hessians: quantized with gptq but the "
                      "weight of no linear in @model");
        return signalPassFailure();
      }
      results.push_back(sum);
      names.push_back(b.getStringAttr(p.getSymName()));
    }
    ret->setOperands(results);
    model.setFunctionType(b.getFunctionType(model.getArgumentTypes(),
                                            ValueRange(results).getTypes()));
    model->setAttr("golf.hessians", b.getArrayAttr(names));
    for (auto [i, name] : llvm::enumerate(names))
      model.setResultAttr(
          i + 1, "golf.result",
          b.getStringAttr("hessian:" + cast<StringAttr>(name).getValue()));
  }
};

} // namespace
