// RUN: golf-opt %s -split-input-file -golf-results-to-outputs -verify-diagnostics

// expected-error @+1 {{golf-results-to-outputs: functions must be one block (run it before lowering control flow)}}
func.func @blocks(%c: i1, %x: memref<4xf32>) -> memref<4xf32> {
  cf.cond_br %c, ^a, ^b
^a:
  return %x : memref<4xf32>
^b:
  return %x : memref<4xf32>
}

// -----

// expected-error @+1 {{golf-results-to-outputs: every result must be a ranked memref}}
func.func @mixed(%x: memref<4xf32>) -> (memref<4xf32>, i32) {
  %c = arith.constant 1 : i32
  return %x, %c : memref<4xf32>, i32
}

// -----

func.func private @dynamic(%x: memref<?xf32>) -> memref<?xf32> {
  return %x : memref<?xf32>
}
func.func @caller(%x: memref<?xf32>) {
  // expected-error @+1 {{golf-results-to-outputs: a result of dynamic shape cannot be allocated by the caller}}
  %r = call @dynamic(%x) : (memref<?xf32>) -> memref<?xf32>
  return
}
