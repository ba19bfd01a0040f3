// RUN: golf-opt %s -golf-test-print-fusion | FileCheck %s

// The grouping of golf-fuse, printed without changing the IR: the gemm
// splits the function in two runs, the second of which has two groups.
// CHECK: @step
// CHECK-NEXT: group k0: 2 in, 1 out: rms_norm mul reshape
// CHECK-NEXT: group k1: 1 in, 1 out: relu
// CHECK-NEXT: group k2: 1 in, 1 out: exp
// CHECK-NEXT: @empty
// CHECK-NOT: group
// The IR is printed unchanged after the groups.
// CHECK: func.func @step
// CHECK-NOT: golf.fused
func.func @step(%x: tensor<6x8xf32>, %g: tensor<8xf32>, %w: tensor<4x8xf32>) -> (tensor<6x4xf32>, tensor<6x8xf32>) {
  %n = golf.rms_norm %x : tensor<6x8xf32>
  %m = golf.mul %n, %g : tensor<6x8xf32>, tensor<8xf32> -> tensor<6x8xf32>
  %r = golf.reshape %m : tensor<6x8xf32> -> tensor<48xf32>
  %y = golf.gemm %m, %w {library = "blas", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  %z = golf.relu %y : tensor<6x4xf32>
  %e = golf.exp %m : tensor<6x8xf32>
  return %z, %e : tensor<6x4xf32>, tensor<6x8xf32>
}
func.func @empty() {
  return
}
