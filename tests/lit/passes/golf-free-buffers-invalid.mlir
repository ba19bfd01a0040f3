// RUN: golf-opt %s -split-input-file -golf-free-buffers -verify-diagnostics

// expected-error @+1 {{golf-free-buffers: functions must be one block (run it before lowering control flow)}}
func.func @blocks(%c: i1) {
  cf.cond_br %c, ^a, ^b
^a:
  return
^b:
  return
}

// -----

func.func @nested(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c4 step %c1 {
    // expected-error @+1 {{golf-free-buffers: a buffer made inside a region is not supported}}
    %a = memref.alloc() : memref<4xf32>
  }
  return
}

// -----

func.func @unknown(%t: tensor<4xf32>) -> memref<4xf32> {
  // expected-error @+1 {{golf-free-buffers: cannot tell who owns the buffer this op returns}}
  %a = bufferization.to_memref %t : memref<4xf32>
  return %a : memref<4xf32>
}
