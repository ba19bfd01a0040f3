// RUN: golf-opt %s -golf-to-cpu="batch=2 seq=3" | FileCheck %s

// The named pipeline takes a parsed spec through every stage to the LLVM
// dialect: no function returns a value (the step writes its loss and
// gradients into its caller's buffers), the products call the BLAS, and no
// golf op is left in a function.
golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
golf.param @emb : tensor<16x8xf32> init zeros [] group "g" quant "q"
golf.param @w : tensor<8xf32> init ones [] group "g" quant "q"

// The declarations stay (golfc drops them before it emits LLVM IR).
// CHECK: golf.param @w
// CHECK-LABEL: llvm.func @model(
// CHECK-NOT: golf.
// CHECK-NOT: llvm.return %
// CHECK-LABEL: llvm.func @train_step(
// CHECK-NOT: golf.
// CHECK-NOT: llvm.return %
// CHECK: llvm.call @golf_rt_gemm_nt_f32
// CHECK-NOT: golf.
// CHECK-NOT: llvm.return %
// CHECK: llvm.func @_mlir_ciface_golf_rt_gemm_nt_f32
func.func @model(%tokens: tensor<?x?xi32>, %targets: tensor<?x?xi32>) -> tensor<f32> {
  %e = golf.param_ref @emb : tensor<16x8xf32>
  %x = golf.embedding %tokens, %e : tensor<?x?xi32>, tensor<16x8xf32> -> tensor<?x?x8xf32>
  %w = golf.param_ref @w : tensor<8xf32>
  %y = golf.mul %x, %w : tensor<?x?x8xf32>, tensor<8xf32> -> tensor<?x?x8xf32>
  %l = golf.linear %y, %e : tensor<?x?x8xf32>, tensor<16x8xf32> -> tensor<?x?x16xf32>
  %loss = golf.cross_entropy %l, %targets : tensor<?x?x16xf32>, tensor<?x?xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
