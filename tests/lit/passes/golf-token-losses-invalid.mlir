// RUN: golf-opt %s -split-input-file -golf-token-losses -verify-diagnostics

// expected-error @+1 {{golf-token-losses: the module has no @model}}
module {
  func.func @other(%x: tensor<f32>) -> tensor<f32> {
    return %x : tensor<f32>
  }
}

// -----

func.func @model(%x: tensor<2x8xf32>) -> tensor<2xf32> {
  %l = golf.mean %x {axis = 1 : i64} : tensor<2x8xf32> -> tensor<2xf32>
  // expected-error @+1 {{golf-token-losses: @model must return one cross_entropy(logits, targets) to be scored per position}}
  return %l : tensor<2xf32>
}
