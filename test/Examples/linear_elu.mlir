// examples/linear_elu.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/linear_elu.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/linear_elu.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @linear_elu(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} feature_map elu_plus_one : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] none
// CHECK-NEXT:    attn.aggregate %[[W]], %{{.*}} : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
