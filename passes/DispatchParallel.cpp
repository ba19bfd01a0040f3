//===- DispatchParallel.cpp - parallel parts onto the runtime's pool ------===//
//
// Calls of functions marked golf.parallel (made by golf-outline-parallel and
// lowered to the LLVM dialect) become calls of golf_rt_parallel_for with a
// task function and a structure holding the call's other arguments.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace golf {
#define GEN_PASS_DEF_GOLFDISPATCHPARALLEL
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

constexpr const char *kRuntimeEntry = "golf_rt_parallel_for";

/// `@<part>.task(context, begin, end)`: loads the part's arguments from the
/// structure at `context` and runs the part on [begin, end).
LLVM::LLVMFuncOp makeTask(ModuleOp module, LLVM::LLVMFuncOp part,
                          LLVM::LLVMStructType fields) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  b.setInsertionPointAfter(part);
  Location loc = part.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = b.getI64Type();
  auto task = b.create<LLVM::LLVMFuncOp>(
      loc, (part.getSymName() + ".task").str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, i64, i64}),
      LLVM::Linkage::Internal);
  Block *entry = task.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  SmallVector<Value> args;
  for (auto [i, type] : llvm::enumerate(fields.getBody())) {
    Value field = b.create<LLVM::GEPOp>(loc, ptr, fields, entry->getArgument(0),
                                        ArrayRef<LLVM::GEPArg>{0, int32_t(i)},
                                        /*inbounds=*/true);
    args.push_back(b.create<LLVM::LoadOp>(loc, type, field));
  }
  args.push_back(entry->getArgument(1));
  args.push_back(entry->getArgument(2));
  b.create<LLVM::CallOp>(loc, part, args);
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return task;
}

LLVM::LLVMFuncOp runtimeEntry(ModuleOp module) {
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kRuntimeEntry))
    return fn;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = b.getI64Type();
  return b.create<LLVM::LLVMFuncOp>(
      module.getLoc(), kRuntimeEntry,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, ptr, i64, i64, i64}));
}

/// The pointers `golf.noalias` lists become `noalias` arguments of `fn` (its
/// last `bounds` arguments are not pointers).
LogicalResult markExclusive(LLVM::LLVMFuncOp fn, int64_t bounds) {
  auto exclusive = fn->getAttrOfType<DenseI64ArrayAttr>("golf.noalias");
  if (!exclusive)
    return success();
  // The C interface's wrapper takes one pointer per memref descriptor: the
  // positions are its callee's.
  if (fn.getName().starts_with("_mlir_ciface_")) {
    fn->removeAttr("golf.noalias");
    return success();
  }
  ArrayRef<Type> params = fn.getFunctionType().getParams();
  for (int64_t i : exclusive.asArrayRef()) {
    if (i < 0 || i + bounds >= int64_t(params.size()) ||
        !isa<LLVM::LLVMPointerType>(params[i]))
      return fn.emitOpError("golf-dispatch-parallel: golf.noalias names "
                            "argument ")
             << i << ", which is not a pointer";
    fn.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                  UnitAttr::get(fn.getContext()));
  }
  fn->removeAttr("golf.noalias");
  return success();
}

LogicalResult dispatch(ModuleOp module, LLVM::LLVMFuncOp part,
                       IntegerAttr grain, ArrayRef<LLVM::CallOp> calls) {
  MLIRContext *ctx = module.getContext();
  ArrayRef<Type> params = part.getFunctionType().getParams();
  Type i64 = IntegerType::get(ctx, 64);
  if (params.size() < 2 || params[params.size() - 2] != i64 ||
      params.back() != i64 ||
      !isa<LLVM::LLVMVoidType>(part.getFunctionType().getReturnType()))
    return part.emitOpError(
        "golf-dispatch-parallel: a parallel part returns nothing and ends "
        "with two i64 bounds");
  if (failed(markExclusive(part, /*bounds=*/2)))
    return failure();
  auto fields = LLVM::LLVMStructType::getLiteral(ctx, params.drop_back(2));
  LLVM::LLVMFuncOp task = makeTask(module, part, fields);
  LLVM::LLVMFuncOp entry = runtimeEntry(module);
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  for (LLVM::CallOp call : calls) {
    auto caller = call->getParentOfType<LLVM::LLVMFuncOp>();
    OpBuilder b(call);
    Location loc = call.getLoc();
    // The structure lives in the caller's frame: one per call site, made
    // in the entry block so that a loop around the call does not grow it.
    OpBuilder top = OpBuilder::atBlockBegin(&caller.getBody().front());
    Value one =
        top.create<LLVM::ConstantOp>(loc, i64, top.getI64IntegerAttr(1));
    Value context = top.create<LLVM::AllocaOp>(loc, ptr, fields, one);
    ValueRange operands = call.getArgOperands();
    for (unsigned i = 0; i + 2 < operands.size(); ++i) {
      Value field = b.create<LLVM::GEPOp>(loc, ptr, fields, context,
                                          ArrayRef<LLVM::GEPArg>{0, int32_t(i)},
                                          /*inbounds=*/true);
      b.create<LLVM::StoreOp>(loc, operands[i], field);
    }
    Value taskAddress = b.create<LLVM::AddressOfOp>(loc, task);
    Value grainValue = b.create<LLVM::ConstantOp>(loc, i64, grain);
    b.create<LLVM::CallOp>(loc, entry,
                           ValueRange{taskAddress, context,
                                      operands[operands.size() - 2],
                                      operands.back(), grainValue});
    call.erase();
  }
  part->removeAttr("golf.parallel");
  return success();
}

struct DispatchParallel
    : golf::impl::GolfDispatchParallelBase<DispatchParallel> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::MapVector<Operation *, SmallVector<LLVM::CallOp>> calls;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>()) {
      if (fn->hasAttr("golf.parallel"))
        calls[fn];
      // Functions whose outputs no other pointer reaches
      // (golf-results-to-outputs).
      else if (failed(markExclusive(fn, /*bounds=*/0)))
        return signalPassFailure();
    }
    module.walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      if (!callee)
        return;
      Operation *fn = module.lookupSymbol(*callee);
      auto it = calls.find(fn);
      if (it != calls.end())
        it->second.push_back(call);
    });
    for (auto &[fn, sites] : calls) {
      auto part = cast<LLVM::LLVMFuncOp>(fn);
      auto grain = dyn_cast<IntegerAttr>(part->getAttr("golf.parallel"));
      if (!grain) {
        part.emitOpError("golf-dispatch-parallel: golf.parallel must be an "
                         "integer (the smallest share of the range)");
        return signalPassFailure();
      }
      if (failed(dispatch(module, part, grain, sites)))
        return signalPassFailure();
    }
  }
};

} // namespace
