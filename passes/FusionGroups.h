//===- FusionGroups.h - which golf ops become one kernel ---------*- C++
//-*-===//
//
// The analysis behind golf-fuse and golf-test-print-fusion. Library calls
// (golf.gemm, causal attention and its gradient, the embedding gradient,
// matrix products left to code generation) split a function's ops into runs
// of consecutive elementwise ops and row reductions; the connected parts of
// each run are the groups. A run is consecutive and holds no library call,
// so no group can need, through a library call, a value of its own: every
// group can become one kernel placed at its last op.
//
// Reshapes that read a value from outside their group stay outside it (they
// are views: a kernel that returned a view of its input would need a copy).
// Constants belong to no group; each group takes a copy of those it uses.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_PASSES_FUSIONGROUPS_H
#define GOLF_PASSES_FUSIONGROUPS_H

#include "mlir/IR/Block.h"
#include "llvm/ADT/SmallVector.h"

namespace golf {

struct FusionGroup {
  /// In program order.
  llvm::SmallVector<mlir::Operation *> ops;
  /// fusionInputs(ops) when the groups were found (a group fused earlier
  /// replaces some of them: recompute them after changing the IR).
  llvm::SmallVector<mlir::Value> inputs;
  /// Results of the group's ops used outside it, in program order.
  llvm::SmallVector<mlir::Value> outputs;
};

/// True for the ops that end a run: library calls and matrix products.
bool isFusionBoundary(mlir::Operation *op);

/// The values `ops` read from outside themselves, constants excluded, in
/// order of first use.
llvm::SmallVector<mlir::Value>
fusionInputs(llvm::ArrayRef<mlir::Operation *> ops);

/// The groups of `block`, in program order of their last op.
llvm::SmallVector<FusionGroup> findFusionGroups(mlir::Block &block);

} // namespace golf

#endif // GOLF_PASSES_FUSIONGROUPS_H
