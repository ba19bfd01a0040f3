// RUN: golf-opt %s -split-input-file -golf-collect-hessians | FileCheck %s

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "exact" int6 {method = "gptq"}
golf.quant "plain" int8 {}
golf.param @emb : tensor<16x8xf32> init zeros [] group "g" quant "exact"
golf.param @w : tensor<8x8xf32> init zeros [] group "g" quant "exact"
golf.param @v : tensor<8x8xf32> init zeros [] group "g" quant "plain"

// @w's Hessian is XᵀX of its one linear's input; the tied @emb is used by an
// embedding (no Hessian) and as the head (the head's input): one each, in
// declaration order, named by golf.hessians. @v is not GPTQ'd.
// CHECK-LABEL: func.func @model
// CHECK-SAME: -> (tensor<f32>, tensor<8x8xf32> {golf.result = "hessian:emb"}, tensor<8x8xf32> {golf.result = "hessian:w"})
// CHECK-SAME: golf.hessians = ["emb", "w"]
// CHECK: %[[Y:.*]] = golf.linear %[[X:.*]], %arg1
// CHECK-NEXT: %[[HW:.*]] = golf.linear_grad_weight %[[X]], %[[X]] : tensor<2x3x8xf32>, tensor<2x3x8xf32> -> tensor<8x8xf32>
// CHECK: golf.linear %[[Z:.*]], %arg2
// CHECK-NOT: linear_grad_weight
// CHECK: %[[L:.*]] = golf.linear %[[Y2:.*]], %arg0
// CHECK-NEXT: %[[HE:.*]] = golf.linear_grad_weight %[[Y2]], %[[Y2]]
// CHECK: return %{{.*}}, %[[HE]], %[[HW]]
func.func @model(%emb: tensor<16x8xf32> {golf.param = "emb"}, %w: tensor<8x8xf32> {golf.param = "w"},
                 %v: tensor<8x8xf32> {golf.param = "v"}, %tokens: tensor<2x3xi32>,
                 %targets: tensor<2x3xi32>) -> tensor<f32> {
  %x = golf.embedding %tokens, %emb : tensor<2x3xi32>, tensor<16x8xf32> -> tensor<2x3x8xf32>
  %y = golf.linear %x, %w : tensor<2x3x8xf32>, tensor<8x8xf32> -> tensor<2x3x8xf32>
  %z = golf.linear %y, %v : tensor<2x3x8xf32>, tensor<8x8xf32> -> tensor<2x3x8xf32>
  %l = golf.linear %z, %emb : tensor<2x3x8xf32>, tensor<16x8xf32> -> tensor<2x3x16xf32>
  %loss = golf.cross_entropy %l, %targets : tensor<2x3x16xf32>, tensor<2x3xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// Two linears share a weight: their Hessians add up.
golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "exact" int6 {method = "gptq"}
golf.param @w : tensor<8x8xf32> init zeros [] group "g" quant "exact"
// CHECK-LABEL: func.func @model
// CHECK: %[[H1:.*]] = golf.linear_grad_weight %arg1, %arg1
// CHECK: %[[H2:.*]] = golf.linear_grad_weight %[[Y:.*]], %[[Y]]
// CHECK: %[[S:.*]] = golf.add %[[H1]], %[[H2]]
// CHECK: return %{{.*}}, %[[S]]
func.func @model(%w: tensor<8x8xf32> {golf.param = "w"}, %x: tensor<2x8xf32>) -> tensor<f32> {
  %y = golf.linear %x, %w : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %z = golf.linear %y, %w : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
  %m = golf.mean %z {axis = 1 : i64} : tensor<2x8xf32> -> tensor<2xf32>
  %s = golf.mean %m {axis = 0 : i64} : tensor<2xf32> -> tensor<f32>
  return %s : tensor<f32>
}
