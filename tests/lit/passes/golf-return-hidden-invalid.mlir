// RUN: golf-opt %s -split-input-file -golf-return-hidden -verify-diagnostics

// expected-error @+1 {{golf-return-hidden: the module has no @model}}
module {
}

// -----

func.func @model(%x: tensor<2x8xf32>) -> tensor<2xf32> {
  %l = golf.mean %x {axis = 1 : i64} : tensor<2x8xf32> -> tensor<2xf32>
  // expected-error @+1 {{golf-return-hidden: @model must return one cross_entropy(logits, targets) (SLOT applies the head itself)}}
  return %l : tensor<2xf32>
}

// -----

// The logits are not a linear map of a hidden state.
func.func @model(%z: tensor<2x8x64xf32>, %t: tensor<2x8xi32>) -> tensor<f32> {
  %s = golf.softcap %z {cap = 30.0} : tensor<2x8x64xf32>
  // expected-error @+1 {{golf-return-hidden: the logits must be linear(h, W), softcapped or not (SLOT applies the head itself)}}
  %l = golf.cross_entropy %s, %t : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// The head multiplies by something other than a parameter.
func.func @model(%h: tensor<2x8x32xf32>, %w: tensor<64x32xf32>, %t: tensor<2x8xi32>) -> tensor<f32> {
  %w2 = golf.softcap %w {cap = 1.0} : tensor<64x32xf32>
  // expected-error @+1 {{golf-return-hidden: the head's weight must be a parameter (SLOT applies the head itself)}}
  %z = golf.linear %h, %w2 : tensor<2x8x32xf32>, tensor<64x32xf32> -> tensor<2x8x64xf32>
  %l = golf.cross_entropy %z, %t : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
  return %l : tensor<f32>
}
