//===- GolfDialect.td - the golf dialect ------------------*- tablegen -*-===//
//
// The golf dialect describes a Parameter Golf model at the level of the spec:
// parameters as named symbols (shape, initializer, optimizer group, export
// class), optimizer groups and export policies as symbols, and the forward
// computation as tensor ops over the batch (B) and sequence (T) dimensions,
// which stay dynamic until a pass specializes them.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_DIALECT_TD
#define GOLF_DIALECT_TD

include "mlir/IR/OpBase.td"

def Golf_Dialect : Dialect {
  let name = "golf";
  let cppNamespace = "::golf";
  let summary = "Model-level ops for Parameter Golf training programs";
  let description = [{
    A golf module holds `golf.optimizer` and `golf.quant` symbols, one
    `golf.param` symbol per trainable tensor (named exactly as the PyTorch
    state dict names it), and a `func.func @model(tokens, targets) -> loss`
    whose body reads parameters with `golf.param_ref` and computes the mean
    cross-entropy with the ops of this dialect. Tensors carry their batch and
    sequence dimensions as `?` until `golf-specialize-shapes` fixes them.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

class Golf_Op<string mnemonic, list<Trait> traits = []>
    : Op<Golf_Dialect, mnemonic, traits>;

// Activations and parameters are f32 (training) or f64 (checking).
def Golf_FloatTensor : RankedTensorOf<[F32, F64]>;
// Token ids and integer arithmetic on them (hashes).
def Golf_IntTensor : RankedTensorOf<[I32]>;
// Masks produced by comparisons.
def Golf_BoolTensor : RankedTensorOf<[I1]>;
def Golf_Tensor : RankedTensorOf<[F32, F64, I32, I1]>;

#endif // GOLF_DIALECT_TD
