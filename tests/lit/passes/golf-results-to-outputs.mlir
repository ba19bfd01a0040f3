// RUN: golf-opt %s -split-input-file -golf-results-to-outputs | FileCheck %s

// The buffer a result is computed in becomes a view of its output: nothing
// is copied.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<2x2xf32> {golf.output})
// The output's aligned pointer, once lowered (x takes 5 words): no other
// pointer reaches it.
// CHECK-SAME: attributes {golf.noalias = array<i64: 6>}
// CHECK-NOT: memref.alloc
// CHECK: %[[A:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [4], strides: [1] : memref<2x2xf32> to memref<4xf32>
// CHECK-NEXT: memref.copy %[[X]], %[[A]]
// CHECK-NOT: memref.copy
// CHECK: return{{$}}
func.func @step(%x: memref<4xf32>) -> memref<2x2xf32> {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  return %v : memref<2x2xf32>
}

// -----

// A private kernel returning a buffer, a view of it and an argument: one
// output for the buffer and its view, a copy of the argument into the
// second output. The caller allocates both and views the first for the
// second result; the public caller writes the kernel's first result into
// its own output directly, and copies the view it also returns.
// CHECK-LABEL: func.func private @kernel
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[O0:.*]]: memref<4xf32> {golf.output}, %[[O1:.*]]: memref<4xf32> {golf.output})
// CHECK-NEXT: memref.copy %[[X]], %[[O0]]
// CHECK-NEXT: memref.expand_shape %[[O0]]
// CHECK-NEXT: memref.copy %[[X]], %[[O1]]
// CHECK-NEXT: return{{$}}
func.func private @kernel(%x: memref<4xf32>) -> (memref<4xf32>, memref<2x2xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  return %a, %v, %x : memref<4xf32>, memref<2x2xf32>, memref<4xf32>
}
// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[R0:.*]]: memref<4xf32> {golf.output}, %[[R1:.*]]: memref<2x2xf32> {golf.output})
// CHECK-NEXT: %[[B:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4xf32>
// CHECK-NEXT: call @kernel(%[[X]], %[[R0]], %[[B]]) : (memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
// CHECK-NEXT: %[[V:.*]] = memref.reinterpret_cast %[[R0]] to offset: [0], sizes: [2, 2], strides: [2, 1]
// CHECK-NEXT: memref.copy %[[V]], %[[R1]]
// CHECK-NEXT: return{{$}}
func.func @caller(%x: memref<4xf32>) -> (memref<4xf32>, memref<2x2xf32>) {
  %r:3 = call @kernel(%x) : (memref<4xf32>) -> (memref<4xf32>, memref<2x2xf32>, memref<4xf32>)
  return %r#0, %r#1 : memref<4xf32>, memref<2x2xf32>
}

// -----

// A public function returning a buffer after a view of it, or a buffer
// twice: the first result claims it, the later ones are copies of the
// output it became.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[O0:.*]]: memref<2x2xf32> {golf.output}, %[[O1:.*]]: memref<4xf32> {golf.output}, %[[O2:.*]]: memref<4xf32> {golf.output})
// CHECK-NEXT: %[[A:.*]] = memref.reinterpret_cast %[[O0]] to offset: [0], sizes: [4], strides: [1] : memref<2x2xf32> to memref<4xf32>
// CHECK-NEXT: memref.copy %[[X]], %[[A]]
// CHECK-NEXT: memref.expand_shape %[[A]]
// CHECK-NEXT: memref.copy %[[A]], %[[O1]]
// CHECK-NEXT: memref.copy %[[A]], %[[O2]]
// CHECK-NEXT: return{{$}}
func.func @twice(%x: memref<4xf32>) -> (memref<2x2xf32>, memref<4xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  return %v, %a, %a : memref<2x2xf32>, memref<4xf32>, memref<4xf32>
}

// -----

// A returned global or a part of a buffer is copied; functions without
// memref results and declarations are left alone.
// CHECK-LABEL: func.func @constant
// CHECK-SAME: %[[O0:.*]]: memref<2xf32> {golf.output}, %[[O1:.*]]: memref<2xf32> {golf.output}
// CHECK: %[[G:.*]] = memref.get_global @table
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[S:.*]] = memref.subview %[[A]]
// CHECK: memref.copy %[[G]], %[[O0]]
// CHECK-NEXT: memref.copy %[[S]], %[[O1]]
// CHECK-NEXT: return{{$}}
memref.global "private" constant @table : memref<2xf32> = dense<[1.0, 2.0]>
func.func @constant() -> (memref<2xf32>, memref<2xf32, strided<[1], offset: 2>>) {
  %g = memref.get_global @table : memref<2xf32>
  %a = memref.alloc() : memref<4xf32>
  %s = memref.subview %a[2] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 2>>
  return %g, %s : memref<2xf32>, memref<2xf32, strided<[1], offset: 2>>
}
// CHECK-LABEL: func.func @none(%{{.*}}: memref<4xf32>) -> i32
func.func @none(%x: memref<4xf32>) -> i32 {
  %c = arith.constant 1 : i32
  return %c : i32
}
// CHECK: func.func private @external(memref<4xf32>) -> memref<4xf32>
func.func private @external(memref<4xf32>) -> memref<4xf32>
