//===- Jit.cpp - functions compiled for this machine: JIT and object files ===//

#include "codegen/cpu/CpuCodegen.h"
#include "dialect/GolfDialect.h"
#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/kernels.h"
#include "runtime/parallel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace {

/// Keeps `function` and the runtime's declarations, drops the golf
/// declarations and attributes, and lowers the module to the LLVM dialect;
/// `signature` is the function's, read before.
bool lowerForMachine(ModuleOp module, const std::string &function,
                     golf::rt::Signature &signature, std::string &error) {
  auto fn = module.lookupSymbol<func::FuncOp>(function);
  if (!fn || fn.isExternal()) {
    error = "the module has no @" + function;
    return false;
  }
  if (!golf::signatureOf(fn, signature, error))
    return false;
  fn->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));
  // Keep the functions `function` calls (its kernels), transitively.
  llvm::SmallPtrSet<Operation *, 32> keep = {fn};
  SmallVector<func::FuncOp> work = {fn};
  while (!work.empty()) {
    func::FuncOp f = work.pop_back_val();
    f.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (callee && keep.insert(callee).second)
        work.push_back(callee);
    });
  }
  SmallVector<Operation *> drop;
  for (Operation &op : module.getBody()->getOperations()) {
    auto other = dyn_cast<func::FuncOp>(op);
    if (isa<golf::GolfDialect>(op.getDialect()) ||
        (other && !other.isExternal() && !keep.contains(other)))
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
    return false;
  }
  std::string diagnostics;
  ScopedDiagnosticHandler handler(module.getContext(), [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d << "\n";
    return success();
  });
  if (failed(toLLVM.run(module))) {
    error = "lowering to LLVM failed:\n" + diagnostics;
    return false;
  }
  return true;
}

} // namespace

struct golf::CompiledFunction::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  std::string name;
  rt::Signature signature;
};

golf::CompiledFunction::~CompiledFunction() = default;

std::unique_ptr<golf::CompiledFunction>
golf::CompiledFunction::create(ModuleOp module, const std::string &function,
                               std::string &error) {
  auto impl = std::make_unique<Impl>();
  impl->name = function;
  if (!lowerForMachine(module, function, impl->signature, error))
    return nullptr;
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  ExecutionEngineOptions options;
  // Optimize for this machine: without a TargetMachine the vectorizers see
  // no vector registers and leave every loop scalar.
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) {
    error = "JIT: " + llvm::toString(builder.takeError());
    return nullptr;
  }
  auto machine = builder->createTargetMachine();
  if (!machine) {
    error = "JIT: " + llvm::toString(machine.takeError());
    return nullptr;
  }
  // `transformer` is a function_ref: the function must outlive create().
  auto optimizeForHost = makeOptimizingTransformer(3, 0, machine->get());
  // GOLF_DUMP_LLVM=FILE writes the optimized LLVM IR, to see what LLVM made
  // of each kernel (vectorized loops, calls left to libm).
  std::function<llvm::Error(llvm::Module *)> optimize =
      [optimizeForHost](llvm::Module *m) -> llvm::Error {
    if (llvm::Error err = optimizeForHost(m))
      return err;
    if (const char *path = std::getenv("GOLF_DUMP_LLVM")) {
      std::error_code ec;
      llvm::raw_fd_ostream out(path, ec);
      if (!ec)
        m->print(out, nullptr);
    }
    return llvm::Error::success();
  };
  options.transformer = optimize;
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
#define GOLF_ENTRY(NAME, PARAMS)                                               \
  add("_mlir_ciface_" #NAME, &_mlir_ciface_##NAME);
#include "runtime/entry_points.def"
    add("golf_rt_parallel_for", &golf_rt_parallel_for);
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

const golf::rt::Signature &golf::CompiledFunction::signature() const {
  return impl->signature;
}

golf::rt::ExecutableImage golf::CompiledFunction::image() const {
  Impl *i = impl.get();
  return {i->name, i->signature, [i](void **packed) {
            llvm::Error err = i->engine->invokePacked(
                "_mlir_ciface_" + i->name,
                llvm::MutableArrayRef(packed, i->signature.args.size() +
                                                  i->signature.results.size()));
            if (err) {
              llvm::errs() << "JIT: " << llvm::toString(std::move(err)) << "\n";
              std::abort();
            }
          }};
}

std::vector<golf::rt::Tensor>
golf::CompiledFunction::run(std::vector<rt::Tensor> &args) {
  if (!executable) {
    std::string error;
    executable = rt::cpuDevice().load(image(), error);
  }
  return rt::runOnHost(*executable, args);
}

bool golf::emitObject(ModuleOp module, const std::string &function,
                      const std::string &entry, const std::string &plan,
                      const std::string &path, std::string &error) {
  rt::Signature signature;
  if (!lowerForMachine(module, function, signature, error))
    return false;
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return false;
  }

  // The host, as the JIT sees it.
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string triple = llvm::sys::getProcessTriple();
  std::string lookupError;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, lookupError);
  if (!target) {
    error = lookupError;
    return false;
  }
  llvm::SubtargetFeatures features;
  for (const auto &f : llvm::sys::getHostCPUFeatures())
    features.AddFeature(f.first(), f.second);
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features.getString(),
      llvm::TargetOptions(), llvm::Reloc::PIC_));
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);

  // entry(void **args): args[i] points to the i-th argument of
  // _mlir_ciface_<function>, as the ExecutionEngine's packed wrappers do.
  llvm::Function *callee = llvmModule->getFunction("_mlir_ciface_" + function);
  if (!callee) {
    error = "no C interface for @" + function;
    return false;
  }
  auto *ptr = llvm::PointerType::getUnqual(context);
  auto *wrapper = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr}, false),
      llvm::Function::ExternalLinkage, entry, *llvmModule);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", wrapper));
  std::vector<llvm::Value *> args;
  for (unsigned i = 0; i < callee->arg_size(); ++i) {
    llvm::Value *slot = b.CreateGEP(ptr, wrapper->getArg(0), b.getInt64(i));
    llvm::Value *argPtr = b.CreateLoad(ptr, slot);
    args.push_back(b.CreateLoad(callee->getArg(i)->getType(), argPtr));
  }
  b.CreateCall(callee, args);
  b.CreateRetVoid();
  // Only the entry is visible: objects of one binary (step, evaluation,
  // calibration) may hold functions of the same names.
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration() && &f != wrapper)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  // The signature travels with the code: <entry>_signature, as JSON.
  llvm::Constant *sigText =
      llvm::ConstantDataArray::getString(context, signature.toJson());
  new llvm::GlobalVariable(*llvmModule, sigText->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, sigText,
                           entry + "_signature");
  if (!plan.empty()) {
    llvm::Constant *text = llvm::ConstantDataArray::getString(context, plan);
    new llvm::GlobalVariable(*llvmModule, text->getType(), /*isConstant=*/true,
                             llvm::GlobalValue::ExternalLinkage, text,
                             "golf_plan");
  }

  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, machine.get())(llvmModule.get())) {
    error = llvm::toString(std::move(err));
    return false;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = path + ": " + ec.message();
    return false;
  }
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, out, nullptr,
                                   llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit an object file";
    return false;
  }
  passes.run(*llvmModule);
  out.flush();
  return true;
}
