//===- CpuCodegen.h - golf IR to machine code for this CPU ----*- C++ -*-===//
//
// The CPU target's code generation: the lowered module to LLVM for this
// machine, compiled by LLVM's ORC JIT (CompiledFunction) or written as an
// object file for a built trainer (emitObject). Its library calls are
// golf-cpu-library-calls', its passes to the LLVM dialect CpuPipeline.cpp's.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_CODEGEN_CPU_CPUCODEGEN_H
#define GOLF_CODEGEN_CPU_CPUCODEGEN_H

#include "codegen/Codegen.h"
#include "runtime/step.h"

namespace golf {

namespace cpu {
/// The `lowered` stage's library calls on the CPU (after the common math
/// lowering): golf-cpu-library-calls.
void addLibraryCalls(mlir::OpPassManager &pm);
/// From the lowered stage to the LLVM dialect for this machine: fusion,
/// bufferization, results as outputs, frees, parallel parts, conversions.
mlir::LogicalResult addToLLVM(mlir::OpPassManager &pm);
} // namespace cpu

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

#endif // GOLF_CODEGEN_CPU_CPUCODEGEN_H
