// examples/retnet.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/retnet.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/retnet.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @retnet(
// CHECK-SAME:      tensor<?x8x?x128xbf16>
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.causal
// CHECK-NEXT:    %[[D:.*]] = attn.decay %[[M]] exponential rates [9.687500e-01, 9.843750e-01, 0.9921875, 0.99609375, 0.998046875, 0.9990234375, 0.99951171875, 0.999755859375]
// CHECK-NEXT:    %[[W:.*]] = attn.normalize %[[D]] none
// CHECK-NEXT:    attn.aggregate %[[W]], %{{.*}} norm layer : tensor<?x8x?x256xbf16> -> tensor<?x8x?x256xbf16>
