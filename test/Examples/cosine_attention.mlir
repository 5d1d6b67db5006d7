// examples/cosine_attention.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/cosine_attention.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/cosine_attention.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @cosine_attention(
// CHECK:         %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 1.000000e+01 feature_map l2norm : tensor<?x?x?x32xf16>, tensor<?x?x?x32xf16>
// CHECK-NEXT:    attn.normalize %[[S]] softmax
