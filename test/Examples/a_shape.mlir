// examples/a_shape.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/a_shape.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/a_shape.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @a_shape(
// CHECK:         %[[S:.*]] = attn.score
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.or<[#attn.sinks<4>, #attn.window<1019, 0>]>]>
// CHECK-NEXT:    attn.normalize %[[M]] softmax
