// examples/gla.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/gla.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/gla.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @gla(
// CHECK-SAME:      %[[GK:arg[0-9]+]]: tensor<?x?x?x64xf32> {attn.name = "log_gates"})
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} gate(%[[GK]] : tensor<?x?x?x64xf32>) : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] none
// CHECK-NEXT:    %[[O:.*]], %[[ST:.*]] = attn.aggregate %[[W]], %{{.*}} : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>, state tensor<?x?x64x128xf32>
// CHECK-NEXT:    return %[[O]], %[[ST]]
