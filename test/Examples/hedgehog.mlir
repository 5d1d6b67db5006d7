// examples/hedgehog.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/hedgehog.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/hedgehog.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @hedgehog(
// CHECK-SAME:      %[[WQ:arg[0-9]+]]: tensor<?x64x64xf32> {attn.name = "query_weights"}, %[[WK:arg[0-9]+]]: tensor<?x64x64xf32> {attn.name = "key_weights"})
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} feature_map hedgehog weights(%[[WQ]], %[[WK]] : tensor<?x64x64xf32>, tensor<?x64x64xf32>) : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:    attn.normalize %[[M]] sum
