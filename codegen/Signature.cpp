//===- Signature.cpp - the runtime's view of a compiled function ----------===//

#include "codegen/Codegen.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace {

bool slotOf(Type type, std::string role, golf::rt::Slot &slot,
            std::string &error) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape()) {
    error = role + " does not have a static shape";
    return false;
  }
  Type e = tensor.getElementType();
  if (e.isF32())
    slot.dtype = golf::rt::DType::f32;
  else if (e.isF64())
    slot.dtype = golf::rt::DType::f64;
  else if (e.isInteger(32))
    slot.dtype = golf::rt::DType::i32;
  else {
    error = role + " has an element type the runtime has no buffers of";
    return false;
  }
  slot.role = std::move(role);
  slot.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  return true;
}

} // namespace

bool golf::signatureOf(func::FuncOp fn, rt::Signature &signature,
                       std::string &error) {
  signature = {};
  // The model's own inputs, in the order the front end declares them.
  static const char *const inputs[] = {"tokens", "targets"};
  unsigned nextInput = 0;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    std::string role;
    if (auto a = fn.getArgAttrOfType<StringAttr>(i, "golf.param"))
      role = "param:" + a.getValue().str();
    else if (auto a = fn.getArgAttrOfType<StringAttr>(i, "golf.input"))
      role = a.getValue().str();
    else if (auto a = fn.getArgAttrOfType<StringAttr>(i, "golf.qat_clip"))
      role = "qat_clip:" + a.getValue().str();
    else if (nextInput < 2)
      role = inputs[nextInput++];
    else
      role = "input:" + std::to_string(i);
    rt::Slot slot;
    if (!slotOf(fn.getArgumentTypes()[i], role, slot, error))
      return false;
    signature.args.push_back(std::move(slot));
  }
  for (unsigned i = 0; i < fn.getNumResults(); ++i) {
    std::string role;
    if (auto a = fn.getResultAttrOfType<StringAttr>(i, "golf.grad"))
      role = "grad:" + a.getValue().str();
    else if (auto a = fn.getResultAttrOfType<StringAttr>(i, "golf.result"))
      role = a.getValue().str();
    else if (auto t = dyn_cast<RankedTensorType>(fn.getResultTypes()[i]);
             i == 0 && t && t.getRank() == 0)
      role = "loss";
    else
      role = "result:" + std::to_string(i);
    rt::Slot slot;
    if (!slotOf(fn.getResultTypes()[i], role, slot, error))
      return false;
    signature.results.push_back(std::move(slot));
  }
  return true;
}
