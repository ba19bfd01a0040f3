// RUN: golf-opt %s -split-input-file -golf-fuse | FileCheck %s

// Library calls split the ops into runs; each connected part of a run is a
// kernel placed at its last op, whose inputs and results are the values that
// cross its border. Constants are copied in; reshapes of inputs stay out.
// CHECK-LABEL: func.func @step
func.func @step(%x: tensor<2x3x8xf32>, %g: tensor<8xf32>, %w: tensor<4x8xf32>) -> (tensor<6x4xf32>, tensor<2x3x8xf32>) {
  // CHECK: %[[X2:.*]] = golf.reshape %{{.*}} : tensor<2x3x8xf32> -> tensor<6x8xf32>
  // CHECK: %[[K0:.*]]:2 = golf.fused "k0"(%{{.*}}, %{{.*}}, %[[X2]]) : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<6x8xf32>) -> (tensor<2x3x8xf32>, tensor<6x8xf32>) {
  // CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<2x3x8xf32>, %[[B:.*]]: tensor<8xf32>, %[[C:.*]]: tensor<6x8xf32>):
  // CHECK-NEXT:   %[[N:.*]] = golf.rms_norm %[[A]]
  // CHECK-NEXT:   %[[M:.*]] = golf.mul %[[N]], %[[B]]
  // CHECK-NEXT:   %[[HALF:.*]] = golf.constant 5.000000e-01 : tensor<f32>
  // CHECK-NEXT:   %[[S:.*]] = golf.mul %[[M]], %[[HALF]]
  // CHECK-NEXT:   %[[R:.*]] = golf.reshape %[[S]] : tensor<2x3x8xf32> -> tensor<6x8xf32>
  // CHECK-NEXT:   %[[T:.*]] = golf.add %[[R]], %[[C]]
  // CHECK-NEXT:   golf.yield %[[S]], %[[T]] : tensor<2x3x8xf32>, tensor<6x8xf32>
  // CHECK-NEXT: }
  %half = golf.constant 0.5 : tensor<f32>
  %n = golf.rms_norm %x : tensor<2x3x8xf32>
  %m = golf.mul %n, %g : tensor<2x3x8xf32>, tensor<8xf32> -> tensor<2x3x8xf32>
  %s = golf.mul %m, %half : tensor<2x3x8xf32>, tensor<f32> -> tensor<2x3x8xf32>
  %x2 = golf.reshape %x : tensor<2x3x8xf32> -> tensor<6x8xf32>
  %r = golf.reshape %s : tensor<2x3x8xf32> -> tensor<6x8xf32>
  %t = golf.add %r, %x2 : tensor<6x8xf32>, tensor<6x8xf32> -> tensor<6x8xf32>
  // CHECK: %[[Y:.*]] = golf.gemm %[[K0]]#1, %{{.*}}
  %y = golf.gemm %t, %w {library = "blas", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  // After the library call, a new run: two independent groups.
  // CHECK: golf.fused "k1"(%[[Y]]) : (tensor<6x4xf32>) -> tensor<6x4xf32>
  // CHECK: golf.relu
  // CHECK: golf.fused "k2"(%[[K0]]#0) : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT: golf.constant 5.000000e-01
  // CHECK-NEXT: golf.mul
  %z = golf.relu %y : tensor<6x4xf32>
  %u = golf.mul %s, %half : tensor<2x3x8xf32>, tensor<f32> -> tensor<2x3x8xf32>
  // The copied constant is dead outside the kernels and is removed.
  // CHECK-NOT: golf.constant
  // CHECK: return
  return %z, %u : tensor<6x4xf32>, tensor<2x3x8xf32>
}

// -----

// Attention and its gradient end runs too; a group whose results nobody
// uses is left as it is.
// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<1x4x2x8xf32>, %k: tensor<1x4x1x8xf32>) -> tensor<1x4x2x8xf32> {
  // CHECK: golf.fused "k0"
  // CHECK-NEXT: ^bb0
  // CHECK-NEXT: golf.rope
  // CHECK: golf.causal_attention
  // CHECK-NEXT: golf.square
  // CHECK-NEXT: return
  %r = golf.rope %q {dims = 8 : i64, base = 10000.0 : f64} : tensor<1x4x2x8xf32>
  %a = golf.causal_attention %r, %k, %k : tensor<1x4x2x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32> -> tensor<1x4x2x8xf32>
  %dead = golf.square %a : tensor<1x4x2x8xf32>
  return %a : tensor<1x4x2x8xf32>
}
