//===- Model.cpp - what the passes that rewrite @model share --------------===//

#include "passes/Model.h"

using namespace mlir;

func::FuncOp golf::modelOf(ModuleOp module, StringRef pass) {
  auto model = module.lookupSymbol<func::FuncOp>("model");
  if (!model || model.isExternal()) {
    module.emitError() << pass << ": the module has no @model";
    return nullptr;
  }
  return model;
}

llvm::StringMap<BlockArgument> golf::paramArguments(func::FuncOp model) {
  llvm::StringMap<BlockArgument> args;
  for (BlockArgument a : model.getArguments())
    if (auto name =
            model.getArgAttrOfType<StringAttr>(a.getArgNumber(), "golf.param"))
      args[name.getValue()] = a;
  return args;
}

golf::CrossEntropyOp golf::returnedLoss(func::FuncOp model, StringRef pass,
                                        StringRef purpose) {
  auto ret = cast<func::ReturnOp>(model.getBody().back().getTerminator());
  CrossEntropyOp loss = ret.getNumOperands() == 1
                            ? ret.getOperand(0).getDefiningOp<CrossEntropyOp>()
                            : nullptr;
  if (!loss)
    ret.emitOpError() << pass
                      << ": @model must return one cross_entropy(logits, "
                         "targets)"
                      << purpose;
  return loss;
}

void golf::returnInstead(func::FuncOp model, CrossEntropyOp loss, Value value,
                         StringRef role) {
  auto ret = cast<func::ReturnOp>(model.getBody().back().getTerminator());
  ret->setOperand(0, value);
  if (loss->use_empty())
    loss.erase();
  model.setFunctionType(FunctionType::get(model.getContext(),
                                          model.getArgumentTypes(),
                                          TypeRange{value.getType()}));
  model.setResultAttr(0, "golf.result",
                      StringAttr::get(model.getContext(), role));
}

golf::Head golf::findHead(func::FuncOp model, CrossEntropyOp loss) {
  Head head;
  Value logits = loss.getLogits();
  head.softcap = logits.getDefiningOp<SoftcapOp>();
  if (head.softcap)
    logits = head.softcap.getInput();
  auto linear = logits.getDefiningOp<LinearOp>();
  if (!linear)
    return head;
  Value w = linear.getWeight();
  if (auto ref = w.getDefiningOp<ParamRefOp>()) {
    head.weight = ref.getName().str();
  } else if (auto arg = dyn_cast<BlockArgument>(w)) {
    if (auto name = model.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                       "golf.param"))
      head.weight = name.getValue().str();
  }
  if (!head.weight.empty())
    head.linear = linear;
  return head;
}

golf::Head golf::headOf(func::FuncOp model, CrossEntropyOp loss, StringRef pass,
                        StringRef purpose) {
  Head head = findHead(model, loss);
  if (head.linear)
    return head;
  Value logits = head.softcap ? head.softcap.getInput() : loss.getLogits();
  if (auto linear = logits.getDefiningOp<LinearOp>())
    linear.emitOpError() << pass << ": the head's weight must be a parameter"
                         << purpose;
  else
    loss.emitOpError() << pass
                       << ": the logits must be linear(h, W), softcapped or "
                          "not"
                       << purpose;
  return head;
}
