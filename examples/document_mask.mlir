// Document masking for packed sequences (FlexAttention's document_mask,
// FlashAttention's varlen): several documents share one row of the batch,
// and a query only sees earlier keys of its own document. `doc_ids` holds
// one integer document id per position, [B, Nk].
//
// Run it on the fp64 reference:
//   attention-run examples/document_mask.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @document_mask(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                         %v: tensor<?x?x?x128xbf16>,
                         %doc_ids: tensor<?x?xi32> {attn.name = "doc_ids"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>
      (%doc_ids : tensor<?x?xi32>)
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
