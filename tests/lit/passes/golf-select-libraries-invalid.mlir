// A library the target does not have is refused: an unknown one, or the
// CUDA target's on the CPU.
// RUN: golf-opt %s -golf-select-libraries=library=mkl -verify-diagnostics
// RUN: not golf-opt %s -golf-select-libraries=library=cublaslt 2>&1 | FileCheck %s --check-prefix=CUBLAS

// CUBLAS: golf-select-libraries: library 'cublaslt' is not one of target cpu's (blas or none)
// expected-error @+1 {{golf-select-libraries: library 'mkl' is not one of target cpu's (blas or none)}}
module {
}
