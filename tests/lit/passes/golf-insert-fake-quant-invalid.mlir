// RUN: golf-opt %s -split-input-file -golf-insert-fake-quant -verify-diagnostics

// expected-error @+1 {{golf-insert-fake-quant: the module has no @model}}
module attributes {golf.export = {late_qat_threshold = 0.5 : f64}} {
}

// -----

module attributes {golf.export = {late_qat_threshold = 0.5 : f64}} {
  golf.optimizer "g" adam {lr = 1.0 : f64}
  golf.quant "m" int8 {}
  // expected-error @+1 {{golf-insert-fake-quant: parameter is not an argument of @model (run golf-bind-params first)}}
  golf.param @w : tensor<4x8xf32> init zeros [] group "g" quant "m"
  func.func @model(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
    return %x : tensor<2x8xf32>
  }
}
