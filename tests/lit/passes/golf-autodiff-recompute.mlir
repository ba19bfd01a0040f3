// RUN: golf-opt %s -golf-autodiff | FileCheck %s
// RUN: golf-opt %s -golf-autodiff=recompute=false | FileCheck %s --check-prefix=KEEP

// An MLP with relu²: the backward pass reads relu(h) (the square's
// gradient) and square(relu(h)) (the weight gradient of the second linear).
// Both come from h, which the relu's gradient reads anyway, through cheap
// ops: they are recomputed in the backward pass from h, and the forward
// copies die after the forward pass.
func.func @model(%w1: tensor<8x4xf32> {golf.param = "w1"}, %w2: tensor<4x8xf32> {golf.param = "w2"},
                 %x: tensor<2x4xf32>, %targets: tensor<2xi32>) -> tensor<f32> {
  %h = golf.linear %x, %w1 : tensor<2x4xf32>, tensor<8x4xf32> -> tensor<2x8xf32>
  %r = golf.relu %h : tensor<2x8xf32>
  %s = golf.square %r : tensor<2x8xf32>
  %y = golf.linear %s, %w2 : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
  %loss = golf.cross_entropy %y, %targets : tensor<2x4xf32>, tensor<2xi32> -> tensor<f32>
  return %loss : tensor<f32>
}
// CHECK-LABEL: func.func @train_step
// CHECK: %[[H:.*]] = golf.linear
// CHECK-NEXT: %[[R:.*]] = golf.relu %[[H]]
// CHECK-NEXT: %[[S:.*]] = golf.square %[[R]]
// CHECK-NEXT: %[[Y:.*]] = golf.linear %[[S]]
// CHECK: %[[DY:.*]] = golf.cross_entropy_grad
// CHECK-NEXT: golf.linear_grad_input %[[DY]]
// CHECK-NEXT: %[[R2:.*]] = golf.relu %[[H]]
// CHECK-NEXT: %[[S2:.*]] = golf.square %[[R2]]
// CHECK-NEXT: golf.linear_grad_weight %[[DY]], %[[S2]]
// The square's gradient reads the copy too.
// CHECK-NEXT: golf.mul %{{.*}}, %[[R2]]
// The forward values have no use after the forward pass.
// CHECK-NOT: {{[ (]}}%[[R]]{{[,: )]}}
// CHECK-NOT: {{[ (]}}%[[S]]{{[,: )]}}
// CHECK: return

// KEEP-LABEL: func.func @train_step
// KEEP: %[[S:.*]] = golf.square
// KEEP: golf.linear_grad_weight %{{.*}}, %[[S]]
// KEEP-NOT: golf.square
// KEEP: return
