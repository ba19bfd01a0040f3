//===- GolfOps.td - ops of the golf dialect ---------------*- tablegen -*-===//
//
// Every op that computes a tensor infers its result type from its operands
// and attributes with the rules of ShapeRules.h, which the front end also
// uses to report spec errors. `?` dimensions are the batch and sequence
// dimensions; shape rules treat them as compatible with each other only in
// the same position.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_OPS_TD
#define GOLF_OPS_TD

include "dialect/GolfDialect.td"
include "dialect/GolfInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Golf_Differentiable : DeclareOpInterfaceMethods<Golf_DifferentiableOpInterface>;
def Golf_UnaryMath : DeclareOpInterfaceMethods<Golf_UnaryMathOpInterface>;

// An op that only a library of the target computes: golf-lower-to-linalg
// leaves it, and the target's library-call lowering
// (golf-cpu-library-calls) replaces it with a call.
def Golf_TargetLibrary : NativeOpTrait<"TargetLibrary"> {
  let cppNamespace = "::golf::traits";
}

//===----------------------------------------------------------------------===//
// Module-level declarations
//===----------------------------------------------------------------------===//

def Golf_OptimizerOp : Golf_Op<"optimizer", [HasParent<"::mlir::ModuleOp">]> {
  let summary = "an optimizer group";
  let description = [{
    Declares an optimizer group that parameters join with `group`. `kind` is
    `muon` or `adam`; `settings` holds the group's hyperparameters, resolved
    to numbers (the schema of each kind is in GolfSchema.cpp: `lr` is always
    required, unknown keys are rejected).

    ```mlir
    golf.optimizer "matrix" muon {backend_steps = 5 : i64, lr = 4.000000e-02 : f64, ...}
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$kind, DictionaryAttr:$settings);
  let assemblyFormat = "$name custom<Keyword>($kind) $settings attr-dict";
  let hasVerifier = 1;
}

def Golf_QuantOp : Golf_Op<"quant", [HasParent<"::mlir::ModuleOp">]> {
  let summary = "an export class: how its tensors are stored in the artifact";
  let description = [{
    Declares an export class that parameters join with `quant`. `format` is
    one of `fp32`, `fp16`, `int8`, `int7`, `int6`, `int5`; `settings` holds the
    policy's knobs (e.g. `clip_percentile`), checked against the schema.

    ```mlir
    golf.quant "matrix" int8 {clip_percentile = 99.99984 : f64}
    ```
  }];
  let arguments = (ins StrAttr:$name, StrAttr:$format, DictionaryAttr:$settings);
  let assemblyFormat = "$name custom<Keyword>($format) $settings attr-dict";
  let hasVerifier = 1;
}

def Golf_ParamOp : Golf_Op<"param", [Symbol, HasParent<"::mlir::ModuleOp">]> {
  let summary = "a trainable parameter";
  let description = [{
    A named trainable tensor (a scalar when its shape is empty). The name is
    the PyTorch state-dict key. `init`
    is the initializer (`zeros`, `ones`, `const(v)`, `normal(mean, std)`,
    `uniform(lo, hi)`, `kaiming_uniform` — PyTorch's `nn.Linear` default —,
    `orthogonal(gain)`, `rows(v0, v1, ...)` for one constant per row) with
    its arguments; `group` names a `golf.optimizer`, `quant` a `golf.quant`
    (these have their own namespaces, so a group and a class may share a
    name).

    ```mlir
    golf.param @tok_emb.weight : tensor<1024x512xf32> init normal [0.000000e+00, 5.000000e-03] group "embed" quant "embed"
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<Golf_FloatTensor>:$type, StrAttr:$init,
                       DenseF64ArrayAttr:$init_args,
                       StrAttr:$group, StrAttr:$quant);
  let assemblyFormat = [{
    $sym_name `:` $type `init` custom<Keyword>($init) $init_args `group` $group
    `quant` $quant attr-dict
  }];
  let hasVerifier = 1;
}

def Golf_ParamRefOp : Golf_Op<"param_ref", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads a parameter";
  let description = [{
    The value of the `golf.param` named by `name`; its type must be the
    parameter's.

    ```mlir
    %w = golf.param_ref @"blocks.0.attn.c_q.weight" : tensor<512x512xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Constants and elementwise ops
//===----------------------------------------------------------------------===//

def Golf_ConstantOp : Golf_Op<"constant", [Pure]> {
  let summary = "a scalar constant";
  let description = [{
    A rank-0 tensor holding `value`; broadcasting extends it to any shape.
    Integer results require an integral value.

    ```mlir
    %c = golf.constant 3.000000e+01 : tensor<f32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
  let hasVerifier = 1;
}

// Broadcasting binary ops (NumPy rules: shapes aligned on the right, a 1
// stretches). Operands share their element type.
class Golf_BinaryOp<string mnemonic, Type operandType, string what,
                    list<Trait> traits = []>
    : Golf_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsElementType,
                                             InferTypeOpAdaptor, Golf_Differentiable])> {
  let summary = "elementwise " # what # " with broadcasting";
  let description = [{
    Elementwise }] # what # [{ of two tensors of the same element type,
    broadcast NumPy-style: shapes are aligned on the right and a dimension of
    size 1 stretches to the other's size.

    ```mlir
    %y = golf.}] # mnemonic # [{ %a, %b : tensor<?x?x512xf32>, tensor<512xf32> -> tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Golf_AddOp : Golf_BinaryOp<"add", RankedTensorOf<[F32, F64, I32]>, "sum", [Commutative]>;
def Golf_SubOp : Golf_BinaryOp<"sub", RankedTensorOf<[F32, F64, I32]>, "difference">;
def Golf_MulOp : Golf_BinaryOp<"mul", RankedTensorOf<[F32, F64, I32]>, "product", [Commutative]>;
def Golf_DivOp : Golf_BinaryOp<"div", Golf_FloatTensor, "quotient">;
def Golf_MaxOp : Golf_BinaryOp<"max", RankedTensorOf<[F32, F64, I32]>, "maximum", [Commutative]>;
def Golf_MinOp : Golf_BinaryOp<"min", RankedTensorOf<[F32, F64, I32]>, "minimum", [Commutative]>;
def Golf_RemOp : Golf_BinaryOp<"rem", Golf_IntTensor, "floor modulo (the remainder takes the divisor's sign, as Python's %; 0 for a zero divisor)">;
def Golf_XorOp : Golf_BinaryOp<"xor", Golf_IntTensor, "bitwise exclusive or", [Commutative]>;

def Golf_CmpOp : Golf_Op<"cmp", [Pure, SameOperandsElementType, InferTypeOpAdaptor]> {
  let summary = "elementwise comparison with broadcasting";
  let description = [{
    Compares two tensors elementwise (`lt`, `le`, `gt`, `ge`, `eq`, `ne`)
    with broadcasting; the result is a mask of `i1`.

    ```mlir
    %m = golf.cmp "lt" %a, %b : tensor<?x?xi32>, tensor<i32> -> tensor<?x?xi1>
    ```
  }];
  let arguments = (ins StrAttr:$predicate, Golf_Tensor:$lhs, Golf_Tensor:$rhs);
  let results = (outs Golf_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Golf_SelectOp : Golf_Op<"select", [Pure, InferTypeOpAdaptor, Golf_Differentiable]> {
  let summary = "elementwise choice by a mask, with broadcasting";
  let description = [{
    `cond ? lhs : rhs` elementwise; all three operands broadcast together.

    ```mlir
    %y = golf.select %m, %a, %b : tensor<?x?xi1>, tensor<i32>, tensor<?x?xi32> -> tensor<?x?xi32>
    ```
  }];
  let arguments = (ins Golf_BoolTensor:$cond, Golf_Tensor:$lhs, Golf_Tensor:$rhs);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $lhs `,` $rhs attr-dict `:` type($cond) `,` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

class Golf_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : Golf_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType,
                                             InferTypeOpInterface, Golf_Differentiable,
                                             Golf_UnaryMath])> {
  let summary = "elementwise " # formula;
  let description = [{
    Elementwise `}] # formula # [{`.

    ```mlir
    %y = golf.}] # mnemonic # [{ %x : tensor<?x?x1024xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Golf_NegOp : Golf_UnaryOp<"neg", "-x">;
def Golf_ReluOp : Golf_UnaryOp<"relu", "max(x, 0)">;
def Golf_SquareOp : Golf_UnaryOp<"square", "x * x">;
def Golf_TanhOp : Golf_UnaryOp<"tanh", "tanh(x)">;
def Golf_SigmoidOp : Golf_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Golf_SqrtOp : Golf_UnaryOp<"sqrt", "sqrt(x)">;
def Golf_RsqrtOp : Golf_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def Golf_ExpOp : Golf_UnaryOp<"exp", "exp(x)">;
def Golf_LogOp : Golf_UnaryOp<"log", "log(x)">;
def Golf_AbsOp : Golf_UnaryOp<"abs", "|x|">;
def Golf_SiluOp : Golf_UnaryOp<"silu", "x / (1 + exp(-x))">;

def Golf_LeakyReluOp : Golf_Op<"leaky_relu", [Pure, SameOperandsAndResultType,
                                             InferTypeOpInterface, Golf_Differentiable]> {
  let summary = "elementwise max(x, alpha * x)";
  let description = [{
    LeakyReLU with negative slope `alpha` in [0, 1].

    ```mlir
    %y = golf.leaky_relu %x {alpha = 5.000000e-01 : f64} : tensor<?x?x1536xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, F64Attr:$alpha);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

def Golf_ReshapeOp : Golf_Op<"reshape", [Pure, SameOperandsAndResultElementType,
                                        Golf_Differentiable]> {
  let summary = "views a tensor with another shape";
  let description = [{
    Same elements, row-major, new shape. The `?` (batch and sequence)
    dimensions are never merged or split: input and result have the same
    number of them, in the same order, and the static dimensions have the
    same product.

    ```mlir
    %q = golf.reshape %x : tensor<?x?x512xf32> -> tensor<?x?x8x64xf32>
    ```
  }];
  let arguments = (ins Golf_Tensor:$input);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Golf_SliceOp : Golf_Op<"slice", [Pure, InferTypeOpAdaptor, Golf_Differentiable]> {
  let summary = "a contiguous range of one static dimension";
  let description = [{
    Keeps indices `[start, end)` of dimension `axis`, which must be static.

    ```mlir
    %r = golf.slice %x {axis = 0 : i64, end = 1 : i64, start = 0 : i64} : tensor<2x512xf32> -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins Golf_Tensor:$input, I64Attr:$axis, I64Attr:$start,
                       I64Attr:$end);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Golf_ConcatOp : Golf_Op<"concat", [Pure, SameOperandsAndResultElementType,
                                      InferTypeOpAdaptor, Golf_Differentiable]> {
  let summary = "joins tensors along one dimension";
  let description = [{
    All inputs agree on every dimension but `axis`.

    ```mlir
    %y = golf.concat %a, %b {axis = 2 : i64} : tensor<?x?x16xf32>, tensor<?x?x48xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Variadic<Golf_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
}

def Golf_ShiftOp : Golf_Op<"shift", [Pure, SameOperandsAndResultType,
                                    InferTypeOpInterface, Golf_Differentiable]> {
  let summary = "moves values along the sequence dimension";
  let description = [{
    `result[b, t] = 0 <= t - amount < T ? input[b, t - amount] : fill` along
    dimension 1 (the sequence). A positive `amount` looks back (the
    previous-token view of SmearGate and BigramHash); a negative one looks
    ahead (the gradient of a shift).

    ```mlir
    %prev = golf.shift %tokens {amount = 1 : i64, fill = -1.0 : f64} : tensor<?x?xi32>
    ```
  }];
  let arguments = (ins Golf_Tensor:$input, I64Attr:$amount, F64Attr:$fill);
  let results = (outs Golf_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class Golf_ReduceOp<string mnemonic, string what>
    : Golf_Op<mnemonic, [Pure, SameOperandsAndResultElementType, InferTypeOpAdaptor,
                         Golf_Differentiable]> {
  let summary = what # " over one dimension";
  let description = [{
    The }] # what # [{ over dimension `axis`; `keepdim` keeps it with size 1.

    ```mlir
    %s = golf.}] # mnemonic # [{ %x {axis = 3 : i64, keepdim} : tensor<?x?x4x64xf32> -> tensor<?x?x4x1xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, I64Attr:$axis, UnitAttr:$keepdim);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Golf_SumOp : Golf_ReduceOp<"sum", "sum">;
def Golf_MeanOp : Golf_ReduceOp<"mean", "mean">;

//===----------------------------------------------------------------------===//
// Model ops
//===----------------------------------------------------------------------===//

def Golf_EmbeddingOp : Golf_Op<"embedding", [Pure, InferTypeOpAdaptor, Golf_Differentiable]> {
  let summary = "rows of a table indexed by token ids";
  let description = [{
    `result[..., :] = table[indices[...], :]`; an id outside the table's
    rows reads zeros (and gets no gradient).

    ```mlir
    %e = golf.embedding %tokens, %table : tensor<?x?xi32>, tensor<1024x512xf32> -> tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins Golf_IntTensor:$indices, Golf_FloatTensor:$table);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `,` $table attr-dict `:` type($indices) `,` type($table) `->` type($result)
  }];
}

def Golf_LinearOp : Golf_Op<"linear", [Pure, SameOperandsAndResultElementType,
                                      InferTypeOpAdaptor, Golf_Differentiable]> {
  let summary = "x · Wᵀ with W stored [out, in], as PyTorch's F.linear";
  let description = [{
    Contracts the last dimension of `input` with the second of `weight`.

    ```mlir
    %y = golf.linear %x, %w : tensor<?x?x512xf32>, tensor<256x512xf32> -> tensor<?x?x256xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, Golf_FloatTensor:$weight);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
}

def Golf_RmsNormOp : Golf_Op<"rms_norm", [Pure, SameOperandsAndResultType,
                                         InferTypeOpInterface, Golf_Differentiable]> {
  let summary = "parameter-free RMSNorm over the last dimension";
  let description = [{
    `x / sqrt(mean(x², -1) + eps)`. Without `eps`, the machine epsilon of the
    element type, as PyTorch's `F.rms_norm(x, (d,))`.

    ```mlir
    %n = golf.rms_norm %x : tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, OptionalAttr<F64Attr>:$eps);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// eps, or the machine epsilon of the element type when absent.
    double getEffectiveEps();
  }];
}

def Golf_RopeOp : Golf_Op<"rope", [Pure, SameOperandsAndResultType,
                                  InferTypeOpInterface, Golf_Differentiable]> {
  let summary = "rotary position embedding on the first `dims` head dims";
  let description = [{
    `input` is [B, T, heads, head_dim]. The first `dims` (even, at most
    head_dim) dimensions are rotated with the rotate-half convention: pairs
    (j, j + dims/2) by angle t · base^(-2j/dims) as PyTorch's records do:
    (x1 cos + x2 sin, x2 cos - x1 sin); the rest pass through. `inverse`
    rotates the other way (the transpose: the gradient of a rope).

    ```mlir
    %r = golf.rope %q {base = 1.000000e+04 : f64, dims = 16 : i64} : tensor<?x?x8x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, I64Attr:$dims, F64Attr:$base,
                       UnitAttr:$inverse);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Golf_CausalAttentionOp : Golf_Op<"causal_attention", [Pure,
    SameOperandsAndResultElementType, InferTypeOpAdaptor, Golf_Differentiable,
    Golf_TargetLibrary]> {
  let summary = "causal scaled dot-product attention with grouped KV heads";
  let description = [{
    `q` is [B, T, H, D], `k` and `v` are [B, T, H_kv, D] with H a multiple of
    H_kv: query head h reads KV head h / (H / H_kv). Position t attends to
    positions 0..t with weights softmax(scale · q·k), `scale` defaulting to
    1/sqrt(D). The result has the shape of `q`. With `starts` ([B, T], above
    0.5 where a document begins; position 0 always begins one), position t
    attends only to the positions of its document up to t: FlashAttention's
    varlen attention over BOS-delimited documents (reference §8.14). With
    `segment` L (and `starts`), a document is also cut every L positions
    from its start, as TOP's loader cuts documents longer than 2,048 tokens.
    `library`, set by golf-select-libraries, names who computes it: `golf`
    (golfc's own kernel, the CPU's) or `cudnn` (cuDNN's fused attention, on
    CUDA); without it, the target's own kernel.

    ```mlir
    %y = golf.causal_attention %q, %k, %v : tensor<?x?x8x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32> -> tensor<?x?x8x64xf32>
    %z = golf.causal_attention %q, %k, %v starts %s : tensor<?x?x8x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?xf32> -> tensor<?x?x8x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$q, Golf_FloatTensor:$k,
                       Golf_FloatTensor:$v, Optional<Golf_FloatTensor>:$starts,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<I64Attr>:$segment,
                       OptionalAttr<StrAttr>:$library);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`starts` $starts^)? attr-dict `:` type($q) `,` type($k) `,` type($v) (`,` type($starts)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Golf_SoftcapOp : Golf_Op<"softcap", [Pure, SameOperandsAndResultType,
                                        InferTypeOpInterface, Golf_Differentiable]> {
  let summary = "cap · tanh(x / cap)";
  let description = [{
    Smoothly bounds logits to (-cap, cap); `cap` is positive.

    ```mlir
    %z = golf.softcap %logits {cap = 3.000000e+01 : f64} : tensor<?x?x1024xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, F64Attr:$cap);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Golf_CrossEntropyOp : Golf_Op<"cross_entropy", [Pure, InferTypeOpAdaptor,
                                                    Golf_Differentiable]> {
  let summary = "mean cross-entropy of logits against target ids";
  let description = [{
    `logits` is [..., V], `targets` has the leading dimensions of `logits`;
    the result is the mean over all positions of
    `c = logsumexp(logits) - logits[target]`, in nats (NaN if a target is not
    a class). With `focal_gamma` γ > 0 each position's term is the focal
    loss (1 - exp(-c))^γ · c instead (PR #1319's training loss); evaluation
    (`golf-token-losses`) scores plain cross-entropy.

    ```mlir
    %loss = golf.cross_entropy %z, %targets : tensor<?x?x1024xf32>, tensor<?x?xi32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$logits, Golf_IntTensor:$targets,
                       DefaultValuedAttr<F64Attr, "0.0">:$focal_gamma);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets attr-dict `:` type($logits) `,` type($targets) `->` type($result)
  }];
}

def Golf_FakeQuantOp : Golf_Op<"fake_quant", [Pure, InferTypeOpAdaptor,
                                              Golf_Differentiable]> {
  let summary = "a weight as its export will store it, when enabled (QAT)";
  let description = [{
    Quantization-aware training (reference §7.4): with `enable` > 0.5 the
    result is each row of `weight` ([rows, cols]) clipped to ±`clip` (its
    row of [rows, 1]), rounded to the nearest multiple of the row's scale
    s = fp16(max(clip / range, floor)) (half to even, codes within
    ±range), times s — the values the export restores; otherwise `weight`
    itself. The gradient passes straight through to `weight`. `enable` is
    an input, so a step compiled once really switches (late QAT).

    ```mlir
    %wq = golf.fake_quant %w, %clip, %on {range = 31 : i64, floor = 0.0 : f64}
        : tensor<64x64xf32>, tensor<64x1xf32>, tensor<f32> -> tensor<64x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$weight, Golf_FloatTensor:$clip,
                       Golf_FloatTensor:$enable, I64Attr:$range, F64Attr:$floor);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $weight `,` $clip `,` $enable attr-dict `:` type($weight) `,` type($clip) `,` type($enable) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Golf_TokenCrossEntropyOp : Golf_Op<"token_cross_entropy", [Pure, InferTypeOpAdaptor]> {
  let summary = "cross-entropy of logits against target ids, per position";
  let description = [{
    What `cross_entropy` averages: for each position of `targets`,
    `logsumexp(logits) - logits[target]` in nats (NaN if a target is not a
    class). `golf-token-losses` makes `@model` return it, for evaluations
    that score only some positions of a window (sliding windows).

    ```mlir
    %nll = golf.token_cross_entropy %z, %targets : tensor<1x1024x1024xf32>, tensor<1x1024xi32> -> tensor<1x1024xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$logits, Golf_IntTensor:$targets);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets attr-dict `:` type($logits) `,` type($targets) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Backward ops: what gradient rules build
//===----------------------------------------------------------------------===//

def Golf_BroadcastToOp : Golf_Op<"broadcast_to", [Pure, SameOperandsAndResultElementType]> {
  let summary = "broadcasts a tensor to a shape";
  let description = [{
    The NumPy broadcast of `input` to the result's shape, which `input`
    must broadcast to. The gradient of a reduction.

    ```mlir
    %y = golf.broadcast_to %g : tensor<?x?x1xf32> -> tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Golf_ReduceToOp : Golf_Op<"reduce_to", [Pure, SameOperandsAndResultElementType]> {
  let summary = "sums a tensor down to a shape that broadcasts to it";
  let description = [{
    The sum of `input` over the dimensions a broadcast from the result's
    shape would have created or stretched: the gradient of an operand that
    was broadcast.

    ```mlir
    %g = golf.reduce_to %d : tensor<?x?x512xf32> -> tensor<512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Golf_PadOp : Golf_Op<"pad", [Pure, SameOperandsAndResultElementType, InferTypeOpAdaptor]> {
  let summary = "surrounds a tensor with zeros along one static dimension";
  let description = [{
    `before` zeros, then `input`, then `after` zeros along `axis`: the
    gradient of a slice.

    ```mlir
    %y = golf.pad %g {axis = 0 : i64, after = 1 : i64, before = 0 : i64} : tensor<1x512xf32> -> tensor<2x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$input, I64Attr:$axis, I64Attr:$before,
                       I64Attr:$after);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Golf_LinearGradInputOp : Golf_Op<"linear_grad_input", [Pure,
    SameOperandsAndResultElementType, InferTypeOpAdaptor]> {
  let summary = "g · W: the gradient of linear with respect to its input";
  let description = [{
    `grad` is [..., out], `weight` [out, in]; the result is [..., in].

    ```mlir
    %dx = golf.linear_grad_input %g, %w : tensor<?x?x256xf32>, tensor<256x512xf32> -> tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$grad, Golf_FloatTensor:$weight);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $weight attr-dict `:` type($grad) `,` type($weight) `->` type($result)
  }];
}

def Golf_LinearGradWeightOp : Golf_Op<"linear_grad_weight", [Pure,
    SameOperandsAndResultElementType, InferTypeOpAdaptor]> {
  let summary = "gᵀ · x: the gradient of linear with respect to its weight";
  let description = [{
    `grad` is [..., out], `input` [..., in] with the same leading
    dimensions; the result is [out, in], summed over the leading ones.

    ```mlir
    %dw = golf.linear_grad_weight %g, %x : tensor<?x?x256xf32>, tensor<?x?x512xf32> -> tensor<256x512xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$grad, Golf_FloatTensor:$input);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input attr-dict `:` type($grad) `,` type($input) `->` type($result)
  }];
}

def Golf_EmbeddingGradOp : Golf_Op<"embedding_grad", [Pure, InferTypeOpAdaptor,
                                                      Golf_TargetLibrary]> {
  let summary = "scatter-adds gradient rows into a table's shape";
  let description = [{
    `result[v, :] = Σ grad[i, :]` over the positions i whose id is v: the
    gradient of an embedding with respect to its table of `rows` rows.

    ```mlir
    %dt = golf.embedding_grad %ids, %g {rows = 1024 : i64} : tensor<?x?xi32>, tensor<?x?x512xf32> -> tensor<1024x512xf32>
    ```
  }];
  let arguments = (ins Golf_IntTensor:$indices, Golf_FloatTensor:$grad,
                       I64Attr:$rows);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $indices `,` $grad attr-dict `:` type($indices) `,` type($grad) `->` type($result)
  }];
}

def Golf_CrossEntropyGradOp : Golf_Op<"cross_entropy_grad", [Pure, InferTypeOpAdaptor]> {
  let summary = "(softmax(logits) - onehot(targets)) · grad / N";
  let description = [{
    The gradient of the mean cross-entropy with respect to the logits, for
    the scalar gradient `grad` of the loss; N is the number of positions.
    With `focal_gamma` γ > 0 each position's row is also multiplied by
    d/dc[(1 - e^-c)^γ c] = (1 - e^-c)^γ + γ c e^-c (1 - e^-c)^(γ-1).

    ```mlir
    %dz = golf.cross_entropy_grad %z, %targets, %g : tensor<?x?x1024xf32>, tensor<?x?xi32>, tensor<f32> -> tensor<?x?x1024xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$logits, Golf_IntTensor:$targets,
                       Golf_FloatTensor:$grad,
                       DefaultValuedAttr<F64Attr, "0.0">:$focal_gamma);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $logits `,` $targets `,` $grad attr-dict `:` type($logits) `,` type($targets) `,` type($grad) `->` type($result)
  }];
}

def Golf_CausalAttentionGradOp : Golf_Op<"causal_attention_grad", [Pure,
    AllTypesMatch<["q", "out", "grad", "dq"]>, AllTypesMatch<["k", "dk"]>,
    AllTypesMatch<["v", "dv"]>, Golf_TargetLibrary]> {
  let summary = "gradients of causal attention with respect to q, k and v";
  let description = [{
    For `out = causal_attention(q, k, v)` and the gradient `grad` of `out`,
    the gradients of q, k and v (k's and v's summed over the query heads
    that share a KV head). Recomputes the softmax row by row, never storing
    a T×T matrix. `starts` and `segment` as for golf.causal_attention.

    ```mlir
    %dq, %dk, %dv = golf.causal_attention_grad %q, %k, %v, %o, %g : tensor<?x?x8x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x4x64xf32>, tensor<?x?x8x64xf32>, tensor<?x?x8x64xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$q, Golf_FloatTensor:$k,
                       Golf_FloatTensor:$v, Golf_FloatTensor:$out,
                       Golf_FloatTensor:$grad, Optional<Golf_FloatTensor>:$starts,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<I64Attr>:$segment,
                       OptionalAttr<StrAttr>:$library);
  let results = (outs Golf_FloatTensor:$dq, Golf_FloatTensor:$dk,
                      Golf_FloatTensor:$dv);
  let assemblyFormat = [{
    $q `,` $k `,` $v `,` $out `,` $grad (`starts` $starts^)? attr-dict `:` type($q) `,` type($k) `,` type($v) `,` type($out) `,` type($grad) (`,` type($starts)^)?
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Library calls: what golf-select-libraries chooses
//===----------------------------------------------------------------------===//

def Golf_GemmOp : Golf_Op<"gemm", [Pure, SameOperandsAndResultElementType,
                                  InferTypeOpAdaptor, Golf_TargetLibrary]> {
  let summary = "a matrix product done by a library";
  let description = [{
    `op(a) · op(b)` on matrices, `op` transposing when `transpose_a` /
    `transpose_b` is set; `library` names who computes it (`blas`: the
    runtime calls cblas_?gemm). golf-select-libraries rewrites `linear` and
    its gradients into this op on flattened rows.

    ```mlir
    %y = golf.gemm %x, %w {library = "blas", transpose_b} : tensor<4096x512xf32>, tensor<1024x512xf32> -> tensor<4096x1024xf32>
    ```
  }];
  let arguments = (ins Golf_FloatTensor:$a, Golf_FloatTensor:$b,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b,
                       StrAttr:$library);
  let results = (outs Golf_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused kernels (golf-fuse)
//===----------------------------------------------------------------------===//

def Golf_FusedOp : Golf_Op<"fused", [IsolatedFromAbove,
    SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "a group of ops that becomes one kernel";
  let description = [{
    The elementwise ops and row reductions that golf-fuse grouped between two
    library calls. The body reads only its block arguments (the `inputs`, in
    order) and constants, and yields the `results`. golf-lower-to-linalg
    turns each group into a private function `@<function>.<name>` called in
    its place, so that each kernel is compiled on its own.

    ```mlir
    %y = golf.fused "k3" (%x, %g) : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
    ^bb0(%a: tensor<4x8xf32>, %b: tensor<8xf32>):
      %n = golf.rms_norm %a : tensor<4x8xf32>
      %m = golf.mul %n, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
      golf.yield %m : tensor<4x8xf32>
    }
    ```
  }];
  let arguments = (ins StrAttr:$name, Variadic<AnyRankedTensor>:$inputs);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $name `(` $inputs `)` attr-dict `:` functional-type($inputs, $results)
    $body
  }];
  let hasVerifier = 1;
}

def Golf_YieldOp : Golf_Op<"yield", [Pure, Terminator, HasParent<"FusedOp">]> {
  let summary = "the results of a golf.fused group";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let builders = [OpBuilder<(ins), [{ /* no values */ }]>];
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

#endif // GOLF_OPS_TD
