// examples/based.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/based.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/based.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @based(
// CHECK-SAME:      %[[QL:arg[0-9]+]]: tensor<?x?x?x16xbf16> {attn.name = "q_linear"}, %[[KL:arg[0-9]+]]: tensor<?x?x?x16xbf16> {attn.name = "k_linear"}, %[[Q:arg[0-9]+]]: tensor<?x?x?x64xbf16> {attn.name = "q_window"}, %[[K:arg[0-9]+]]: tensor<?x?x?x64xbf16> {attn.name = "k_window"}, %[[V:arg[0-9]+]]: tensor<?x?x?x64xbf16> {attn.name = "v"})
// CHECK:         %[[SL:.*]] = attn.score %[[QL]], %[[KL]] feature_map taylor2 : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
// CHECK-NEXT:    %[[ML:.*]] = attn.mask %[[SL]], #attn.causal
// CHECK-NEXT:    %[[WL:.*]] = attn.normalize %[[ML]] sum
// CHECK-NEXT:    %[[OL:.*]] = attn.aggregate %[[WL]], %[[V]]
// CHECK-NEXT:    %[[SW:.*]] = attn.score %[[Q]], %[[K]] :
// CHECK-NEXT:    %[[MW:.*]] = attn.mask %[[SW]], #attn.window<63, 0>
// CHECK-NEXT:    %[[WW:.*]] = attn.normalize %[[MW]] softmax
// CHECK-NEXT:    %[[OW:.*]] = attn.aggregate %[[WW]], %[[V]]
// CHECK-NEXT:    %[[O:.*]] = arith.addf %[[OL]], %[[OW]] : tensor<?x?x?x64xbf16>
// CHECK-NEXT:    return %[[O]]
