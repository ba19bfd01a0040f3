// Every diagnostic of the golf ops' verifiers.
// RUN: golf-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown optimizer kind 'sgd' (expected muon or adam)}}
golf.optimizer "g" sgd {lr = 1.0 : f64}

// -----

// expected-error @+1 {{unknown muon setting 'momentun'; did you mean 'momentum'?}}
golf.optimizer "g" muon {lr = 1.0 : f64, momentun = 0.9 : f64}

// -----

// expected-error @+1 {{muon setting 'backend_steps' must be integer (i64)}}
golf.optimizer "g" muon {lr = 1.0 : f64, backend_steps = 5.0 : f64}

// -----

// expected-error @+1 {{adam setting 'lr' is required}}
golf.optimizer "g" adam {beta1 = 0.9 : f64}

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
// expected-error @+1 {{optimizer group 'g' is declared twice}}
golf.optimizer "g" adam {lr = 2.0 : f64}

// -----

// expected-error @+1 {{unknown export format 'int4' (expected fp32, fp16, int8, int7, int6 or int5)}}
golf.quant "q" int4 {}

// -----

// expected-error @+1 {{clip_percentile must be in (0, 100], got 101.0}}
golf.quant "q" int8 {clip_percentile = 101.0 : f64}

// -----

// expected-error @+1 {{clip_sigmas must be in [0, 1e6), got -1.0}}
golf.quant "q" int6 {clip_sigmas = -1.0 : f64}

// -----

// expected-error @+1 {{gptq_lite searches clip percentiles; it takes no clip_sigmas}}
golf.quant "q" int6 {clip_sigmas = 12.0 : f64, method = "gptq_lite"}

// -----

// expected-error @+1 {{prune_percentile must be in [0, 100), got 100.0}}
golf.quant "q" int6 {prune_percentile = 100.0 : f64}

// -----

// expected-error @+1 {{scale_floor must be in [0, 65504), got -1.0}}
golf.quant "q" int5 {scale_floor = -1.0 : f64}

// -----

// expected-error @+1 {{unknown fp16 setting 'clip_percentile'}}
golf.quant "q" fp16 {clip_percentile = 99.0 : f64}

// -----

golf.quant "q" fp32 {}
// expected-error @+1 {{export class 'q' is declared twice}}
golf.quant "q" fp16 {}

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{parameter 'p' needs a static shape of positive sizes, got 'tensor<?x4xf32>'}}
golf.param @p : tensor<?x4xf32> init zeros [] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{unknown initializer 'xavier'}}
golf.param @p : tensor<4xf32> init xavier [] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{initializer 'rows' needs one value per row: 2 rows, 3 values}}
golf.param @p : tensor<2x4xf32> init rows [1.0, 0.0, 0.0] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{initializer 'normal' takes 2 argument(s), got 1}}
golf.param @p : tensor<4xf32> init normal [0.02] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{initializer 'normal' needs a non-negative std}}
golf.param @p : tensor<4xf32> init normal [0.0, -1.0] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{initializer 'uniform' needs low <= high}}
golf.param @p : tensor<4xf32> init uniform [1.0, 0.0] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{initializer 'orthogonal' needs a matrix, got 'tensor<4xf32>'}}
golf.param @p : tensor<4xf32> init orthogonal [1.0] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
// expected-error @+1 {{initializer 'rows' needs a tensor with rows}}
golf.param @p : tensor<f32> init rows [] group "g" quant "q"

// -----

golf.quant "q" fp32 {}
// expected-error @+1 {{group 'g' names no golf.optimizer}}
golf.param @p : tensor<4xf32> init zeros [] group "g" quant "q"

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
// expected-error @+1 {{quant 'q' names no golf.quant}}
golf.param @p : tensor<4xf32> init zeros [] group "g" quant "q"

// -----

func.func @f() {
  // expected-error @+1 {{'p' is not a golf.param}}
  %0 = golf.param_ref @p : tensor<4xf32>
  return
}

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "q" fp32 {}
golf.param @p : tensor<4xf32> init zeros [] group "g" quant "q"
func.func @f() {
  // expected-error @+1 {{type 'tensor<8xf32>' differs from parameter 'p' of type 'tensor<4xf32>'}}
  %0 = golf.param_ref @p : tensor<8xf32>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{result must be a rank-0 tensor, got 'tensor<2xf32>'}}
  %0 = golf.constant 1.0 : tensor<2xf32>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{value 1.5 is not a 32-bit integer}}
  %0 = golf.constant 1.5 : tensor<i32>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{value 2.0 is not a boolean}}
  %0 = golf.constant 2.0 : tensor<i1>
  return
}

// -----

func.func @f(%a: tensor<?x?x512xf32>, %b: tensor<256xf32>) {
  // expected-error @+2 {{cannot broadcast [?, ?, 512] with [256]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.add %a, %b : tensor<?x?x512xf32>, tensor<256xf32> -> tensor<?x?x512xf32>
  return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<4xf32>' are incompatible with return type(s) of operation 'tensor<8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.mul %a, %a : tensor<4xf32>, tensor<4xf32> -> tensor<8xf32>
  return
}

// -----

func.func @f(%a: tensor<4xi32>) {
  // expected-error @+1 {{unknown predicate 'less' (expected lt, le, gt, ge, eq or ne)}}
  %0 = golf.cmp "less" %a, %a : tensor<4xi32>, tensor<4xi32> -> tensor<4xi1>
  return
}

// -----

func.func @f(%c: tensor<4xi1>, %a: tensor<4xi32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{both choices must have the same element type}}
  %0 = golf.select %c, %a, %b : tensor<4xi1>, tensor<4xi32>, tensor<4xf32> -> tensor<4xi32>
  return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // expected-error @+1 {{alpha must be in [0, 1], got 2.0}}
  %0 = golf.leaky_relu %a {alpha = 2.0 : f64} : tensor<4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x512xf32>) {
  // expected-error @+1 {{reshape from [?, ?, 512] to [?, 8, 64] must keep the batch and sequence dimensions in place}}
  %0 = golf.reshape %a : tensor<?x?x512xf32> -> tensor<?x8x64xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>) {
  // expected-error @+1 {{reshape from [?, ?, 8] to [?, 8, ?] must keep the batch and sequence dimensions in place}}
  %0 = golf.reshape %a : tensor<?x?x8xf32> -> tensor<?x8x?xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>) {
  // expected-error @+1 {{reshape from [?, ?, 8] to [?, ?, 4611686018427387905, 8]: too many elements}}
  %0 = golf.reshape %a : tensor<?x?x8xf32> -> tensor<?x?x4611686018427387905x8xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>, %b: tensor<?x8xf32>) {
  // expected-error @+2 {{cannot broadcast [?, ?, 8] with [?, 8]: tensors with the batch and sequence dimensions must have the same rank}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.add %a, %b : tensor<?x?x8xf32>, tensor<?x8xf32> -> tensor<?x?x8xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>) {
  // expected-error @+2 {{reduction: dimension 1 of [?, ?, 8] is the batch or sequence dimension and cannot be reduced}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.mean %a {axis = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x510xf32>) {
  // expected-error @+1 {{reshape from [?, ?, 510] to [?, ?, 8, 63] changes the number of elements (510 vs 504 per batch and sequence position)}}
  %0 = golf.reshape %a : tensor<?x?x510xf32> -> tensor<?x?x8x63xf32>
  return
}

// -----

func.func @f(%a: tensor<4x8xf32>) {
  // expected-error @+2 {{slice [2:9] is empty or out of range for dimension 1 of [4, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.slice %a {axis = 1 : i64, start = 2 : i64, end = 9 : i64} : tensor<4x8xf32> -> tensor<4x7xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>) {
  // expected-error @+2 {{slice: dimension 1 of [?, ?, 8] is the batch or sequence dimension and cannot be sliced (use shift)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.slice %a {axis = 1 : i64, start = 0 : i64, end = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x1x8xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>) {
  // expected-error @+2 {{slice: axis 3 is out of range for [?, ?, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.slice %a {axis = 3 : i64, start = 0 : i64, end = 1 : i64} : tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>, %b: tensor<?x?x2x4xf32>) {
  // expected-error @+2 {{concat: [?, ?, 8] and [?, ?, 2, 4] differ outside axis 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.concat %a, %b {axis = 2 : i64} : tensor<?x?x8xf32>, tensor<?x?x2x4xf32> -> tensor<?x?x12xf32>
  return
}

// -----

func.func @f(%a: tensor<?x?xi32>) {
  // expected-error @+1 {{shift amount must not be zero}}
  %0 = golf.shift %a {amount = 0 : i64, fill = 0.0 : f64} : tensor<?x?xi32>
  return
}

// -----

func.func @f(%a: tensor<?xi32>) {
  // expected-error @+1 {{shift needs a [B, T, ...] tensor, got [?]}}
  %0 = golf.shift %a {amount = 1 : i64, fill = 0.0 : f64} : tensor<?xi32>
  return
}

// -----

func.func @f(%a: tensor<?x?xi32>) {
  // expected-error @+1 {{fill 0.5 is not a 32-bit integer}}
  %0 = golf.shift %a {amount = 1 : i64, fill = 0.5 : f64} : tensor<?x?xi32>
  return
}

// -----

func.func @f(%a: tensor<?x?xi32>) {
  // expected-error @+1 {{fill 1099511627776.0 is not a 32-bit integer}}
  %0 = golf.shift %a {amount = 1 : i64, fill = 1099511627776.0 : f64} : tensor<?x?xi32>
  return
}

// -----

func.func @f(%a: tensor<?x?xi1>) {
  // expected-error @+1 {{fill 2.0 is not a boolean}}
  %0 = golf.shift %a {amount = 1 : i64, fill = 2.0 : f64} : tensor<?x?xi1>
  return
}

// -----

func.func @f(%a: tensor<?x?x8xf32>) {
  // expected-error @+2 {{reduction: axis 5 is out of range for [?, ?, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.sum %a {axis = 5 : i64} : tensor<?x?x8xf32> -> tensor<?x?xf32>
  return
}

// -----

func.func @f(%t: tensor<?x?xi32>, %w: tensor<16xf32>) {
  // expected-error @+2 {{embedding needs a [rows, dim] table, got [16]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.embedding %t, %w : tensor<?x?xi32>, tensor<16xf32> -> tensor<?x?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x512xf32>, %w: tensor<256x384xf32>) {
  // expected-error @+2 {{linear: input [?, ?, 512] has 512 features but the weight [256, 384] expects 384}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.linear %x, %w : tensor<?x?x512xf32>, tensor<256x384xf32> -> tensor<?x?x256xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x512xf32>, %w: tensor<256x512x2xf32>) {
  // expected-error @+2 {{linear needs a [out, in] weight, got [256, 512, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.linear %x, %w : tensor<?x?x512xf32>, tensor<256x512x2xf32> -> tensor<?x?x256xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x512xf32>) {
  // expected-error @+1 {{eps must be positive}}
  %0 = golf.rms_norm %x {eps = 0.0 : f64} : tensor<?x?x512xf32>
  return
}

// -----

func.func @f(%x: tensor<f32>) {
  // expected-error @+1 {{needs a tensor of rank at least 1}}
  %0 = golf.rms_norm %x : tensor<f32>
  return
}

// -----

func.func @f(%x: tensor<?x?x8x64xf32>) {
  // expected-error @+1 {{rope rotates pairs of dimensions: dims must be even and positive, got 15}}
  %0 = golf.rope %x {dims = 15 : i64, base = 1.0e4 : f64} : tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x8x64xf32>) {
  // expected-error @+1 {{rope dims 128 exceed the head dimension 64}}
  %0 = golf.rope %x {dims = 128 : i64, base = 1.0e4 : f64} : tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x512xf32>) {
  // expected-error @+1 {{rope needs a [B, T, heads, head_dim] tensor, got [?, ?, 512]}}
  %0 = golf.rope %x {dims = 64 : i64, base = 1.0e4 : f64} : tensor<?x?x512xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x8x64xf32>) {
  // expected-error @+1 {{base must be greater than 1, got 1.0}}
  %0 = golf.rope %x {dims = 64 : i64, base = 1.0 : f64} : tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>, %s: tensor<2x6xf32>) {
  // expected-error @+1 {{'golf.causal_attention' op starts must be [B, T] of q's [B, T, H, D], got [2, 6] for q [2, 5, 8, 64]}}
  %0 = golf.causal_attention %q, %k, %k starts %s : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32>, tensor<2x6xf32> -> tensor<2x5x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>) {
  // expected-error @+1 {{'golf.causal_attention' op unknown attention library 'flash' (expected golf or cudnn)}}
  %0 = golf.causal_attention %q, %k, %k {library = "flash"} : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32> -> tensor<2x5x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>) {
  // expected-error @+1 {{'golf.causal_attention_grad' op unknown attention library 'flash' (expected golf or cudnn)}}
  %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %k, %q, %q {library = "flash"} : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x8x64xf32>, tensor<2x5x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>) {
  // expected-error @+1 {{'golf.causal_attention' op segment needs starts}}
  %0 = golf.causal_attention %q, %k, %k {segment = 4 : i64} : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32> -> tensor<2x5x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>, %s: tensor<2x5xf32>) {
  // expected-error @+1 {{'golf.causal_attention_grad' op segment must be positive, got 0}}
  %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %k, %q, %q starts %s {segment = 0 : i64} : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x8x64xf32>, tensor<2x5x8x64xf32>, tensor<2x5xf32>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>, %s: tensor<2x5xf64>) {
  // expected-error @+1 {{'golf.causal_attention_grad' op starts must have q's element type}}
  %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %k, %q, %q starts %s : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x8x64xf32>, tensor<2x5x8x64xf32>, tensor<2x5xf64>
  return
}

// -----

func.func @f(%q: tensor<2x5x8x64xf32>, %k: tensor<2x5x4x64xf32>, %s: tensor<10xf32>) {
  // expected-error @+1 {{'golf.causal_attention_grad' op starts must be [B, T] of q's [B, T, H, D], got [10] for q [2, 5, 8, 64]}}
  %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %k, %q, %q starts %s : tensor<2x5x8x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x4x64xf32>, tensor<2x5x8x64xf32>, tensor<2x5x8x64xf32>, tensor<10xf32>
  return
}

// -----

func.func @f(%q: tensor<?x?x8x64xf32>, %k: tensor<?x?x3x64xf32>) {
  // expected-error @+2 {{causal_attention: 8 query heads are not a multiple of 3 KV heads}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.causal_attention %q, %k, %k : tensor<?x?x8x64xf32>, tensor<?x?x3x64xf32>, tensor<?x?x3x64xf32> -> tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x?x8x64xf32>, %k: tensor<?x?x4x64xf32>, %v: tensor<?x?x4x32xf32>) {
  // expected-error @+2 {{causal_attention: k [?, ?, 4, 64] and v [?, ?, 4, 32] must have the same shape}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.causal_attention %q, %k, %v : tensor<?x?x8x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x32xf32> -> tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x?x8x64xf32>, %k: tensor<?x?x4x32xf32>) {
  // expected-error @+2 {{causal_attention: q [?, ?, 8, 64] and k [?, ?, 4, 32] differ in batch, sequence or head dimension}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.causal_attention %q, %k, %k : tensor<?x?x8x64xf32>, tensor<?x?x4x32xf32>, tensor<?x?x4x32xf32> -> tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x?x8x64xf32>, %k: tensor<?x64xf32>) {
  // expected-error @+2 {{causal_attention needs [B, T, heads, head_dim] tensors, got q [?, ?, 8, 64], k [?, 64], v [?, 64]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.causal_attention %q, %k, %k : tensor<?x?x8x64xf32>, tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%q: tensor<?x?x8x64xf32>, %k: tensor<?x?x4x64xf32>) {
  // expected-error @+1 {{scale must be positive}}
  %0 = golf.causal_attention %q, %k, %k {scale = -1.0 : f64} : tensor<?x?x8x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32> -> tensor<?x?x8x64xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x16xf32>) {
  // expected-error @+1 {{cap must be positive, got 0.0}}
  %0 = golf.softcap %x {cap = 0.0 : f64} : tensor<?x?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x?x16xf32>, %t: tensor<?xi32>) {
  // expected-error @+2 {{cross_entropy: targets [?] must have the leading dimensions of the logits [?, ?, 16]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.cross_entropy %x, %t : tensor<?x?x16xf32>, tensor<?xi32> -> tensor<f32>
  return
}

// -----

func.func @f(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{[2, 8] does not broadcast to [3, 8]}}
  %0 = golf.broadcast_to %a : tensor<2x8xf32> -> tensor<3x8xf32>
  return
}

// -----

func.func @f(%a: tensor<2x8xf32>) {
  // expected-error @+1 {{[3] does not broadcast to [2, 8]}}
  %0 = golf.reduce_to %a : tensor<2x8xf32> -> tensor<3xf32>
  return
}

// -----

func.func @f(%a: tensor<2x8xf32>) {
  // expected-error @+2 {{pad: dimension 1 of [2, 8] must be static and the padding non-negative}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.pad %a {axis = 1 : i64, before = -1 : i64, after = 0 : i64} : tensor<2x8xf32> -> tensor<2x7xf32>
  return
}

// -----

func.func @f(%g: tensor<2x3x4xf32>, %w: tensor<5x8xf32>) {
  // expected-error @+2 {{linear_grad_input: gradient [2, 3, 4] does not match the weight [5, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.linear_grad_input %g, %w : tensor<2x3x4xf32>, tensor<5x8xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @f(%g: tensor<2x3x4xf32>, %x: tensor<2x8xf32>) {
  // expected-error @+2 {{linear_grad_weight: gradient [2, 3, 4] and input [2, 8] must share their leading dimensions}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.linear_grad_weight %g, %x : tensor<2x3x4xf32>, tensor<2x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @f(%ids: tensor<2x3xi32>, %g: tensor<2x4x8xf32>) {
  // expected-error @+2 {{embedding_grad: gradient [2, 4, 8] does not match the ids [2, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.embedding_grad %ids, %g {rows = 16 : i64} : tensor<2x3xi32>, tensor<2x4x8xf32> -> tensor<16x8xf32>
  return
}

// -----

func.func @f(%x: tensor<2x3x8xf32>, %t: tensor<2x3xi32>, %g: tensor<1xf32>) {
  // expected-error @+2 {{cross_entropy_grad: the loss gradient must be a scalar}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.cross_entropy_grad %x, %t, %g : tensor<2x3x8xf32>, tensor<2x3xi32>, tensor<1xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @f(%q: tensor<2x3x4x2xf32>, %k: tensor<2x3x3x2xf32>) {
  // expected-error @+1 {{causal_attention: 4 query heads are not a multiple of 3 KV heads}}
  %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %k, %q, %q : tensor<2x3x4x2xf32>, tensor<2x3x3x2xf32>, tensor<2x3x3x2xf32>, tensor<2x3x4x2xf32>, tensor<2x3x4x2xf32>
  return
}

// -----

func.func @f(%a: tensor<6x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{unknown library 'mkl' (expected blas or cublaslt)}}
  %0 = golf.gemm %a, %b {library = "mkl", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @f(%a: tensor<6x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+2 {{gemm: the inner dimensions of [6, 8] and [4, 8] differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.gemm %a, %b {library = "blas"} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x8xf32>
  return
}

// -----

func.func @f(%a: tensor<2x3x8xf32>, %b: tensor<4x8xf32>) {
  // expected-error @+2 {{gemm needs matrices, got [2, 3, 8] and [4, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = golf.gemm %a, %b {library = "blas", transpose_b} : tensor<2x3x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
  return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // expected-error @+1 {{'golf.fused' op has 1 inputs but its body takes 2 arguments}}
  %0 = golf.fused "k0"(%a) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%x: tensor<4xf32>, %y: tensor<4xf32>):
    golf.yield %x : tensor<4xf32>
  }
  return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // expected-error @+1 {{'golf.fused' op input 0 is 'tensor<4xf32>' but its body argument is 'tensor<4xf64>'}}
  %0 = golf.fused "k0"(%a) : (tensor<4xf32>) -> tensor<4xf64> {
  ^bb0(%x: tensor<4xf64>):
    golf.yield %x : tensor<4xf64>
  }
  return
}

// -----

func.func @f(%a: tensor<4xf32>) {
  // expected-error @+1 {{'golf.fused' op yields (tensor<4xf32>) but its results are (tensor<2x2xf32>)}}
  %0 = golf.fused "k0"(%a) : (tensor<4xf32>) -> tensor<2x2xf32> {
  ^bb0(%x: tensor<4xf32>):
    golf.yield %x : tensor<4xf32>
  }
  return
}

// -----

func.func @fq_rank(%w: tensor<8xf32>, %c: tensor<8x1xf32>, %on: tensor<f32>) -> tensor<8xf32> {
  // expected-error @+1 {{weight must be [rows, cols], got [8]}}
  %q = golf.fake_quant %w, %c, %on {floor = 0.0 : f64, range = 31 : i64} : tensor<8xf32>, tensor<8x1xf32>, tensor<f32> -> tensor<8xf32>
  return %q : tensor<8xf32>
}

// -----

func.func @fq_clip(%w: tensor<4x8xf32>, %c: tensor<8x1xf32>, %on: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{clip must be [rows, 1] = [4, 1], got [8, 1]}}
  %q = golf.fake_quant %w, %c, %on {floor = 0.0 : f64, range = 31 : i64} : tensor<4x8xf32>, tensor<8x1xf32>, tensor<f32> -> tensor<4x8xf32>
  return %q : tensor<4x8xf32>
}

// -----

func.func @fq_enable(%w: tensor<4x8xf32>, %c: tensor<4x1xf32>, %on: tensor<1xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{enable must be a scalar, got [1]}}
  %q = golf.fake_quant %w, %c, %on {floor = 0.0 : f64, range = 31 : i64} : tensor<4x8xf32>, tensor<4x1xf32>, tensor<1xf32> -> tensor<4x8xf32>
  return %q : tensor<4x8xf32>
}

// -----

func.func @fq_range(%w: tensor<4x8xf32>, %c: tensor<4x1xf32>, %on: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{range must be in [1, 127], got 200}}
  %q = golf.fake_quant %w, %c, %on {floor = 0.0 : f64, range = 200 : i64} : tensor<4x8xf32>, tensor<4x1xf32>, tensor<f32> -> tensor<4x8xf32>
  return %q : tensor<4x8xf32>
}

// -----

func.func @fq_floor(%w: tensor<4x8xf32>, %c: tensor<4x1xf32>, %on: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{floor must be >= 0}}
  %q = golf.fake_quant %w, %c, %on {floor = -1.0 : f64, range = 31 : i64} : tensor<4x8xf32>, tensor<4x1xf32>, tensor<f32> -> tensor<4x8xf32>
  return %q : tensor<4x8xf32>
}
