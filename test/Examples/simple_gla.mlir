// examples/simple_gla.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/simple_gla.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/simple_gla.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @simple_gla(
// CHECK-SAME:      %[[G:arg[0-9]+]]: tensor<?x?x?xf32> {attn.name = "log_gates"})
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.causal
// CHECK-NEXT:    %[[D:.*]] = attn.decay %[[M]] gated(%[[G]] : tensor<?x?x?xf32>)
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[D]] none
