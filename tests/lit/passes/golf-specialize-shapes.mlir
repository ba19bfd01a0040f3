// RUN: golf-opt %s -split-input-file -golf-specialize-shapes="batch=4 seq=16" -verify-diagnostics | FileCheck %s

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
golf.param @emb : tensor<32x8xf32> init zeros [] group "g" quant "q"

// The token arguments become [batch, seq]; every result type is re-inferred,
// and a reshape's `?` dimensions take their sizes from its input's, in order.
// CHECK-LABEL: func.func @model
// CHECK-SAME: (%{{.*}}: tensor<4x16xi32>, %{{.*}}: tensor<4x16xi32>) -> tensor<f32>
func.func @model(%tokens: tensor<?x?xi32>, %targets: tensor<?x?xi32>) -> tensor<f32> {
  %w = golf.param_ref @emb : tensor<32x8xf32>
  // CHECK: golf.embedding {{.*}} -> tensor<4x16x8xf32>
  %x = golf.embedding %tokens, %w : tensor<?x?xi32>, tensor<32x8xf32> -> tensor<?x?x8xf32>
  // CHECK: golf.reshape {{.*}} : tensor<4x16x8xf32> -> tensor<4x16x2x4xf32>
  %h = golf.reshape %x : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  // CHECK: golf.rope {{.*}} : tensor<4x16x2x4xf32>
  %r = golf.rope %h {dims = 4 : i64, base = 1.0e4 : f64} : tensor<?x?x2x4xf32>
  // CHECK: golf.causal_attention {{.*}} -> tensor<4x16x2x4xf32>
  %a = golf.causal_attention %r, %r, %r : tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32> -> tensor<?x?x2x4xf32>
  // CHECK: golf.reshape {{.*}} : tensor<4x16x2x4xf32> -> tensor<4x16x8xf32>
  %y = golf.reshape %a : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  %l = golf.linear %y, %w : tensor<?x?x8xf32>, tensor<32x8xf32> -> tensor<?x?x32xf32>
  // CHECK: golf.cross_entropy {{.*}} : tensor<4x16x32xf32>, tensor<4x16xi32> -> tensor<f32>
  %loss = golf.cross_entropy %l, %targets : tensor<?x?x32xf32>, tensor<?x?xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @+1 {{golf-specialize-shapes: no func.func @model with a body}}
module {
  func.func @other() {
    return
  }
}

// -----

module {
  // expected-error @+1 {{golf-specialize-shapes: @model takes [B, T] token tensors}}
  func.func @model(%tokens: tensor<?xi32>) {
    return
  }
}

// -----

// expected-error @+1 {{golf-specialize-shapes: no func.func @model with a body}}
module {
  func.func private @model(tensor<?x?xi32>, tensor<?x?xi32>) -> tensor<f32>
}
