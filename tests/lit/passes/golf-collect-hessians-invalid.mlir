// RUN: golf-opt %s -split-input-file -golf-collect-hessians -verify-diagnostics

// expected-error @+1 {{golf-collect-hessians: the module has no @model}}
module {
}

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "exact" int6 {method = "gptq"}
// expected-error @+1 {{golf-collect-hessians: quantized with gptq but the weight of no linear in @model}}
golf.param @s : tensor<8xf32> init zeros [] group "g" quant "exact"
func.func @model(%s: tensor<8xf32> {golf.param = "s"}, %x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = golf.mul %x, %s : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

golf.optimizer "g" adam {lr = 1.0 : f64}
golf.quant "exact" int6 {method = "gptq"}
// expected-error @+1 {{golf-collect-hessians: parameter is not an argument of @model (run golf-bind-params first)}}
golf.param @w : tensor<8x8xf32> init zeros [] group "g" quant "exact"
func.func @model(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  return %x : tensor<2x8xf32>
}
