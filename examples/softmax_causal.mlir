// Causal softmax attention (decoder LMs; FlashAttention-2 `causal=True`),
// also returning the per-row log-sum-exp that split-KV decoding and ring
// attention combine partial results with. Query row i sits at position
// i + Nk - Nq (bottom-right alignment), so Nq < Nk is a KV-cache step.
//
// Run it on the fp64 reference:
//   attention-run examples/softmax_causal.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @softmax_causal(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                          %v: tensor<?x?x?x128xbf16>)
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o, %lse = attn.aggregate %w, %v
      : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>, lse tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
}
