// examples/neighborhood_2d.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/neighborhood_2d.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/neighborhood_2d.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @neighborhood_2d(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} : tensor<?x?x1024x64xf16>, tensor<?x?x1024x64xf16>
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.neighborhood_2d<kernel_h = 7, kernel_w = 7, height = 32, width = 32>
// CHECK-NEXT:    attn.normalize %[[M]] softmax
// CHECK-NEXT:    attn.aggregate {{.*}} : tensor<?x?x1024x64xf16> -> tensor<?x?x1024x64xf16>
