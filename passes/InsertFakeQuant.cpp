//===- InsertFakeQuant.cpp - quantization-aware training ------------------===//

#include "passes/Model.h"

namespace golf {
#define GEN_PASS_DEF_GOLFINSERTFAKEQUANT
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

/// The largest code of an integer export format, 0 for the others.
int64_t rangeOf(StringRef format) {
  return llvm::StringSwitch<int64_t>(format)
      .Case("int8", 127)
      .Case("int7", 63)
      .Case("int6", 31)
      .Case("int5", 15)
      .Default(0);
}

struct InsertFakeQuant : golf::impl::GolfInsertFakeQuantBase<InsertFakeQuant> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    double threshold = 0;
    if (auto e = module->getAttrOfType<DictionaryAttr>("golf.export"))
      if (auto t = e.getAs<FloatAttr>("late_qat_threshold"))
        threshold = t.getValueAsDouble();
    if (threshold <= 0)
      return;
    func::FuncOp model = modelOf(module, "golf-insert-fake-quant");
    if (!model)
      return signalPassFailure();
    llvm::StringMap<QuantOp> classes;
    for (QuantOp q : module.getOps<QuantOp>())
      classes[q.getName()] = q;
    llvm::StringMap<BlockArgument> args = paramArguments(model);
    Block &body = model.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Location loc = model.getLoc();
    Type f32 = b.getF32Type();
    BlockArgument enable;
    for (ParamOp p : module.getOps<ParamOp>()) {
      auto cls = classes.find(p.getQuant());
      if (cls == classes.end())
        continue;
      const int64_t range = rangeOf(cls->second.getFormat());
      auto type = p.getType();
      if (range == 0 || type.getRank() != 2)
        continue;
      auto arg = args.find(p.getSymName());
      if (arg == args.end()) {
        p.emitOpError("golf-insert-fake-quant: parameter is not an argument "
                      "of @model (run golf-bind-params first)");
        return signalPassFailure();
      }
      if (!enable) {
        unsigned at = model.getNumArguments();
        (void)model.insertArgument(
            at, RankedTensorType::get({}, f32),
            b.getDictionaryAttr(
                b.getNamedAttr("golf.input", b.getStringAttr("qat_enable"))),
            loc);
        enable = model.getArgument(at);
      }
      unsigned at = model.getNumArguments();
      (void)model.insertArgument(
          at, RankedTensorType::get({type.getDimSize(0), 1}, f32),
          b.getDictionaryAttr(
              b.getNamedAttr("golf.qat_clip", b.getStringAttr(p.getSymName()))),
          loc);
      BlockArgument clip = model.getArgument(at);
      double floor = 0;
      if (auto f = cls->second.getSettings().getAs<FloatAttr>("scale_floor"))
        floor = f.getValueAsDouble();
      auto q = b.create<FakeQuantOp>(p.getLoc(), arg->second, clip, enable,
                                     b.getI64IntegerAttr(range),
                                     b.getF64FloatAttr(floor));
      arg->second.replaceAllUsesExcept(q.getResult(), q);
    }
  }
};

} // namespace
