// The CPU's library is BLAS: a product the CUDA target's library was
// chosen for cannot be lowered here.
// RUN: golf-opt %s -split-input-file -golf-cpu-library-calls -verify-diagnostics

func.func @model(%a: tensor<6x8xf32>, %b: tensor<4x8xf32>) -> tensor<6x4xf32> {
  // expected-error @+1 {{golf-cpu-library-calls: cublaslt is not a library of the CPU target (blas)}}
  %0 = golf.gemm %a, %b {library = "cublaslt", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

func.func @model(%a: tensor<?x8xf32>, %b: tensor<4x8xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{golf-cpu-library-calls: shapes must be static (golf-specialize-shapes)}}
  %0 = golf.gemm %a, %b {library = "blas", transpose_b} : tensor<?x8xf32>, tensor<4x8xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @model(%h: tensor<2x3x2x4xf32>) -> tensor<2x3x2x4xf32> {
  // expected-error @+1 {{golf-cpu-library-calls: cudnn is not an attention library of the CPU target (golf)}}
  %a = golf.causal_attention %h, %h, %h {library = "cudnn"} : tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32>, tensor<2x3x2x4xf32> -> tensor<2x3x2x4xf32>
  return %a : tensor<2x3x2x4xf32>
}
