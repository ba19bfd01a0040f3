//===- ShapeRules.cpp - shape inference rules of the golf ops -------------===//

#include "dialect/ShapeRules.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace golf {

static_assert(kDyn == mlir::ShapedType::kDynamic,
              "golf::kDyn must be MLIR's dynamic size");

using llvm::ArrayRef;
using llvm::formatv;

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += shape[i] == kDyn ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

static bool hasDynamic(ArrayRef<int64_t> s) {
  return llvm::is_contained(s, kDyn);
}

ShapeResult broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  // Aligned on the right, the batch dimension of the shorter shape would
  // meet the sequence dimension of the longer one.
  if (hasDynamic(a) && hasDynamic(b) && a.size() != b.size())
    return ShapeResult::fail(formatv(
        "cannot broadcast {0} with {1}: tensors with the batch and sequence "
        "dimensions must have the same rank",
        formatShape(a), formatShape(b)));
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == y)
      out[i] = x;
    else if (x == 1)
      out[i] = y;
    else if (y == 1)
      out[i] = x;
    else
      return ShapeResult::fail(formatv("cannot broadcast {0} with {1}",
                                       formatShape(a), formatShape(b)));
  }
  return {out, ""};
}

ShapeResult linearShape(ArrayRef<int64_t> x, ArrayRef<int64_t> w) {
  if (x.empty())
    return ShapeResult::fail("linear needs an input of rank at least 1");
  if (w.size() != 2)
    return ShapeResult::fail(
        formatv("linear needs a [out, in] weight, got {0}", formatShape(w)));
  if (x.back() != w[1] || x.back() == kDyn)
    return ShapeResult::fail(formatv(
        "linear: input {0} has {1} features but the weight {2} expects "
        "{3}",
        formatShape(x), x.back() == kDyn ? "?" : std::to_string(x.back()),
        formatShape(w), w[1]));
  Shape out(x.begin(), x.end());
  out.back() = w[0];
  return {out, ""};
}

ShapeResult embeddingShape(ArrayRef<int64_t> ids, ArrayRef<int64_t> table) {
  if (table.size() != 2)
    return ShapeResult::fail(formatv(
        "embedding needs a [rows, dim] table, got {0}", formatShape(table)));
  Shape out(ids.begin(), ids.end());
  out.push_back(table[1]);
  return {out, ""};
}

ShapeResult ropeShape(ArrayRef<int64_t> x, int64_t dims) {
  if (x.size() != 4)
    return ShapeResult::fail(
        formatv("rope needs a [B, T, heads, head_dim] tensor, got {0}",
                formatShape(x)));
  if (x[3] == kDyn)
    return ShapeResult::fail("rope needs a static head dimension");
  if (dims <= 0 || dims % 2 != 0)
    return ShapeResult::fail(
        formatv("rope rotates pairs of dimensions: dims must be even and "
                "positive, got {0}",
                dims));
  if (dims > x[3])
    return ShapeResult::fail(
        formatv("rope dims {0} exceed the head dimension {1}", dims, x[3]));
  return {Shape(x.begin(), x.end()), ""};
}

ShapeResult attentionShape(ArrayRef<int64_t> q, ArrayRef<int64_t> k,
                           ArrayRef<int64_t> v) {
  if (q.size() != 4 || k.size() != 4 || v.size() != 4)
    return ShapeResult::fail(formatv(
        "causal_attention needs [B, T, heads, head_dim] tensors, got q {0}, "
        "k {1}, v {2}",
        formatShape(q), formatShape(k), formatShape(v)));
  if (k != v)
    return ShapeResult::fail(
        formatv("causal_attention: k {0} and v {1} must have the same shape",
                formatShape(k), formatShape(v)));
  if (q[0] != k[0] || q[1] != k[1] || q[3] != k[3])
    return ShapeResult::fail(formatv(
        "causal_attention: q {0} and k {1} differ in batch, sequence or "
        "head dimension",
        formatShape(q), formatShape(k)));
  if (q[2] == kDyn || k[2] == kDyn || k[2] <= 0 || q[2] % k[2] != 0)
    return ShapeResult::fail(formatv(
        "causal_attention: {0} query heads are not a multiple of {1} KV heads",
        q[2] == kDyn ? "?" : std::to_string(q[2]),
        k[2] == kDyn ? "?" : std::to_string(k[2])));
  return {Shape(q.begin(), q.end()), ""};
}

ShapeResult crossEntropyShape(ArrayRef<int64_t> logits,
                              ArrayRef<int64_t> targets) {
  if (logits.empty() || targets.size() + 1 != logits.size() ||
      logits.drop_back() != targets)
    return ShapeResult::fail(formatv(
        "cross_entropy: targets {0} must have the leading dimensions of the "
        "logits {1}",
        formatShape(targets), formatShape(logits)));
  return {Shape(), ""};
}

static ShapeResult checkAxis(ArrayRef<int64_t> x, int64_t axis,
                             const char *what) {
  if (axis < 0 || axis >= (int64_t)x.size())
    return ShapeResult::fail(formatv("{0}: axis {1} is out of range for {2}",
                                     what, axis, formatShape(x)));
  return {Shape(x.begin(), x.end()), ""};
}

ShapeResult sliceShape(ArrayRef<int64_t> x, int64_t axis, int64_t start,
                       int64_t end) {
  ShapeResult r = checkAxis(x, axis, "slice");
  if (!r.ok())
    return r;
  if (x[axis] == kDyn)
    return ShapeResult::fail(
        formatv("slice: dimension {0} of {1} is the batch or sequence "
                "dimension and cannot be sliced (use shift)",
                axis, formatShape(x)));
  if (start < 0 || end > x[axis] || start >= end)
    return ShapeResult::fail(formatv("slice [{0}:{1}] is empty or out of "
                                     "range for dimension {2} of {3}",
                                     start, end, axis, formatShape(x)));
  r.shape[axis] = end - start;
  return r;
}

ShapeResult concatShape(ArrayRef<Shape> inputs, int64_t axis) {
  if (inputs.empty())
    return ShapeResult::fail("concat needs at least one tensor");
  ShapeResult r = checkAxis(inputs[0], axis, "concat");
  if (!r.ok())
    return r;
  r.shape[axis] = 0;
  for (const Shape &s : inputs) {
    bool same = s.size() == inputs[0].size();
    for (size_t i = 0; same && i < s.size(); ++i)
      same = (int64_t)i == axis || s[i] == inputs[0][i];
    if (!same)
      return ShapeResult::fail(
          formatv("concat: {0} and {1} differ outside axis {2}",
                  formatShape(inputs[0]), formatShape(s), axis));
    if (s[axis] == kDyn)
      return ShapeResult::fail(formatv("concat: axis {0} of {1} is not static",
                                       axis, formatShape(s)));
    if (__builtin_add_overflow(r.shape[axis], s[axis], &r.shape[axis]) ||
        r.shape[axis] > kMaxElements)
      return ShapeResult::fail("concat: the result is too large");
  }
  return r;
}

ShapeResult reduceShape(ArrayRef<int64_t> x, int64_t axis, bool keepdim) {
  ShapeResult r = checkAxis(x, axis, "reduction");
  if (!r.ok())
    return r;
  if (x[axis] == kDyn)
    return ShapeResult::fail(
        formatv("reduction: dimension {0} of {1} is the batch or sequence "
                "dimension and cannot be reduced",
                axis, formatShape(x)));
  if (keepdim)
    r.shape[axis] = 1;
  else
    r.shape.erase(r.shape.begin() + axis);
  return r;
}

ShapeResult shiftShape(ArrayRef<int64_t> x, int64_t amount) {
  if (x.size() < 2)
    return ShapeResult::fail(
        formatv("shift needs a [B, T, ...] tensor, got {0}", formatShape(x)));
  if (amount == 0)
    return ShapeResult::fail("shift amount must not be zero");
  return {Shape(x.begin(), x.end()), ""};
}

/// The product of the static sizes, or -1 beyond kMaxElements.
static int64_t staticProduct(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d != kDyn && (__builtin_mul_overflow(n, d, &n) || n > kMaxElements))
      return -1;
  return n;
}

ShapeResult reshapeShape(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  for (int64_t d : to)
    if (d != kDyn && d <= 0)
      return ShapeResult::fail(
          formatv("reshape to {0}: sizes must be positive", formatShape(to)));
  int64_t fromN = staticProduct(from), toN = staticProduct(to);
  if (fromN < 0 || toN < 0)
    return ShapeResult::fail(formatv("reshape from {0} to {1}: too many "
                                     "elements",
                                     formatShape(from), formatShape(to)));
  // The batch and sequence dimensions stay where they are.
  llvm::SmallVector<size_t> fromDyn, toDyn;
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] == kDyn)
      fromDyn.push_back(i);
  for (size_t i = 0; i < to.size(); ++i)
    if (to[i] == kDyn)
      toDyn.push_back(i);
  if (fromDyn != toDyn)
    return ShapeResult::fail(
        formatv("reshape from {0} to {1} must keep the batch and sequence "
                "dimensions in place",
                formatShape(from), formatShape(to)));
  if (fromN != toN)
    return ShapeResult::fail(
        formatv("reshape from {0} to {1} changes the number of elements "
                "({2} vs {3} per batch and sequence position)",
                formatShape(from), formatShape(to), fromN, toN));
  return {Shape(to.begin(), to.end()), ""};
}

ShapeResult padShape(ArrayRef<int64_t> x, int64_t axis, int64_t before,
                     int64_t after) {
  ShapeResult r = checkAxis(x, axis, "pad");
  if (!r.ok())
    return r;
  if (x[axis] == kDyn || before < 0 || after < 0 || before > kMaxElements ||
      after > kMaxElements)
    return ShapeResult::fail(formatv(
        "pad: dimension {0} of {1} must be static and the padding non-negative",
        axis, formatShape(x)));
  r.shape[axis] += before + after;
  return r;
}

ShapeResult linearGradInputShape(ArrayRef<int64_t> g, ArrayRef<int64_t> w) {
  if (g.empty() || w.size() != 2 || g.back() != w[0])
    return ShapeResult::fail(
        formatv("linear_grad_input: gradient {0} does not match the weight {1}",
                formatShape(g), formatShape(w)));
  Shape out(g.begin(), g.end());
  out.back() = w[1];
  return {out, ""};
}

ShapeResult linearGradWeightShape(ArrayRef<int64_t> g, ArrayRef<int64_t> x) {
  if (g.empty() || x.size() != g.size() || g.drop_back() != x.drop_back() ||
      g.back() == kDyn || x.back() == kDyn)
    return ShapeResult::fail(formatv(
        "linear_grad_weight: gradient {0} and input {1} must share their "
        "leading dimensions",
        formatShape(g), formatShape(x)));
  return {Shape{g.back(), x.back()}, ""};
}

ShapeResult embeddingGradShape(ArrayRef<int64_t> ids, ArrayRef<int64_t> g,
                               int64_t rows) {
  if (g.size() != ids.size() + 1 || g.drop_back() != ids || rows <= 0 ||
      g.back() == kDyn)
    return ShapeResult::fail(
        formatv("embedding_grad: gradient {0} does not match the ids {1}",
                formatShape(g), formatShape(ids)));
  return {Shape{rows, g.back()}, ""};
}

ShapeResult gemmShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b, bool transposeA,
                      bool transposeB) {
  if (a.size() != 2 || b.size() != 2)
    return ShapeResult::fail(formatv("gemm needs matrices, got {0} and {1}",
                                     formatShape(a), formatShape(b)));
  int64_t m = transposeA ? a[1] : a[0], ka = transposeA ? a[0] : a[1];
  int64_t kb = transposeB ? b[1] : b[0], n = transposeB ? b[0] : b[1];
  if (ka != kb || ka == kDyn)
    return ShapeResult::fail(
        formatv("gemm: the inner dimensions of {0} and {1} differ",
                formatShape(a), formatShape(b)));
  return {Shape{m, n}, ""};
}

bool broadcastsTo(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  ShapeResult r = broadcastShapes(from, to);
  return r.ok() && ArrayRef<int64_t>(r.shape) == to;
}

} // namespace golf
