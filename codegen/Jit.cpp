//===- Jit.cpp - functions compiled by LLVM's ORC JIT ---------------------===//

#include "codegen/Codegen.h"
#include "dialect/GolfDialect.h"
#include "runtime/kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdlib>
#include <set>

using namespace mlir;

struct golf::CompiledFunction::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  std::string name;
  std::vector<RankedTensorType> resultTypes;
};

golf::CompiledFunction::~CompiledFunction() = default;

std::unique_ptr<golf::CompiledFunction>
golf::CompiledFunction::create(ModuleOp module, const std::string &function,
                               std::string &error) {
  auto fn = module.lookupSymbol<func::FuncOp>(function);
  if (!fn || fn.isExternal()) {
    error = "the module has no @" + function;
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  impl->name = function;
  for (Type t : fn.getResultTypes())
    impl->resultTypes.push_back(cast<RankedTensorType>(t));
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));

  // Only the function asked for, its callees and no golf declarations go
  // to machine code.
  SmallVector<Operation *> drop;
  for (Operation &op : module.getBody()->getOperations()) {
    auto other = dyn_cast<func::FuncOp>(op);
    if (isa<golf::GolfDialect>(op.getDialect()) ||
        (other && !other.isExternal() && other != fn))
      drop.push_back(&op);
  }
  for (Operation *op : drop)
    op->erase();
  for (NamedAttribute a : module->getAttrs())
    if (a.getName().strref().starts_with("golf."))
      module->removeAttr(a.getName());

  PassManager toLLVM(module.getContext());
  if (failed(golf::buildPipeline(toLLVM, "lowered", "llvm", 1, 1))) {
    error = "cannot build the pipeline to LLVM";
    return nullptr;
  }
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
      llvm::raw_string_ostream os(diagnostics);
      os << d << "\n";
      return success();
    });
    if (failed(toLLVM.run(module))) {
      error = "lowering to LLVM failed:\n" + diagnostics;
      return nullptr;
    }
  }

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions options;
  options.transformer = makeOptimizingTransformer(3, 0, nullptr);
  options.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, options);
  if (!engine) {
    error = "JIT: " + llvm::toString(engine.takeError());
    return nullptr;
  }
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto add = [&](const char *name, auto *fn) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                                 llvm::JITSymbolFlags::Exported};
    };
#define GOLF_KERNEL(NAME) add("_mlir_ciface_" #NAME, &_mlir_ciface_##NAME)
    GOLF_KERNEL(golf_rt_attention_f32);
    GOLF_KERNEL(golf_rt_attention_f64);
    GOLF_KERNEL(golf_rt_attention_grad_f32);
    GOLF_KERNEL(golf_rt_attention_grad_f64);
    GOLF_KERNEL(golf_rt_embedding_grad_f32);
    GOLF_KERNEL(golf_rt_embedding_grad_f64);
    GOLF_KERNEL(golf_rt_gemm_nn_f32);
    GOLF_KERNEL(golf_rt_gemm_nt_f32);
    GOLF_KERNEL(golf_rt_gemm_tn_f32);
    GOLF_KERNEL(golf_rt_gemm_tt_f32);
    GOLF_KERNEL(golf_rt_gemm_nn_f64);
    GOLF_KERNEL(golf_rt_gemm_nt_f64);
    GOLF_KERNEL(golf_rt_gemm_tn_f64);
    GOLF_KERNEL(golf_rt_gemm_tt_f64);
#undef GOLF_KERNEL
    add("memrefCopy", &memrefCopy);
    return symbols;
  });
  // Materialize now, so that a missing symbol is an error here rather than
  // at the first call.
  if (auto fnPtr = (*engine)->lookupPacked("_mlir_ciface_" + function);
      !fnPtr) {
    error = "JIT: " + llvm::toString(fnPtr.takeError());
    return nullptr;
  }
  impl->engine = std::move(*engine);
  auto compiled = std::unique_ptr<CompiledFunction>(new CompiledFunction());
  compiled->impl = std::move(impl);
  return compiled;
}

namespace {

/// A memref descriptor, {allocated, aligned, offset, sizes[r], strides[r]},
/// for a contiguous row-major host buffer.
std::vector<int64_t> descriptor(golf::HostTensor &t) {
  int64_t rank = (int64_t)t.shape.size();
  void *data = !t.f64.empty()   ? (void *)t.f64.data()
               : !t.f32.empty() ? (void *)t.f32.data()
                                : (void *)t.i32.data();
  std::vector<int64_t> d(3 + 2 * rank);
  d[0] = d[1] = (int64_t)(intptr_t)data;
  int64_t stride = 1;
  for (int64_t r = rank - 1; r >= 0; --r) {
    d[3 + r] = t.shape[r];
    d[3 + rank + r] = stride;
    stride *= t.shape[r];
  }
  return d;
}

} // namespace

std::vector<golf::HostTensor>
golf::CompiledFunction::run(std::vector<HostTensor> &args) {
  // The C interface returns the results through a pointer to a struct of
  // their descriptors (all 64-bit words), passed first.
  size_t words = 0;
  for (RankedTensorType t : impl->resultTypes)
    words += 3 + 2 * t.getRank();
  std::vector<int64_t> resultStruct(words, 0);
  std::vector<std::vector<int64_t>> descriptors;
  for (HostTensor &t : args)
    descriptors.push_back(descriptor(t));
  std::vector<void *> pointers = {resultStruct.data()};
  for (auto &d : descriptors)
    pointers.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  llvm::Error err =
      impl->engine->invokePacked("_mlir_ciface_" + impl->name, packed);
  if (err) {
    llvm::errs() << "JIT: " << llvm::toString(std::move(err)) << "\n";
    std::abort();
  }
  // Copy each result out of the buffer the compiled code allocated (with
  // malloc), then free it.
  std::vector<HostTensor> results;
  std::set<void *> freed; // Two results may share one buffer.
  size_t at = 0;
  for (RankedTensorType t : impl->resultTypes) {
    int64_t rank = t.getRank();
    void *allocated = (void *)(intptr_t)resultStruct[at];
    char *aligned = (char *)(intptr_t)resultStruct[at + 1];
    int64_t offset = resultStruct[at + 2];
    HostTensor r;
    r.shape.assign(t.getShape().begin(), t.getShape().end());
    int64_t n = t.getNumElements();
    // Results of bufferized functions are contiguous with identity layout.
    if (t.getElementType().isF64())
      r.f64.assign((double *)aligned + offset, (double *)aligned + offset + n);
    else
      r.f32.assign((float *)aligned + offset, (float *)aligned + offset + n);
    if (freed.insert(allocated).second)
      std::free(allocated);
    at += 3 + 2 * rank;
    results.push_back(std::move(r));
  }
  return results;
}
