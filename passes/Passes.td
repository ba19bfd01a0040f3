//===- Passes.td - golfc's passes -------------------------*- tablegen -*-===//
//
// One def per pass; the def, its .cpp, its flag and its lit test share one
// name (GolfSpecializeShapes, SpecializeShapes.cpp, golf-specialize-shapes,
// tests/lit/passes/golf-specialize-shapes.mlir).
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_PASSES_TD
#define GOLF_PASSES_TD

include "mlir/Pass/PassBase.td"

def GolfSpecializeShapes : Pass<"golf-specialize-shapes", "mlir::ModuleOp"> {
  let summary = "Fixes the batch and sequence dimensions and re-infers every shape";
  let description = [{
    The parsed IR keeps the batch (B) and sequence (T) dimensions dynamic.
    This pass gives `@model`'s token arguments the static shape
    [batch, seq], then re-infers the result type of every op in order with
    the op's shape rule; a reshape keeps its static dimensions and takes its
    `?` dimensions, in order, from its input. A shape rule that fails under
    the new sizes is an error.

    Before:
    ```mlir
    func.func @model(%tokens: tensor<?x?xi32>, %targets: tensor<?x?xi32>) -> tensor<f32> {
      %e = golf.embedding %tokens, %w : tensor<?x?xi32>, tensor<1024x512xf32> -> tensor<?x?x512xf32>
    ```
    After `golf-specialize-shapes{batch=4 seq=1024}`:
    ```mlir
    func.func @model(%tokens: tensor<4x1024xi32>, %targets: tensor<4x1024xi32>) -> tensor<f32> {
      %e = golf.embedding %tokens, %w : tensor<4x1024xi32>, tensor<1024x512xf32> -> tensor<4x1024x512xf32>
    ```
  }];
  let dependentDialects = ["::golf::GolfDialect"];
  let options = [
    Option<"batch", "batch", "int64_t", "1", "sequences per batch (B)">,
    Option<"seq", "seq", "int64_t", "1024", "tokens per sequence (T)">,
  ];
}

#endif // GOLF_PASSES_TD
