//===- LinalgLowering.h - golf ops to linalg on tensors ----------*- C++
//-*-===//
//
// Private to the lowerings: builders of linalg, tensor and arith on static
// tensors (TensorBuilder, shared with each target's library-call
// lowering), and the rules of golf-lower-to-linalg (LinalgLowering), whose
// longer ones live in LinalgRules.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_PASSES_LINALGLOWERING_H
#define GOLF_PASSES_LINALGLOWERING_H

#include "passes/Passes.h"

namespace golf {

/// The body of a generic: the builder, the location, the input scalars
/// (then the accumulator, for a reduction) and the loop indices.
using BodyFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange, mlir::ValueRange)>;

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType());
}

/// Builds linalg, tensor and arith ops on static tensors at `b`'s point.
class TensorBuilder {
public:
  explicit TensorBuilder(mlir::OpBuilder &b) : b(b) {}

  mlir::Value empty(mlir::Location loc, mlir::RankedTensorType t);
  /// A constant of the element type `elem` (float or integer).
  mlir::Value scalar(mlir::Location loc, mlir::Type elem, double v);
  /// The map from the loops of a result to an operand broadcast into it:
  /// right-aligned, size-1 dimensions read index 0.
  mlir::AffineMap broadcastMap(mlir::RankedTensorType operand,
                               mlir::RankedTensorType result);
  /// A parallel linalg.generic over `result`'s shape reading `inputs` with
  /// broadcasting; `body` gets the input scalars and the loop indices.
  mlir::Value elementwise(mlir::Location loc, mlir::RankedTensorType result,
                          mlir::ValueRange inputs, BodyFn body);
  /// Reduces dimension `axis` of the loops of `inputs[0]`'s shape into a
  /// tensor that keeps it with size 1; `combine(inputs..., acc)`.
  mlir::Value reduceKeep(mlir::Location loc, mlir::ValueRange inputs,
                         int64_t axis, double init, BodyFn combine);
  /// Sums every element of `input` into a rank-0 tensor.
  mlir::Value reduceAll(mlir::Location loc, mlir::Value input);
  /// A reshape as views: collapse to one dimension, expand to the new
  /// shape. Both bufferize to views of the same buffer, never a copy.
  mlir::Value reshape(mlir::Location loc, mlir::Value v,
                      llvm::ArrayRef<int64_t> shape);
  mlir::Value castIndex(mlir::OpBuilder &nb, mlir::Location l, mlir::Value v);
  /// An i32 id as an index that is always inside [0, size) (0 when the id
  /// is not), and whether the id was.
  std::pair<mlir::Value, mlir::Value> safeIndex(mlir::OpBuilder &nb,
                                                mlir::Location l,
                                                mlir::Value id, int64_t size);

protected:
  mlir::MLIRContext *ctx() { return b.getContext(); }
  mlir::OpBuilder &b;
};

/// The math of every golf op that is not a library's (Golf_TargetLibrary):
/// target-independent MLIR on tensors.
class LinalgLowering : public TensorBuilder {
public:
  using TensorBuilder::TensorBuilder;
  /// The value that replaces `op`'s single result, built at the builder's
  /// point; a failure has been reported on `op`.
  mlir::FailureOr<mlir::Value> lower(mlir::Operation *op);

private:
  mlir::Value binary(mlir::Operation *op, mlir::Value lhs, mlir::Value rhs);
  /// Per row of the last dimension: the maximum m and sum(exp(x - m)),
  /// both keeping that dimension with size 1.
  std::pair<mlir::Value, mlir::Value> rowMaxAndSum(mlir::Location loc,
                                                   mlir::Value logits);
  mlir::Value crossEntropyGrad(CrossEntropyGradOp op);
  mlir::Value reduceTo(ReduceToOp op);
  mlir::Value rmsNorm(RmsNormOp op);
  mlir::Value rope(RopeOp op);
  mlir::Value crossEntropy(CrossEntropyOp op);
  mlir::Value fakeQuant(FakeQuantOp op);
  /// logsumexp(logits) - logits[target] per position, with a trailing 1.
  mlir::Value tokenLosses(mlir::Location loc, mlir::Value logits,
                          mlir::Value targets);
};

} // namespace golf

#endif // GOLF_PASSES_LINALGLOWERING_H
