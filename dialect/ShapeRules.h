//===- ShapeRules.h - shape inference rules of the golf ops -----*- C++ -*-===//
//
// One implementation of every op's shape rule, used by the op verifiers (via
// InferTypeOpInterface) and by the front end, which reports a failure at the
// spec's source location. Shapes are lists of sizes; kDyn marks the batch and
// sequence dimensions, which are compatible only with each other.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_DIALECT_SHAPERULES_H
#define GOLF_DIALECT_SHAPERULES_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <limits>
#include <string>

namespace golf {

constexpr int64_t kDyn = std::numeric_limits<int64_t>::min();
/// No tensor has more elements (or a dimension larger): shapes stay far from
/// overflow, and from kDyn.
constexpr int64_t kMaxElements = int64_t(1) << 40;
using Shape = llvm::SmallVector<int64_t, 4>;

/// A shape, or the reason there is none.
struct ShapeResult {
  Shape shape;
  std::string error;
  bool ok() const { return error.empty(); }
  static ShapeResult fail(std::string msg) { return {{}, std::move(msg)}; }
};

/// "[?, ?, 512]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

ShapeResult broadcastShapes(llvm::ArrayRef<int64_t> a,
                            llvm::ArrayRef<int64_t> b);
ShapeResult linearShape(llvm::ArrayRef<int64_t> x, llvm::ArrayRef<int64_t> w);
ShapeResult embeddingShape(llvm::ArrayRef<int64_t> ids,
                           llvm::ArrayRef<int64_t> table);
ShapeResult ropeShape(llvm::ArrayRef<int64_t> x, int64_t dims);
ShapeResult attentionShape(llvm::ArrayRef<int64_t> q, llvm::ArrayRef<int64_t> k,
                           llvm::ArrayRef<int64_t> v);
ShapeResult crossEntropyShape(llvm::ArrayRef<int64_t> logits,
                              llvm::ArrayRef<int64_t> targets);
ShapeResult sliceShape(llvm::ArrayRef<int64_t> x, int64_t axis, int64_t start,
                       int64_t end);
ShapeResult concatShape(llvm::ArrayRef<Shape> inputs, int64_t axis);
ShapeResult reduceShape(llvm::ArrayRef<int64_t> x, int64_t axis, bool keepdim);
ShapeResult shiftShape(llvm::ArrayRef<int64_t> x, int64_t amount);
/// Checks a reshape; the result is `to` when it is valid.
ShapeResult reshapeShape(llvm::ArrayRef<int64_t> from,
                         llvm::ArrayRef<int64_t> to);
ShapeResult padShape(llvm::ArrayRef<int64_t> x, int64_t axis, int64_t before,
                     int64_t after);
ShapeResult linearGradInputShape(llvm::ArrayRef<int64_t> g,
                                 llvm::ArrayRef<int64_t> w);
ShapeResult linearGradWeightShape(llvm::ArrayRef<int64_t> g,
                                  llvm::ArrayRef<int64_t> x);
ShapeResult embeddingGradShape(llvm::ArrayRef<int64_t> ids,
                               llvm::ArrayRef<int64_t> g, int64_t rows);
ShapeResult gemmShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                      bool transposeA, bool transposeB);
/// Whether `from` broadcasts to exactly `to`.
bool broadcastsTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to);
} // namespace golf

#endif // GOLF_DIALECT_SHAPERULES_H
