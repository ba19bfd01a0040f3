// An unknown library is refused.
// RUN: golf-opt %s -golf-select-libraries=library=mkl -verify-diagnostics

// expected-error @+1 {{golf-select-libraries: unknown library 'mkl' (expected blas or none)}}
module {
}
