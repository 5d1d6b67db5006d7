// Dense softmax attention (non-causal), as in "Attention Is All You Need"
// (Vaswani et al., 2017) and FlashAttention-2 without a mask: encoders, ViTs,
// cross-attention. Scale defaults to 1/sqrt(Dk).
//
// Run it on the fp64 reference:
//   attention-run examples/softmax_dense.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @softmax_dense(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                         %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
