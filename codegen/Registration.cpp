//===- Registration.cpp - every dialect and pass golfc uses ---------------===//
//
// The only file that includes mlir/InitAll*.h: they are slow to compile.
//
//===----------------------------------------------------------------------===//

#include "codegen/Codegen.h"
#include "dialect/GolfDialect.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void golf::registerCompilerDialects(mlir::DialectRegistry &registry) {
  registry.insert<golf::GolfDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void golf::registerCompilerPasses() {
  mlir::registerAllPasses();
  golf::registerGolfPasses();
}
