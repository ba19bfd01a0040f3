//===- golf-opt.cpp - golfc's mlir-opt ------------------------------------===//
//
// Parses, verifies and transforms golf IR with any of golfc's passes, one at
// a time, as the lit tests do.
//
//===----------------------------------------------------------------------===//

#include "dialect/GolfDialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<golf::GolfDialect, mlir::func::FuncDialect>();
  mlir::registerTransformsPasses();
  golf::registerGolfPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "golfc optimizer driver\n", registry));
}
