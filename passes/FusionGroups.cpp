//===- FusionGroups.cpp - which golf ops become one kernel ----------------===//

#include "passes/FusionGroups.h"
#include "dialect/GolfOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

bool golf::isFusionBoundary(Operation *op) {
  // A library's op (gemm, attention, embedding_grad) is a call, never part
  // of a kernel; nor are the matrix products a library may take over.
  return op->hasTrait<golf::traits::TargetLibrary>() ||
         isa<LinearOp, LinearGradInputOp, LinearGradWeightOp, FusedOp>(op) ||
         !isa<GolfDialect>(op->getDialect());
}

SmallVector<Value> golf::fusionInputs(ArrayRef<Operation *> ops) {
  llvm::SmallPtrSet<Operation *, 32> members(ops.begin(), ops.end());
  llvm::SetVector<Value> inputs;
  for (Operation *op : ops)
    for (Value v : op->getOperands()) {
      Operation *def = v.getDefiningOp();
      if (def && (members.contains(def) || isa<golf::ConstantOp>(def)))
        continue;
      inputs.insert(v);
    }
  return SmallVector<Value>(inputs.begin(), inputs.end());
}

namespace {

using golf::FusionGroup;

/// The groups of one run (consecutive fusible ops).
void groupRun(ArrayRef<Operation *> run, SmallVectorImpl<FusionGroup> &groups) {
  if (run.empty())
    return;
  llvm::SmallPtrSet<Operation *, 32> inRun(run.begin(), run.end());
  // Reshapes of values from outside the run (and chains of them) are left
  // outside: they are views of their input.
  llvm::SmallPtrSet<Operation *, 8> hoisted;
  for (Operation *op : run)
    if (isa<golf::ReshapeOp>(op)) {
      Operation *def = op->getOperand(0).getDefiningOp();
      if (!def || !inRun.contains(def) || hoisted.contains(def))
        hoisted.insert(op);
    }
  llvm::EquivalenceClasses<Operation *> classes;
  for (Operation *op : run) {
    if (hoisted.contains(op))
      continue;
    classes.insert(op);
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp();
          def && inRun.contains(def) && !hoisted.contains(def))
        classes.unionSets(op, def);
  }
  llvm::DenseMap<Operation *, size_t> groupOf; // leader -> index
  size_t first = groups.size();
  for (Operation *op : run) {
    if (hoisted.contains(op))
      continue;
    Operation *leader = classes.getLeaderValue(op);
    auto [it, inserted] = groupOf.try_emplace(leader, groups.size());
    if (inserted)
      groups.emplace_back();
    groups[it->second].ops.push_back(op);
  }
  for (size_t g = first; g < groups.size(); ++g) {
    FusionGroup &group = groups[g];
    llvm::SmallPtrSet<Operation *, 32> members(group.ops.begin(),
                                               group.ops.end());
    group.inputs = golf::fusionInputs(group.ops);
    for (Operation *op : group.ops)
      for (Value r : op->getResults())
        if (llvm::any_of(r.getUsers(), [&](Operation *user) {
              return !members.contains(user);
            }))
          group.outputs.push_back(r);
  }
  // Program order of the last op: stable within the run, as the groups of a
  // run are independent of each other.
  std::stable_sort(groups.begin() + first, groups.end(),
                   [](const FusionGroup &a, const FusionGroup &b) {
                     return a.ops.back()->isBeforeInBlock(b.ops.back());
                   });
}

} // namespace

SmallVector<FusionGroup> golf::findFusionGroups(Block &block) {
  SmallVector<FusionGroup> groups;
  SmallVector<Operation *> run;
  for (Operation &op : block) {
    if (isa<ConstantOp>(op))
      continue;
    if (isFusionBoundary(&op)) {
      groupRun(run, groups);
      run.clear();
      continue;
    }
    run.push_back(&op);
  }
  groupRun(run, groups);
  return groups;
}
