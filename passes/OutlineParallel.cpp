//===- OutlineParallel.cpp - parallel loop nests as parts of a range ------===//
//
// Each large top-level scf.parallel becomes a call of a function that runs
// a range [begin, end) of the nest's outer iterations taken as one; the
// runtime later splits that range over its threads (golf-dispatch-parallel).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

namespace golf {
#define GEN_PASS_DEF_GOLFOUTLINEPARALLEL
#include "passes/Passes.h.inc"
} // namespace golf

using namespace mlir;
using namespace golf;

namespace {

/// Below this many operations a nest runs on the calling thread; a part gets
/// at least kPartWork of them. A hand-off to the pool costs a few
/// microseconds, which is about this much arithmetic.
constexpr int64_t kMinWork = 1 << 16;
constexpr int64_t kPartWork = 1 << 13;

/// Operations one execution of `block` performs, loops multiplied out
/// (nested nests with unknown trip counts count once).
int64_t workOf(Block &block) {
  int64_t work = 0;
  for (Operation &op : block) {
    int64_t trips = 1;
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      auto lb = getConstantIntValue(loop.getLowerBound());
      auto ub = getConstantIntValue(loop.getUpperBound());
      auto step = getConstantIntValue(loop.getStep());
      if (lb && ub && step && *step > 0)
        trips = std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step);
    } else if (auto nest = dyn_cast<scf::ParallelOp>(op)) {
      for (auto [l, u, s] : llvm::zip(nest.getLowerBound(),
                                      nest.getUpperBound(), nest.getStep())) {
        auto lb = getConstantIntValue(l), ub = getConstantIntValue(u),
             step = getConstantIntValue(s);
        if (lb && ub && step && *step > 0)
          trips *= std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step);
      }
    }
    int64_t inner = 0;
    for (Region &region : op.getRegions())
      for (Block &b : region)
        inner += workOf(b);
    work += 1 + trips * inner;
  }
  return work;
}

struct Bounds {
  SmallVector<int64_t> lower, step, trips;
};

std::optional<Bounds> constantBounds(scf::ParallelOp nest) {
  Bounds b;
  for (auto [l, u, s] :
       llvm::zip(nest.getLowerBound(), nest.getUpperBound(), nest.getStep())) {
    auto lb = getConstantIntValue(l), ub = getConstantIntValue(u),
         step = getConstantIntValue(s);
    if (!lb || !ub || !step || *step <= 0)
      return std::nullopt;
    b.lower.push_back(*lb);
    b.step.push_back(*step);
    b.trips.push_back(std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step));
  }
  return b;
}

/// The buffer `v` views when no other pointer of the function's can reach
/// it: one the function allocated, or an output argument (`golf.output`:
/// the caller passes a buffer of its own for each); null otherwise.
Value exclusiveBuffer(Value v) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      auto fn = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
      if (fn && arg.getOwner() == &fn.getBody().front() &&
          fn.getArgAttr(arg.getArgNumber(), "golf.output"))
        return v;
      return Value();
    }
    Operation *def = v.getDefiningOp();
    if (isa<memref::AllocOp, memref::AllocaOp>(def))
      return v;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return Value();
    v = view.getViewSource();
  }
}

/// Where the LLVM lowering of a call with these arguments puts the aligned
/// pointer of each memref that no other argument can reach: one the function
/// allocated, captured through one argument only. A memref of rank r takes
/// 3 + 2r arguments (allocated and aligned pointers, offset, sizes,
/// strides), anything else one. golf-dispatch-parallel marks these
/// `noalias`, as LLVM knew them to be before the nest was outlined (the
/// vectorizer and the promotion of accumulators need it). When a captured
/// buffer comes from anything but an allocation here or an argument (it
/// might be one of the allocations), none is marked.
SmallVector<int64_t> exclusivePointers(ArrayRef<Value> captured) {
  llvm::DenseMap<Value, unsigned> uses;
  for (Value v : captured) {
    if (!isa<MemRefType>(v.getType())) {
      if (isa<BaseMemRefType>(v.getType()))
        return {}; // unranked: the positions below would not hold
      continue;
    }
    if (Value a = exclusiveBuffer(v)) {
      ++uses[a];
      continue;
    }
    // Not made here: a function argument cannot reach a buffer the function
    // allocates; anything else (a call's or a select's result) might.
    Value root = v;
    while (auto view = root.getDefiningOp<ViewLikeOpInterface>())
      root = view.getViewSource();
    if (!isa<BlockArgument>(root))
      return {};
  }
  SmallVector<int64_t> positions;
  int64_t position = 0;
  for (Value v : captured) {
    auto memref = dyn_cast<MemRefType>(v.getType());
    if (!memref) {
      ++position;
      continue;
    }
    Value a = exclusiveBuffer(v);
    if (a && uses[a] == 1)
      positions.push_back(position + 1);
    position += 3 + 2 * memref.getRank();
  }
  return positions;
}

/// Outlines `nest` (in function `fn`) as `@<fn>.p<index>` when it is worth
/// it; returns whether it did.
bool outline(ModuleOp module, func::FuncOp fn, scf::ParallelOp nest,
             unsigned index) {
  if (nest.getNumResults() != 0)
    return false;
  std::optional<Bounds> bounds = constantBounds(nest);
  if (!bounds)
    return false;
  const unsigned rank = bounds->trips.size();
  // The outer dimensions taken as one range of `rows`; the innermost stays a
  // loop of its own (unless it is the only one).
  // The vectorizer's loop is the body's own innermost loop when it has one.
  bool bodyLoops = false;
  for (Operation &op : nest.getBody()->without_terminator())
    bodyLoops |= op.getNumRegions() != 0;
  const unsigned outer = rank > 1 && !bodyLoops ? rank - 1 : rank;
  int64_t rows = 1;
  for (unsigned d = 0; d < outer; ++d)
    rows *= bounds->trips[d];
  const int64_t perRow =
      workOf(*nest.getBody()) * (outer < rank ? bounds->trips.back() : 1);
  if (rows < 2 || rows * perRow < kMinWork)
    return false;
  const int64_t grain =
      std::max<int64_t>(1, kPartWork / std::max<int64_t>(perRow, 1));

  // What the body reads from outside: constants are cloned, the rest
  // become arguments.
  llvm::SetVector<Value> above;
  getUsedValuesDefinedAbove(nest.getRegion(), above);
  SmallVector<Value> captured;
  SmallVector<Operation *> constants;
  for (Value v : above) {
    Operation *def = v.getDefiningOp();
    if (def && def->hasTrait<OpTrait::ConstantLike>())
      constants.push_back(def);
    else
      captured.push_back(v);
  }

  OpBuilder b(module.getContext());
  Location loc = nest.getLoc();
  SmallVector<Type> types = llvm::to_vector(ValueRange(captured).getTypes());
  types.append(2, b.getIndexType());
  b.setInsertionPointAfter(fn);
  auto part =
      b.create<func::FuncOp>(loc, (fn.getSymName() + ".p" + Twine(index)).str(),
                             b.getFunctionType(types, {}));
  part.setPrivate();
  part->setAttr("golf.parallel", b.getI64IntegerAttr(grain));
  SmallVector<int64_t> exclusive = exclusivePointers(captured);
  if (!exclusive.empty())
    part->setAttr("golf.noalias", b.getDenseI64ArrayAttr(exclusive));
  Block *entry = part.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping map;
  for (auto [v, arg] : llvm::zip(captured, entry->getArguments()))
    map.map(v, arg);
  for (Operation *c : constants)
    b.clone(*c, map);
  Value begin = entry->getArgument(captured.size());
  Value end = entry->getArgument(captured.size() + 1);
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  auto rowLoop = b.create<scf::ForOp>(loc, begin, end, one);
  b.setInsertionPointToStart(rowLoop.getBody());
  // Row r of the range: outer indices in row-major order.
  Value r = rowLoop.getInductionVar();
  ValueRange ivs = nest.getInductionVars();
  for (int d = outer - 1; d >= 0; --d) {
    Value i = r;
    if (d > 0) {
      Value trips = b.create<arith::ConstantIndexOp>(loc, bounds->trips[d]);
      i = b.create<arith::RemUIOp>(loc, r, trips);
      r = b.create<arith::DivUIOp>(loc, r, trips);
    }
    if (bounds->step[d] != 1)
      i = b.create<arith::MulIOp>(
          loc, i, b.create<arith::ConstantIndexOp>(loc, bounds->step[d]));
    if (bounds->lower[d] != 0)
      i = b.create<arith::AddIOp>(
          loc, i, b.create<arith::ConstantIndexOp>(loc, bounds->lower[d]));
    map.map(ivs[d], i);
  }
  if (outer < rank) {
    const int64_t lower = bounds->lower.back(), step = bounds->step.back();
    auto inner =
        b.create<scf::ForOp>(loc, b.create<arith::ConstantIndexOp>(loc, lower),
                             b.create<arith::ConstantIndexOp>(
                                 loc, lower + bounds->trips.back() * step),
                             b.create<arith::ConstantIndexOp>(loc, step));
    map.map(ivs.back(), inner.getInductionVar());
    b.setInsertionPointToStart(inner.getBody());
  }
  for (Operation &op : nest.getBody()->without_terminator())
    b.clone(op, map);
  b.setInsertionPointToEnd(entry);
  b.create<func::ReturnOp>(loc);

  b.setInsertionPoint(nest);
  SmallVector<Value> args(captured);
  args.push_back(b.create<arith::ConstantIndexOp>(loc, 0));
  args.push_back(b.create<arith::ConstantIndexOp>(loc, rows));
  b.create<func::CallOp>(loc, part, args);
  nest.erase();
  return true;
}

struct OutlineParallel : golf::impl::GolfOutlineParallelBase<OutlineParallel> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto fn : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (fn.isExternal())
        continue;
      unsigned index = 0;
      for (Block &block : fn.getBody())
        for (auto nest : llvm::to_vector(block.getOps<scf::ParallelOp>()))
          if (outline(module, fn, nest, index))
            ++index;
    }
  }
};

} // namespace
