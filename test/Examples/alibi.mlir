// examples/alibi.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/alibi.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/alibi.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @alibi(
// CHECK-SAME:      %[[SLOPES:arg[0-9]+]]: tensor<?xf32> {attn.name = "slopes"})
// CHECK:         %[[S:.*]] = attn.score
// CHECK-NEXT:    %[[B:.*]] = attn.modify %[[S]](%[[SLOPES]] : tensor<?xf32>) {
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %[[I:.*]]: index, %[[J:.*]]: index, %[[SL:.*]]: tensor<?xf32>):
// CHECK-NEXT:      %[[SLOPE:.*]] = tensor.extract %[[SL]][%[[H]]] : tensor<?xf32>
// CHECK-NEXT:      %[[D:.*]] = arith.subi %[[I]], %[[J]] : index
// CHECK:           math.absi
// CHECK:           %[[P:.*]] = arith.mulf %[[SLOPE]], %{{.*}} : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.subf %[[X]], %[[P]] : f32
// CHECK-NEXT:      attn.yield %[[Y]] : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[B]], #attn.causal
// CHECK-NEXT:    attn.normalize %[[M]] softmax
