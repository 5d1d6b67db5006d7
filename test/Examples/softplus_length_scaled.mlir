// examples/softplus_length_scaled.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/softplus_length_scaled.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/softplus_length_scaled.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @softplus_length_scaled(
// CHECK:         %[[L:.*]] = attn.modify %{{.*}} {
// CHECK:           arith.maxsi
// CHECK:           math.log
// CHECK:           attn.yield %{{.*}} : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[L]], #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] softplus_l1 power 2.000000e+00
// CHECK-NEXT:    attn.aggregate %[[W]]
