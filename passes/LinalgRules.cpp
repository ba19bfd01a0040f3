//===- LinalgRules.cpp - the longer rules of golf-lower-to-linalg ---------===//
//
// RMSNorm, rotary embeddings, reductions to a broadcast operand's shape,
// cross-entropy and its gradient (with the focal weight), per-token losses
// and QAT's fake quantization, each as the ops' documentation in
// dialect/GolfOps.td defines it (PyTorch's semantics).
//
//===----------------------------------------------------------------------===//

#include "passes/LinalgLowering.h"

#include <limits>

using namespace mlir;
using namespace golf;

using utils::IteratorType;

Value LinalgLowering::rmsNorm(RmsNormOp op) {
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

Value LinalgLowering::rope(RopeOp op) {
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

std::pair<Value, Value> LinalgLowering::rowMaxAndSum(Location loc,
                                                     Value logits) {
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

Value LinalgLowering::crossEntropyGrad(CrossEntropyGradOp op) {
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

Value LinalgLowering::reduceTo(ReduceToOp op) {
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

Value LinalgLowering::tokenLosses(Location loc, Value logits, Value targets) {
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

Value LinalgLowering::fakeQuant(FakeQuantOp op) {
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

Value LinalgLowering::crossEntropy(CrossEntropyOp op) {
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
