// Grouped-query attention (Ainslie et al., 2023) with the head counts of
// Llama 3 8B: 32 query heads share 8 key/value heads (query head h reads
// key/value head h / 4), head dim 128, causal, BSHD as PyTorch keeps
// [batch, seqlen, heads, dim]. The static head counts are part of the spec.
//
// Run it on the fp64 reference:
//   attention-run examples/gqa.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 32 --kv-heads 8 --q-len 17 --kv-len 17

func.func @gqa(%q: tensor<?x?x32x128xbf16>, %k: tensor<?x?x8x128xbf16>,
               %v: tensor<?x?x8x128xbf16>) -> tensor<?x?x32x128xbf16> {
  %s = attn.score %q, %k layout bshd
      : tensor<?x?x32x128xbf16>, tensor<?x?x8x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x8x128xbf16> -> tensor<?x?x32x128xbf16>
  return %o : tensor<?x?x32x128xbf16>
}
