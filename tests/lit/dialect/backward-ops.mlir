// The backward ops that gradient rules build parse, verify and print back.
// RUN: golf-opt %s | golf-opt | FileCheck %s

// CHECK-LABEL: func.func @backward
func.func @backward(%g: tensor<2x3x8xf32>, %x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>,
                    %gw: tensor<2x3x4xf32>, %ids: tensor<2x3xi32>, %s: tensor<f32>,
                    %q: tensor<2x3x4x2xf32>, %k: tensor<2x3x2x2xf32>) {
  // CHECK: golf.broadcast_to %{{.*}} : tensor<f32> -> tensor<2x3x8xf32>
  %0 = golf.broadcast_to %s : tensor<f32> -> tensor<2x3x8xf32>
  // CHECK: golf.reduce_to %{{.*}} : tensor<2x3x8xf32> -> tensor<1x8xf32>
  %1 = golf.reduce_to %g : tensor<2x3x8xf32> -> tensor<1x8xf32>
  // CHECK: golf.pad %{{.*}} {after = 1 : i64, axis = 0 : i64, before = 2 : i64} : tensor<1x8xf32> -> tensor<4x8xf32>
  %2 = golf.pad %1 {axis = 0 : i64, before = 2 : i64, after = 1 : i64} : tensor<1x8xf32> -> tensor<4x8xf32>
  // CHECK: golf.linear_grad_input %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<4x8xf32> -> tensor<2x3x8xf32>
  %3 = golf.linear_grad_input %gw, %w : tensor<2x3x4xf32>, tensor<4x8xf32> -> tensor<2x3x8xf32>
  // CHECK: golf.linear_grad_weight %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<2x3x8xf32> -> tensor<4x8xf32>
  %4 = golf.linear_grad_weight %gw, %x : tensor<2x3x4xf32>, tensor<2x3x8xf32> -> tensor<4x8xf32>
  // CHECK: golf.embedding_grad %{{.*}}, %{{.*}} {rows = 16 : i64} : tensor<2x3xi32>, tensor<2x3x8xf32> -> tensor<16x8xf32>
  %5 = golf.embedding_grad %ids, %g {rows = 16 : i64} : tensor<2x3xi32>, tensor<2x3x8xf32> -> tensor<16x8xf32>
  // CHECK: golf.cross_entropy_grad %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3x8xf32>, tensor<2x3xi32>, tensor<f32> -> tensor<2x3x8xf32>
  %6 = golf.cross_entropy_grad %x, %ids, %s : tensor<2x3x8xf32>, tensor<2x3xi32>, tensor<f32> -> tensor<2x3x8xf32>
  // CHECK: golf.causal_attention_grad %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {scale = 5.000000e-01 : f64} : tensor<2x3x4x2xf32>, tensor<2x3x2x2xf32>
  %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %k, %q, %q {scale = 0.5 : f64} : tensor<2x3x4x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x4x2xf32>, tensor<2x3x4x2xf32>
  // CHECK: golf.rope %{{.*}} {base = 1.000000e+04 : f64, dims = 2 : i64, inverse} : tensor<2x3x4x2xf32>
  %7 = golf.rope %q {dims = 2 : i64, base = 1.0e4 : f64, inverse} : tensor<2x3x4x2xf32>
  // CHECK: golf.shift %{{.*}} {amount = -1 : i64, fill = 0.000000e+00 : f64} : tensor<2x3x8xf32>
  %8 = golf.shift %g {amount = -1 : i64, fill = 0.0 : f64} : tensor<2x3x8xf32>
  return
}
