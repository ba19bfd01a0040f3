//===- golf-opt.cpp - golfc's mlir-opt ------------------------------------===//
//
// Parses, verifies and transforms golf IR with any of golfc's passes (and
// the MLIR passes its pipelines use), one at a time, as the lit tests do.
//
//===----------------------------------------------------------------------===//

#include "codegen/Codegen.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  golf::registerCompilerDialects(registry);
  golf::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "golfc optimizer driver\n", registry));
}
