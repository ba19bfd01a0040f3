// RUN: golf-opt %s -split-input-file -golf-dispatch-parallel | FileCheck %s

// A call of a part becomes a call of the runtime's pool: the arguments but
// the bounds go into a structure on the caller's stack, which the new task
// function reads back. golf.noalias becomes LLVM's noalias.
// CHECK-LABEL: llvm.func @kernel
// CHECK: %[[ONE:.*]] = llvm.mlir.constant(1 : i64) : i64
// CHECK: %[[CTX:.*]] = llvm.alloca %[[ONE]] x !llvm.struct<(ptr, f32)> : (i64) -> !llvm.ptr
// CHECK: %[[F0:.*]] = llvm.getelementptr inbounds %[[CTX]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, f32)>
// CHECK: llvm.store %arg0, %[[F0]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[F1:.*]] = llvm.getelementptr inbounds %[[CTX]][0, 1]
// CHECK: llvm.store %arg1, %[[F1]] : f32, !llvm.ptr
// CHECK: %[[TASK:.*]] = llvm.mlir.addressof @part.task : !llvm.ptr
// CHECK: %[[GRAIN:.*]] = llvm.mlir.constant(16 : i64) : i64
// CHECK: llvm.call @golf_rt_parallel_for(%[[TASK]], %[[CTX]], %arg2, %arg3, %[[GRAIN]])
// CHECK-NOT: llvm.call @part(
// CHECK: llvm.func @part(%{{.*}}: !llvm.ptr {llvm.noalias}, %{{.*}}: f32, %{{.*}}: i64, %{{.*}}: i64)
// CHECK-NOT: golf.
// CHECK: llvm.func internal @part.task(%[[C:.*]]: !llvm.ptr, %[[B:.*]]: i64, %[[E:.*]]: i64)
// CHECK: %[[P:.*]] = llvm.getelementptr inbounds %[[C]][0, 0]
// CHECK: %[[A0:.*]] = llvm.load %[[P]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[Q:.*]] = llvm.getelementptr inbounds %[[C]][0, 1]
// CHECK: %[[A1:.*]] = llvm.load %[[Q]] : !llvm.ptr -> f32
// CHECK: llvm.call @part(%[[A0]], %[[A1]], %[[B]], %[[E]])
// CHECK: llvm.func @golf_rt_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64, i64)
llvm.func @kernel(%p: !llvm.ptr, %x: f32, %b: i64, %e: i64) {
  llvm.call @part(%p, %x, %b, %e) : (!llvm.ptr, f32, i64, i64) -> ()
  llvm.return
}
llvm.func @part(%p: !llvm.ptr, %x: f32, %b: i64, %e: i64) attributes {golf.parallel = 16 : i64, golf.noalias = array<i64: 0>} {
  llvm.return
}

// -----

// Any other function's golf.noalias (outputs no other pointer reaches)
// becomes LLVM's noalias too; the function is not a part.
// CHECK-LABEL: llvm.func @step(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr {llvm.noalias}, %{{.*}}: i64)
// CHECK-NOT: golf.
// CHECK-NOT: golf_rt_parallel_for
llvm.func @step(%a: !llvm.ptr, %out: !llvm.ptr, %n: i64) attributes {golf.noalias = array<i64: 1>} {
  llvm.return
}

// -----

// The C interface's wrapper of such a function takes one pointer per
// descriptor: the attribute (copied from its callee) is dropped.
// CHECK-LABEL: llvm.func @_mlir_ciface_step(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: noalias
// CHECK-NOT: golf.
llvm.func @_mlir_ciface_step(%a: !llvm.ptr, %out: !llvm.ptr) attributes {golf.noalias = array<i64: 6>} {
  llvm.return
}
