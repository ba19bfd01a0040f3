// RUN: golf-opt %s -split-input-file -golf-insert-fake-quant | FileCheck %s

// Late QAT on: the int6 matrix is read through fake_quant (range 31, its
// class's floor); @model takes the switch and its [rows, 1] clips after its
// own arguments. The fp32 vector and the int6 vector are left alone.
module attributes {golf.export = {late_qat_threshold = 1.500000e-01 : f64}} {
  golf.optimizer "g" adam {lr = 1.0 : f64}
  golf.quant "m" int6 {scale_floor = 0.25 : f64}
  golf.quant "c" fp32 {}
  golf.param @w : tensor<4x8xf32> init zeros [] group "g" quant "m"
  golf.param @v : tensor<8xf32> init zeros [] group "g" quant "m"
  golf.param @s : tensor<8xf32> init zeros [] group "g" quant "c"
  // CHECK-LABEL: func.func @model
  // CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x8xf32>, %[[ON:[a-z0-9]+]]: tensor<f32> {golf.input = "qat_enable"}, %[[CLIP:[a-z0-9]+]]: tensor<4x1xf32> {golf.qat_clip = "w"})
  // CHECK-NEXT: %[[WQ:.*]] = golf.fake_quant %arg0, %[[CLIP]], %[[ON]] {floor = 2.500000e-01 : f64, range = 31 : i64} : tensor<4x8xf32>, tensor<4x1xf32>, tensor<f32> -> tensor<4x8xf32>
  // CHECK: golf.linear %{{.*}}, %[[WQ]]
  // CHECK-NOT: fake_quant
  func.func @model(%w: tensor<4x8xf32> {golf.param = "w"}, %v: tensor<8xf32> {golf.param = "v"},
                   %s: tensor<8xf32> {golf.param = "s"}, %x: tensor<2x8xf32>) -> tensor<2x4xf32> {
    %a = golf.mul %x, %v : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
    %b = golf.mul %a, %s : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
    %y = golf.linear %b, %w : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}

// -----

// With the threshold at 0 (the default) nothing changes.
module attributes {golf.export = {late_qat_threshold = 0.0 : f64}} {
  golf.optimizer "g" adam {lr = 1.0 : f64}
  golf.quant "m" int6 {}
  golf.param @w : tensor<4x8xf32> init zeros [] group "g" quant "m"
  // CHECK-LABEL: func.func @model
  // CHECK-SAME: (%{{.*}}: tensor<4x8xf32> {golf.param = "w"}, %{{.*}}: tensor<2x8xf32>) -> tensor<2x4xf32>
  // CHECK-NOT: fake_quant
  func.func @model(%w: tensor<4x8xf32> {golf.param = "w"}, %x: tensor<2x8xf32>) -> tensor<2x4xf32> {
    %y = golf.linear %x, %w : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
    return %y : tensor<2x4xf32>
  }
}
