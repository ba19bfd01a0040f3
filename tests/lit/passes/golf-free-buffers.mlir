// RUN: golf-opt %s -split-input-file -golf-free-buffers | FileCheck %s

// A buffer is freed right after the last op that reads it or a view of it;
// a returned one is not.
// CHECK-LABEL: func.func @step
func.func @step(%x: memref<4xf32>) -> memref<2x2xf32> {
  // CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
  // CHECK-NEXT: memref.copy %{{.*}}, %[[A]]
  // CHECK-NEXT: %[[V:.*]] = memref.expand_shape %[[A]]
  // CHECK-NEXT: %[[B:.*]] = memref.alloc() : memref<2x2xf32>
  // CHECK-NEXT: memref.copy %[[V]], %[[B]]
  // CHECK-NEXT: memref.dealloc %[[A]] : memref<4xf32>
  // CHECK-NEXT: %[[C:.*]] = memref.alloc() : memref<4xf32>
  // CHECK-NEXT: memref.dealloc %[[C]] : memref<4xf32>
  // CHECK-NEXT: return %[[B]]
  %a = memref.alloc() : memref<4xf32>
  memref.copy %x, %a : memref<4xf32> to memref<4xf32>
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  %b = memref.alloc() : memref<2x2xf32>
  memref.copy %v, %b : memref<2x2xf32> to memref<2x2xf32>
  %unused = memref.alloc() : memref<4xf32>
  return %b : memref<2x2xf32>
}

// -----

// A kernel returning a buffer and a view of it: one buffer, no copy; an
// argument returned is copied, so that the caller owns every result. The
// caller frees the shared buffer once, after the last use of either result.
// CHECK-LABEL: func.func private @kernel
// CHECK: %[[A:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[V:.*]] = memref.expand_shape %[[A]]
// CHECK-NEXT: %[[COPY:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %{{.*}}, %[[COPY]]
// CHECK-NEXT: return %[[A]], %[[V]], %[[COPY]]
func.func private @kernel(%x: memref<4xf32>) -> (memref<4xf32>, memref<2x2xf32>, memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 2] : memref<4xf32> into memref<2x2xf32>
  return %a, %v, %x : memref<4xf32>, memref<2x2xf32>, memref<4xf32>
}
// CHECK-LABEL: func.func @caller
// CHECK: %[[R:.*]]:3 = call @kernel
// CHECK-NEXT: memref.dealloc %[[R]]#2
// CHECK-NEXT: memref.copy %[[R]]#0
// CHECK-NEXT: memref.copy %[[R]]#1
// CHECK-NEXT: memref.dealloc %[[R]]#0
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @caller(%x: memref<4xf32>, %y: memref<2x2xf32>) {
  %r:3 = call @kernel(%x) : (memref<4xf32>) -> (memref<4xf32>, memref<2x2xf32>, memref<4xf32>)
  memref.copy %r#0, %x : memref<4xf32> to memref<4xf32>
  memref.copy %r#1, %y : memref<2x2xf32> to memref<2x2xf32>
  return
}

// -----

// Globals and the stack are never freed; a returned global is copied.
// CHECK-LABEL: func.func @constant
// CHECK: %[[G:.*]] = memref.get_global @table
// CHECK-NEXT: %[[S:.*]] = memref.alloca()
// CHECK-NEXT: %[[C:.*]] = memref.alloc() : memref<2xf32>
// CHECK-NEXT: memref.copy %[[G]], %[[C]]
// CHECK-NEXT: return %[[C]]
memref.global "private" constant @table : memref<2xf32> = dense<[1.0, 2.0]>
func.func @constant() -> memref<2xf32> {
  %g = memref.get_global @table : memref<2xf32>
  %s = memref.alloca() : memref<2xf32>
  return %g : memref<2xf32>
}
