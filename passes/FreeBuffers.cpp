//===- FreeBuffers.cpp - frees each buffer after its last use -------------===//

#include "passes/CallOrder.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"

#include <functional>

namespace golf {
#define GEN_PASS_DEF_GOLFFREEBUFFERS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

/// What a memref value may point into: buffers the function allocated
/// (`roots`) and whether it may also point into memory it does not own
/// (arguments, globals, the stack).
struct Origin {
  llvm::SmallSetVector<Value, 2> roots;
  bool foreign = false;
};

/// For each function, for each result: the first result that returns the
/// same buffer (itself when none does).
using ResultClasses = llvm::DenseMap<StringRef, SmallVector<unsigned>>;

class Frees {
public:
  Frees(func::FuncOp fn, ResultClasses &classes) : fn(fn), classes(classes) {}

  LogicalResult run() {
    Block &body = fn.getBody().front();
    for (BlockArgument a : body.getArguments())
      if (isa<BaseMemRefType>(a.getType()))
        origin[a].foreign = true;
    // Origins, in program order; nested regions may read buffers but not
    // make them.
    for (Operation &op : body) {
      WalkResult nested = op.walk([&](Operation *inner) {
        if (inner == &op)
          return WalkResult::advance();
        for (Value r : inner->getResults())
          if (isa<BaseMemRefType>(r.getType())) {
            inner->emitOpError("golf-free-buffers: a buffer made inside a "
                               "region is not supported");
            return WalkResult::interrupt();
          }
        return WalkResult::advance();
      });
      if (nested.wasInterrupted() || failed(originOf(op)))
        return failure();
    }
    ownReturnedBuffers(body);
    placeFrees(body);
    return success();
  }

private:
  LogicalResult originOf(Operation &op) {
    for (Value r : op.getResults()) {
      if (!isa<BaseMemRefType>(r.getType()))
        continue;
      Origin &o = origin[r];
      if (isa<memref::AllocOp>(op)) {
        o.roots.insert(r);
        continue;
      }
      if (auto call = dyn_cast<func::CallOp>(op)) {
        // Every function returns buffers it owns (ownReturnedBuffers), which
        // the caller then owns; results that share a buffer share a root.
        unsigned i = cast<OpResult>(r).getResultNumber();
        auto it = classes.find(call.getCallee());
        unsigned first = it != classes.end() ? it->second[i] : i;
        o.roots.insert(call->getResult(first));
        continue;
      }
      if (isa<memref::AllocaOp, memref::GetGlobalOp>(op)) {
        o.foreign = true;
        continue;
      }
      bool fromOperands = false;
      for (Value v : op.getOperands())
        if (isa<BaseMemRefType>(v.getType())) {
          fromOperands = true;
          const Origin &from = origin[v];
          o.roots.insert(from.roots.begin(), from.roots.end());
          o.foreign |= from.foreign;
        }
      if (!fromOperands)
        return op.emitOpError("golf-free-buffers: cannot tell who owns the "
                              "buffer this op returns");
    }
    return success();
  }

  /// A returned buffer must be the caller's: one that may point into
  /// foreign memory, or into several buffers, is returned as a copy. Results
  /// that are views of one buffer are recorded as one class, so that the
  /// caller frees it once.
  void ownReturnedBuffers(Block &body) {
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    llvm::DenseMap<Value, unsigned> firstResult;
    SmallVector<unsigned> &resultClass = classes[fn.getName()];
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      unsigned i = operand.getOperandNumber();
      resultClass.push_back(i);
      Value v = operand.get();
      auto type = dyn_cast<MemRefType>(v.getType());
      if (!type)
        continue;
      const Origin &o = origin[v];
      if (!o.foreign && o.roots.size() == 1) {
        resultClass[i] =
            firstResult.try_emplace(o.roots.front(), i).first->second;
        continue;
      }
      auto copy = b.create<memref::AllocOp>(
          ret.getLoc(),
          MemRefType::get(type.getShape(), type.getElementType()));
      b.create<memref::CopyOp>(ret.getLoc(), v, copy);
      Value cast = copy.getResult();
      if (cast.getType() != type)
        cast = b.create<memref::CastOp>(ret.getLoc(), type, cast);
      operand.set(cast);
      origin[copy].roots.insert(copy);
      origin[cast].roots.insert(copy);
    }
  }

  /// Frees every buffer the function owns and does not return right after
  /// the last op that reads any view of it.
  void placeFrees(Block &body) {
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : body)
      position[&op] = index++;
    llvm::DenseMap<Value, Operation *> last;
    llvm::DenseSet<Value> returned;
    for (Operation &op : body) {
      op.walk([&](Operation *user) {
        for (Value v : user->getOperands()) {
          auto it = origin.find(v);
          if (it == origin.end())
            continue;
          for (Value r : it->second.roots) {
            if (isa<func::ReturnOp>(user))
              returned.insert(r);
            Operation *&l = last[r];
            if (!l || position[l] < position[&op])
              l = &op;
          }
        }
      });
    }
    for (Operation &op : body)
      for (Value r : op.getResults()) {
        auto it = origin.find(r);
        if (it == origin.end() || !it->second.roots.contains(r) ||
            returned.contains(r))
          continue;
        Operation *after = last.lookup(r);
        OpBuilder b(after ? after : &op);
        b.setInsertionPointAfter(after ? after : &op);
        b.create<memref::DeallocOp>(op.getLoc(), r);
      }
  }

  func::FuncOp fn;
  ResultClasses &classes;
  llvm::DenseMap<Value, Origin> origin;
};

struct FreeBuffers : golf::impl::GolfFreeBuffersBase<FreeBuffers> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Callees before callers: a call's results take their callee's classes.
    SmallVector<func::FuncOp> order = calleesFirst(module);
    ResultClasses classes;
    for (func::FuncOp fn : order) {
      if (fn.isExternal())
        continue;
      if (!fn.getBody().hasOneBlock()) {
        fn.emitOpError("golf-free-buffers: functions must be one block "
                       "(run it before lowering control flow)");
        return signalPassFailure();
      }
      if (failed(Frees(fn, classes).run()))
        return signalPassFailure();
    }
  }
};

} // namespace
