//===- TensorBuilder.cpp - linalg on static tensors, for the lowerings ----===//

#include "passes/LinalgLowering.h"

using namespace mlir;
using namespace golf;

using utils::IteratorType;

Value TensorBuilder::empty(Location loc, RankedTensorType t) {
  return b.create<tensor::EmptyOp>(loc, t.getShape(), t.getElementType());
}
Value TensorBuilder::scalar(Location loc, Type elem, double v) {
  if (isa<FloatType>(elem))
    return b.create<arith::ConstantOp>(loc, b.getFloatAttr(elem, v));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(elem, (int64_t)v));
}

AffineMap TensorBuilder::broadcastMap(RankedTensorType operand,
                                      RankedTensorType result) {
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

Value TensorBuilder::elementwise(Location loc, RankedTensorType result,
                                 ValueRange inputs, BodyFn body) {
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

Value TensorBuilder::reduceKeep(Location loc, ValueRange inputs, int64_t axis,
                                double init, BodyFn combine) {
  RankedTensorType in = typeOf(inputs[0]);
  SmallVector<int64_t> shape(in.getShape());
  shape[axis] = 1;
  auto out = RankedTensorType::get(shape, in.getElementType());
  Value acc = b.create<linalg::FillOp>(
                   loc, scalar(loc, in.getElementType(), init), empty(loc, out))
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

Value TensorBuilder::reduceAll(Location loc, Value input) {
  RankedTensorType in = typeOf(input);
  auto out = RankedTensorType::get({}, in.getElementType());
  Value acc = b.create<linalg::FillOp>(loc, scalar(loc, in.getElementType(), 0),
                                       empty(loc, out))
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

Value TensorBuilder::reshape(Location loc, Value v, ArrayRef<int64_t> shape) {
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

Value TensorBuilder::castIndex(OpBuilder &nb, Location l, Value v) {
  return nb.create<arith::IndexCastOp>(l, nb.getIndexType(), v);
}
std::pair<Value, Value> TensorBuilder::safeIndex(OpBuilder &nb, Location l,
                                                 Value id, int64_t size) {
  Value i = castIndex(nb, l, id);
  Value inside =
      nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ult, i,
                               nb.create<arith::ConstantIndexOp>(l, size));
  return {nb.create<arith::SelectOp>(l, inside, i,
                                     nb.create<arith::ConstantIndexOp>(l, 0)),
          inside};
}
