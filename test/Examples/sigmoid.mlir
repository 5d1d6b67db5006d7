// examples/sigmoid.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/sigmoid.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/sigmoid.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @sigmoid(
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] sigmoid bias -8.317766{{[0-9]*}}
// CHECK-NEXT:    attn.aggregate %[[W]]
