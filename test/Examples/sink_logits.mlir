// examples/sink_logits.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/sink_logits.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/sink_logits.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @sink_logits(
// CHECK-SAME:      %[[SINKS:arg[0-9]+]]: tensor<?xf32> {attn.name = "sinks"})
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} layout bshd
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.window<127, 0>]>
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] softmax sinks(%[[SINKS]] : tensor<?xf32>)
// CHECK-NEXT:    attn.aggregate %[[W]]
