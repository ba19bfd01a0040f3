//===- Codegen.h - the stages every target shares ---------------*- C++ -*-===//
//
// What every target shares: the registry of every dialect and pass the
// pipeline uses, the ordered stages from golf IR to a target's lowest
// dialect, and the runtime signature of a compiled function. Each target's
// own code generation is in codegen/<target>/ (codegen/cpu/CpuCodegen.h:
// LLVM for this machine, JIT and object files).
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_CODEGEN_CODEGEN_H
#define GOLF_CODEGEN_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "runtime/executable.h"

#include <cstdint>
#include <string>
#include <vector>

namespace golf {

/// Every dialect, interface and translation the compiler can meet.
void registerCompilerDialects(mlir::DialectRegistry &registry);
/// golfc's passes, the MLIR passes its pipeline names, and the named
/// pipeline `golf-to-cpu{batch=B seq=T}` (parsed to llvm), for golf-opt.
void registerCompilerPasses();

/// The stages of the pipeline, in order, as `golfc ir --emit=` names them.
const std::vector<std::string> &stageNames();

/// Appends to `pm` the passes that take a module at stage `from` to stage
/// `to`. `batch` and `seq` fix B and T. Without `qat` the `quantized` stage
/// is the `bound` one (the step then takes no QAT inputs).
mlir::LogicalResult buildPipeline(mlir::OpPassManager &pm,
                                  const std::string &from,
                                  const std::string &to, int64_t batch,
                                  int64_t seq, bool qat = true);

/// The runtime's signature of `function` (from the bound stage on): the
/// role, dtype and shape of every argument and result. Arguments:
/// `param:NAME` (golf.param), `qat_enable` and the like (golf.input),
/// `qat_clip:NAME` (golf.qat_clip), and the model's own inputs, `tokens`
/// then `targets`. Results: `grad:NAME` (golf.grad), what golf.result says,
/// `loss` for a scalar otherwise. False and `error` when a type has no
/// runtime dtype or a shape is not static.
bool signatureOf(mlir::func::FuncOp function, rt::Signature &signature,
                 std::string &error);

} // namespace golf

#endif // GOLF_CODEGEN_CODEGEN_H
