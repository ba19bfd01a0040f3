//===- ResultsToOutputs.cpp - results written into the caller's buffers ---===//
//
// After one-shot bufferization every function returns buffers it allocated.
// This pass turns each memref result into an output argument: the caller
// passes the buffer and the function computes into it. The buffer the result
// was computed in is replaced by (a view of) the output, so nothing is copied,
// except for a result that may point into memory the function does not own
// (an argument, a global) or only into part of a buffer.
//
//===----------------------------------------------------------------------===//

#include "passes/CallOrder.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseSet.h"

namespace golf {
#define GEN_PASS_DEF_GOLFRESULTSTOOUTPUTS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;

namespace {

bool isIdentityStatic(MemRefType t) {
  return t && t.hasStaticShape() && t.getLayout().isIdentity();
}

/// A view of memref type `to` over a whole buffer of identity type `from`
/// (same element type and count): `from` itself when the types are equal.
Value wholeView(OpBuilder &b, Location loc, Value from, MemRefType to) {
  if (from.getType() == to)
    return from;
  SmallVector<int64_t> strides(to.getRank(), 1);
  for (int64_t d = to.getRank() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * to.getDimSize(d + 1);
  return b.create<memref::ReinterpretCastOp>(loc, to, from, /*offset=*/0,
                                             to.getShape(), strides);
}

/// The buffer `v` views as a whole (through reshapes and casts that keep every
/// element), or `v` itself.
Value wholeSource(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    Value source;
    if (auto c = dyn_cast<memref::CollapseShapeOp>(def))
      source = c.getSrc();
    else if (auto e = dyn_cast<memref::ExpandShapeOp>(def))
      source = e.getSrc();
    else if (auto c = dyn_cast<memref::CastOp>(def))
      source = c.getSource();
    else if (auto r = dyn_cast<memref::ReinterpretCastOp>(def))
      source = r.getSource();
    else
      return v;
    auto from = dyn_cast<MemRefType>(source.getType());
    auto to = dyn_cast<MemRefType>(v.getType());
    if (!isIdentityStatic(from) || !isIdentityStatic(to) ||
        from.getNumElements() != to.getNumElements())
      return v;
    if (auto r = dyn_cast<memref::ReinterpretCastOp>(def)) {
      auto [strides, offset] = getStridesAndOffset(r.getType());
      (void)strides;
      if (offset != 0 || !r.getOffsets().empty())
        return v;
    }
    v = source;
  }
  return v;
}

/// For each converted function: for each of its former results, the output
/// argument it is written to, or -1 when it is a view of another result
/// (`aliasOf`), which its callers rebuild from that one's buffer.
struct Converted {
  SmallVector<int64_t> output;
  SmallVector<int64_t> aliasOf;
  unsigned firstOutput = 0;
};

struct ResultsToOutputs
    : golf::impl::GolfResultsToOutputsBase<ResultsToOutputs> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (func::FuncOp fn : golf::calleesFirst(module)) {
      if (fn.isExternal() ||
          llvm::none_of(fn.getResultTypes(), llvm::IsaPred<BaseMemRefType>))
        continue;
      if (!fn.getBody().hasOneBlock()) {
        fn.emitOpError("golf-results-to-outputs: functions must be one block "
                       "(run it before lowering control flow)");
        return signalPassFailure();
      }
      if (llvm::any_of(fn.getResultTypes(),
                       [](Type t) { return !isa<MemRefType>(t); })) {
        fn.emitOpError("golf-results-to-outputs: every result must be a "
                       "ranked memref");
        return signalPassFailure();
      }
      Converted c = convert(fn);
      if (failed(rewriteCalls(module, fn, c)))
        return signalPassFailure();
    }
  }

  /// Makes the results of `fn` output arguments.
  Converted convert(func::FuncOp fn) {
    Block &body = fn.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    // A public function is called from outside: every result gets a buffer
    // of its own. A private one's results that view one buffer share it.
    const bool shareViews = fn.isPrivate();
    Converted c;
    c.firstOutput = fn.getNumArguments();
    llvm::DenseMap<Value, unsigned> claimed; // buffer -> result
    SmallVector<Value> roots;
    int64_t nextOutput = c.firstOutput;
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      Value root = wholeSource(v);
      auto alloc = root.getDefiningOp<memref::AllocOp>();
      bool owned = alloc && alloc->getBlock() == &body &&
                   isIdentityStatic(alloc.getType()) &&
                   isIdentityStatic(cast<MemRefType>(v.getType()));
      roots.push_back(owned ? root : Value());
      if (owned && claimed.count(root) && shareViews) {
        c.output.push_back(-1);
        c.aliasOf.push_back(claimed[root]);
        continue;
      }
      c.output.push_back(nextOutput++);
      c.aliasOf.push_back(-1);
      if (owned && !claimed.count(root))
        claimed[root] = i;
      else
        roots.back() = Value(); // copied
    }
    // The output arguments, in result order.
    MLIRContext *ctx = fn.getContext();
    SmallVector<Value> outputs;
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      if (c.output[i] < 0) {
        outputs.push_back(Value());
        continue;
      }
      auto type = cast<MemRefType>(v.getType());
      fn.insertArgument(
          fn.getNumArguments(),
          MemRefType::get(type.getShape(), type.getElementType()),
          DictionaryAttr::get(
              ctx, {NamedAttribute(StringAttr::get(ctx, "golf.output"),
                                   UnitAttr::get(ctx))}),
          v.getLoc());
      outputs.push_back(body.getArgument(fn.getNumArguments() - 1));
    }
    // A result that is not computed in a buffer of its own is copied into
    // its output at the end; then each claimed buffer becomes a view of its
    // output (the copies made first read the view: a result may be a buffer
    // another result claimed).
    OpBuilder b(ctx);
    b.setInsertionPoint(ret);
    for (auto [i, v] : llvm::enumerate(ret.getOperands()))
      if (c.output[i] >= 0 && !roots[i])
        b.create<memref::CopyOp>(ret.getLoc(), v, outputs[i]);
    for (size_t i = 0; i < roots.size(); ++i) {
      if (c.output[i] < 0 || !roots[i])
        continue;
      auto alloc = roots[i].getDefiningOp<memref::AllocOp>();
      b.setInsertionPoint(alloc);
      Value view = wholeView(b, alloc.getLoc(), outputs[i], alloc.getType());
      alloc.getResult().replaceAllUsesWith(view);
      alloc.erase();
    }
    b.setInsertionPoint(ret);
    b.create<func::ReturnOp>(ret.getLoc());
    ret.erase();
    fn.setType(FunctionType::get(ctx, fn.getArgumentTypes(), {}));
    // No other pointer reaches an output: once lowered to LLVM, their
    // aligned pointers are `noalias` (golf-dispatch-parallel marks them),
    // as the allocations they replace were.
    SmallVector<int64_t> exclusive;
    int64_t position = 0;
    bool ranked = true;
    for (BlockArgument a : body.getArguments()) {
      auto memref = dyn_cast<MemRefType>(a.getType());
      ranked &= memref || !isa<BaseMemRefType>(a.getType());
      if (memref && fn.getArgAttr(a.getArgNumber(), "golf.output"))
        exclusive.push_back(position + 1);
      position += memref ? 3 + 2 * memref.getRank() : 1;
    }
    if (ranked && !exclusive.empty())
      fn->setAttr("golf.noalias", b.getDenseI64ArrayAttr(exclusive));
    return c;
  }

  /// Each call of `fn` allocates its outputs before the call and passes them.
  LogicalResult rewriteCalls(ModuleOp module, func::FuncOp fn,
                             const Converted &c) {
    SmallVector<func::CallOp> calls;
    module.walk([&](func::CallOp call) {
      if (call.getCallee() == fn.getSymName())
        calls.push_back(call);
    });
    for (func::CallOp call : calls) {
      OpBuilder b(call);
      SmallVector<Value> operands(call.getOperands());
      SmallVector<Value> buffers(call.getNumResults());
      for (unsigned i = 0; i < call.getNumResults(); ++i) {
        if (c.output[i] < 0)
          continue;
        auto type = cast<MemRefType>(call.getResult(i).getType());
        if (!type.hasStaticShape())
          return call.emitOpError("golf-results-to-outputs: a result of "
                                  "dynamic shape cannot be allocated by "
                                  "the caller");
        // Aligned as one-shot bufferization aligns the buffers it makes.
        buffers[i] = b.create<memref::AllocOp>(
            call.getLoc(),
            MemRefType::get(type.getShape(), type.getElementType()),
            b.getI64IntegerAttr(64));
        operands.push_back(buffers[i]);
      }
      b.create<func::CallOp>(call.getLoc(), fn, operands);
      for (unsigned i = 0; i < call.getNumResults(); ++i) {
        Value replacement =
            c.output[i] >= 0
                ? buffers[i]
                : wholeView(b, call.getLoc(), buffers[c.aliasOf[i]],
                            cast<MemRefType>(call.getResult(i).getType()));
        if (replacement.getType() != call.getResult(i).getType())
          replacement = b.create<memref::CastOp>(
              call.getLoc(), call.getResult(i).getType(), replacement);
        call.getResult(i).replaceAllUsesWith(replacement);
      }
      call.erase();
    }
    return success();
  }
};

} // namespace
