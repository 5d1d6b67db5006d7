// examples/per_query_temperature.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/per_query_temperature.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/per_query_temperature.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @per_query_temperature(
// CHECK-SAME:      %[[TEMP:arg[0-9]+]]: tensor<?x?x?xf32> {attn.name = "temperature"})
// CHECK:         %[[T:.*]] = attn.modify %{{.*}}(%[[TEMP]] : tensor<?x?x?xf32>) {
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %[[B:.*]]: index, %[[H:.*]]: index, %[[I:.*]]: index, %{{.*}}: index, %[[TT:.*]]: tensor<?x?x?xf32>):
// CHECK-NEXT:      %[[TAU:.*]] = tensor.extract %[[TT]][%[[B]], %[[H]], %[[I]]] : tensor<?x?x?xf32>
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[X]], %[[TAU]] : f32
// CHECK-NEXT:      attn.yield %[[Y]] : f32
// CHECK:         attn.mask %[[T]], #attn.causal
