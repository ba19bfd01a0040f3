//===- UnaryMath.cpp - the unary ops as functions of one float ------------===//
//
// Each unary op of GolfOps.td, as the DSL computes it on a number
// (`evaluate`) and as golf-lower-to-linalg computes it on an element
// (`buildScalar`). tests/unit/UnaryMathTest.cpp checks that both agree.
//
//===----------------------------------------------------------------------===//

#include "dialect/GolfOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace golf;

namespace {

Value constant(OpBuilder &b, Location loc, Value like, double v) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(like.getType(), v));
}

} // namespace

double NegOp::evaluate(double x) { return -x; }
Value NegOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<arith::NegFOp>(loc, x);
}

double ReluOp::evaluate(double x) { return x > 0 ? x : 0.0; }
Value ReluOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<arith::MaximumFOp>(loc, x, constant(b, loc, x, 0));
}

double SquareOp::evaluate(double x) { return x * x; }
Value SquareOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<arith::MulFOp>(loc, x, x);
}

double TanhOp::evaluate(double x) { return std::tanh(x); }
Value TanhOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<math::TanhOp>(loc, x);
}

double SigmoidOp::evaluate(double x) { return 1.0 / (1.0 + std::exp(-x)); }
Value SigmoidOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  return b.create<arith::DivFOp>(
      loc, constant(b, loc, x, 1),
      b.create<arith::AddFOp>(loc, constant(b, loc, x, 1), e));
}

double SqrtOp::evaluate(double x) { return std::sqrt(x); }
Value SqrtOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<math::SqrtOp>(loc, x);
}

double RsqrtOp::evaluate(double x) { return 1.0 / std::sqrt(x); }
Value RsqrtOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  // 1 / sqrt: math.rsqrt has no scalar LLVM lowering.
  return b.create<arith::DivFOp>(loc, constant(b, loc, x, 1),
                                 b.create<math::SqrtOp>(loc, x));
}

double ExpOp::evaluate(double x) { return std::exp(x); }
Value ExpOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<math::ExpOp>(loc, x);
}

double LogOp::evaluate(double x) { return std::log(x); }
Value LogOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<math::LogOp>(loc, x);
}

double AbsOp::evaluate(double x) { return std::fabs(x); }
Value AbsOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  return b.create<math::AbsFOp>(loc, x);
}

double SiluOp::evaluate(double x) { return x / (1.0 + std::exp(-x)); }
Value SiluOp::buildScalar(OpBuilder &b, Location loc, Value x) {
  Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
  return b.create<arith::DivFOp>(
      loc, x, b.create<arith::AddFOp>(loc, constant(b, loc, x, 1), e));
}
