// examples/softmax_causal.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/softmax_causal.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/softmax_causal.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @softmax_causal(
// CHECK-SAME:      %[[Q:arg[0-9]+]]: tensor<?x?x?x128xbf16>, %[[K:arg[0-9]+]]: tensor<?x?x?x128xbf16>, %[[V:arg[0-9]+]]: tensor<?x?x?x128xbf16>)
// CHECK:         %[[S:.*]] = attn.score %[[Q]], %[[K]] :
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] softmax
// CHECK-NEXT:    %[[O:.*]], %[[LSE:.*]] = attn.aggregate %[[W]], %[[V]] : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>, lse tensor<?x?x?xf32>
// CHECK-NEXT:    return %[[O]], %[[LSE]]
