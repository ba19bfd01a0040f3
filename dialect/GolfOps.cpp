//===- GolfOps.cpp - ops of the golf dialect ------------------------------===//

#include "dialect/GolfOps.h"
#include "dialect/GolfSchema.h"
#include "dialect/ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace golf;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static RankedTensorType tensorOf(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

/// Appends tensor<shape x elem>, or reports why the shape rule failed.
static LogicalResult yield(std::optional<Location> loc, const ShapeResult &r,
                           Type elem, SmallVectorImpl<Type> &types) {
  if (!r.ok())
    return emitOptionalError(loc, r.error);
  types.push_back(RankedTensorType::get(r.shape, elem));
  return success();
}

/// Checks that every value is a ranked tensor (the parser may hand others to
/// inference before the type constraints are verified).
static LogicalResult requireTensors(std::optional<Location> loc,
                                    ValueRange values) {
  for (Value v : values)
    if (!tensorOf(v))
      return emitOptionalError(loc, "expected ranked tensor operands");
  return success();
}

//===----------------------------------------------------------------------===//
// Declarations (their verifiers are in DeclarationOps.cpp)
//===----------------------------------------------------------------------===//

/// Prints a string attribute as a bare keyword (`muon`, `normal`) when it is
/// one, so declarations read like the spec.
static ParseResult parseKeyword(OpAsmParser &parser, StringAttr &attr) {
  std::string word;
  if (failed(parser.parseOptionalKeywordOrString(&word)))
    return parser.emitError(parser.getCurrentLocation(), "expected a keyword");
  attr = parser.getBuilder().getStringAttr(word);
  return success();
}

static void printKeyword(OpAsmPrinter &printer, Operation *, StringAttr attr) {
  printer.printKeywordOrString(attr.getValue());
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (type.getRank() != 0)
    return emitOpError() << "result must be a rank-0 tensor, got " << type;
  double v = getValue().convertToDouble();
  if (type.getElementType().isInteger(32) &&
      (v != std::trunc(v) || std::fabs(v) > 2147483647.0))
    return emitOpError() << "value " << formatNumber(v)
                         << " is not a 32-bit integer";
  if (type.getElementType().isInteger(1) && v != 0.0 && v != 1.0)
    return emitOpError() << "value " << formatNumber(v) << " is not a boolean";
  return success();
}

#define GOLF_BROADCAST_INFER(OP)                                               \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &types) {           \
    if (failed(requireTensors(loc, {a.getLhs(), a.getRhs()})))                 \
      return failure();                                                        \
    return yield(loc,                                                          \
                 broadcastShapes(tensorOf(a.getLhs()).getShape(),              \
                                 tensorOf(a.getRhs()).getShape()),             \
                 tensorOf(a.getLhs()).getElementType(), types);                \
  }
GOLF_BROADCAST_INFER(AddOp)
GOLF_BROADCAST_INFER(SubOp)
GOLF_BROADCAST_INFER(MulOp)
GOLF_BROADCAST_INFER(DivOp)
GOLF_BROADCAST_INFER(MaxOp)
GOLF_BROADCAST_INFER(MinOp)
GOLF_BROADCAST_INFER(RemOp)
GOLF_BROADCAST_INFER(XorOp)
#undef GOLF_BROADCAST_INFER

LogicalResult CmpOp::inferReturnTypes(MLIRContext *ctx,
                                      std::optional<Location> loc, Adaptor a,
                                      SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getLhs(), a.getRhs()})))
    return failure();
  return yield(loc,
               broadcastShapes(tensorOf(a.getLhs()).getShape(),
                               tensorOf(a.getRhs()).getShape()),
               IntegerType::get(ctx, 1), types);
}

LogicalResult CmpOp::verify() {
  if (!llvm::is_contained({"lt", "le", "gt", "ge", "eq", "ne"}, getPredicate()))
    return emitOpError() << "unknown predicate '" << getPredicate()
                         << "' (expected lt, le, gt, ge, eq or ne)";
  return success();
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getCond(), a.getLhs(), a.getRhs()})))
    return failure();
  ShapeResult r = broadcastShapes(tensorOf(a.getLhs()).getShape(),
                                  tensorOf(a.getRhs()).getShape());
  if (r.ok())
    r = broadcastShapes(tensorOf(a.getCond()).getShape(), r.shape);
  return yield(loc, r, tensorOf(a.getLhs()).getElementType(), types);
}

LogicalResult SelectOp::verify() {
  if (getLhs().getType().getElementType() !=
      getRhs().getType().getElementType())
    return emitOpError() << "both choices must have the same element type";
  return success();
}

LogicalResult LeakyReluOp::verify() {
  double alpha = getAlpha().convertToDouble();
  if (!(alpha >= 0.0 && alpha <= 1.0))
    return emitOpError() << "alpha must be in [0, 1], got "
                         << formatNumber(alpha);
  return success();
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  ShapeResult r = reshapeShape(getInput().getType().getShape(),
                               getResult().getType().getShape());
  if (!r.ok())
    return emitOpError() << r.error;
  return success();
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc, Adaptor a,
                                        SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, a.getInput())))
    return failure();
  RankedTensorType t = tensorOf(a.getInput());
  return yield(loc,
               sliceShape(t.getShape(), (int64_t)a.getAxis(),
                          (int64_t)a.getStart(), (int64_t)a.getEnd()),
               t.getElementType(), types);
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, a.getInputs())) || a.getInputs().empty())
    return emitOptionalError(loc, "concat needs at least one tensor");
  SmallVector<Shape> shapes;
  for (Value v : a.getInputs())
    shapes.push_back(Shape(tensorOf(v).getShape()));
  return yield(loc, concatShape(shapes, (int64_t)a.getAxis()),
               tensorOf(a.getInputs().front()).getElementType(), types);
}

LogicalResult ShiftOp::verify() {
  ShapeResult r = shiftShape(getType().getShape(), (int64_t)getAmount());
  if (!r.ok())
    return emitOpError() << r.error;
  double fill = getFill().convertToDouble();
  Type elem = getType().getElementType();
  if (elem.isInteger(32) &&
      (fill != std::trunc(fill) || std::fabs(fill) > 2147483647.0))
    return emitOpError() << "fill " << formatNumber(fill)
                         << " is not a 32-bit integer";
  if (elem.isInteger(1) && fill != 0.0 && fill != 1.0)
    return emitOpError() << "fill " << formatNumber(fill)
                         << " is not a boolean";
  return success();
}

#define GOLF_REDUCE_INFER(OP)                                                  \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc, Adaptor a,   \
                                     SmallVectorImpl<Type> &types) {           \
    if (failed(requireTensors(loc, a.getInput())))                             \
      return failure();                                                        \
    RankedTensorType t = tensorOf(a.getInput());                               \
    return yield(                                                              \
        loc, reduceShape(t.getShape(), (int64_t)a.getAxis(), a.getKeepdim()),  \
        t.getElementType(), types);                                            \
  }
GOLF_REDUCE_INFER(SumOp)
GOLF_REDUCE_INFER(MeanOp)
#undef GOLF_REDUCE_INFER

//===----------------------------------------------------------------------===//
// Model ops
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor a,
                                            SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getIndices(), a.getTable()})))
    return failure();
  RankedTensorType table = tensorOf(a.getTable());
  return yield(
      loc,
      embeddingShape(tensorOf(a.getIndices()).getShape(), table.getShape()),
      table.getElementType(), types);
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc, Adaptor a,
                                         SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getInput(), a.getWeight()})))
    return failure();
  RankedTensorType x = tensorOf(a.getInput());
  return yield(loc,
               linearShape(x.getShape(), tensorOf(a.getWeight()).getShape()),
               x.getElementType(), types);
}

LogicalResult RmsNormOp::verify() {
  if (getEps() && !(getEps()->convertToDouble() > 0.0))
    return emitOpError() << "eps must be positive";
  if (getType().getRank() == 0)
    return emitOpError() << "needs a tensor of rank at least 1";
  return success();
}

LogicalResult RopeOp::verify() {
  ShapeResult r = ropeShape(getType().getShape(), (int64_t)getDims());
  if (!r.ok())
    return emitOpError() << r.error;
  if (!(getBase().convertToDouble() > 1.0))
    return emitOpError() << "base must be greater than 1, got "
                         << formatNumber(getBase().convertToDouble());
  return success();
}

LogicalResult
CausalAttentionOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor a, SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getQ(), a.getK(), a.getV()})))
    return failure();
  RankedTensorType q = tensorOf(a.getQ());
  return yield(loc,
               attentionShape(q.getShape(), tensorOf(a.getK()).getShape(),
                              tensorOf(a.getV()).getShape()),
               q.getElementType(), types);
}

/// `starts` must be [B, T] of `q` ([B, T, H, D]); a segment length needs
/// them and must be positive.
static LogicalResult verifyStarts(Operation *op, Value q, Value starts,
                                  std::optional<int64_t> segment) {
  if (segment && !starts)
    return op->emitOpError() << "segment needs starts";
  if (segment && *segment < 1)
    return op->emitOpError() << "segment must be positive, got " << *segment;
  if (!starts)
    return success();
  auto st = cast<RankedTensorType>(starts.getType());
  auto qt = cast<RankedTensorType>(q.getType());
  auto agree = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
  };
  if (st.getElementType() != qt.getElementType())
    return op->emitOpError() << "starts must have q's element type";
  if (st.getRank() != 2 || !agree(st.getDimSize(0), qt.getDimSize(0)) ||
      !agree(st.getDimSize(1), qt.getDimSize(1)))
    return op->emitOpError()
           << "starts must be [B, T] of q's [B, T, H, D], got "
           << formatShape(st.getShape()) << " for q "
           << formatShape(qt.getShape());
  return success();
}

/// An attention's library, when it names one: golfc's kernel or cuDNN's.
static LogicalResult verifyAttentionLibrary(Operation *op,
                                            std::optional<StringRef> library) {
  if (library && *library != "golf" && *library != "cudnn")
    return op->emitOpError() << "unknown attention library '" << *library
                             << "' (expected golf or cudnn)";
  return success();
}

LogicalResult CausalAttentionOp::verify() {
  if (failed(verifyAttentionLibrary(*this, getLibrary())))
    return failure();
  if (getScale() && !(getScale()->convertToDouble() > 0.0))
    return emitOpError() << "scale must be positive";
  return verifyStarts(*this, getQ(), getStarts(), getSegment());
}

LogicalResult SoftcapOp::verify() {
  if (!(getCap().convertToDouble() > 0.0))
    return emitOpError() << "cap must be positive, got "
                         << formatNumber(getCap().convertToDouble());
  return success();
}

LogicalResult CrossEntropyOp::inferReturnTypes(MLIRContext *,
                                               std::optional<Location> loc,
                                               Adaptor a,
                                               SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getLogits(), a.getTargets()})))
    return failure();
  RankedTensorType logits = tensorOf(a.getLogits());
  return yield(
      loc,
      crossEntropyShape(logits.getShape(), tensorOf(a.getTargets()).getShape()),
      logits.getElementType(), types);
}

LogicalResult FakeQuantOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor a,
                                            SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getWeight()})))
    return failure();
  types.push_back(a.getWeight().getType());
  return success();
}

LogicalResult FakeQuantOp::verify() {
  ArrayRef<int64_t> w = getWeight().getType().getShape();
  ArrayRef<int64_t> c = getClip().getType().getShape();
  if (w.size() != 2)
    return emitOpError() << "weight must be [rows, cols], got "
                         << formatShape(w);
  if (c.size() != 2 || c[0] != w[0] || c[1] != 1)
    return emitOpError() << "clip must be [rows, 1] = [" << w[0] << ", 1], got "
                         << formatShape(c);
  if (getEnable().getType().getRank() != 0)
    return emitOpError() << "enable must be a scalar, got "
                         << formatShape(getEnable().getType().getShape());
  if (getRange() < 1 || getRange() > 127)
    return emitOpError() << "range must be in [1, 127], got " << getRange();
  if (!(getFloor().convertToDouble() >= 0))
    return emitOpError() << "floor must be >= 0";
  return success();
}

LogicalResult
TokenCrossEntropyOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc, Adaptor a,
                                      SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getLogits(), a.getTargets()})))
    return failure();
  RankedTensorType logits = tensorOf(a.getLogits());
  ArrayRef<int64_t> targets = tensorOf(a.getTargets()).getShape();
  ShapeResult checked = crossEntropyShape(logits.getShape(), targets);
  if (!checked.ok())
    return yield(loc, checked, logits.getElementType(), types);
  return yield(loc, ShapeResult{Shape(targets.begin(), targets.end()), ""},
               logits.getElementType(), types);
}

//===----------------------------------------------------------------------===//
// Backward ops
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::verify() {
  if (!broadcastsTo(getInput().getType().getShape(), getType().getShape()))
    return emitOpError() << formatShape(getInput().getType().getShape())
                         << " does not broadcast to "
                         << formatShape(getType().getShape());
  return success();
}

LogicalResult ReduceToOp::verify() {
  if (!broadcastsTo(getType().getShape(), getInput().getType().getShape()))
    return emitOpError() << formatShape(getType().getShape())
                         << " does not broadcast to "
                         << formatShape(getInput().getType().getShape());
  return success();
}

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc, Adaptor a,
                                      SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, a.getInput())))
    return failure();
  RankedTensorType t = tensorOf(a.getInput());
  return yield(loc,
               padShape(t.getShape(), (int64_t)a.getAxis(),
                        (int64_t)a.getBefore(), (int64_t)a.getAfter()),
               t.getElementType(), types);
}

LogicalResult
LinearGradInputOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                    Adaptor a, SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getGrad(), a.getWeight()})))
    return failure();
  RankedTensorType g = tensorOf(a.getGrad());
  return yield(
      loc,
      linearGradInputShape(g.getShape(), tensorOf(a.getWeight()).getShape()),
      g.getElementType(), types);
}

LogicalResult
LinearGradWeightOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                     Adaptor a, SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getGrad(), a.getInput()})))
    return failure();
  RankedTensorType g = tensorOf(a.getGrad());
  return yield(
      loc,
      linearGradWeightShape(g.getShape(), tensorOf(a.getInput()).getShape()),
      g.getElementType(), types);
}

LogicalResult EmbeddingGradOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor a,
                                                SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getIndices(), a.getGrad()})))
    return failure();
  RankedTensorType g = tensorOf(a.getGrad());
  return yield(loc,
               embeddingGradShape(tensorOf(a.getIndices()).getShape(),
                                  g.getShape(), (int64_t)a.getRows()),
               g.getElementType(), types);
}

LogicalResult
CrossEntropyGradOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                     Adaptor a, SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getLogits(), a.getTargets(), a.getGrad()})))
    return failure();
  RankedTensorType logits = tensorOf(a.getLogits());
  ShapeResult r =
      crossEntropyShape(logits.getShape(), tensorOf(a.getTargets()).getShape());
  if (!r.ok())
    return emitOptionalError(loc, r.error);
  if (tensorOf(a.getGrad()).getRank() != 0)
    return emitOptionalError(loc, "cross_entropy_grad: the loss gradient "
                                  "must be a scalar");
  types.push_back(logits);
  return success();
}

LogicalResult CausalAttentionGradOp::verify() {
  if (failed(verifyAttentionLibrary(*this, getLibrary())))
    return failure();
  ShapeResult r =
      attentionShape(getQ().getType().getShape(), getK().getType().getShape(),
                     getV().getType().getShape());
  if (!r.ok())
    return emitOpError() << r.error;
  return verifyStarts(*this, getQ(), getStarts(), getSegment());
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc, Adaptor a,
                                       SmallVectorImpl<Type> &types) {
  if (failed(requireTensors(loc, {a.getA(), a.getB()})))
    return failure();
  RankedTensorType at = tensorOf(a.getA());
  return yield(loc,
               gemmShape(at.getShape(), tensorOf(a.getB()).getShape(),
                         a.getTransposeA(), a.getTransposeB()),
               at.getElementType(), types);
}

LogicalResult GemmOp::verify() {
  if (getLibrary() != "blas" && getLibrary() != "cublaslt")
    return emitOpError() << "unknown library '" << getLibrary()
                         << "' (expected blas or cublaslt)";
  return success();
}

double RmsNormOp::getEffectiveEps() {
  if (getEps())
    return getEps()->convertToDouble();
  // PyTorch's F.rms_norm(x, (d,)) uses the machine epsilon of the dtype.
  return getType().getElementType().isF64() ? 2.220446049250313e-16
                                            : 1.1920928955078125e-07;
}

#include "dialect/GolfInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialect/GolfOps.cpp.inc"
