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
                   mlir::Value value, llvm::StringRef role);

/// The head of a language model: the linear map from the hidden state to
/// the logits that its returned cross_entropy reads, softcapped or not.
struct Head {
  LinearOp linear;    // null when `model` has none (after an error)
  SoftcapOp softcap;  // null without a softcap
  std::string weight; // the parameter the head multiplies by
};
/// The head `loss` reads: cross_entropy(softcap(linear(h, W)), targets) or
/// cross_entropy(linear(h, W), targets), W a parameter (a golf.param_ref,
/// or an argument of @model after golf-bind-params). On any other form
/// the error names `pass` and `purpose`, and `linear` is null.
/// The same without a diagnostic: `linear` is null on any other form.
Head findHead(mlir::func::FuncOp model, CrossEntropyOp loss);
Head headOf(mlir::func::FuncOp model, CrossEntropyOp loss, llvm::StringRef pass,
            llvm::StringRef purpose);

} // namespace golf

#endif // GOLF_PASSES_MODEL_H
