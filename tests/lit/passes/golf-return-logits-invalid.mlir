// RUN: golf-opt %s -split-input-file -golf-return-logits -verify-diagnostics

// expected-error @+1 {{golf-return-logits: the module has no @model}}
module {
}

// -----

func.func @model(%x: tensor<2x8xf32>) -> tensor<2xf32> {
  %l = golf.mean %x {axis = 1 : i64} : tensor<2x8xf32> -> tensor<2xf32>
  // expected-error @+1 {{golf-return-logits: @model must return one cross_entropy(logits, targets)}}
  return %l : tensor<2xf32>
}
