// Prefix-LM attention (T5's prefix LM, UniLM, PaliGemma): the first 256
// tokens (the prefix: an image, a prompt) attend to each other
// bidirectionally, the rest causally. A key is visible iff it is not in the
// future or it lies in the prefix.
//
// Run it on the fp64 reference:
//   attention-run examples/prefix_lm.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @prefix_lm(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                     %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.or<[#attn.causal, #attn.prefix<256>]>
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
