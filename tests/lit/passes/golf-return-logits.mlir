// RUN: golf-opt %s -golf-return-logits | FileCheck %s

// @model returns the softcapped logits its cross-entropy read.
// CHECK-LABEL: func.func @model
// CHECK-SAME: -> (tensor<2x8x64xf32> {golf.result = "logits"})
// CHECK: %[[S:.*]] = golf.softcap
// CHECK-NOT: golf.cross_entropy
// CHECK: return %[[S]] : tensor<2x8x64xf32>
func.func @model(%z: tensor<2x8x64xf32>, %t: tensor<2x8xi32>) -> tensor<f32> {
  %s = golf.softcap %z {cap = 30.0} : tensor<2x8x64xf32>
  %l = golf.cross_entropy %s, %t : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
  return %l : tensor<f32>
}
