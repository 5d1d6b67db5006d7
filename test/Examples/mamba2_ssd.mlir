// examples/mamba2_ssd.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/mamba2_ssd.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/mamba2_ssd.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @mamba2_ssd(
// CHECK-SAME:      %[[C:arg[0-9]+]]: tensor<?x?x?x128xbf16> {attn.name = "C"}, %[[B:arg[0-9]+]]: tensor<?x?x?x128xbf16> {attn.name = "B"}, %[[X:arg[0-9]+]]: tensor<?x?x?x64xbf16> {attn.name = "x_dt"}, %[[A:arg[0-9]+]]: tensor<?x?x?xf32> {attn.name = "a_dt"}, %[[H0:arg[0-9]+]]: tensor<?x?x128x64xf32> {attn.name = "initial_state"})
// CHECK:         %[[S:.*]] = attn.score %[[C]], %[[B]] scale 1.000000e+00 layout bshd
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    %[[D:.*]] = attn.decay %[[M]] gated(%[[A]] : tensor<?x?x?xf32>)
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[D]] none
// CHECK-NEXT:    %[[Y:.*]], %[[HN:.*]] = attn.aggregate %[[W]], %[[X]] initial_state(%[[H0]] : tensor<?x?x128x64xf32>) : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x128x64xf32>
// CHECK-NEXT:    return %[[Y]], %[[HN]]
