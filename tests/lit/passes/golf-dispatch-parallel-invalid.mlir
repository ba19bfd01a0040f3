// RUN: golf-opt %s -split-input-file -golf-dispatch-parallel -verify-diagnostics

// expected-error @+1 {{golf-dispatch-parallel: a parallel part returns nothing and ends with two i64 bounds}}
llvm.func @part(%p: !llvm.ptr, %b: i32, %e: i64) attributes {golf.parallel = 16 : i64} {
  llvm.return
}

// -----

// expected-error @+1 {{golf-dispatch-parallel: golf.parallel must be an integer (the smallest share of the range)}}
llvm.func @part(%p: !llvm.ptr, %b: i64, %e: i64) attributes {golf.parallel} {
  llvm.return
}

// -----

// expected-error @+1 {{golf-dispatch-parallel: golf.noalias names argument 1, which is not a pointer}}
llvm.func @part(%p: !llvm.ptr, %x: f32, %b: i64, %e: i64) attributes {golf.parallel = 1 : i64, golf.noalias = array<i64: 1>} {
  llvm.return
}
