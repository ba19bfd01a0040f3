//===- BindParams.cpp - parameters become arguments of @model -------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace golf {
#define GEN_PASS_DEF_GOLFBINDPARAMS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

struct BindParams : golf::impl::GolfBindParamsBase<BindParams> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>("model");
    if (!model || model.isExternal()) {
      module.emitError("golf-bind-params: no func.func @model with a body");
      return signalPassFailure();
    }
    llvm::StringMap<unsigned> index;
    unsigned next = 0;
    for (ParamOp param : module.getOps<ParamOp>()) {
      index[param.getSymName()] = next;
      NamedAttribute name(StringAttr::get(&getContext(), "golf.param"),
                          StringAttr::get(&getContext(), param.getSymName()));
      model.insertArgument(next++, param.getType(),
                           DictionaryAttr::get(&getContext(), name),
                           param.getLoc());
    }
    Block &body = model.getBody().front();
    model.walk([&](ParamRefOp ref) {
      ref.replaceAllUsesWith(body.getArgument(index.lookup(ref.getName())));
      ref.erase();
    });
  }
};

} // namespace
