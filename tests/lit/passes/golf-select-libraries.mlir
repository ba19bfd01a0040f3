// RUN: golf-opt %s -split-input-file -golf-select-libraries -verify-diagnostics | FileCheck %s
// RUN: golf-opt %s -split-input-file -golf-select-libraries=library=none | FileCheck %s --check-prefix=NONE
// RUN: golf-opt %s -split-input-file -golf-select-libraries=target=cuda | FileCheck %s --check-prefix=CUDA
// RUN: golf-opt %s -split-input-file -golf-select-libraries="target=cpu library=blas" | FileCheck %s

// linear and its gradients become BLAS matrix products on flattened rows;
// the CUDA target's library is cuBLASLt.
// CHECK-LABEL: func.func @step
// NONE-LABEL: func.func @step
// CUDA-LABEL: func.func @step
// CUDA-COUNT-3: {library = "cublaslt"
// CUDA-NOT: golf.linear
func.func @step(%x: tensor<2x3x8xf32>, %w: tensor<4x8xf32>, %g: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x8xf32>, tensor<4x8xf32>) {
  // CHECK: %[[X:.*]] = golf.reshape %{{.*}} : tensor<2x3x8xf32> -> tensor<6x8xf32>
  // CHECK: %[[Y:.*]] = golf.gemm %[[X]], %{{.*}} {library = "blas", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  // CHECK: golf.reshape %[[Y]] : tensor<6x4xf32> -> tensor<2x3x4xf32>
  // NONE: golf.linear
  %y = golf.linear %x, %w : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<2x3x4xf32>
  // CHECK: golf.gemm %{{.*}}, %{{.*}} {library = "blas"} : tensor<6x4xf32>, tensor<4x8xf32> -> tensor<6x8xf32>
  %dx = golf.linear_grad_input %g, %w : tensor<2x3x4xf32>, tensor<4x8xf32> -> tensor<2x3x8xf32>
  // CHECK: golf.gemm %{{.*}}, %{{.*}} {library = "blas", transpose_a} : tensor<6x4xf32>, tensor<6x8xf32> -> tensor<4x8xf32>
  %dw = golf.linear_grad_weight %g, %x : tensor<2x3x4xf32>, tensor<2x3x8xf32> -> tensor<4x8xf32>
  // CHECK-NOT: golf.linear
  return %y, %dx, %dw : tensor<2x3x4xf32>, tensor<2x3x8xf32>, tensor<4x8xf32>
}

// -----

// Attention, forward and backward, gets the target's attention library:
// golfc's own kernel on the CPU (even with library=none for the products),
// cuDNN's on CUDA.
// CHECK-LABEL: func.func @attention
// CHECK: golf.causal_attention {{.*}} {library = "golf"}
// CHECK: golf.causal_attention_grad {{.*}} {library = "golf"}
// NONE-LABEL: func.func @attention
// NONE: golf.causal_attention {{.*}} {library = "golf"}
// CUDA-LABEL: func.func @attention
// CUDA: golf.causal_attention {{.*}} {library = "cudnn"}
// CUDA: golf.causal_attention_grad {{.*}} {library = "cudnn"}
func.func @attention(%h: tensor<2x3x2x4xf32>) -> tensor<2x3x2x4xf32> {
  %a = golf.causal_attention %h, %h, %h : tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32> -> tensor<2x3x2x4xf32>
  %dq, %dk, %dv = golf.causal_attention_grad %h, %h, %h, %a, %a : tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>
  return %dq : tensor<2x3x2x4xf32>
}
