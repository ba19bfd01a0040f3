// RUN: golf-opt %s -split-input-file -golf-cpu-library-calls | FileCheck %s

// A product for BLAS: a call of the runtime's gemm for its transposition on
// memref views, writing a fresh buffer that the result reads.
// CHECK-LABEL: func.func @model
// CHECK: %[[A:.*]] = bufferization.to_memref %{{.*}} read_only : memref<6x8xf32>
// CHECK: %[[C:.*]] = memref.alloc() : memref<6x4xf32>
// CHECK: call @golf_rt_gemm_nt_f32(
// CHECK: %[[Y:.*]] = bufferization.to_tensor %[[C]] restrict writable
// CHECK: return %[[Y]]
// CHECK: func.func private @golf_rt_gemm_nt_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @model(%a: tensor<6x8xf32>, %b: tensor<4x8xf32>) -> tensor<6x4xf32> {
  %0 = golf.gemm %a, %b {library = "blas", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

// Attention: a call to the runtime's kernel on memrefs, no T×T tensor; it
// keeps each row's softmax statistics ([B, T, H, 2]) for the gradient,
// which reads them instead of recomputing them. A gradient of another
// value than the forward's result recomputes them (no _stats). The scale
// is 1/sqrt(head_dim) unless given.
// CHECK-LABEL: func.func @model
// CHECK-NOT: tensor<2x2x3x3xf64>
// CHECK: %[[STATS:.*]] = memref.alloc() : memref<2x3x2x2xf64>
// CHECK: %[[SCALE:.*]] = arith.constant 5.000000e-01 : f64
// CHECK: call @golf_rt_attention_stats_f64({{.*}}, %[[SCALE]])
// CHECK: %[[ST:.*]] = bufferization.to_tensor %[[STATS]]
// CHECK: %[[SM:.*]] = bufferization.to_memref %[[ST]] read_only
// CHECK: %[[SC:.*]] = memref.cast %[[SM]]
// CHECK: call @golf_rt_attention_grad_stats_f64({{.*}}, %[[SC]], {{.*}})
// CHECK: call @golf_rt_attention_grad_f64(
// CHECK-NOT: golf.
// CHECK: return
func.func @model(%h: tensor<2x3x2x4xf64>) -> (tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>) {
  %a = golf.causal_attention %h, %h, %h : tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64> -> tensor<2x3x2x4xf64>
  %dq, %dk, %dv = golf.causal_attention_grad %h, %h, %h, %a, %a : tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>
  %eq, %ek, %ev = golf.causal_attention_grad %h, %h, %h, %h, %a : tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>
  return %dq, %eq : tensor<2x3x2x4xf64>, tensor<2x3x2x4xf64>
}

// -----

// embedding_grad: the runtime's scatter-add on the flattened ids and rows.
// CHECK-LABEL: func.func @model
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<2x3xi32> into tensor<6xi32>
// CHECK: call @golf_rt_embedding_grad_f32(
func.func @model(%ids: tensor<2x3xi32>, %g: tensor<2x3x8xf32>) -> tensor<16x8xf32> {
  %0 = golf.embedding_grad %ids, %g {rows = 16 : i64} : tensor<2x3xi32>, tensor<2x3x8xf32> -> tensor<16x8xf32>
  return %0 : tensor<16x8xf32>
}
