//===- GolfDialect.cpp - the golf dialect ---------------------------------===//

#include "dialect/GolfDialect.h"
#include "dialect/GolfOps.h"

using namespace mlir;
using namespace golf;

#include "dialect/GolfDialect.cpp.inc"

void GolfDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/GolfOps.cpp.inc"
      >();
}
