// examples/sliding_window.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/sliding_window.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/sliding_window.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @sliding_window(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} layout bshd : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.window<4095, 0>]>
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[M]] softmax
// CHECK-NEXT:    attn.aggregate %[[W]], %{{.*}} : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
