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

def Golf_UnaryMathOpInterface : OpInterface<"UnaryMathOpInterface"> {
  let cppNamespace = "::golf";
  let description = [{
    A function of one float, applied elementwise: everything the compiler
    needs of a unary op comes from here. The front end makes each such op a
    built-in function of the DSL, named by its mnemonic, that also applies
    to numbers (`evaluate`); golf-lower-to-linalg computes each element with
    `buildScalar`. Both are defined in dialect/UnaryMath.cpp, one pair per
    op, and tests/unit/UnaryMathTest.cpp checks that they agree for every
    op that has this interface.
  }];
  let methods = [
    StaticInterfaceMethod<[{
        The function of a number, in double precision, as the front end
        folds it (`tanh(0.5)` in a spec).
      }],
      "double", "evaluate", (ins "double":$x)>,
    InterfaceMethod<[{
        Builds, with arith and math ops at the builder's point, the value
        of the function at the float scalar `x`.
      }],
      "::mlir::Value", "buildScalar",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::Value":$x)>
  ];
}

#endif // GOLF_INTERFACES_TD
