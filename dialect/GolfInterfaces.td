//===- GolfInterfaces.td - interfaces of the golf ops -----*- tablegen -*-===//

#ifndef GOLF_INTERFACES_TD
#define GOLF_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Golf_DifferentiableOpInterface : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::golf";
  let description = [{
    An op that knows its gradient rule. Given the gradient of the loss with
    respect to each of its results, it builds, with golf ops inserted at the
    builder's point, the gradient with respect to each of its operands.
    golf-autodiff calls it on the ops of a function in reverse order; every
    rule is checked against central finite differences in float64
    (tests/unit/GradientTest.cpp).
  }];
  let methods = [
    InterfaceMethod<[{
        Appends one gradient per operand to `operandGrads`: a value of the
        operand's type, or null for an operand without one (integers,
        masks). `resultGrads` has one entry per result, null where nothing
        depends on that result.
      }],
      "::mlir::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads)>
  ];
}

#endif // GOLF_INTERFACES_TD
