// examples/transnormer_norm_attention.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/transnormer_norm_attention.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/transnormer_norm_attention.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @transnormer_norm_attention(
// CHECK:         attn.score %{{.*}}, %{{.*}} feature_map elu_plus_one
// CHECK:         %[[W:.*]] = attn.normalize %{{.*}} none
// CHECK-NEXT:    attn.aggregate %[[W]], %{{.*}} norm rms : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
