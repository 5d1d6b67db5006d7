// examples/transnormer_diag_attention.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/transnormer_diag_attention.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/transnormer_diag_attention.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @transnormer_diag_attention(
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.and<[#attn.causal, #attn.block_diagonal<64>]>
// CHECK-NEXT:    attn.normalize %[[M]] softmax
