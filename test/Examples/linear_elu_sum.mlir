// examples/linear_elu_sum.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/linear_elu_sum.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/linear_elu_sum.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @linear_elu_sum(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} feature_map elu_plus_one layout bshd
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] sum
// CHECK-NEXT:    attn.aggregate %[[W]]
