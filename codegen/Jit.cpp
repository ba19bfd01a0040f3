//===- Jit.cpp - @model compiled by LLVM's ORC JIT ------------------------===//

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

using namespace mlir;

struct golf::CompiledModel::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  std::vector<RankedTensorType> argTypes;
  RankedTensorType resultType;
};

golf::CompiledModel::~CompiledModel() = default;

std::unique_ptr<golf::CompiledModel>
golf::CompiledModel::create(ModuleOp module, std::string &error) {
  auto model = module.lookupSymbol<func::FuncOp>("model");
  if (!model) {
    error = "the module has no @model";
    return nullptr;
  }
  auto impl = std::make_unique<Impl>();
  for (Type t : model.getArgumentTypes())
    impl->argTypes.push_back(cast<RankedTensorType>(t));
  if (model.getNumResults() != 1 ||
      cast<RankedTensorType>(model.getResultTypes()[0]).getRank() != 0) {
    error = "@model must return one scalar";
    return nullptr;
  }
  impl->resultType = cast<RankedTensorType>(model.getResultTypes()[0]);
  model->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));

  // The declarations of the golf dialect have no machine code.
  SmallVector<Operation *> golfOps;
  for (Operation &op : module.getBody()->getOperations())
    if (isa<golf::GolfDialect>(op.getDialect()))
      golfOps.push_back(&op);
  for (Operation *op : golfOps)
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
    add("_mlir_ciface_golf_rt_attention_f32",
        &_mlir_ciface_golf_rt_attention_f32);
    add("_mlir_ciface_golf_rt_attention_f64",
        &_mlir_ciface_golf_rt_attention_f64);
    return symbols;
  });
  impl->engine = std::move(*engine);
  auto compiled = std::unique_ptr<CompiledModel>(new CompiledModel());
  compiled->impl = std::move(impl);
  return compiled;
}

double golf::CompiledModel::run(std::vector<HostTensor> &args) {
  // A memref descriptor is {allocated, aligned, offset, sizes[r],
  // strides[r]}, all 64-bit; the C interface takes pointers to them.
  std::vector<std::vector<int64_t>> descriptors;
  for (size_t i = 0; i < args.size(); ++i) {
    HostTensor &t = args[i];
    int64_t rank = (int64_t)t.shape.size();
    void *data = !t.f64.empty()   ? (void *)t.f64.data()
                 : !t.f32.empty() ? (void *)t.f32.data()
                                  : (void *)t.i32.data();
    std::vector<int64_t> d(3 + 2 * rank);
    d[0] = d[1] = (int64_t)(intptr_t)data;
    d[2] = 0;
    int64_t stride = 1;
    for (int64_t r = rank - 1; r >= 0; --r) {
      d[3 + r] = t.shape[r];
      d[3 + rank + r] = stride;
      stride *= t.shape[r];
    }
    descriptors.push_back(std::move(d));
  }
  std::vector<int64_t> result(3, 0);
  std::vector<void *> pointers;
  pointers.push_back(result.data());
  for (auto &d : descriptors)
    pointers.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  llvm::Error err = impl->engine->invokePacked("_mlir_ciface_model", packed);
  if (err) {
    llvm::errs() << "JIT: " << llvm::toString(std::move(err)) << "\n";
    std::abort();
  }
  void *aligned = (void *)(intptr_t)result[1];
  double value = impl->resultType.getElementType().isF64()
                     ? ((double *)aligned)[result[2]]
                     : (double)((float *)aligned)[result[2]];
  std::free((void *)(intptr_t)result[0]);
  return value;
}
