// RUN: golf-opt %s -split-input-file -golf-outline-parallel | FileCheck %s

// A loop-free body: the outer dimensions become one range of rows, the
// innermost stays a loop. The output was allocated here and reaches the
// part through one argument: its aligned pointer (argument 1 + 7 of the
// lowered call: the input memref takes 3 + 2*2) is marked for noalias.
// (A part gets at least 8K operations: 4 rows of 512 x 4 here.)
// CHECK-LABEL: func.func @rows
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<64x512xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: call @rows.p0(%arg0, %[[OUT]], %[[C0]], %[[C64]])
// CHECK-NOT: scf.parallel
// CHECK: func.func private @rows.p0(%[[X:.*]]: memref<64x512xf32>, %[[Y:.*]]: memref<64x512xf32>, %[[B:.*]]: index, %[[E:.*]]: index)
// CHECK-SAME: attributes {golf.noalias = array<i64: 8>, golf.parallel = 4 : i64}
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.0
// CHECK: scf.for %[[R:.*]] = %[[B]] to %[[E]]
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}}
// CHECK: %[[V:.*]] = memref.load %[[X]][%[[R]], %[[J]]]
// CHECK: %[[W:.*]] = arith.mulf %[[V]], %[[TWO]]
// CHECK: memref.store %[[W]], %[[Y]][%[[R]], %[[J]]]
func.func @rows(%x: memref<64x512xf32>) -> memref<64x512xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c512 = arith.constant 512 : index
  %two = arith.constant 2.0 : f32
  %y = memref.alloc() : memref<64x512xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c512) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<64x512xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %y[%i, %j] : memref<64x512xf32>
    scf.reduce
  }
  return %y : memref<64x512xf32>
}

// -----

// A body with its own loop (a row reduction): every parallel dimension is
// in the range (4 x 256 rows, taken apart row-major), the reduction stays
// inside. The input is a view of a buffer also passed whole: neither gets
// noalias.
// CHECK-LABEL: func.func @reduce
// CHECK: call @reduce.p0(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: func.func private @reduce.p0(
// CHECK-SAME: attributes {golf.parallel = 4 : i64}
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[J:.*]] = arith.remui %[[R]], %[[C256]]
// CHECK: %[[I:.*]] = arith.divui %[[R]], %[[C256]]
// CHECK: scf.for %[[K:.*]] =
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]], %[[K]]]
func.func @reduce(%x: memref<4x256x256xf32>) -> memref<4x256xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c256 = arith.constant 256 : index
  %a = memref.alloc() : memref<4x256xf32>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x256xf32> into memref<1024xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c256) step (%c1, %c1) {
    scf.for %k = %c0 to %c256 step %c1 {
      %v = memref.load %x[%i, %j, %k] : memref<4x256x256xf32>
      %s = memref.load %a[%i, %j] : memref<4x256xf32>
      %f = memref.load %flat[%c0] : memref<1024xf32>
      %u = arith.addf %s, %f : f32
      %t = arith.addf %u, %v : f32
      memref.store %t, %a[%i, %j] : memref<4x256xf32>
    }
    scf.reduce
  }
  return %a : memref<4x256xf32>
}

// -----

// Too little work (64 operations), dynamic bounds, a reduction with a
// result: left alone.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: call
// CHECK-COUNT-3: scf.parallel
// CHECK-NOT: func.func private
func.func @kept(%x: memref<8x8xf32>, %y: memref<?x8xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c8, %c8) step (%c1, %c1) {
    memref.store %zero, %x[%i, %j] : memref<8x8xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    memref.store %zero, %y[%i, %j] : memref<?x8xf32>
    scf.reduce
  }
  %sum = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %v = memref.load %x[%i, %c0] : memref<8x8xf32>
    scf.reduce(%v : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
