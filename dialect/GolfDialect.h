//===- GolfDialect.h - the golf dialect --------------------------*- C++
//-*-===//

#ifndef GOLF_DIALECT_GOLFDIALECT_H
#define GOLF_DIALECT_GOLFDIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "dialect/GolfDialect.h.inc"

#endif // GOLF_DIALECT_GOLFDIALECT_H
