// examples/block_sparse.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/block_sparse.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/block_sparse.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @block_sparse(
// CHECK-SAME:      %[[LAYOUT:arg[0-9]+]]: tensor<?x?x?x?xi8> {attn.name = "block_layout"})
// CHECK:         %[[M:.*]] = attn.mask %{{.*}}, #attn.and<[#attn.causal, #attn.block_sparse<input = 0, q_block = 64, k_block = 64>]>(%[[LAYOUT]] : tensor<?x?x?x?xi8>)
// CHECK-NEXT:    attn.normalize %[[M]] softmax
