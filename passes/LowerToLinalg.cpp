//===- LowerToLinalg.cpp - golf ops to linalg, tensor, arith, math --------===//
//
// Each golf compute op of @model is replaced, in program order, by
// target-independent MLIR on tensors. The rules follow the ops' documented
// semantics (dialect/GolfOps.td), which match PyTorch's: rotate-half RoPE
// with (x1 cos + x2 sin, x2 cos - x1 sin), rms_norm as x·rsqrt(mean(x²)+eps),
// cross-entropy through a max-shifted log-sum-exp.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AffineMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace golf {
#define GEN_PASS_DEF_GOLFLOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

using utils::IteratorType;
using BodyFn =
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange, ValueRange)>;

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

class Lowering {
public:
  Lowering(OpBuilder &b, ModuleOp module) : b(b), module(module) {}

  FailureOr<Value> lower(Operation *op);
  /// The softmax statistics of each lowered causal attention, by its
  /// result, for the attention gradients that read it.
  DenseMap<Value, Value> attentionStats;
  /// Calls the runtime kernel `name` on memref views of `inputs`, with
  /// fresh buffers for `outputs` and an optional f64 scalar; returns the
  /// outputs as tensors.
  SmallVector<Value> callRuntime(Location loc, StringRef name,
                                 ValueRange inputs,
                                 ArrayRef<RankedTensorType> outputs,
                                 ArrayRef<double> scalars);

private:
  MLIRContext *ctx() { return b.getContext(); }

  Value empty(Location loc, RankedTensorType t) {
    return b.create<tensor::EmptyOp>(loc, t.getShape(), t.getElementType());
  }
  Value scalar(Location loc, Type elem, double v) {
    if (isa<FloatType>(elem))
      return b.create<arith::ConstantOp>(loc, b.getFloatAttr(elem, v));
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(elem, (int64_t)v));
  }

  /// The map from the loops of a result to an operand broadcast into it:
  /// right-aligned, size-1 dimensions read index 0.
  AffineMap broadcastMap(RankedTensorType operand, RankedTensorType result) {
    unsigned r = result.getRank(), o = operand.getRank();
    SmallVector<AffineExpr> exprs;
    for (unsigned i = 0; i < o; ++i) {
      unsigned rd = r - o + i;
      if (operand.getDimSize(i) == 1 && result.getDimSize(rd) != 1)
        exprs.push_back(getAffineConstantExpr(0, ctx()));
      else
        exprs.push_back(getAffineDimExpr(rd, ctx()));
    }
    return AffineMap::get(r, 0, exprs, ctx());
  }

  /// A parallel linalg.generic over `result`'s shape reading `inputs` with
  /// broadcasting; `body` gets the input scalars and the loop indices.
  Value elementwise(Location loc, RankedTensorType result, ValueRange inputs,
                    BodyFn body) {
    SmallVector<AffineMap> maps;
    for (Value in : inputs)
      maps.push_back(broadcastMap(typeOf(in), result));
    maps.push_back(b.getMultiDimIdentityMap(result.getRank()));
    SmallVector<IteratorType> iters(result.getRank(), IteratorType::parallel);
    auto generic = b.create<linalg::GenericOp>(
        loc, result, inputs, ValueRange{empty(loc, result)}, maps, iters,
        [&](OpBuilder &nb, Location l, ValueRange args) {
          SmallVector<Value> idx;
          for (int64_t d = 0; d < result.getRank(); ++d)
            idx.push_back(nb.create<linalg::IndexOp>(l, d));
          nb.create<linalg::YieldOp>(l, body(nb, l, args.drop_back(), idx));
        });
    return generic.getResult(0);
  }

  /// Reduces dimension `axis` of the loops of `inputs[0]`'s shape into a
  /// tensor that keeps it with size 1; `combine(inputs..., acc)`.
  Value reduceKeep(Location loc, ValueRange inputs, int64_t axis, double init,
                   BodyFn combine) {
    RankedTensorType in = typeOf(inputs[0]);
    SmallVector<int64_t> shape(in.getShape());
    shape[axis] = 1;
    auto out = RankedTensorType::get(shape, in.getElementType());
    Value acc =
        b.create<linalg::FillOp>(loc, scalar(loc, in.getElementType(), init),
                                 empty(loc, out))
            .getResult(0);
    SmallVector<AffineMap> maps;
    for (Value v : inputs)
      maps.push_back(broadcastMap(typeOf(v), in));
    SmallVector<AffineExpr> outExprs;
    for (int64_t d = 0; d < in.getRank(); ++d)
      outExprs.push_back(d == axis ? getAffineConstantExpr(0, ctx())
                                   : getAffineDimExpr(d, ctx()));
    maps.push_back(AffineMap::get(in.getRank(), 0, outExprs, ctx()));
    SmallVector<IteratorType> iters(in.getRank(), IteratorType::parallel);
    iters[axis] = IteratorType::reduction;
    return b
        .create<linalg::GenericOp>(
            loc, out, inputs, ValueRange{acc}, maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              nb.create<linalg::YieldOp>(l, combine(nb, l, args, {}));
            })
        .getResult(0);
  }

  /// Sums every element of `input` into a rank-0 tensor.
  Value reduceAll(Location loc, Value input) {
    RankedTensorType in = typeOf(input);
    auto out = RankedTensorType::get({}, in.getElementType());
    Value acc = b.create<linalg::FillOp>(
                     loc, scalar(loc, in.getElementType(), 0), empty(loc, out))
                    .getResult(0);
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(in.getRank()),
                                   AffineMap::get(in.getRank(), 0, {}, ctx())};
    SmallVector<IteratorType> iters(in.getRank(), IteratorType::reduction);
    return b
        .create<linalg::GenericOp>(
            loc, out, ValueRange{input}, ValueRange{acc}, maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              nb.create<linalg::YieldOp>(
                  l, nb.create<arith::AddFOp>(l, args[1], args[0]).getResult());
            })
        .getResult(0);
  }

  /// A reshape as views: collapse to one dimension, expand to the new
  /// shape. Both bufferize to views of the same buffer, never a copy.
  Value reshape(Location loc, Value v, ArrayRef<int64_t> shape) {
    RankedTensorType from = typeOf(v);
    if (from.getShape() == shape)
      return v;
    Type elem = from.getElementType();
    auto all = [](int64_t rank) {
      SmallVector<ReassociationIndices> r(1);
      for (int64_t i = 0; i < rank; ++i)
        r[0].push_back(i);
      return r;
    };
    auto flat = RankedTensorType::get({from.getNumElements()}, elem);
    if (from.getRank() > 1)
      v = b.create<tensor::CollapseShapeOp>(loc, flat, v, all(from.getRank()));
    else if (from.getRank() == 0)
      v = b.create<tensor::ExpandShapeOp>(loc, flat, v,
                                          SmallVector<ReassociationIndices>{});
    auto to = RankedTensorType::get(shape, elem);
    if (to.getRank() > 1)
      return b.create<tensor::ExpandShapeOp>(loc, to, v, all(to.getRank()));
    if (to.getRank() == 0)
      return b.create<tensor::CollapseShapeOp>(
          loc, to, v, SmallVector<ReassociationIndices>{});
    return v;
  }

  Value castIndex(OpBuilder &nb, Location l, Value v) {
    return nb.create<arith::IndexCastOp>(l, nb.getIndexType(), v);
  }
  /// An i32 id as an index that is always inside [0, size) (0 when the id
  /// is not), and whether the id was.
  std::pair<Value, Value> safeIndex(OpBuilder &nb, Location l, Value id,
                                    int64_t size) {
    Value i = castIndex(nb, l, id);
    Value inside =
        nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, i,
                                 nb.create<arith::ConstantIndexOp>(l, size));
    return {nb.create<arith::SelectOp>(l, inside, i,
                                       nb.create<arith::ConstantIndexOp>(l, 0)),
            inside};
  }

  Value binary(Operation *op, Value lhs, Value rhs);
  /// Per row of the last dimension: the maximum m and sum(exp(x - m)),
  /// both keeping that dimension with size 1.
  std::pair<Value, Value> rowMaxAndSum(Location loc, Value logits);
  Value crossEntropyGrad(CrossEntropyGradOp op);
  Value reduceTo(ReduceToOp op);
  Value unary(Operation *op, Value x);
  Value rmsNorm(RmsNormOp op);
  Value rope(RopeOp op);
  Value crossEntropy(CrossEntropyOp op);
  Value fakeQuant(FakeQuantOp op);
  /// logsumexp(logits) - logits[target] per position, with a trailing 1.
  Value tokenLosses(Location loc, Value logits, Value targets);

  OpBuilder &b;
  ModuleOp module;
};

Value Lowering::binary(Operation *op, Value lhs, Value rhs) {
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

Value Lowering::unary(Operation *op, Value x) {
  auto result = typeOf(x);
  Type elem = result.getElementType();
  return elementwise(
      op->getLoc(), result, {x},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        Value v = a[0];
        auto c = [&](double d) {
          return nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, d));
        };
        return TypeSwitch<Operation *, Value>(op)
            .Case([&](NegOp) { return nb.create<arith::NegFOp>(l, v); })
            .Case([&](ReluOp) {
              return nb.create<arith::MaximumFOp>(l, v, c(0));
            })
            .Case([&](SquareOp) { return nb.create<arith::MulFOp>(l, v, v); })
            .Case([&](TanhOp) { return nb.create<math::TanhOp>(l, v); })
            .Case([&](SigmoidOp) -> Value {
              Value e =
                  nb.create<math::ExpOp>(l, nb.create<arith::NegFOp>(l, v));
              return nb.create<arith::DivFOp>(
                  l, c(1), nb.create<arith::AddFOp>(l, c(1), e));
            })
            .Case([&](SqrtOp) { return nb.create<math::SqrtOp>(l, v); })
            .Case([&](RsqrtOp) -> Value {
              // 1 / sqrt: math.rsqrt has no scalar LLVM lowering.
              return nb.create<arith::DivFOp>(l, c(1),
                                              nb.create<math::SqrtOp>(l, v));
            })
            .Case([&](ExpOp) { return nb.create<math::ExpOp>(l, v); })
            .Case([&](LogOp) { return nb.create<math::LogOp>(l, v); })
            .Case([&](AbsOp) { return nb.create<math::AbsFOp>(l, v); })
            .Case([&](LeakyReluOp lr) -> Value {
              Value pos = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT,
                                                   v, c(0));
              Value neg = nb.create<arith::MulFOp>(
                  l, v, c(lr.getAlpha().convertToDouble()));
              return nb.create<arith::SelectOp>(l, pos, v, neg);
            })
            .Case([&](SoftcapOp sc) -> Value {
              double cap = sc.getCap().convertToDouble();
              Value t = nb.create<math::TanhOp>(
                  l, nb.create<arith::DivFOp>(l, v, c(cap)));
              return nb.create<arith::MulFOp>(l, c(cap), t);
            });
      });
}

Value Lowering::rmsNorm(RmsNormOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  RankedTensorType t = typeOf(x);
  Type elem = t.getElementType();
  int64_t last = t.getRank() - 1;
  double eps = op.getEffectiveEps();
  double n = (double)t.getDimSize(last);
  Value ss = reduceKeep(
      loc, {x}, last, 0.0,
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        Value sq = nb.create<arith::MulFOp>(l, a[0], a[0]);
        return nb.create<arith::AddFOp>(l, a[1], sq);
      });
  return elementwise(
      loc, t, {x, ss},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        Value mean = nb.create<arith::DivFOp>(
            l, a[1], nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, n)));
        Value root = nb.create<math::SqrtOp>(
            l, nb.create<arith::AddFOp>(l, mean,
                                        nb.create<arith::ConstantOp>(
                                            l, nb.getFloatAttr(elem, eps))));
        Value r = nb.create<arith::DivFOp>(
            l, nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 1.0)),
            root);
        return nb.create<arith::MulFOp>(l, a[0], r);
      });
}

Value Lowering::rope(RopeOp op) {
  Location loc = op.getLoc();
  Value x = op.getInput();
  RankedTensorType t = typeOf(x);
  Type elem = t.getElementType();
  int64_t len = t.getDimSize(1), headDim = t.getDimSize(3);
  int64_t dims = (int64_t)op.getDims(), half = dims / 2;
  double base = op.getBase().convertToDouble();
  bool inverse = op.getInverse();
  // Tables over [T, 1, head_dim], computed once per op: with them
  // y[d] = x[d]·cos[t, d] + x[pair(d)]·sin[t, d], where sin carries the
  // sign of the half: (x1 cos + x2 sin, x2 cos - x1 sin), and the
  // unrotated dimensions have cos 1, sin 0. `inverse` negates sin.
  auto tableType = RankedTensorType::get({len, 1, headDim}, elem);
  auto table = [&](bool isSin) {
    return elementwise(
        loc, tableType, {},
        [&](OpBuilder &nb, Location l, ValueRange, ValueRange idx) -> Value {
          auto ci = [&](int64_t v) {
            return nb.create<arith::ConstantIndexOp>(l, v);
          };
          auto cf = [&](double v) {
            return nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, v));
          };
          Value d = idx[2];
          Value lowHalf = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult,
                                                   d, ci(half));
          Value rotated = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult,
                                                   d, ci(dims));
          Value j = nb.create<arith::SelectOp>(
              l, lowHalf, d,
              nb.create<arith::SelectOp>(
                  l, rotated, nb.create<arith::SubIOp>(l, d, ci(half)), ci(0)));
          Value pos = nb.create<arith::UIToFPOp>(
              l, elem,
              nb.create<arith::IndexCastOp>(l, nb.getI64Type(), idx[0]));
          Value jf = nb.create<arith::UIToFPOp>(
              l, elem, nb.create<arith::IndexCastOp>(l, nb.getI64Type(), j));
          // inv_freq_j = 1 / base^(2j / dims), angle = t * inv_freq_j.
          Value exponent = nb.create<arith::DivFOp>(
              l, nb.create<arith::MulFOp>(l, cf(2), jf), cf((double)dims));
          Value inv = nb.create<arith::DivFOp>(
              l, cf(1), nb.create<math::PowFOp>(l, cf(base), exponent));
          Value angle = nb.create<arith::MulFOp>(l, pos, inv);
          if (!isSin)
            return nb.create<arith::SelectOp>(
                l, rotated, nb.create<math::CosOp>(l, angle), cf(1));
          Value sin = nb.create<math::SinOp>(l, angle);
          bool negateLow = inverse;
          Value low =
              negateLow ? nb.create<arith::NegFOp>(l, sin).getResult() : sin;
          Value high =
              negateLow ? sin : nb.create<arith::NegFOp>(l, sin).getResult();
          return nb.create<arith::SelectOp>(
              l, rotated, nb.create<arith::SelectOp>(l, lowHalf, low, high),
              cf(0));
        });
  };
  Value cosTable = table(false), sinTable = table(true);
  // The tables are read with tensor.extract, not as inputs: elementwise
  // fusion would otherwise inline them and recompute cos and sin per
  // element.
  return elementwise(
      loc, t, {x},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange idx) -> Value {
        auto ci = [&](int64_t v) {
          return nb.create<arith::ConstantIndexOp>(l, v);
        };
        Value d = idx[3];
        Value lowHalf =
            nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, d, ci(half));
        Value rotated =
            nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, d, ci(dims));
        // The pair of d: d + half in the first half, d - half in the second;
        // d itself beyond the rotated dimensions (where sin is 0).
        Value partner = nb.create<arith::SelectOp>(
            l, lowHalf, nb.create<arith::AddIOp>(l, d, ci(half)),
            nb.create<arith::SelectOp>(
                l, rotated, nb.create<arith::SubIOp>(l, d, ci(half)), d));
        Value p = nb.create<tensor::ExtractOp>(
            l, x, ValueRange{idx[0], idx[1], idx[2], partner});
        Value zero = ci(0);
        Value c = nb.create<tensor::ExtractOp>(l, cosTable,
                                               ValueRange{idx[1], zero, d});
        Value sn = nb.create<tensor::ExtractOp>(l, sinTable,
                                                ValueRange{idx[1], zero, d});
        return nb.create<arith::AddFOp>(l, nb.create<arith::MulFOp>(l, a[0], c),
                                        nb.create<arith::MulFOp>(l, p, sn));
      });
}

SmallVector<Value> Lowering::callRuntime(Location loc, StringRef name,
                                         ValueRange inputs,
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
    llvm::report_fatal_error("golf-lower-to-linalg calls " + name +
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

static std::string kernelName(StringRef base, Type elem) {
  return (base + (elem.isF64() ? "_f64" : "_f32")).str();
}

std::pair<Value, Value> Lowering::rowMaxAndSum(Location loc, Value logits) {
  int64_t last = typeOf(logits).getRank() - 1;
  Value mx = reduceKeep(
      loc, {logits}, last, -std::numeric_limits<double>::infinity(),
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        return nb.create<arith::MaximumFOp>(l, a[0], a[1]);
      });
  Value se = reduceKeep(
      loc, {logits, mx}, last, 0.0,
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        Value e =
            nb.create<math::ExpOp>(l, nb.create<arith::SubFOp>(l, a[0], a[1]));
        return nb.create<arith::AddFOp>(l, a[2], e);
      });
  return {mx, se};
}

Value Lowering::crossEntropyGrad(CrossEntropyGradOp op) {
  Location loc = op.getLoc();
  Value logits = op.getLogits(), targets = op.getTargets();
  RankedTensorType lt = typeOf(logits);
  Type elem = lt.getElementType();
  int64_t last = lt.getRank() - 1;
  auto [mx, se] = rowMaxAndSum(loc, logits);
  SmallVector<int64_t> rowShape(lt.getShape());
  rowShape[last] = 1;
  Value targets1 = reshape(loc, targets, rowShape);
  double count = (double)typeOf(targets).getNumElements();
  // Focal loss: each row's weight d/dc[(1 - e^-c)^γ c], c its cross-entropy.
  const double gamma = op.getFocalGamma().convertToDouble();
  Value weight;
  if (gamma > 0) {
    Value c = tokenLosses(loc, logits, targets);
    weight = reshape(
        loc,
        elementwise(
            loc, typeOf(c), {c},
            [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
              auto num = [&](double v) -> Value {
                return nb.create<arith::ConstantOp>(l,
                                                    nb.getFloatAttr(elem, v));
              };
              Value p =
                  nb.create<math::ExpOp>(l, nb.create<arith::NegFOp>(l, a[0]));
              Value q = nb.create<arith::SubFOp>(l, num(1), p);
              Value first = nb.create<math::PowFOp>(l, q, num(gamma));
              Value second =
                  gamma == 1
                      ? nb.create<arith::MulFOp>(l, a[0], p).getResult()
                      : nb.create<arith::MulFOp>(
                              l,
                              nb.create<arith::MulFOp>(
                                  l, num(gamma),
                                  nb.create<arith::MulFOp>(l, a[0], p)),
                              nb.create<math::PowFOp>(l, q, num(gamma - 1)))
                            .getResult();
              return nb.create<arith::AddFOp>(l, first, second);
            }),
        rowShape);
  }
  SmallVector<Value> operands = {logits, mx, se, targets1, op.getGrad()};
  if (weight)
    operands.push_back(weight);
  // (softmax - onehot) · g / N (· the focal weight).
  return elementwise(
      loc, lt, operands,
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange idx) -> Value {
        Value p = nb.create<arith::DivFOp>(
            l,
            nb.create<math::ExpOp>(l, nb.create<arith::SubFOp>(l, a[0], a[1])),
            a[2]);
        Value isTarget = nb.create<arith::CmpIOp>(
            l, arith::CmpIPredicate::eq, idx.back(), castIndex(nb, l, a[3]));
        Value one = nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 1.0));
        Value zero =
            nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 0.0));
        Value d = nb.create<arith::SubFOp>(
            l, p, nb.create<arith::SelectOp>(l, isTarget, one, zero));
        Value scale = nb.create<arith::DivFOp>(
            l, a[4],
            nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, count)));
        if (a.size() > 5)
          scale = nb.create<arith::MulFOp>(l, scale, a[5]);
        return nb.create<arith::MulFOp>(l, d, scale);
      });
}

Value Lowering::reduceTo(ReduceToOp op) {
  Location loc = op.getLoc();
  RankedTensorType in = typeOf(op.getInput()), out = op.getType();
  int64_t lead = in.getRank() - out.getRank();
  SmallVector<IteratorType> iters;
  SmallVector<AffineExpr> outExprs;
  for (int64_t d = 0; d < in.getRank(); ++d) {
    bool reduced =
        d < lead || (out.getDimSize(d - lead) == 1 && in.getDimSize(d) != 1);
    iters.push_back(reduced ? IteratorType::reduction : IteratorType::parallel);
    if (d >= lead)
      outExprs.push_back(reduced ? getAffineConstantExpr(0, ctx())
                                 : getAffineDimExpr(d, ctx()));
  }
  Value acc = b.create<linalg::FillOp>(
                   loc, scalar(loc, out.getElementType(), 0), empty(loc, out))
                  .getResult(0);
  SmallVector<AffineMap> maps = {
      b.getMultiDimIdentityMap(in.getRank()),
      AffineMap::get(in.getRank(), 0, outExprs, ctx())};
  return b
      .create<linalg::GenericOp>(
          loc, out, ValueRange{op.getInput()}, ValueRange{acc}, maps, iters,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::AddFOp>(l, args[1], args[0]).getResult());
          })
      .getResult(0);
}

Value Lowering::tokenLosses(Location loc, Value logits, Value targets) {
  RankedTensorType lt = typeOf(logits);
  Type elem = lt.getElementType();
  int64_t last = lt.getRank() - 1;
  // log-sum-exp shifted by the row maximum.
  auto [mx, se] = rowMaxAndSum(loc, logits);
  // Per position: lse - logits[target], over the targets' shape plus a
  // trailing 1 to meet the kept reductions.
  SmallVector<int64_t> rowShape(lt.getShape());
  rowShape[last] = 1;
  auto rowType = RankedTensorType::get(rowShape, elem);
  Value targets1 = reshape(loc, targets, rowShape);
  return elementwise(
      loc, rowType, {mx, se, targets1},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange idx) -> Value {
        Value lse =
            nb.create<arith::AddFOp>(l, a[0], nb.create<math::LogOp>(l, a[1]));
        // A target outside the classes makes the loss NaN rather than
        // read beyond the logits.
        auto [cls, inside] = safeIndex(nb, l, a[2], lt.getShape().back());
        SmallVector<Value> at(idx.drop_back());
        at.push_back(cls);
        Value picked = nb.create<tensor::ExtractOp>(l, logits, at);
        Value nan = nb.create<arith::ConstantOp>(
            l, nb.getFloatAttr(elem, std::numeric_limits<double>::quiet_NaN()));
        return nb.create<arith::SelectOp>(
            l, inside, nb.create<arith::SubFOp>(l, lse, picked), nan);
      });
}

Value Lowering::fakeQuant(FakeQuantOp op) {
  RankedTensorType type = typeOf(op.getResult());
  Type elem = type.getElementType();
  const double range = (double)op.getRange();
  const double floor = op.getFloor().convertToDouble();
  return elementwise(
      op.getLoc(), type, {op.getWeight(), op.getClip(), op.getEnable()},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        auto constant = [&](double v) -> Value {
          return nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, v));
        };
        Value w = a[0], c = a[1];
        // s = fp16(max(c / range, floor)), 1 where that is 0.
        Value s = nb.create<arith::MaximumFOp>(
            l, nb.create<arith::DivFOp>(l, c, constant(range)),
            constant(floor));
        Value half = nb.create<arith::TruncFOp>(l, nb.getF16Type(), s);
        s = nb.create<arith::ExtFOp>(l, elem, half);
        Value zero = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, s,
                                              constant(0.0));
        s = nb.create<arith::SelectOp>(l, zero, constant(1.0), s);
        // q = clamp(roundeven(clamp(w, -c, c) / s), -range, range).
        Value clipped = nb.create<arith::MinimumFOp>(
            l,
            nb.create<arith::MaximumFOp>(l, w, nb.create<arith::NegFOp>(l, c)),
            c);
        Value q = nb.create<math::RoundEvenOp>(
            l, nb.create<arith::DivFOp>(l, clipped, s));
        q = nb.create<arith::MinimumFOp>(
            l, nb.create<arith::MaximumFOp>(l, q, constant(-range)),
            constant(range));
        Value on = nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, a[2],
                                            constant(0.5));
        return nb.create<arith::SelectOp>(l, on,
                                          nb.create<arith::MulFOp>(l, q, s), w);
      });
}

Value Lowering::crossEntropy(CrossEntropyOp op) {
  Location loc = op.getLoc();
  Value targets = op.getTargets();
  Type elem = typeOf(op.getLogits()).getElementType();
  Value losses = tokenLosses(loc, op.getLogits(), targets);
  const double gamma = op.getFocalGamma().convertToDouble();
  if (gamma > 0) // Focal: (1 - e^-c)^γ · c per position.
    losses = elementwise(
        loc, typeOf(losses), {losses},
        [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
          Value one = nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, 1));
          Value q = nb.create<arith::SubFOp>(
              l, one,
              nb.create<math::ExpOp>(l, nb.create<arith::NegFOp>(l, a[0])));
          Value w = nb.create<math::PowFOp>(
              l, q,
              nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, gamma)));
          return nb.create<arith::MulFOp>(l, w, a[0]);
        });
  Value total = reduceAll(loc, losses);
  double count = (double)typeOf(targets).getNumElements();
  return elementwise(
      loc, RankedTensorType::get({}, elem), {total},
      [&](OpBuilder &nb, Location l, ValueRange a, ValueRange) -> Value {
        return nb.create<arith::DivFOp>(
            l, a[0],
            nb.create<arith::ConstantOp>(l, nb.getFloatAttr(elem, count)));
      });
}

FailureOr<Value> Lowering::lower(Operation *op) {
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
      .Case<NegOp, ReluOp, SquareOp, TanhOp, SigmoidOp, SqrtOp, RsqrtOp, ExpOp,
            LogOp, AbsOp, LeakyReluOp, SoftcapOp>(
          [&](Operation *o) -> FailureOr<Value> {
            return unary(o, o->getOperand(0));
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
      .Case([&](CausalAttentionOp a) -> FailureOr<Value> {
        RankedTensorType qt = typeOf(a.getQ());
        double scale = a.getScale() ? a.getScale()->convertToDouble()
                                    : 1.0 / std::sqrt((double)qt.getDimSize(3));
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
        return r[0];
      })
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
      .Case([&](EmbeddingGradOp eg) -> FailureOr<Value> {
        RankedTensorType gt = typeOf(eg.getGrad());
        int64_t d = gt.getShape().back(), m = gt.getNumElements() / d;
        return callRuntime(
            loc, kernelName("golf_rt_embedding_grad", gt.getElementType()),
            {reshape(loc, eg.getIndices(), {m}),
             reshape(loc, eg.getGrad(), {m, d})},
            {eg.getType()}, {})[0];
      })
      .Case([&](CrossEntropyGradOp c) -> FailureOr<Value> {
        return crossEntropyGrad(c);
      })
      .Case([&](GemmOp g) -> FailureOr<Value> {
        if (g.getLibrary() != "blas") {
          g.emitOpError("golf-lower-to-linalg: ")
              << g.getLibrary()
              << " is a library of the CUDA target; this lowering calls the "
                 "CPU's (blas)";
          return failure();
        }
        // One kernel per transposition: golf_rt_gemm_{n,t}{n,t}_f32.
        std::string base = std::string("golf_rt_gemm_") +
                           (g.getTransposeA() ? "t" : "n") +
                           (g.getTransposeB() ? "t" : "n");
        return callRuntime(loc, kernelName(base, g.getType().getElementType()),
                           {g.getA(), g.getB()}, {g.getType()}, {})[0];
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
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (check.wasInterrupted())
      return signalPassFailure();
    OpBuilder b(&getContext());
    Lowering lowering(b, module);
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      if (auto grad = dyn_cast<CausalAttentionGradOp>(op)) {
        RankedTensorType qt = grad.getQ().getType();
        double scale = grad.getScale()
                           ? grad.getScale()->convertToDouble()
                           : 1.0 / std::sqrt((double)qt.getDimSize(3));
        // With the forward's softmax statistics when the gradient reads
        // the forward's own result; recomputed otherwise.
        Value stats = lowering.attentionStats.lookup(grad.getOut());
        SmallVector<Value> inputs = {grad.getQ(), grad.getK(), grad.getV(),
                                     grad.getOut(), grad.getGrad()};
        if (grad.getStarts())
          inputs.push_back(grad.getStarts());
        if (stats)
          inputs.push_back(stats);
        std::string name = grad.getStarts() ? "golf_rt_attention_grad_docs"
                                            : "golf_rt_attention_grad";
        SmallVector<Value> r = lowering.callRuntime(
            op->getLoc(),
            kernelName(stats ? name + "_stats" : name, qt.getElementType()),
            inputs, {qt, grad.getK().getType(), grad.getV().getType()},
            grad.getStarts()
                ? SmallVector<double>{scale,
                                      (double)grad.getSegment().value_or(0)}
                : SmallVector<double>{scale});
        op->replaceAllUsesWith(r);
        op->erase();
        continue;
      }
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
