//===- CpuLibraryCalls.cpp - library ops become calls of CPU kernels ------===//
//
// The ops only a library computes (Golf_TargetLibrary), on the CPU: each
// becomes a call of one of the runtime's kernels (runtime/entry_points.def)
// on memref views of its operands, into fresh buffers that the results
// read as tensors. golf.gemm calls BLAS through golf_rt_gemm_*; causal
// attention and its gradient the runtime's tiled online-softmax kernels;
// embedding_grad its scatter-add.
//
//===----------------------------------------------------------------------===//

#include "passes/LinalgLowering.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace golf {
#define GEN_PASS_DEF_GOLFCPULIBRARYCALLS
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

std::string kernelName(StringRef base, Type elem) {
  return (base + (elem.isF64() ? "_f64" : "_f32")).str();
}

/// The default scale of attention, 1/sqrt(head_dim), unless one is given.
double attentionScale(std::optional<APFloat> scale, RankedTensorType q) {
  return scale ? scale->convertToDouble()
               : 1.0 / std::sqrt((double)q.getDimSize(3));
}

/// The CPU computes attention with golfc's own kernel only.
LogicalResult checkAttentionLibrary(Operation *op,
                                    std::optional<StringRef> library) {
  if (!library || *library == "golf")
    return success();
  return op->emitOpError("golf-cpu-library-calls: ")
         << *library << " is not an attention library of the CPU target "
         << "(golf)";
}

class CpuLibraryCalls : public TensorBuilder {
public:
  CpuLibraryCalls(OpBuilder &b, ModuleOp module)
      : TensorBuilder(b), module(module) {}

  /// The values that replace `op`'s results, built at the builder's point;
  /// a failure has been reported on `op`.
  FailureOr<SmallVector<Value>> lower(Operation *op);

private:
  /// Calls the runtime kernel `name` on memref views of `inputs`, with
  /// fresh buffers for `outputs` and optional f64 scalars; returns the
  /// outputs as tensors.
  SmallVector<Value> callRuntime(Location loc, StringRef name,
                                 ValueRange inputs,
                                 ArrayRef<RankedTensorType> outputs,
                                 ArrayRef<double> scalars);

  ModuleOp module;
  /// The softmax statistics of each lowered causal attention, by its
  /// result, for the attention gradients that read it.
  DenseMap<Value, Value> attentionStats;
};

SmallVector<Value>
CpuLibraryCalls::callRuntime(Location loc, StringRef name, ValueRange inputs,
                             ArrayRef<RankedTensorType> outputs,
                             ArrayRef<double> scalars) {
  // Kernels take strided memrefs of any shape through the C interface.
  auto anyMemref = [&](RankedTensorType t) {
    int64_t rank = t.getRank();
    auto layout = StridedLayoutAttr::get(
        ctx(), ShapedType::kDynamic,
        SmallVector<int64_t>(rank, ShapedType::kDynamic));
    return MemRefType::get(SmallVector<int64_t>(rank, ShapedType::kDynamic),
                           t.getElementType(), layout);
  };
  SmallVector<Type> argTypes;
  SmallVector<Value> args;
  for (Value in : inputs) {
    RankedTensorType t = typeOf(in);
    // Kernels never write their inputs: read_only spares a copy.
    Value m = b.create<bufferization::ToMemrefOp>(
        loc, MemRefType::get(t.getShape(), t.getElementType()), in,
        /*read_only=*/true);
    args.push_back(b.create<memref::CastOp>(loc, anyMemref(t), m));
    argTypes.push_back(anyMemref(t));
  }
  SmallVector<Value> buffers;
  for (RankedTensorType t : outputs) {
    Value m = b.create<memref::AllocOp>(
        loc, MemRefType::get(t.getShape(), t.getElementType()));
    buffers.push_back(m);
    args.push_back(b.create<memref::CastOp>(loc, anyMemref(t), m));
    argTypes.push_back(anyMemref(t));
  }
  for (double scalar : scalars) {
    args.push_back(b.create<arith::ConstantOp>(loc, b.getF64FloatAttr(scalar)));
    argTypes.push_back(b.getF64Type());
  }
  // Only the runtime's entry points: the list they are declared and bound
  // from (a name outside it would fail to link, far from here).
  static const llvm::StringSet<> entries = {
#define GOLF_ENTRY(NAME, PARAMS) #NAME,
#include "runtime/entry_points.def"
  };
  if (!entries.contains(name))
    llvm::report_fatal_error("golf-cpu-library-calls calls " + name +
                             ", which runtime/entry_points.def does not list");
  if (!module.lookupSymbol<func::FuncOp>(name)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    auto decl =
        b.create<func::FuncOp>(loc, name, b.getFunctionType(argTypes, {}));
    decl.setPrivate();
    decl->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  }
  b.create<func::CallOp>(loc, name, TypeRange{}, args);
  SmallVector<Value> results;
  for (auto [t, m] : llvm::zip(outputs, buffers))
    results.push_back(b.create<bufferization::ToTensorOp>(
        loc, t, m, /*restrict=*/true, /*writable=*/true));
  return results;
}

FailureOr<SmallVector<Value>> CpuLibraryCalls::lower(Operation *op) {
  Location loc = op->getLoc();
  using Result = FailureOr<SmallVector<Value>>;
  return TypeSwitch<Operation *, Result>(op)
      .Case([&](GemmOp g) -> Result {
        if (g.getLibrary() != "blas") {
          g.emitOpError("golf-cpu-library-calls: ")
              << g.getLibrary() << " is not a library of the CPU target (blas)";
          return failure();
        }
        // One kernel per transposition: golf_rt_gemm_{n,t}{n,t}_f32.
        std::string base = std::string("golf_rt_gemm_") +
                           (g.getTransposeA() ? "t" : "n") +
                           (g.getTransposeB() ? "t" : "n");
        return callRuntime(loc, kernelName(base, g.getType().getElementType()),
                           {g.getA(), g.getB()}, {g.getType()}, {});
      })
      .Case([&](CausalAttentionOp a) -> Result {
        if (failed(checkAttentionLibrary(a, a.getLibrary())))
          return failure();
        RankedTensorType qt = typeOf(a.getQ());
        double scale = attentionScale(a.getScale(), qt);
        // The softmax statistics of every row, [B, T, H, 2], for the
        // gradient (which then does not recompute them).
        auto statsType = RankedTensorType::get(
            {qt.getDimSize(0), qt.getDimSize(1), qt.getDimSize(2), 2},
            qt.getElementType());
        SmallVector<Value> inputs = {a.getQ(), a.getK(), a.getV()};
        if (a.getStarts())
          inputs.push_back(a.getStarts());
        SmallVector<Value> r = callRuntime(
            loc,
            kernelName(a.getStarts() ? "golf_rt_attention_docs_stats"
                                     : "golf_rt_attention_stats",
                       qt.getElementType()),
            inputs, {qt, statsType},
            a.getStarts()
                ? SmallVector<double>{scale, (double)a.getSegment().value_or(0)}
                : SmallVector<double>{scale});
        attentionStats[r[0]] = r[1];
        return SmallVector<Value>{r[0]};
      })
      .Case([&](CausalAttentionGradOp grad) -> Result {
        if (failed(checkAttentionLibrary(grad, grad.getLibrary())))
          return failure();
        RankedTensorType qt = grad.getQ().getType();
        double scale = attentionScale(grad.getScale(), qt);
        // With the forward's softmax statistics when the gradient reads
        // the forward's own result; recomputed otherwise.
        Value stats = attentionStats.lookup(grad.getOut());
        SmallVector<Value> inputs = {grad.getQ(), grad.getK(), grad.getV(),
                                     grad.getOut(), grad.getGrad()};
        if (grad.getStarts())
          inputs.push_back(grad.getStarts());
        if (stats)
          inputs.push_back(stats);
        std::string name = grad.getStarts() ? "golf_rt_attention_grad_docs"
                                            : "golf_rt_attention_grad";
        return callRuntime(
            loc,
            kernelName(stats ? name + "_stats" : name, qt.getElementType()),
            inputs, {qt, grad.getK().getType(), grad.getV().getType()},
            grad.getStarts()
                ? SmallVector<double>{scale,
                                      (double)grad.getSegment().value_or(0)}
                : SmallVector<double>{scale});
      })
      .Case([&](EmbeddingGradOp eg) -> Result {
        RankedTensorType gt = typeOf(eg.getGrad());
        int64_t d = gt.getShape().back(), m = gt.getNumElements() / d;
        return callRuntime(
            loc, kernelName("golf_rt_embedding_grad", gt.getElementType()),
            {reshape(loc, eg.getIndices(), {m}),
             reshape(loc, eg.getGrad(), {m, d})},
            {eg.getType()}, {});
      })
      .Default([&](Operation *o) -> Result {
        return o->emitOpError(
            "golf-cpu-library-calls: no CPU kernel for this library op");
      });
}

struct CpuLibraryCallsPass
    : golf::impl::GolfCpuLibraryCallsBase<CpuLibraryCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // In program order: an attention's gradient finds the statistics of
    // the forward it reads.
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (op->hasTrait<golf::traits::TargetLibrary>())
        ops.push_back(op);
    });
    OpBuilder b(&getContext());
    CpuLibraryCalls lowering(b, module);
    for (Operation *op : ops) {
      for (Type t : op->getOperandTypes())
        if (auto rt = dyn_cast<RankedTensorType>(t);
            !rt || !rt.hasStaticShape()) {
          op->emitOpError("golf-cpu-library-calls: shapes must be static "
                          "(golf-specialize-shapes)");
          return signalPassFailure();
        }
      b.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> r = lowering.lower(op);
      if (failed(r))
        return signalPassFailure();
      op->replaceAllUsesWith(*r);
      op->erase();
    }
  }
};

} // namespace
