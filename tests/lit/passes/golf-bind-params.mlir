// RUN: golf-opt %s -split-input-file -golf-bind-params -verify-diagnostics | FileCheck %s

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
golf.param @emb : tensor<16x8xf32> init zeros [] group "g" quant "q"
golf.param @w : tensor<8xf32> init ones [] group "g" quant "q"

// Parameters become leading arguments in declaration order, named by an
// attribute; every reference reads its argument; the declarations stay.
// CHECK: golf.param @emb
// CHECK: golf.param @w
// CHECK-LABEL: func.func @model
// CHECK-SAME: (%[[EMB:.*]]: tensor<16x8xf32> {golf.param = "emb"}, %[[W:.*]]: tensor<8xf32> {golf.param = "w"}, %[[TOK:.*]]: tensor<2x3xi32>, %{{.*}}: tensor<2x3xi32>)
func.func @model(%tokens: tensor<2x3xi32>, %targets: tensor<2x3xi32>) -> tensor<f32> {
  // CHECK-NOT: golf.param_ref
  %e = golf.param_ref @emb : tensor<16x8xf32>
  // CHECK: golf.embedding %[[TOK]], %[[EMB]]
  %x = golf.embedding %tokens, %e : tensor<2x3xi32>, tensor<16x8xf32> -> tensor<2x3x8xf32>
  %w = golf.param_ref @w : tensor<8xf32>
  // CHECK: golf.mul %{{.*}}, %[[W]]
  %y = golf.mul %x, %w : tensor<2x3x8xf32>, tensor<8xf32> -> tensor<2x3x8xf32>
  %l = golf.linear %y, %e : tensor<2x3x8xf32>, tensor<16x8xf32> -> tensor<2x3x16xf32>
  %loss = golf.cross_entropy %l, %targets : tensor<2x3x16xf32>, tensor<2x3xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @+1 {{golf-bind-params: no func.func @model with a body}}
module {
}
