//===- CallOrder.h - functions in the order their calls need ----*- C++ -*-===//
//
// Passes that change how functions return (golf-results-to-outputs) or what
// a call's results own (golf-free-buffers) visit every callee before its
// callers.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_PASSES_CALLORDER_H
#define GOLF_PASSES_CALLORDER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseSet.h"

#include <functional>

namespace golf {

/// The module's functions, each after every function it calls.
inline llvm::SmallVector<mlir::func::FuncOp>
calleesFirst(mlir::ModuleOp module) {
  llvm::SmallVector<mlir::func::FuncOp> order;
  llvm::DenseSet<mlir::Operation *> visited;
  std::function<void(mlir::func::FuncOp)> visit = [&](mlir::func::FuncOp fn) {
    if (!visited.insert(fn).second)
      return;
    fn.walk([&](mlir::func::CallOp call) {
      if (auto callee =
              module.lookupSymbol<mlir::func::FuncOp>(call.getCallee()))
        visit(callee);
    });
    order.push_back(fn);
  };
  for (auto fn : module.getOps<mlir::func::FuncOp>())
    visit(fn);
  return order;
}

} // namespace golf

#endif // GOLF_PASSES_CALLORDER_H
