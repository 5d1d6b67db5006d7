// examples/document_mask.mlir parses, verifies and prints back to the same IR,
// in the custom and in the generic form.
// RUN: attention-opt %examples/document_mask.mlir | attention-opt | FileCheck %s
// RUN: attention-opt %examples/document_mask.mlir -mlir-print-op-generic \
// RUN:   | attention-opt | FileCheck %s

// CHECK-LABEL: func.func @document_mask(
// CHECK-SAME:      %[[IDS:arg[0-9]+]]: tensor<?x?xi32> {attn.name = "doc_ids"})
// CHECK:         %[[S:.*]] = attn.score
// CHECK-NEXT:    %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.document<input = 0>]>(%[[IDS]] : tensor<?x?xi32>)
// CHECK-NEXT:    attn.normalize %[[M]] softmax
