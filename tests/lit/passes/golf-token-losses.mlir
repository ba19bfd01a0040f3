// RUN: golf-opt %s -golf-token-losses | FileCheck %s
// RUN: golf-opt %s -golf-token-losses -golf-lower-to-linalg | FileCheck %s --check-prefix=LOWERED

// @model's mean cross-entropy becomes the loss of each position: plain
// cross-entropy, also when training minimizes a focal loss (PR #1319's
// evaluation model has no focal_gamma).
// CHECK-LABEL: func.func @model
// CHECK-SAME: -> (tensor<2x8xf32> {golf.result = "losses"})
// CHECK: %[[L:.*]] = golf.token_cross_entropy %{{.*}}, %arg1 : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<2x8xf32>
// CHECK-NOT: golf.cross_entropy
// CHECK: return %[[L]] : tensor<2x8xf32>
// LOWERED-LABEL: func.func @model
// LOWERED-SAME: {golf.result = "losses"}
// LOWERED-NOT: golf.
// LOWERED: return %{{.*}} : tensor<2x8xf32>
func.func @model(%z: tensor<2x8x64xf32>, %t: tensor<2x8xi32>) -> tensor<f32> {
  %s = golf.softcap %z {cap = 30.0} : tensor<2x8x64xf32>
  %l = golf.cross_entropy %s, %t {focal_gamma = 1.0 : f64} : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
  return %l : tensor<f32>
}
