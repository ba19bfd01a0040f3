//===- Codegen.h - from golf IR to machine code on the CPU -------*- C++
//-*-===//
//
// The CPU backend: the registry of every dialect and pass the pipeline
// uses, the ordered pipeline from golf IR to the LLVM dialect, and a JIT
// that compiles @model for the host and calls it on host buffers.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_CODEGEN_CODEGEN_H
#define GOLF_CODEGEN_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "runtime/executable.h"
#include "runtime/step.h"

#include <cstdint>
#include <memory>
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

/// A host buffer handed to or returned by compiled code (the runtime's).
using HostTensor = rt::Tensor;

/// A function of the module (@model, @train_step) compiled for this machine
/// by LLVM's ORC JIT.
class CompiledFunction {
public:
  ~CompiledFunction();
  /// Compiles `function` of a module at the `lowered` stage (the module is
  /// consumed). Errors are returned as text.
  static std::unique_ptr<CompiledFunction> create(mlir::ModuleOp module,
                                                  const std::string &function,
                                                  std::string &error);
  const rt::Signature &signature() const;
  /// What the CPU device loads (rt::cpuDevice().load): valid while this
  /// object lives.
  rt::ExecutableImage image() const;
  /// For tools and tests: runs on host tensors (the parameters, then the
  /// tokens and the targets) and returns the results, newly allocated.
  std::vector<rt::Tensor> run(std::vector<rt::Tensor> &args);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
  std::unique_ptr<rt::Executable> executable;
};

/// Compiles `function` of a module at the `lowered` stage (consumed) to an
/// object file for this machine, with `entry(void **args)`, the function
/// behind MLIR's packed C interface, `<entry>_signature`, its signature as
/// a C string of JSON, and, when `plan` is not empty,
/// `golf_plan`, the plan as a C string of JSON (what the runtime's driver
/// reads).
bool emitObject(mlir::ModuleOp module, const std::string &function,
                const std::string &entry, const std::string &plan,
                const std::string &path, std::string &error);

} // namespace golf

#endif // GOLF_CODEGEN_CODEGEN_H
