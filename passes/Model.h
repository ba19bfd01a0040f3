//===- Model.h - what the passes that rewrite @model share ------*- C++ -*-===//

#ifndef GOLF_PASSES_MODEL_H
#define GOLF_PASSES_MODEL_H

#include "passes/Passes.h"

#include "llvm/ADT/StringMap.h"

namespace golf {

/// The module's @model with a body, or null after an error that names
/// `pass`.
mlir::func::FuncOp modelOf(mlir::ModuleOp module, llvm::StringRef pass);

/// The arguments of `model` that hold parameters, by name (after
/// golf-bind-params).
llvm::StringMap<mlir::BlockArgument> paramArguments(mlir::func::FuncOp model);

/// The cross_entropy `model` returns as its only result, or null after an
/// error that names `pass` and says what the result is needed for.
CrossEntropyOp returnedLoss(mlir::func::FuncOp model, llvm::StringRef pass,
                            llvm::StringRef purpose);

/// Makes `model` return `value` instead of `loss` (erased when nothing else
/// reads it), with the function type to match.
void returnInstead(mlir::func::FuncOp model, CrossEntropyOp loss,
                   mlir::Value value);

} // namespace golf

#endif // GOLF_PASSES_MODEL_H
