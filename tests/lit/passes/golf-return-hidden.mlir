// RUN: golf-opt %s -split-input-file -golf-return-hidden | FileCheck %s

// @model returns the hidden state its softcapped head reads; the head is
// gone.
// CHECK-LABEL: func.func @model
// CHECK-SAME: -> (tensor<2x8x32xf32> {golf.result = "hidden"})
// CHECK: %[[H:.*]] = golf.rms_norm
// CHECK-NOT: golf.linear
// CHECK-NOT: golf.softcap
// CHECK-NOT: golf.cross_entropy
// CHECK: return %[[H]] : tensor<2x8x32xf32>
func.func @model(%x: tensor<2x8x32xf32>, %t: tensor<2x8xi32>,
                 %w: tensor<64x32xf32> {golf.param = "tok_emb.weight"}) -> tensor<f32> {
  %h = golf.rms_norm %x : tensor<2x8x32xf32>
  %z = golf.linear %h, %w : tensor<2x8x32xf32>, tensor<64x32xf32> -> tensor<2x8x64xf32>
  %s = golf.softcap %z {cap = 30.0} : tensor<2x8x64xf32>
  %l = golf.cross_entropy %s, %t : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Without a softcap, and with the head still a param_ref (before
// golf-bind-params).
// CHECK-LABEL: func.func @model
// CHECK-SAME: -> (tensor<2x8x32xf32> {golf.result = "hidden"})
// CHECK-NEXT: return %arg0 : tensor<2x8x32xf32>
golf.optimizer "head" adam {lr = 8.0e-03 : f64}
golf.quant "matrix" fp32 {}
golf.param @lm_head.weight : tensor<64x32xf32> init zeros [] group "head" quant "matrix"
func.func @model(%h: tensor<2x8x32xf32>, %t: tensor<2x8xi32>) -> tensor<f32> {
  %w = golf.param_ref @lm_head.weight : tensor<64x32xf32>
  %z = golf.linear %h, %w : tensor<2x8x32xf32>, tensor<64x32xf32> -> tensor<2x8x64xf32>
  %l = golf.cross_entropy %z, %t : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
  return %l : tensor<f32>
}
