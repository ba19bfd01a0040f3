//===- Passes.td - golfc's passes -------------------------*- tablegen -*-===//
//
// One def per pass; the def, its .cpp, its flag and its lit test share one
// name (GolfSpecializeShapes, SpecializeShapes.cpp, golf-specialize-shapes,
// tests/lit/passes/golf-specialize-shapes.mlir).
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_PASSES_TD
#define GOLF_PASSES_TD

include "mlir/Pass/PassBase.td"

def GolfSpecializeShapes : Pass<"golf-specialize-shapes", "mlir::ModuleOp"> {
  let summary = "Fixes the batch and sequence dimensions and re-infers every shape";
  let description = [{
    The parsed IR keeps the batch (B) and sequence (T) dimensions dynamic.
    This pass gives `@model`'s token arguments the static shape
    [batch, seq], then re-infers the result type of every op in order with
    the op's shape rule; a reshape keeps its static dimensions and takes its
    `?` dimensions, in order, from its input. A shape rule that fails under
    the new sizes is an error.

    Before:
    ```mlir
    func.func @model(%tokens: tensor<?x?xi32>, %targets: tensor<?x?xi32>) -> tensor<f32> {
      %e = golf.embedding %tokens, %w : tensor<?x?xi32>, tensor<1024x512xf32> -> tensor<?x?x512xf32>
    ```
    After `golf-specialize-shapes{batch=4 seq=1024}`:
    ```mlir
    func.func @model(%tokens: tensor<4x1024xi32>, %targets: tensor<4x1024xi32>) -> tensor<f32> {
      %e = golf.embedding %tokens, %w : tensor<4x1024xi32>, tensor<1024x512xf32> -> tensor<4x1024x512xf32>
    ```
  }];
  let dependentDialects = ["::golf::GolfDialect"];
  let options = [
    Option<"batch", "batch", "int64_t", "1", "sequences per batch (B)">,
    Option<"seq", "seq", "int64_t", "1024", "tokens per sequence (T)">,
  ];
}

def GolfBindParams : Pass<"golf-bind-params", "mlir::ModuleOp"> {
  let summary = "Makes every parameter an argument of @model";
  let description = [{
    The runtime owns the parameter buffers. This pass gives `@model` one
    leading argument per `golf.param`, in declaration order, named by a
    `golf.param` argument attribute, and replaces every `golf.param_ref` with
    its argument. The declarations stay: they carry each parameter's
    initializer, optimizer group and export class for the runtime's plan.

    Before:
    ```mlir
    golf.param @w : tensor<4x8xf32> init zeros [] group "g" quant "q"
    func.func @model(%tokens: tensor<2x3xi32>, %targets: tensor<2x3xi32>) -> tensor<f32> {
      %w = golf.param_ref @w : tensor<4x8xf32>
    ```
    After:
    ```mlir
    func.func @model(%w: tensor<4x8xf32> {golf.param = "w"}, %tokens: tensor<2x3xi32>,
                     %targets: tensor<2x3xi32>) -> tensor<f32> {
    ```
  }];
  let dependentDialects = ["::golf::GolfDialect"];
}

def GolfAutodiff : Pass<"golf-autodiff", "mlir::ModuleOp"> {
  let summary = "Builds @train_step: the loss and the gradient of every parameter";
  let description = [{
    Reverse-mode differentiation of `@model` (parameters bound as
    arguments). The pass copies `@model` to `@train_step`, walks its ops in
    reverse order from the loss (seeded with 1) and asks each op's
    `DifferentiableOpInterface` for the gradients of its operands, summing
    the contributions of every use. `@train_step` returns the loss and then
    one gradient per parameter argument, in argument order, each named by a
    `golf.grad` result attribute (zeros for a parameter the loss does not
    depend on).

    Keep or recompute: a forward value the backward pass reads is recomputed
    there when a short chain of cheap ops (elementwise ops, broadcasts,
    reshapes, softcap, RMS norms) leads to it from arguments, constants and
    results of expensive ops that the backward pass reads anyway. The
    backward uses then read a copy of the chain placed before the first of
    them, and the forward value is freed after its last forward use: the
    step keeps the inputs of matrix products and attention, not every
    activation derived from them (`recompute=false` keeps everything).

    Before:
    ```mlir
    func.func @model(%w: tensor<4x8xf32> {golf.param = "w"}, %x: ...) -> tensor<f32> {
      %y = golf.linear %x, %w : ...
    ```
    After (besides @model):
    ```mlir
    func.func @train_step(%w: tensor<4x8xf32> {golf.param = "w"}, %x: ...)
        -> (tensor<f32>, tensor<4x8xf32> {golf.grad = "w"}) {
      %y = golf.linear %x, %w : ...
      ...
      %dw = golf.linear_grad_weight %dy, %x : ...
      return %loss, %dw : tensor<f32>, tensor<4x8xf32>
    ```
  }];
  let dependentDialects = ["::golf::GolfDialect"];
  let options = [
    Option<"recompute", "recompute", "bool", "true",
           "recompute cheap forward values in the backward pass instead of keeping them">,
  ];
}

def GolfSelectLibraries : Pass<"golf-select-libraries", "mlir::ModuleOp"> {
  let summary = "Chooses library calls for the matrix products";
  let description = [{
    The one place where golfc decides between a library and generated
    code. Every `golf.linear` and its gradients (`linear_grad_input`,
    `linear_grad_weight`) become a `golf.gemm` on the flattened rows, done
    by `library`: by default the target's (`blas` on the CPU: OpenBLAS's
    cblas_?gemm; `cublaslt` on CUDA), `none` to generate them. A library the
    target does not have is an error. Causal attention and its gradient get
    the target's attention library (`library = "golf"`, golfc's own kernel,
    on the CPU; `"cudnn"` on CUDA). Elementwise ops and reductions stay for
    code generation.

    Before:
    ```mlir
    %y = golf.linear %x, %w : tensor<4x256x512xf32>, tensor<1024x512xf32> -> tensor<4x256x1024xf32>
    ```
    After:
    ```mlir
    %x2 = golf.reshape %x : tensor<4x256x512xf32> -> tensor<1024x512xf32>
    %y2 = golf.gemm %x2, %w {library = "blas", transpose_b} : tensor<1024x512xf32>, tensor<1024x512xf32> -> tensor<1024x1024xf32>
    %y = golf.reshape %y2 : tensor<1024x1024xf32> -> tensor<4x256x1024xf32>
    ```
  }];
  let dependentDialects = ["::golf::GolfDialect"];
  let options = [
    Option<"target", "target", "std::string", "\"cpu\"",
           "what the code is for: cpu or cuda">,
    Option<"library", "library", "std::string", "\"\"",
           "who computes the matrix products: the target's by default "
           "(blas on cpu, cublaslt on cuda), or none to generate them">,
  ];
}

def GolfFuse : Pass<"golf-fuse", "mlir::ModuleOp"> {
  let summary = "Groups elementwise ops and row reductions into kernels";
  let description = [{
    Library calls (`golf.gemm`, causal attention and its gradient, the
    embedding gradient) split each function into runs of consecutive
    elementwise ops, broadcasts and row reductions (norms, RoPE, gains,
    residual mixes, activations, softcap, cross-entropy and their
    gradients). Each connected part of a run becomes one `golf.fused` op: a
    kernel whose inputs and results are the values that cross its border.
    Reshapes of values from outside stay outside (they are views); each
    group takes its own copy of the constants it reads. Groups are named
    `k0`, `k1`, … per function, in program order; a group none of whose
    results is used is left as it is. The grouping is printed, without
    changing the IR, by `golf-test-print-fusion`.

    Before:
    ```mlir
    %n = golf.rms_norm %x : tensor<4x8xf32>
    %m = golf.mul %n, %g : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
    %y = golf.gemm %m, %w {library = "blas", transpose_b} : ...
    ```
    After:
    ```mlir
    %m = golf.fused "k0" (%x, %g) : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32> {
    ^bb0(%a: tensor<4x8xf32>, %b: tensor<8xf32>):
      %n = golf.rms_norm %a : tensor<4x8xf32>
      %p = golf.mul %n, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
      golf.yield %p : tensor<4x8xf32>
    }
    %y = golf.gemm %m, %w {library = "blas", transpose_b} : ...
    ```
  }];
  let dependentDialects = ["::golf::GolfDialect"];
}

def GolfTestPrintFusion : Pass<"golf-test-print-fusion", "mlir::ModuleOp"> {
  let summary = "Prints the groups golf-fuse would make (for tests)";
  let description = [{
    Prints, for each function, the groups of `golf-fuse` with their number
    of inputs and outputs and their ops in order, and leaves the IR as it
    is:

    ```
    @train_step
      group k0: 2 in, 1 out: rms_norm mul
    ```
  }];
}

def GolfLowerToLinalg : Pass<"golf-lower-to-linalg", "mlir::ModuleOp"> {
  let summary = "Lowers golf's math on static tensors to linalg, tensor, arith and math";
  let description = [{
    Every golf compute op of `@model` becomes target-independent MLIR on
    tensors: elementwise ops and broadcasts are `linalg.generic` with
    broadcasting indexing maps (a unary op's element is what its
    `UnaryMathOpInterface` builds), reductions are `linalg.generic` with a
    reduction iterator, gathers (`embedding`, `shift`, the target logit of
    `cross_entropy`) are `tensor.extract` in a generic body, and `linear`
    (where no library was selected) is `linalg.matmul_transpose_b` on the
    flattened rows. The ops only a library computes (the
    `Golf_TargetLibrary` trait: `gemm`, `causal_attention` and its gradient,
    `embedding_grad`) are left as they are, for the target's library-call
    lowering (`golf-cpu-library-calls`). Each `golf.fused` becomes a
    private function, one kernel.
    Shapes must be static (run `golf-specialize-shapes` first) and
    parameters bound (`golf-bind-params`).

    Before:
    ```mlir
    %y = golf.relu %x : tensor<2x3xf32>
    ```
    After:
    ```mlir
    %e = tensor.empty() : tensor<2x3xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
      ^bb0(%a: f32, %b: f32):
        %z = arith.constant 0.0 : f32
        %r = arith.maximumf %a, %z : f32
        linalg.yield %r : f32
    } -> tensor<2x3xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect", "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::func::FuncDialect",
  ];
}

def GolfCpuLibraryCalls : Pass<"golf-cpu-library-calls", "mlir::ModuleOp"> {
  let summary = "Lowers the library ops to calls of the CPU runtime's kernels";
  let description = [{
    The CPU target's library-call lowering: every op with the
    `Golf_TargetLibrary` trait becomes a call, through the C interface, of
    one of the runtime's kernels (`runtime/entry_points.def`) on memref
    views of its operands, writing fresh buffers that its results read as
    tensors. `golf.gemm {library = "blas"}` calls `golf_rt_gemm_{n,t}{n,t}_*`
    (BLAS); causal attention calls the runtime's tiled online-softmax
    kernel, which never stores a T×T matrix and keeps each row's softmax
    statistics for the gradient (`golf_rt_attention_stats_f32` / `_f64`,
    within documents `golf_rt_attention_docs_stats_*`; the gradient
    `golf_rt_attention_grad_stats_*` / `golf_rt_attention_grad_docs_stats_*`,
    or without the forward's statistics `golf_rt_attention_grad_*` /
    `golf_rt_attention_grad_docs_*`); `embedding_grad` calls
    `golf_rt_embedding_grad_*`. Runs after `golf-lower-to-linalg`; a
    product selected for another target's library is an error.

    Before:
    ```mlir
    %y = golf.gemm %x, %w {library = "blas", transpose_b} : tensor<6x8xf32>, tensor<4x8xf32> -> tensor<6x4xf32>
    ```
    After:
    ```mlir
    %a = bufferization.to_memref %x read_only : memref<6x8xf32>
    %b = bufferization.to_memref %w read_only : memref<4x8xf32>
    %c = memref.alloc() : memref<6x4xf32>
    call @golf_rt_gemm_nt_f32(%a', %b', %c') : (memref<?x?xf32, strided<[?, ?], offset: ?>>, ...) -> ()
    %y = bufferization.to_tensor %c restrict writable : memref<6x4xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect", "::mlir::func::FuncDialect",
  ];
}

def GolfFreeBuffers : Pass<"golf-free-buffers", "mlir::ModuleOp"> {
  let summary = "Frees each buffer right after the last op that reads it";
  let description = [{
    Runs after one-shot bufferization, on functions of one block (golfc's
    steps and kernels: straight-line code around library calls and linalg
    ops). A buffer a function allocates, or receives from a call, is freed
    with `memref.dealloc` right after the last op that uses it or any view
    of it (casts, reshapes, subviews), unless it is returned. Every function
    returns buffers its caller owns alone: a result that may point into an
    argument or a global, or that shares a buffer with another result, is
    returned as a copy. So the live set at any point is what the step still
    needs, and the allocator reuses freed memory for later buffers (MLIR's
    ownership-based deallocation frees at the end of the block instead, so
    a whole step's buffers were alive at once).

    Before:
    ```mlir
    %a = memref.alloc() : memref<4xf32>
    call @k(%a) : (memref<4xf32>) -> ()
    %b = memref.alloc() : memref<4xf32>
    call @k(%b) : (memref<4xf32>) -> ()
    return %b : memref<4xf32>
    ```
    After:
    ```mlir
    %a = memref.alloc() : memref<4xf32>
    call @k(%a) : (memref<4xf32>) -> ()
    memref.dealloc %a : memref<4xf32>
    %b = memref.alloc() : memref<4xf32>
    call @k(%b) : (memref<4xf32>) -> ()
    return %b : memref<4xf32>
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def GolfResultsToOutputs : Pass<"golf-results-to-outputs", "mlir::ModuleOp"> {
  let summary = "Writes every result into a buffer the caller passes";
  let description = [{
    Runs after one-shot bufferization, before `golf-free-buffers`, on
    functions of one block. Each memref result of a function becomes an
    output argument (`golf.output`) appended after its arguments, in result
    order, and the function returns nothing. The buffer a result was
    computed in is replaced by its output (through a view when the shapes
    differ), so the function writes there directly: a step's caller owns the
    loss and the gradients and nothing is copied. Every call allocates the
    outputs before it. A result that may point into memory the function does
    not own (an argument, a global) is copied into its output. In a private
    function, a result that views the same buffer as an earlier one gets no
    output: the caller views the earlier one's buffer. A public function's
    caller is the runtime, which passes one distinct buffer per result, so
    there such a result is copied. The function gets `golf.noalias`: the
    positions, once lowered to LLVM, of its outputs' aligned pointers, which
    no other pointer reaches (golf-dispatch-parallel marks them `noalias`).

    Before:
    ```mlir
    func.func @step(%x: memref<4xf32>) -> memref<2x2xf32> {
      %a = memref.alloc() : memref<4xf32>
      linalg.copy ins(%x) outs(%a)
      %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] ...
      return %v : memref<2x2xf32>
    }
    ```
    After:
    ```mlir
    func.func @step(%x: memref<4xf32>, %out: memref<2x2xf32> {golf.output}) {
      %a = memref.reinterpret_cast %out to offset: [0], sizes: [4], strides: [1]
      linalg.copy ins(%x) outs(%a)
      %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] ...
      return
    }
    ```
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def GolfOutlineParallel : Pass<"golf-outline-parallel", "mlir::ModuleOp"> {
  let summary = "Outlines each large parallel loop nest into a part that runs a range of its rows";
  let description = [{
    Runs after `convert-linalg-to-parallel-loops`. Every `scf.parallel` at
    the top of a function, with constant bounds and enough work, becomes a
    call of a new private function `@<fn>.pN` that runs the iterations
    `[begin, end)` of the nest's outer dimensions taken as one (all but the
    innermost, which stays a loop for the vectorizer). The function carries
    `golf.parallel = G`, the fewest iterations worth a thread of their own
    (about 8K operations); `golf-dispatch-parallel` later hands it to the
    runtime's thread pool. `golf.noalias` lists the argument positions,
    once lowered to LLVM, of the aligned pointers of buffers the function
    allocated and passes through one argument only: no other pointer
    reaches them, as LLVM could see before the nest left the function. Each iteration writes its own elements, so the
    result does not depend on how the range is split. Loop nests with
    reductions (`scf.reduce` with operands) or dynamic bounds are left as
    they are, and so are small ones.

    Before:
    ```mlir
    scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c512) step (%c1, %c1) {
      ... memref.store %v, %out[%i, %j]
    }
    ```
    After:
    ```mlir
    call @f.p0(%out, %c0, %c64) : (memref<64x512xf32>, index, index) -> ()
    func.func private @f.p0(%out: memref<64x512xf32>, %b: index, %e: index)
        attributes {golf.parallel = 1 : i64} {
      scf.for %r = %b to %e step %c1 {
        scf.for %j = %c0 to %c512 step %c1 { ... memref.store %v, %out[%r, %j] }
      }
      return
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::func::FuncDialect",
    "::mlir::arith::ArithDialect",
  ];
}

def GolfDispatchParallel : Pass<"golf-dispatch-parallel", "mlir::ModuleOp"> {
  let summary = "Runs the parts golf-outline-parallel made on the runtime's thread pool";
  let description = [{
    Runs on the LLVM dialect. Each call of a function marked
    `golf.parallel = G` (whose last two arguments are the `i64` bounds of
    its range) becomes a call of the runtime's
    `golf_rt_parallel_for(task, context, begin, end, G)`: the other
    arguments are stored in a structure on the caller's stack, and a new
    function `@<part>.task(context, begin, end)` loads them and calls the
    part on its share of the range. The arguments `golf.noalias` lists, on
    a part or on any other function (the outputs golf-results-to-outputs
    made), get LLVM's `noalias`.

    Before:
    ```mlir
    llvm.call @f.p0(%a, %b, %begin, %end) : (!llvm.ptr, f32, i64, i64) -> ()
    ```
    After:
    ```mlir
    llvm.store %a, %field0 ; llvm.store %b, %field1
    llvm.call @golf_rt_parallel_for(%task, %context, %begin, %end, %grain)
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def GolfTokenLosses : Pass<"golf-token-losses", "mlir::ModuleOp"> {
  let summary = "Makes @model return the loss of every position instead of their mean";
  let description = [{
    For evaluation: `@model` must return `cross_entropy(z, targets)`; the
    pass returns `token_cross_entropy(z, targets)` instead, one loss per
    target position (the function's result type changes accordingly), so
    that the runtime can score only the positions a sliding window owns and
    sum the losses in float64. Run it on a module of `@model` alone, after
    `golf-bind-params` (no gradient is taken of the result).

    Before:
    ```mlir
    %l = golf.cross_entropy %z, %t : tensor<1x8x64xf32>, tensor<1x8xi32> -> tensor<f32>
    return %l : tensor<f32>
    ```
    After:
    ```mlir
    %l = golf.token_cross_entropy %z, %t : tensor<1x8x64xf32>, tensor<1x8xi32> -> tensor<1x8xf32>
    return %l : tensor<1x8xf32>
    ```
  }];
}

def GolfCollectHessians : Pass<"golf-collect-hessians", "mlir::ModuleOp"> {
  let summary = "Makes @model also return XᵀX of the input of every linear whose weight GPTQ quantizes";
  let description = [{
    For the calibration forward of GPTQ (reference §7.7). The parameters to
    cover are those whose export class (`golf.quant`) has
    `method = "gptq"`. For each, every `golf.linear` of `@model` that takes
    it as its weight contributes `linear_grad_weight(x, x)` = XᵀX of its
    input (summed over the batch and the sequence; a tied embedding used as
    the head gets the Hessian of the head's input). `@model` returns the
    loss, then one [in, in] matrix per such parameter, in declaration order;
    the function's `golf.hessians` attribute names them. Run it after
    `golf-bind-params`, on a module whose `@model` is not differentiated.

    Before:
    ```mlir
    %y = golf.linear %x, %w : tensor<2x8x64xf32>, tensor<32x64xf32> -> tensor<2x8x32xf32>
    return %loss : tensor<f32>
    ```
    After:
    ```mlir
    %y = golf.linear %x, %w : tensor<2x8x64xf32>, tensor<32x64xf32> -> tensor<2x8x32xf32>
    %h = golf.linear_grad_weight %x, %x : tensor<2x8x64xf32>, tensor<2x8x64xf32> -> tensor<64x64xf32>
    return %loss, %h : tensor<f32>, tensor<64x64xf32>
    ```
  }];
}

def GolfInsertFakeQuant : Pass<"golf-insert-fake-quant", "mlir::ModuleOp"> {
  let summary = "Inserts quantization-aware training on the weights of integer export classes";
  let description = [{
    When the `export` section's `late_qat_threshold` is above 0, every
    parameter of rank 2 whose export class has an integer format is read by
    `@model` through `golf.fake_quant` with its class's range and scale
    floor: forward, the values its export will restore; backward, straight
    through. `@model` gains arguments after its own: `qat_enable`
    (tensor<f32>, > 0.5 turns the quantization on) and one `[rows, 1]` clip
    per such parameter, in declaration order, named by the argument
    attributes `golf.input = "qat_enable"` and `golf.qat_clip = "<param>"`.
    The runtime computes the clips from the weights each step (the class's
    percentile of each row's |w|) and turns QAT on when the lr scale first
    falls below the threshold. Run it after `golf-bind-params`, before
    `golf-autodiff`; with the threshold at 0 it changes nothing.

    Before:
    ```mlir
    %y = golf.linear %x, %w : tensor<2x8x64xf32>, tensor<32x64xf32> -> tensor<2x8x32xf32>
    ```
    After:
    ```mlir
    %wq = golf.fake_quant %w, %clip, %on {floor = 0.0 : f64, range = 31 : i64} : ...
    %y = golf.linear %x, %wq : tensor<2x8x64xf32>, tensor<32x64xf32> -> tensor<2x8x32xf32>
    ```
  }];
}

def GolfReturnLogits : Pass<"golf-return-logits", "mlir::ModuleOp"> {
  let summary = "Makes @model return the logits its cross-entropy reads";
  let description = [{
    For sampling from the model (GPTQ's self-generated calibration,
    reference §7.7): `@model` must return `cross_entropy(logits, targets)`;
    it returns `logits` ([B, T, V], softcap included) instead. Run it after
    `golf-bind-params`, on a module whose `@model` is not differentiated.

    Before:
    ```mlir
    %l = golf.cross_entropy %z, %t : tensor<1x8x64xf32>, tensor<1x8xi32> -> tensor<f32>
    return %l : tensor<f32>
    ```
    After:
    ```mlir
    return %z : tensor<1x8x64xf32>
    ```
  }];
}

def GolfReturnHidden : Pass<"golf-return-hidden", "mlir::ModuleOp"> {
  let summary = "Makes @model return the hidden state its head maps to logits";
  let description = [{
    For SLOT's evaluation (reference §10.5), which fits a per-window shift
    of the hidden state and a logit bias on top of a frozen model:
    `@model` must return `cross_entropy(softcap(linear(h, W)), targets)`
    (or without the softcap), W a parameter; it returns `h` ([B, T, d],
    after the final norm) instead, and the head is erased. The runtime
    applies the head itself, with W from the weights. Run it after
    `golf-bind-params`, on a module whose `@model` is not differentiated.

    Before:
    ```mlir
    %z = golf.linear %h, %w : tensor<2x8x32xf32>, tensor<64x32xf32> -> tensor<2x8x64xf32>
    %s = golf.softcap %z {cap = 3.000000e+01 : f64} : tensor<2x8x64xf32>
    %l = golf.cross_entropy %s, %t : tensor<2x8x64xf32>, tensor<2x8xi32> -> tensor<f32>
    return %l : tensor<f32>
    ```
    After:
    ```mlir
    return %h : tensor<2x8x32xf32>
    ```
  }];
}

#endif // GOLF_PASSES_TD
