// examples/dilated.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/dilated.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/dilated.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @dilated(
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.and<[#attn.causal, #attn.dilated<4>]>
// CHECK-NEXT:    attn.normalize %[[M]] softmax
