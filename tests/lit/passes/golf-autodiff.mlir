// RUN: golf-opt %s -split-input-file -golf-autodiff -verify-diagnostics | FileCheck %s

// @train_step returns the loss and one gradient per parameter argument, in
// order, each named; @model stays. The numbers of every rule are checked
// against finite differences in tests/unit/GradientTest.cpp.
// CHECK-LABEL: func.func @model
// CHECK-LABEL: func.func @train_step
// CHECK-SAME: -> (tensor<f32>, tensor<16x8xf32> {golf.grad = "emb"}, tensor<8xf32> {golf.grad = "w"}, tensor<4xf32> {golf.grad = "unused"})
func.func @model(%emb: tensor<16x8xf32> {golf.param = "emb"}, %w: tensor<8xf32> {golf.param = "w"},
                 %unused: tensor<4xf32> {golf.param = "unused"},
                 %tokens: tensor<2x3xi32>, %targets: tensor<2x3xi32>) -> tensor<f32> {
  %x = golf.embedding %tokens, %emb : tensor<2x3xi32>, tensor<16x8xf32> -> tensor<2x3x8xf32>
  %y = golf.mul %x, %w : tensor<2x3x8xf32>, tensor<8xf32> -> tensor<2x3x8xf32>
  %l = golf.linear %y, %emb : tensor<2x3x8xf32>, tensor<16x8xf32> -> tensor<2x3x16xf32>
  %loss = golf.cross_entropy %l, %targets : tensor<2x3x16xf32>, tensor<2x3xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
// The loss is seeded with 1 and walked back.
// CHECK: %[[ONE:.*]] = golf.constant 1.000000e+00 : tensor<f32>
// CHECK: %[[DL:.*]] = golf.cross_entropy_grad %{{.*}}, %{{.*}}, %[[ONE]]
// CHECK: %[[DY:.*]] = golf.linear_grad_input %[[DL]], %{{.*}}
// CHECK: %[[DEMB1:.*]] = golf.linear_grad_weight %[[DL]], %{{.*}}
// The broadcast operand's gradient is summed back to its shape.
// CHECK: %[[DW:.*]] = golf.reduce_to %{{.*}} : tensor<2x3x8xf32> -> tensor<8xf32>
// CHECK: %[[DEMB2:.*]] = golf.embedding_grad %{{.*}}, %{{.*}} {rows = 16 : i64}
// Two uses of the embedding: their gradients add up.
// CHECK: %[[DEMB:.*]] = golf.add %[[DEMB1]], %[[DEMB2]]
// A parameter the loss does not read gets zeros.
// CHECK: %[[ZERO:.*]] = golf.broadcast_to %{{.*}} : tensor<f32> -> tensor<4xf32>
// CHECK: return %{{.*}}, %[[DEMB]], %[[DW]], %[[ZERO]]

// -----

// A focal loss (PR #1319) keeps its γ in the gradient.
// CHECK-LABEL: func.func @train_step
// CHECK: golf.cross_entropy_grad %arg0, %arg2, %{{.*}} {focal_gamma = 2.000000e+00 : f64}
func.func @model(%z: tensor<2x3x16xf32> {golf.param = "z"}, %t: tensor<2x3xi32>,
                 %targets: tensor<2x3xi32>) -> tensor<f32> {
  %loss = golf.cross_entropy %z, %targets {focal_gamma = 2.0 : f64} : tensor<2x3x16xf32>, tensor<2x3xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// -----

// expected-error @+1 {{golf-autodiff: no func.func @model with a body}}
module {
}

// -----

module {
  // expected-error @+1 {{golf-autodiff: @model must return its scalar loss}}
  func.func @model(%x: tensor<4xf32> {golf.param = "x"}) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{golf-autodiff: the module already has @train_step}}
module {
  func.func @model(%x: tensor<f32> {golf.param = "x"}) -> tensor<f32> {
    return %x : tensor<f32>
  }
  func.func @train_step() {
    return
  }
}

// -----

module {
  func.func @model(%x: tensor<4xf32> {golf.param = "x"}, %t: tensor<1x2xi32>) -> tensor<f32> {
    // expected-error @+1 {{golf-autodiff: no gradient rule}}
    %b = golf.broadcast_to %x : tensor<4xf32> -> tensor<1x2x4xf32>
    %loss = golf.cross_entropy %b, %t : tensor<1x2x4xf32>, tensor<1x2xi32> -> tensor<f32>
    return %loss : tensor<f32>
  }
}
