// examples/softmax_dense.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/softmax_dense.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/softmax_dense.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @softmax_dense(
// CHECK-SAME:      %[[Q:arg[0-9]+]]: tensor<?x?x?x128xbf16>, %[[K:arg[0-9]+]]: tensor<?x?x?x128xbf16>, %[[V:arg[0-9]+]]: tensor<?x?x?x128xbf16>)
// CHECK:         %[[S:.*]] = attn.score %[[Q]], %[[K]] : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[S]] softmax
// CHECK-NEXT:    %[[O:.*]] = attn.aggregate %[[W]], %[[V]] : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
// CHECK-NEXT:    return %[[O]]
