// Sizes that are not positive are refused before anything changes.
// RUN: golf-opt %s -golf-specialize-shapes="batch=0 seq=16" -verify-diagnostics

// expected-error @+1 {{golf-specialize-shapes: batch and seq must be positive}}
module {
  func.func @model(%tokens: tensor<?x?xi32>, %targets: tensor<?x?xi32>) {
    return
  }
}
