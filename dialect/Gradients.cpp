//===- Gradients.cpp - the gradient rule of every differentiable op -------===//
//
// One rule per op, as a table: given the gradients of an op's results,
// build the gradients of its operands with golf ops. Operands that were
// broadcast get their gradient summed back to their shape (golf.reduce_to).
// Every rule is checked against central finite differences in float64 by
// tests/unit/GradientTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialect/GolfOps.h"
#include "dialect/ShapeRules.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace golf;

namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }
bool isFloat(Value v) { return isa<FloatType>(typeOf(v).getElementType()); }

/// Builds golf ops with their result types computed by the shape rules.
struct G {
  OpBuilder &b;
  Location loc;

  Value constant(Value like, double v) {
    return b.create<ConstantOp>(
        loc, RankedTensorType::get({}, typeOf(like).getElementType()),
        b.getF64FloatAttr(v));
  }
  RankedTensorType broadcast(Value x, Value y) {
    ShapeResult r = broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape());
    return RankedTensorType::get(r.shape, typeOf(x).getElementType());
  }
  Value add(Value x, Value y) {
    return b.create<AddOp>(loc, broadcast(x, y), x, y);
  }
  Value sub(Value x, Value y) {
    return b.create<SubOp>(loc, broadcast(x, y), x, y);
  }
  Value mul(Value x, Value y) {
    return b.create<MulOp>(loc, broadcast(x, y), x, y);
  }
  Value div(Value x, Value y) {
    return b.create<DivOp>(loc, broadcast(x, y), x, y);
  }
  Value mul(Value x, double c) { return mul(x, constant(x, c)); }
  Value neg(Value x) { return b.create<NegOp>(loc, x); }
  Value cmp(StringRef pred, Value x, Value y) {
    ShapeResult r = broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape());
    return b.create<CmpOp>(loc, RankedTensorType::get(r.shape, b.getI1Type()),
                           pred, x, y);
  }
  Value select(Value c, Value x, Value y) {
    ShapeResult r = broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape());
    r = broadcastShapes(typeOf(c).getShape(), r.shape);
    return b.create<SelectOp>(
        loc, RankedTensorType::get(r.shape, typeOf(x).getElementType()), c, x,
        y);
  }
  /// The gradient `g` of a broadcast result, summed to `operand`'s shape.
  Value sumTo(Value g, Value operand) {
    if (typeOf(g).getShape() == typeOf(operand).getShape())
      return g;
    return b.create<ReduceToOp>(
        loc,
        RankedTensorType::get(typeOf(operand).getShape(),
                              typeOf(g).getElementType()),
        g);
  }
  Value meanKeep(Value x, int64_t axis) {
    ShapeResult r = reduceShape(typeOf(x).getShape(), axis, true);
    return b.create<MeanOp>(
        loc, RankedTensorType::get(r.shape, typeOf(x).getElementType()), x,
        b.getI64IntegerAttr(axis), b.getUnitAttr());
  }
  Value zeros(Value like) {
    return b.create<BroadcastToOp>(loc, typeOf(like), constant(like, 0.0));
  }
};

} // namespace

#define BINARY_RULE(OP, ...)                                                   \
  LogicalResult OP::buildGradients(OpBuilder &b, ArrayRef<Value> rg,           \
                                   SmallVectorImpl<Value> &out) {              \
    Value g = rg[0], x = getLhs(), y = getRhs();                               \
    if (!g || !isFloat(x)) {                                                   \
      out.append({nullptr, nullptr});                                          \
      return success();                                                        \
    }                                                                          \
    G h{b, getLoc()};                                                          \
    (void)h;                                                                   \
    (void)y;                                                                   \
    __VA_ARGS__;                                                               \
    return success();                                                          \
  }

BINARY_RULE(AddOp, out.append({h.sumTo(g, x), h.sumTo(g, y)}))
BINARY_RULE(SubOp, out.append({h.sumTo(g, x), h.sumTo(h.neg(g), y)}))
BINARY_RULE(MulOp,
            out.append({h.sumTo(h.mul(g, y), x), h.sumTo(h.mul(g, x), y)}))
BINARY_RULE(DivOp,
            out.append({h.sumTo(h.div(g, y), x),
                        h.sumTo(h.neg(h.div(h.mul(g, getResult()), y)), y)}))
BINARY_RULE(MaxOp, {
  Value m = h.cmp("ge", x, y), z = h.constant(g, 0);
  out.append({h.sumTo(h.select(m, g, z), x), h.sumTo(h.select(m, z, g), y)});
})
BINARY_RULE(MinOp, {
  Value m = h.cmp("le", x, y), z = h.constant(g, 0);
  out.append({h.sumTo(h.select(m, g, z), x), h.sumTo(h.select(m, z, g), y)});
})
BINARY_RULE(RemOp, out.append({nullptr, nullptr}))
BINARY_RULE(XorOp, out.append({nullptr, nullptr}))
#undef BINARY_RULE

LogicalResult SelectOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &out) {
  Value g = rg[0];
  if (!g || !isFloat(getLhs())) {
    out.append({nullptr, nullptr, nullptr});
    return success();
  }
  G h{b, getLoc()};
  Value z = h.constant(g, 0);
  out.append({nullptr, h.sumTo(h.select(getCond(), g, z), getLhs()),
              h.sumTo(h.select(getCond(), z, g), getRhs())});
  return success();
}

#define UNARY_RULE(OP, ...)                                                    \
  LogicalResult OP::buildGradients(OpBuilder &b, ArrayRef<Value> rg,           \
                                   SmallVectorImpl<Value> &out) {              \
    Value g = rg[0], x = getOperand(), y = getResult();                        \
    if (!g) {                                                                  \
      out.push_back(nullptr);                                                  \
      return success();                                                        \
    }                                                                          \
    G h{b, getLoc()};                                                          \
    (void)x;                                                                   \
    (void)y;                                                                   \
    out.push_back(__VA_ARGS__);                                                \
    return success();                                                          \
  }

UNARY_RULE(NegOp, h.neg(g))
UNARY_RULE(ReluOp,
           h.select(h.cmp("gt", x, h.constant(x, 0)), g, h.constant(g, 0)))
UNARY_RULE(SquareOp, h.mul(h.mul(g, x), 2.0))
UNARY_RULE(TanhOp, h.mul(g, h.sub(h.constant(y, 1), h.mul(y, y))))
UNARY_RULE(SigmoidOp, h.mul(h.mul(g, y), h.sub(h.constant(y, 1), y)))
UNARY_RULE(SqrtOp, h.div(h.mul(g, 0.5), y))
UNARY_RULE(RsqrtOp, h.mul(h.mul(g, h.mul(h.mul(y, y), y)), -0.5))
UNARY_RULE(ExpOp, h.mul(g, y))
UNARY_RULE(LogOp, h.div(g, x))
UNARY_RULE(AbsOp, h.select(h.cmp("gt", x, h.constant(x, 0)), g,
                           h.select(h.cmp("lt", x, h.constant(x, 0)), h.neg(g),
                                    h.constant(g, 0))))
UNARY_RULE(SiluOp, ([&] {
             // d/dx x·σ(x) = σ + x·σ·(1 - σ) = σ + y·(1 - σ).
             Value s = b.create<SigmoidOp>(getLoc(), x);
             return h.mul(g, h.add(s, h.mul(y, h.sub(h.constant(s, 1), s))));
           }()))
UNARY_RULE(LeakyReluOp, h.select(h.cmp("gt", x, h.constant(x, 0)), g,
                                 h.mul(g, getAlpha().convertToDouble())))
UNARY_RULE(SoftcapOp, ([&] {
             // d/dx c·tanh(x/c) = 1 - tanh² = 1 - (y/c)².
             Value t = h.mul(y, 1.0 / getCap().convertToDouble());
             return h.mul(g, h.sub(h.constant(t, 1), h.mul(t, t)));
           }()))
#undef UNARY_RULE

LogicalResult ReshapeOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                        SmallVectorImpl<Value> &out) {
  if (!rg[0] || !isFloat(getInput())) {
    out.push_back(nullptr);
    return success();
  }
  out.push_back(b.create<ReshapeOp>(getLoc(), getInput().getType(), rg[0]));
  return success();
}

LogicalResult SliceOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                      SmallVectorImpl<Value> &out) {
  if (!rg[0] || !isFloat(getInput())) {
    out.push_back(nullptr);
    return success();
  }
  int64_t axis = (int64_t)getAxis();
  int64_t size = getInput().getType().getDimSize(axis);
  out.push_back(b.create<PadOp>(getLoc(), getInput().getType(), rg[0],
                                b.getI64IntegerAttr(axis),
                                b.getI64IntegerAttr((int64_t)getStart()),
                                b.getI64IntegerAttr(size - (int64_t)getEnd())));
  return success();
}

LogicalResult ConcatOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &out) {
  int64_t axis = (int64_t)getAxis(), at = 0;
  for (Value in : getInputs()) {
    int64_t size = typeOf(in).getDimSize(axis);
    if (!rg[0] || !isFloat(in))
      out.push_back(nullptr);
    else
      out.push_back(b.create<SliceOp>(
          getLoc(), typeOf(in), rg[0], b.getI64IntegerAttr(axis),
          b.getI64IntegerAttr(at), b.getI64IntegerAttr(at + size)));
    at += size;
  }
  return success();
}

LogicalResult ShiftOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                      SmallVectorImpl<Value> &out) {
  if (!rg[0] || !isFloat(getInput())) {
    out.push_back(nullptr);
    return success();
  }
  out.push_back(b.create<ShiftOp>(getLoc(), rg[0],
                                  b.getI64IntegerAttr(-(int64_t)getAmount()),
                                  b.getF64FloatAttr(0.0)));
  return success();
}

static LogicalResult reduceGradient(Operation *op, OpBuilder &b, Value g,
                                    Value input, int64_t axis, bool keepdim,
                                    bool mean, SmallVectorImpl<Value> &out) {
  if (!g) {
    out.push_back(nullptr);
    return success();
  }
  G h{b, op->getLoc()};
  RankedTensorType in = typeOf(input);
  if (!keepdim) {
    SmallVector<int64_t> kept(in.getShape());
    kept[axis] = 1;
    g = b.create<ReshapeOp>(
        op->getLoc(), RankedTensorType::get(kept, in.getElementType()), g);
  }
  if (mean)
    g = h.mul(g, 1.0 / (double)in.getDimSize(axis));
  out.push_back(b.create<BroadcastToOp>(op->getLoc(), in, g));
  return success();
}

LogicalResult SumOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                    SmallVectorImpl<Value> &out) {
  return reduceGradient(*this, b, rg[0], getInput(), (int64_t)getAxis(),
                        getKeepdim(), false, out);
}

LogicalResult MeanOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                     SmallVectorImpl<Value> &out) {
  return reduceGradient(*this, b, rg[0], getInput(), (int64_t)getAxis(),
                        getKeepdim(), true, out);
}

LogicalResult EmbeddingOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &out) {
  out.push_back(nullptr);
  if (!rg[0]) {
    out.push_back(nullptr);
    return success();
  }
  out.push_back(b.create<EmbeddingGradOp>(
      getLoc(), getTable().getType(), getIndices(), rg[0],
      b.getI64IntegerAttr(getTable().getType().getDimSize(0))));
  return success();
}

LogicalResult LinearOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                       SmallVectorImpl<Value> &out) {
  if (!rg[0]) {
    out.append({nullptr, nullptr});
    return success();
  }
  out.push_back(b.create<LinearGradInputOp>(getLoc(), getInput().getType(),
                                            rg[0], getWeight()));
  out.push_back(b.create<LinearGradWeightOp>(getLoc(), getWeight().getType(),
                                             rg[0], getInput()));
  return success();
}

LogicalResult RmsNormOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                        SmallVectorImpl<Value> &out) {
  Value g = rg[0], x = getInput(), y = getResult();
  if (!g) {
    out.push_back(nullptr);
    return success();
  }
  // y = x·r with r = (mean(x²) + eps)^(-1/2); dx = r·(g - y·mean(g·y)).
  G h{b, getLoc()};
  int64_t last = typeOf(x).getRank() - 1;
  Value ms =
      h.add(h.meanKeep(h.mul(x, x), last), h.constant(x, getEffectiveEps()));
  Value r = b.create<RsqrtOp>(getLoc(), ms);
  Value s = h.meanKeep(h.mul(g, y), last);
  out.push_back(h.mul(r, h.sub(g, h.mul(y, s))));
  return success();
}

LogicalResult RopeOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                     SmallVectorImpl<Value> &out) {
  if (!rg[0]) {
    out.push_back(nullptr);
    return success();
  }
  // A rotation's transpose is the rotation the other way.
  out.push_back(b.create<RopeOp>(getLoc(), rg[0], getDimsAttr(), getBaseAttr(),
                                 getInverse() ? nullptr : b.getUnitAttr()));
  return success();
}

LogicalResult CausalAttentionOp::buildGradients(OpBuilder &b,
                                                ArrayRef<Value> rg,
                                                SmallVectorImpl<Value> &out) {
  if (!rg[0]) {
    out.append({nullptr, nullptr, nullptr});
    if (getStarts())
      out.push_back(nullptr);
    return success();
  }
  auto grad = b.create<CausalAttentionGradOp>(
      getLoc(), TypeRange{getQ().getType(), getK().getType(), getV().getType()},
      getQ(), getK(), getV(), getResult(), rg[0], getStarts(), getScaleAttr(),
      getSegmentAttr(), getLibraryAttr());
  out.append({grad.getDq(), grad.getDk(), grad.getDv()});
  if (getStarts()) // document boundaries: not differentiable
    out.push_back(nullptr);
  return success();
}

/// Straight through: the rounding's gradient is taken to be the identity.
LogicalResult FakeQuantOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                          SmallVectorImpl<Value> &out) {
  out.append({rg[0], nullptr, nullptr});
  return success();
}

LogicalResult CrossEntropyOp::buildGradients(OpBuilder &b, ArrayRef<Value> rg,
                                             SmallVectorImpl<Value> &out) {
  if (!rg[0]) {
    out.append({nullptr, nullptr});
    return success();
  }
  out.push_back(b.create<CrossEntropyGradOp>(getLoc(), getLogits().getType(),
                                             getLogits(), getTargets(), rg[0],
                                             getFocalGammaAttr()));
  out.push_back(nullptr);
  return success();
}
