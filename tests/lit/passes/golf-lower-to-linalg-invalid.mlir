// The CPU lowering calls BLAS: a product the CUDA target's library was
// chosen for cannot be lowered here.
// RUN: golf-opt %s -golf-lower-to-linalg -verify-diagnostics

func.func @model(%a: tensor<6x8xf32>, %b: tensor<4x8xf32>) -> tensor<6x4xf32> {
  // expected-error @+1 {{golf-lower-to-linalg: cublaslt is a library of the CUDA target; this lowering calls the CPU's (blas)}}
  %0 = golf.gemm %a, %b {library = "cublaslt", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}
