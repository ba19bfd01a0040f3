//===- LowerToLinalg.cpp - golf ops to linalg, tensor, arith, math --------===//
//
// Each golf compute op of @model is replaced, in program order, by
// target-independent MLIR on tensors. The rules follow the ops' documented
// semantics (dialect/GolfOps.td), which match PyTorch's: rotate-half RoPE
// with (x1 cos + x2 sin, x2 cos - x1 sin), rms_norm as x·rsqrt(mean(x²)+eps),
// cross-entropy through a max-shifted log-sum-exp (LinalgRules.cpp). A
// unary op computes each element as its UnaryMathOpInterface builds it. The
// ops only a library computes (Golf_TargetLibrary: gemm, attention,
// embedding_grad) are left to the target's library-call lowering.
//
//===----------------------------------------------------------------------===//

#include "passes/LinalgLowering.h"

#include "llvm/ADT/TypeSwitch.h"

namespace golf {
#define GEN_PASS_DEF_GOLFLOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;


Value LinalgLowering::binary(Operation *op, Value lhs, Value rhs) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  return elementwise(
      op->getLoc(), result, {lhs, rhs},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        Value x = a[0], y = a[1];
        bool isFloat = isa<FloatType>(x.getType());
        return TypeSwitch<Operation *, Value>(op)
            .Case([&](AddOp) -> Value {
              return isFloat ? nb.create<arith::AddFOp>(l, x, y).getResult()
                             : nb.create<arith::AddIOp>(l, x, y).getResult();
            })
            .Case([&](SubOp) -> Value {
              return isFloat ? nb.create<arith::SubFOp>(l, x, y).getResult()
                             : nb.create<arith::SubIOp>(l, x, y).getResult();
            })
            .Case([&](MulOp) -> Value {
              return isFloat ? nb.create<arith::MulFOp>(l, x, y).getResult()
                             : nb.create<arith::MulIOp>(l, x, y).getResult();
            })
            .Case([&](DivOp) { return nb.create<arith::DivFOp>(l, x, y); })
            .Case([&](MaxOp) -> Value {
              return isFloat ? nb.create<arith::MaximumFOp>(l, x, y).getResult()
                             : nb.create<arith::MaxSIOp>(l, x, y).getResult();
            })
            .Case([&](MinOp) -> Value {
              return isFloat ? nb.create<arith::MinimumFOp>(l, x, y).getResult()
                             : nb.create<arith::MinSIOp>(l, x, y).getResult();
            })
            .Case([&](XorOp) { return nb.create<arith::XOrIOp>(l, x, y); })
            .Case([&](RemOp) -> Value {
              // Floor modulo: the remainder takes the divisor's sign. A
              // divisor of 0 (or -1, whose remainder is 0 anyway) is
              // replaced by 1: the result is 0 and no SIGFPE is raised.
              Value zero = nb.create<arith::ConstantOp>(
                  l, nb.getIntegerAttr(x.getType(), 0));
              Value one = nb.create<arith::ConstantOp>(
                  l, nb.getIntegerAttr(x.getType(), 1));
              Value minusOne = nb.create<arith::ConstantOp>(
                  l, nb.getIntegerAttr(x.getType(), -1));
              Value trap = nb.create<arith::OrIOp>(
                  l,
                  nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, y,
                                           zero),
                  nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::eq, y,
                                           minusOne));
              y = nb.create<arith::SelectOp>(l, trap, one, y);
              Value r = nb.create<arith::RemSIOp>(l, x, y);
              Value nonzero = nb.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::ne, r, zero);
              Value rNeg = nb.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::slt, r, zero);
              Value yNeg = nb.create<arith::CmpIOp>(
                  l, arith::CmpIPredicate::slt, y, zero);
              Value differ = nb.create<arith::XOrIOp>(l, rNeg, yNeg);
              Value fix = nb.create<arith::AndIOp>(l, nonzero, differ);
              return nb.create<arith::SelectOp>(
                  l, fix, nb.create<arith::AddIOp>(l, r, y), r);
            })
            .Case([&](CmpOp cmp) -> Value {
              StringRef p = cmp.getPredicate();
              if (isFloat) {
                auto pred = llvm::StringSwitch<arith::CmpFPredicate>(p)
                                .Case("lt", arith::CmpFPredicate::OLT)
                                .Case("le", arith::CmpFPredicate::OLE)
                                .Case("gt", arith::CmpFPredicate::OGT)
                                .Case("ge", arith::CmpFPredicate::OGE)
                                .Case("eq", arith::CmpFPredicate::OEQ)
                                .Default(arith::CmpFPredicate::UNE);
                return nb.create<arith::CmpFOp>(l, pred, x, y);
              }
              auto pred = llvm::StringSwitch<arith::CmpIPredicate>(p)
                              .Case("lt", arith::CmpIPredicate::slt)
                              .Case("le", arith::CmpIPredicate::sle)
                              .Case("gt", arith::CmpIPredicate::sgt)
                              .Case("ge", arith::CmpIPredicate::sge)
                              .Case("eq", arith::CmpIPredicate::eq)
                              .Default(arith::CmpIPredicate::ne);
              return nb.create<arith::CmpIOp>(l, pred, x, y);
            });
      });
}

FailureOr<Value> LinalgLowering::lower(Operation *op) {
  Location loc = op->getLoc();
  return TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](ConstantOp c) -> FailureOr<Value> {
        auto t = typeOf(c.getResult());
        double v = c.getValue().convertToDouble();
        Attribute attr =
            isa<FloatType>(t.getElementType())
                ? (Attribute)DenseElementsAttr::get(
                      t, b.getFloatAttr(t.getElementType(), v))
                : (Attribute)DenseElementsAttr::get(
                      t, b.getIntegerAttr(t.getElementType(), (int64_t)v));
        return b.create<arith::ConstantOp>(loc, cast<TypedAttr>(attr))
            .getResult();
      })
      .Case<AddOp, SubOp, MulOp, DivOp, MaxOp, MinOp, RemOp, XorOp, CmpOp>(
          [&](Operation *o) -> FailureOr<Value> {
            return binary(o, o->getOperand(o->getNumOperands() - 2),
                          o->getOperand(o->getNumOperands() - 1));
          })
      .Case([&](SelectOp s) -> FailureOr<Value> {
        return elementwise(
            loc, typeOf(s.getResult()), {s.getCond(), s.getLhs(), s.getRhs()},
            [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
              return nb.create<arith::SelectOp>(l, a[0], a[1], a[2]);
            });
      })
      .Case([&](UnaryMathOpInterface u) -> FailureOr<Value> {
        return elementwise(
            loc, typeOf(op->getResult(0)), {op->getOperand(0)},
            [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) {
              return u.buildScalar(nb, l, a[0]);
            });
      })
      .Case([&](LeakyReluOp lr) -> FailureOr<Value> {
        double alpha = lr.getAlpha().convertToDouble();
        return elementwise(
            loc, lr.getType(), {lr.getInput()},
            [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
              Value x = a[0];
              auto c = [&](double v) {
                return nb.create<arith::ConstantOp>(
                    l, nb.getFloatAttr(x.getType(), v));
              };
              Value pos = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                                   x, c(0));
              Value neg = nb.create<arith::MulFOp>(l, x, c(alpha));
              return nb.create<arith::SelectOp>(l, pos, x, neg);
            });
      })
      .Case([&](SoftcapOp sc) -> FailureOr<Value> {
        double cap = sc.getCap().convertToDouble();
        return elementwise(
            loc, typeOf(sc.getResult()), {sc.getInput()},
            [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
              Value c = nb.create<arith::ConstantOp>(
                  l, nb.getFloatAttr(a[0].getType(), cap));
              Value t = nb.create<math::TanhOp>(
                  l, nb.create<arith::DivFOp>(l, a[0], c));
              return nb.create<arith::MulFOp>(l, c, t);
            });
      })
      .Case([&](ReshapeOp r) -> FailureOr<Value> {
        return reshape(loc, r.getInput(), r.getType().getShape());
      })
      .Case([&](SliceOp s) -> FailureOr<Value> {
        RankedTensorType in = typeOf(s.getInput());
        SmallVector<OpFoldResult> offsets(in.getRank(), b.getIndexAttr(0)),
            strides(in.getRank(), b.getIndexAttr(1)), sizes;
        offsets[s.getAxis()] = b.getIndexAttr((int64_t)s.getStart());
        for (int64_t d : s.getType().getShape())
          sizes.push_back(b.getIndexAttr(d));
        return b
            .create<tensor::ExtractSliceOp>(loc, s.getType(), s.getInput(),
                                            offsets, sizes, strides)
            .getResult();
      })
      .Case([&](ConcatOp c) -> FailureOr<Value> {
        RankedTensorType out = c.getType();
        Value acc = empty(loc, out);
        int64_t at = 0;
        for (Value in : c.getInputs()) {
          RankedTensorType t = typeOf(in);
          SmallVector<OpFoldResult> offsets(out.getRank(), b.getIndexAttr(0)),
              strides(out.getRank(), b.getIndexAttr(1)), sizes;
          offsets[c.getAxis()] = b.getIndexAttr(at);
          for (int64_t d : t.getShape())
            sizes.push_back(b.getIndexAttr(d));
          acc = b.create<tensor::InsertSliceOp>(loc, in, acc, offsets, sizes,
                                                strides);
          at += t.getDimSize(c.getAxis());
        }
        return acc;
      })
      .Case([&](ShiftOp s) -> FailureOr<Value> {
        RankedTensorType t = s.getType();
        int64_t amount = (int64_t)s.getAmount();
        double fill = s.getFill().convertToDouble();
        Value input = s.getInput();
        return elementwise(
            loc, t, {},
            [&](OpBuilder &nb, Location l, ValueRange,
                ValueRange idx) -> Value {
              // src = t - amount, valid when 0 <= src < T.
              Value len = nb.create<arith::ConstantIndexOp>(l, t.getDimSize(1));
              Value src =
                  amount > 0
                      ? nb.create<arith::SubIOp>(
                              l, idx[1],
                              nb.create<arith::ConstantIndexOp>(l, amount))
                            .getResult()
                      : nb.create<arith::AddIOp>(
                              l, idx[1],
                              nb.create<arith::ConstantIndexOp>(l, -amount))
                            .getResult();
              Value valid =
                  amount > 0
                      ? nb.create<arith::CmpIOp>(
                              l, arith::CmpIPredicate::sge, idx[1],
                              nb.create<arith::ConstantIndexOp>(l, amount))
                            .getResult()
                      : nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt,
                                                 src, len)
                            .getResult();
              Value safe = nb.create<arith::SelectOp>(
                  l, valid, src, nb.create<arith::ConstantIndexOp>(l, 0));
              SmallVector<Value> at(idx);
              at[1] = safe;
              Value v = nb.create<tensor::ExtractOp>(l, input, at);
              Type elem = t.getElementType();
              Value f = isa<FloatType>(elem)
                            ? nb.create<arith::ConstantOp>(
                                  l, nb.getFloatAttr(elem, fill))
                            : nb.create<arith::ConstantOp>(
                                  l, nb.getIntegerAttr(elem, (int64_t)fill));
              return nb.create<arith::SelectOp>(l, valid, v, f);
            });
      })
      .Case<SumOp, MeanOp>([&](Operation *o) -> FailureOr<Value> {
        Value input = o->getOperand(0);
        int64_t axis = o->getAttrOfType<IntegerAttr>("axis").getInt();
        Value kept = reduceKeep(
            loc, {input}, axis, 0.0,
            [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
              return nb.create<arith::AddFOp>(l, a[1], a[0]);
            });
        if (isa<MeanOp>(o)) {
          double n = (double)typeOf(input).getDimSize(axis);
          Type elem = typeOf(input).getElementType();
          kept = elementwise(
              loc, typeOf(kept), {kept},
              [&](OpBuilder &nb, Location l, ValueRange a,
                  ValueRange) -> Value {
                return nb.create<arith::DivFOp>(
                    l, a[0],
                    nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, n)));
              });
        }
        return reshape(
            loc, kept,
            cast<RankedTensorType>(o->getResult(0).getType()).getShape());
      })
      .Case([&](EmbeddingOp e) -> FailureOr<Value> {
        RankedTensorType out = e.getType();
        Value ids = e.getIndices(), table = e.getTable();
        // The ids with a trailing 1 broadcast along the embedding dimension.
        SmallVector<int64_t> idShape(typeOf(ids).getShape());
        idShape.push_back(1);
        return elementwise(
            loc, out, {reshape(loc, ids, idShape)},
            [&](OpBuilder &nb, Location l, ValueRange a,
                ValueRange idx) -> Value {
              // An id outside the table reads zeros, never memory beyond
              // it (embedding_grad skips such ids alike).
              auto [row, inside] =
                  safeIndex(nb, l, a[0], typeOf(table).getDimSize(0));
              Value v = nb.create<tensor::ExtractOp>(
                  l, table, ValueRange{row, idx.back()});
              Value zero = nb.create<arith::ConstantOp>(
                  l, nb.getFloatAttr(out.getElementType(), 0.0));
              return nb.create<arith::SelectOp>(l, inside, v, zero);
            });
      })
      .Case([&](LinearOp lin) -> FailureOr<Value> {
        RankedTensorType xt = typeOf(lin.getInput());
        RankedTensorType wt = typeOf(lin.getWeight());
        int64_t k = xt.getShape().back(), n = wt.getDimSize(0);
        int64_t m = xt.getNumElements() / k;
        Value x2 = reshape(loc, lin.getInput(), {m, k});
        auto outType = RankedTensorType::get({m, n}, xt.getElementType());
        Value acc =
            b.create<linalg::FillOp>(loc, scalar(loc, xt.getElementType(), 0),
                                     empty(loc, outType))
                .getResult(0);
        Value y = b.create<linalg::MatmulTransposeBOp>(
                       loc, TypeRange{outType}, ValueRange{x2, lin.getWeight()},
                       ValueRange{acc})
                      .getResult(0);
        return reshape(loc, y, lin.getType().getShape());
      })
      .Case([&](RmsNormOp r) -> FailureOr<Value> { return rmsNorm(r); })
      .Case([&](RopeOp r) -> FailureOr<Value> { return rope(r); })
      .Case([&](BroadcastToOp bt) -> FailureOr<Value> {
        return elementwise(loc, bt.getType(), {bt.getInput()},
                           [&](OpBuilder &, Location, ValueRange a,
                               ValueRange) -> Value { return a[0]; });
      })
      .Case([&](ReduceToOp r) -> FailureOr<Value> { return reduceTo(r); })
      .Case([&](PadOp p) -> FailureOr<Value> {
        RankedTensorType out = p.getType();
        Value acc =
            b.create<linalg::FillOp>(loc, scalar(loc, out.getElementType(), 0),
                                     empty(loc, out))
                .getResult(0);
        SmallVector<OpFoldResult> offsets(out.getRank(), b.getIndexAttr(0)),
            strides(out.getRank(), b.getIndexAttr(1)), sizes;
        offsets[p.getAxis()] = b.getIndexAttr((int64_t)p.getBefore());
        for (int64_t d : typeOf(p.getInput()).getShape())
          sizes.push_back(b.getIndexAttr(d));
        return b
            .create<tensor::InsertSliceOp>(loc, p.getInput(), acc, offsets,
                                           sizes, strides)
            .getResult();
      })
      .Case([&](LinearGradInputOp lg) -> FailureOr<Value> {
        RankedTensorType gt = typeOf(lg.getGrad());
        RankedTensorType wt = typeOf(lg.getWeight());
        int64_t n = wt.getDimSize(0), k = wt.getDimSize(1);
        int64_t m = gt.getNumElements() / n;
        auto outType = RankedTensorType::get({m, k}, gt.getElementType());
        Value acc =
            b.create<linalg::FillOp>(loc, scalar(loc, gt.getElementType(), 0),
                                     empty(loc, outType))
                .getResult(0);
        Value y =
            b.create<linalg::MatmulOp>(
                 loc, TypeRange{outType},
                 ValueRange{reshape(loc, lg.getGrad(), {m, n}), lg.getWeight()},
                 ValueRange{acc})
                .getResult(0);
        return reshape(loc, y, lg.getType().getShape());
      })
      .Case([&](LinearGradWeightOp lg) -> FailureOr<Value> {
        RankedTensorType gt = typeOf(lg.getGrad());
        RankedTensorType xt = typeOf(lg.getInput());
        int64_t n = gt.getShape().back(), k = xt.getShape().back();
        int64_t m = gt.getNumElements() / n;
        auto outType = RankedTensorType::get({n, k}, gt.getElementType());
        Value acc =
            b.create<linalg::FillOp>(loc, scalar(loc, gt.getElementType(), 0),
                                     empty(loc, outType))
                .getResult(0);
        return b
            .create<linalg::MatmulTransposeAOp>(
                loc, TypeRange{outType},
                ValueRange{reshape(loc, lg.getGrad(), {m, n}),
                           reshape(loc, lg.getInput(), {m, k})},
                ValueRange{acc})
            .getResult(0);
      })
      .Case([&](CrossEntropyGradOp c) -> FailureOr<Value> {
        return crossEntropyGrad(c);
      })
      .Case(
          [&](CrossEntropyOp c) -> FailureOr<Value> { return crossEntropy(c); })
      .Case([&](FakeQuantOp q) -> FailureOr<Value> { return fakeQuant(q); })
      .Case([&](TokenCrossEntropyOp c) -> FailureOr<Value> {
        return reshape(loc, tokenLosses(loc, c.getLogits(), c.getTargets()),
                       typeOf(c.getResult()).getShape());
      })
      .Default([&](Operation *o) -> FailureOr<Value> {
        return o->emitOpError("golf-lower-to-linalg: no lowering");
      });
}

namespace {

struct LowerToLinalg : golf::impl::GolfLowerToLinalgBase<LowerToLinalg> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto model = module.lookupSymbol<func::FuncOp>("model");
    if (!model || model.isExternal()) {
      module.emitError("golf-lower-to-linalg: no func.func @model with a body");
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    WalkResult check = module.walk([&](Operation *op) -> WalkResult {
      if (!op->getParentOfType<func::FuncOp>() ||
          !isa<GolfDialect>(op->getDialect()))
        return WalkResult::advance();
      if (isa<FusedOp, YieldOp>(op))
        return WalkResult::advance(); // Outlined below.
      if (isa<ParamRefOp>(op)) {
        op->emitOpError("golf-lower-to-linalg: bind parameters first "
                        "(golf-bind-params)");
        return WalkResult::interrupt();
      }
      for (Type t : op->getResultTypes())
        if (!cast<RankedTensorType>(t).hasStaticShape()) {
          op->emitOpError("golf-lower-to-linalg: shapes must be static "
                          "(golf-specialize-shapes)");
          return WalkResult::interrupt();
        }
      if (op->hasTrait<golf::traits::TargetLibrary>())
        return WalkResult::advance(); // For the target's library calls.
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (check.wasInterrupted())
      return signalPassFailure();
    OpBuilder b(&getContext());
    LinalgLowering lowering(b);
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      FailureOr<Value> v = lowering.lower(op);
      if (failed(v))
        return signalPassFailure();
      op->getResult(0).replaceAllUsesWith(*v);
      op->erase();
    }
    outlineKernels(module);
  }

  /// Each golf.fused becomes a private function @<function>.<name> called
  /// in its place: one kernel, compiled on its own.
  void outlineKernels(ModuleOp module) {
    SmallVector<FusedOp> fused;
    module.walk([&](FusedOp op) { fused.push_back(op); });
    OpBuilder b(&getContext());
    for (FusedOp op : fused) {
      auto parent = op->getParentOfType<func::FuncOp>();
      std::string name = (parent.getName() + "." + op.getName()).str();
      b.setInsertionPointAfter(parent);
      auto kernel = b.create<func::FuncOp>(
          op.getLoc(), name,
          b.getFunctionType(op.getInputs().getTypes(), op.getResultTypes()));
      kernel.setPrivate();
      // Kept apart by LLVM's inliner too, so that no function grows with
      // the depth of the model.
      kernel->setAttr("passthrough",
                      b.getArrayAttr({b.getStringAttr("noinline")}));
      kernel.getBody().takeBody(op.getBody());
      auto yield = cast<YieldOp>(kernel.getBody().front().getTerminator());
      b.setInsertionPoint(yield);
      b.create<func::ReturnOp>(yield.getLoc(), yield.getValues());
      yield.erase();
      b.setInsertionPoint(op);
      auto call = b.create<func::CallOp>(op.getLoc(), kernel, op.getInputs());
      op->replaceAllUsesWith(call.getResults());
      op->erase();
    }
  }
};

} // namespace
