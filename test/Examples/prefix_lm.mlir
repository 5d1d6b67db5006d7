// examples/prefix_lm.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/prefix_lm.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/prefix_lm.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @prefix_lm(
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.or<[#attn.causal, #attn.prefix<256>]>
// CHECK-NEXT:    attn.normalize %[[M]] softmax
