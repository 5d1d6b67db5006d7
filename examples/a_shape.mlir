// A-shape ("Λ-shape") attention of StreamingLLM (Xiao et al., 2024,
// "Efficient Streaming Language Models with Attention Sinks"; also one of
// MInference's patterns): each query sees the first 4 tokens (attention
// sinks) and a causal window of recent tokens, here 1020 (a 1024-entry KV
// cache).
//
// Run it on the fp64 reference:
//   attention-run examples/a_shape.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @a_shape(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                   %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal,
                                #attn.or<[#attn.sinks<4>, #attn.window<1019, 0>]>]>
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
