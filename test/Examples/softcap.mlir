// examples/softcap.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/softcap.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/softcap.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @softcap(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 6.250000e-02 : tensor<?x?x?x256xbf16>, tensor<?x?x?x256xbf16>
// CHECK-NEXT:    %[[C:.*]] = attn.modify %[[S]] {
// CHECK-NEXT:    ^bb0(%[[X:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
// CHECK-NEXT:      %[[CAP:.*]] = arith.constant 5.000000e+01 : f32
// CHECK-NEXT:      %[[D:.*]] = arith.divf %[[X]], %[[CAP]] : f32
// CHECK-NEXT:      %[[T:.*]] = math.tanh %[[D]] : f32
// CHECK-NEXT:      %[[Y:.*]] = arith.mulf %[[T]], %[[CAP]] : f32
// CHECK-NEXT:      attn.yield %[[Y]] : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[C]], #attn.causal
// CHECK-NEXT:    attn.normalize %[[M]] softmax
