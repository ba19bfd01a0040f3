//===- GolfOps.h - ops of the golf dialect -----------------------*- C++
//-*-===//

#ifndef GOLF_DIALECT_GOLFOPS_H
#define GOLF_DIALECT_GOLFOPS_H

#include "dialect/GolfDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/GolfInterfaces.h.inc"

namespace golf::traits {
/// An op computed only by a library of the target (GolfOps.td's
/// Golf_TargetLibrary): the math lowering leaves it to the target's
/// library-call lowering.
template <typename ConcreteType>
class TargetLibrary
    : public mlir::OpTrait::TraitBase<ConcreteType, TargetLibrary> {};
} // namespace golf::traits

#define GET_OP_CLASSES
#include "dialect/GolfOps.h.inc"

#endif // GOLF_DIALECT_GOLFOPS_H
