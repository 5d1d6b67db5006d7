// examples/gqa.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/gqa.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/gqa.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @gqa(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} layout bshd : tensor<?x?x32x128xbf16>, tensor<?x?x8x128xbf16>
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] softmax
// CHECK-NEXT:    attn.aggregate %[[W]], %{{.*}} : tensor<?x?x8x128xbf16> -> tensor<?x?x32x128xbf16>
