// RUN: golf-opt %s -split-input-file -golf-lower-to-linalg -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @model
func.func @model(%w: tensor<4x8xf32> {golf.param = "w"}, %tokens: tensor<2x3xi32>,
                 %targets: tensor<2x3xi32>) -> tensor<f32> {
  // An elementwise op: a parallel linalg.generic.
  // CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
  // CHECK: arith.maximumf
  %r = golf.relu %w : tensor<4x8xf32>
  // A gather: tensor.extract in a generic body.
  // CHECK: tensor.extract
  %x = golf.embedding %tokens, %r : tensor<2x3xi32>, tensor<4x8xf32> -> tensor<2x3x8xf32>
  // linear: a matmul with the weight transposed, on the flattened rows.
  // CHECK: linalg.matmul_transpose_b ins(%{{.*}}, %{{.*}} : tensor<6x8xf32>, tensor<4x8xf32>)
  %l = golf.linear %x, %r : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<2x3x4xf32>
  %h = golf.reshape %l : tensor<2x3x4xf32> -> tensor<2x3x2x2xf32>
  // Attention is a library's (Golf_TargetLibrary): left for the target's
  // library-call lowering, on the lowered operands.
  // CHECK: golf.causal_attention %[[H:.*]], %[[H]], %[[H]] :
  %a = golf.causal_attention %h, %h, %h : tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32> -> tensor<2x3x2x2xf32>
  // CHECK: golf.causal_attention_grad
  %dq, %dk, %dv = golf.causal_attention_grad %h, %h, %h, %a, %a : tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>, tensor<2x3x2x2xf32>
  %y = golf.reshape %a : tensor<2x3x2x2xf32> -> tensor<2x3x4xf32>
  // Cross-entropy: row max and sum of exponentials as reductions.
  // CHECK: iterator_types = ["parallel", "parallel", "reduction"]
  // CHECK: math.exp
  // CHECK: math.log
  %loss = golf.cross_entropy %y, %targets : tensor<2x3x4xf32>, tensor<2x3xi32> -> tensor<f32>
  // CHECK-NOT: golf.
  return %loss : tensor<f32>
}
// CHECK-NOT: golf_rt_

// -----

// expected-error @+1 {{golf-lower-to-linalg: no func.func @model with a body}}
module {
}

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
golf.param @w : tensor<4xf32> init zeros [] group "g" quant "q"
func.func @model() -> tensor<4xf32> {
  // expected-error @+1 {{golf-lower-to-linalg: bind parameters first (golf-bind-params)}}
  %w = golf.param_ref @w : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @model(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error @+1 {{golf-lower-to-linalg: shapes must be static (golf-specialize-shapes)}}
  %y = golf.relu %x : tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// A kernel of golf-fuse becomes a private function @<function>.<name>, kept
// apart by LLVM's inliner, called in its place.
// CHECK-LABEL: func.func @model
// CHECK: %[[R:.*]] = call @model.k0(%{{.*}}) : (tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: return %[[R]]
// CHECK: func.func private @model.k0(%{{.*}}: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {passthrough = ["noinline"]}
// CHECK: linalg.generic
// CHECK: return
func.func @model(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = golf.fused "k0"(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32> {
  ^bb0(%a: tensor<4x8xf32>):
    %r = golf.relu %a : tensor<4x8xf32>
    golf.yield %r : tensor<4x8xf32>
  }
  return %0 : tensor<4x8xf32>
}
