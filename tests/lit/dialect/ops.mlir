// Every golf op parses, verifies and prints back to a form that parses to
// the same thing.
// RUN: golf-opt %s | golf-opt | FileCheck %s

// CHECK: golf.optimizer "matrix" muon {backend_steps = 5 : i64, lr = 4.000000e-02 : f64}
golf.optimizer "matrix" muon {lr = 4.0e-02 : f64, backend_steps = 5 : i64}
// CHECK: golf.optimizer "scalar" adam {lr = 4.000000e-02 : f64}
golf.optimizer "scalar" adam {lr = 4.0e-02 : f64}
// CHECK: golf.quant "matrix" int8 {clip_percentile = 9.950000e+01 : f64}
golf.quant "matrix" int8 {clip_percentile = 99.5 : f64}
// CHECK: golf.quant "control" fp32 {}
golf.quant "control" fp32 {}
// CHECK: golf.param @tok_emb.weight : tensor<16x8xf32> init normal [0.000000e+00, 5.000000e-03] group "matrix" quant "matrix"
golf.param @tok_emb.weight : tensor<16x8xf32> init normal [0.0, 5.0e-03] group "matrix" quant "matrix"
// CHECK: golf.param @w : tensor<4x8xf32> init kaiming_uniform [] group "matrix" quant "matrix"
golf.param @w : tensor<4x8xf32> init kaiming_uniform [] group "matrix" quant "matrix"
// CHECK: golf.param @mix : tensor<2x8xf32> init rows [1.000000e+00, 0.000000e+00] group "scalar" quant "control"
golf.param @mix : tensor<2x8xf32> init rows [1.0, 0.0] group "scalar" quant "control"

// CHECK-LABEL: func.func @model
func.func @model(%tokens: tensor<?x?xi32>, %targets: tensor<?x?xi32>) -> tensor<f32> {
  // CHECK: golf.param_ref @tok_emb.weight : tensor<16x8xf32>
  %e = golf.param_ref @tok_emb.weight : tensor<16x8xf32>
  // CHECK: golf.embedding %{{.*}}, %{{.*}} : tensor<?x?xi32>, tensor<16x8xf32> -> tensor<?x?x8xf32>
  %x = golf.embedding %tokens, %e : tensor<?x?xi32>, tensor<16x8xf32> -> tensor<?x?x8xf32>
  // CHECK: golf.rms_norm %{{.*}} : tensor<?x?x8xf32>
  %n = golf.rms_norm %x : tensor<?x?x8xf32>
  // CHECK: golf.rms_norm %{{.*}} {eps = 9.9999999999999995E-7 : f64} : tensor<?x?x8xf32>
  %n2 = golf.rms_norm %x {eps = 1.0e-6 : f64} : tensor<?x?x8xf32>
  %c = golf.constant 2.0 : tensor<f32>
  // CHECK: golf.mul %{{.*}}, %{{.*}} : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %m = golf.mul %n, %c : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %a = golf.add %m, %n2 : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %s = golf.sub %a, %n : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %d = golf.div %s, %c : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %mx = golf.max %d, %c : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %mn = golf.min %mx, %c : tensor<?x?x8xf32>, tensor<f32> -> tensor<?x?x8xf32>
  %u1 = golf.neg %mn : tensor<?x?x8xf32>
  %u2 = golf.relu %u1 : tensor<?x?x8xf32>
  %u3 = golf.square %u2 : tensor<?x?x8xf32>
  %u4 = golf.tanh %u3 : tensor<?x?x8xf32>
  %u5 = golf.sigmoid %u4 : tensor<?x?x8xf32>
  %u6 = golf.sqrt %u5 : tensor<?x?x8xf32>
  %u7 = golf.rsqrt %u6 : tensor<?x?x8xf32>
  %u8 = golf.exp %u7 : tensor<?x?x8xf32>
  %u9 = golf.log %u8 : tensor<?x?x8xf32>
  %u10 = golf.abs %u9 : tensor<?x?x8xf32>
  // CHECK: golf.silu %{{.*}} : tensor<?x?x8xf32>
  %u10s = golf.silu %u10 : tensor<?x?x8xf32>
  // CHECK: golf.leaky_relu %{{.*}} {alpha = 5.000000e-01 : f64} : tensor<?x?x8xf32>
  %u11 = golf.leaky_relu %u10 {alpha = 0.5 : f64} : tensor<?x?x8xf32>
  // Integer arithmetic on token ids, comparisons and choices.
  %prev = golf.shift %tokens {amount = 1 : i64, fill = -1.0 : f64} : tensor<?x?xi32>
  %k = golf.constant 36313.0 : tensor<i32>
  %h1 = golf.mul %tokens, %k : tensor<?x?xi32>, tensor<i32> -> tensor<?x?xi32>
  %h2 = golf.xor %h1, %prev : tensor<?x?xi32>, tensor<?x?xi32> -> tensor<?x?xi32>
  %buckets = golf.constant 15.0 : tensor<i32>
  %h3 = golf.rem %h2, %buckets : tensor<?x?xi32>, tensor<i32> -> tensor<?x?xi32>
  %zero = golf.constant 0.0 : tensor<i32>
  // CHECK: golf.cmp "lt" %{{.*}}, %{{.*}} : tensor<?x?xi32>, tensor<i32> -> tensor<?x?xi1>
  %first = golf.cmp "lt" %prev, %zero : tensor<?x?xi32>, tensor<i32> -> tensor<?x?xi1>
  // CHECK: golf.select
  %bucket = golf.select %first, %buckets, %h3 : tensor<?x?xi1>, tensor<i32>, tensor<?x?xi32> -> tensor<?x?xi32>
  %be = golf.embedding %bucket, %e : tensor<?x?xi32>, tensor<16x8xf32> -> tensor<?x?x8xf32>
  %y = golf.add %u11, %be : tensor<?x?x8xf32>, tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  // Heads, rotary embedding, attention.
  %w = golf.param_ref @w : tensor<4x8xf32>
  %kv = golf.linear %y, %w : tensor<?x?x8xf32>, tensor<4x8xf32> -> tensor<?x?x4xf32>
  // CHECK: golf.reshape %{{.*}} : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %q = golf.reshape %y : tensor<?x?x8xf32> -> tensor<?x?x2x4xf32>
  %kh = golf.reshape %kv : tensor<?x?x4xf32> -> tensor<?x?x1x4xf32>
  // CHECK: golf.rope %{{.*}} {base = 1.000000e+04 : f64, dims = 2 : i64} : tensor<?x?x2x4xf32>
  %qr = golf.rope %q {dims = 2 : i64, base = 1.0e4 : f64} : tensor<?x?x2x4xf32>
  // CHECK: golf.causal_attention %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32> -> tensor<?x?x2x4xf32>
  %att = golf.causal_attention %qr, %kh, %kh : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32> -> tensor<?x?x2x4xf32>
  // CHECK: golf.sum %{{.*}} {axis = 3 : i64, keepdim} : tensor<?x?x2x4xf32> -> tensor<?x?x2x1xf32>
  %dot = golf.sum %att {axis = 3 : i64, keepdim} : tensor<?x?x2x4xf32> -> tensor<?x?x2x1xf32>
  // CHECK: golf.mean %{{.*}} {axis = 2 : i64} : tensor<?x?x2x1xf32> -> tensor<?x?x1xf32>
  %avg = golf.mean %dot {axis = 2 : i64} : tensor<?x?x2x1xf32> -> tensor<?x?x1xf32>
  // Within documents: `starts` marks where each begins.
  %starts = golf.sum %avg {axis = 2 : i64} : tensor<?x?x1xf32> -> tensor<?x?xf32>
  // CHECK: golf.causal_attention %{{.*}}, %{{.*}}, %{{.*}} starts %{{.*}} : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?xf32> -> tensor<?x?x2x4xf32>
  %doc = golf.causal_attention %qr, %kh, %kh starts %starts : tensor<?x?x2x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?x1x4xf32>, tensor<?x?xf32> -> tensor<?x?x2x4xf32>
  // CHECK: golf.slice %{{.*}} {axis = 3 : i64, end = 2 : i64, start = 0 : i64} : tensor<?x?x2x4xf32> -> tensor<?x?x2x2xf32>
  %lo = golf.slice %att {axis = 3 : i64, start = 0 : i64, end = 2 : i64} : tensor<?x?x2x4xf32> -> tensor<?x?x2x2xf32>
  %hi = golf.slice %att {axis = 3 : i64, start = 2 : i64, end = 4 : i64} : tensor<?x?x2x4xf32> -> tensor<?x?x2x2xf32>
  // CHECK: golf.concat %{{.*}}, %{{.*}} {axis = 3 : i64} : tensor<?x?x2x2xf32>, tensor<?x?x2x2xf32> -> tensor<?x?x2x4xf32>
  %cat = golf.concat %hi, %lo {axis = 3 : i64} : tensor<?x?x2x2xf32>, tensor<?x?x2x2xf32> -> tensor<?x?x2x4xf32>
  %flat = golf.reshape %cat : tensor<?x?x2x4xf32> -> tensor<?x?x8xf32>
  %z = golf.add %flat, %avg : tensor<?x?x8xf32>, tensor<?x?x1xf32> -> tensor<?x?x8xf32>
  %logits = golf.linear %z, %e : tensor<?x?x8xf32>, tensor<16x8xf32> -> tensor<?x?x16xf32>
  // CHECK: golf.softcap %{{.*}} {cap = 3.000000e+01 : f64} : tensor<?x?x16xf32>
  %capped = golf.softcap %logits {cap = 30.0 : f64} : tensor<?x?x16xf32>
  // CHECK: golf.cross_entropy %{{.*}}, %{{.*}} : tensor<?x?x16xf32>, tensor<?x?xi32> -> tensor<f32>
  %loss = golf.cross_entropy %capped, %targets : tensor<?x?x16xf32>, tensor<?x?xi32> -> tensor<f32>
  return %loss : tensor<f32>
}

// A kernel of golf-fuse: inputs become the body's arguments.
// CHECK-LABEL: func.func @kernel
// CHECK: %[[K:.*]]:2 = golf.fused "k0"(%{{.*}}, %{{.*}}) : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<8xf32>):
// CHECK: golf.yield %{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xf32>
// CHECK: return %[[K]]#1
func.func @kernel(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> tensor<4x8xf32> {
  %0:2 = golf.fused "k0"(%x, %g) : (tensor<4x8xf32>, tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  ^bb0(%a: tensor<4x8xf32>, %b: tensor<8xf32>):
    %n = golf.rms_norm %a : tensor<4x8xf32>
    %m = golf.mul %n, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
    golf.yield %n, %m : tensor<4x8xf32>, tensor<4x8xf32>
  }
  return %0#1 : tensor<4x8xf32>
}
