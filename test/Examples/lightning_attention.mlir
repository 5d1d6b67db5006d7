// examples/lightning_attention.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/lightning_attention.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/lightning_attention.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @lightning_attention(
// CHECK-SAME:      %[[RATES:arg[0-9]+]]: tensor<?xf32> {attn.name = "decay_rates"})
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.causal
// CHECK-NEXT:    %[[D:.*]] = attn.decay %[[M]] exponential(%[[RATES]] : tensor<?xf32>)
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[D]] none
// CHECK-NEXT:    attn.aggregate %[[W]], %{{.*}} norm rms
