// Hedgehog (Zhang et al., ICLR 2024, "The Hedgehog & the Porcupine:
// Expressive Linear Attentions with Softmax Mimicry"): linear attention with
// a learned feature map phi(x) = [softmax(x W), softmax(-x W)] per head
// (W: [Dk, 64], so F = 128), trained to mimic softmax attention; causal,
// with the normaliser. The weights are inputs [H, Dk, 64] for the query
// heads and the key/value heads.
//
// Run it on the fp64 reference:
//   attention-run examples/hedgehog.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @hedgehog(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                    %v: tensor<?x?x?x64xbf16>,
                    %wq: tensor<?x64x64xf32> {attn.name = "query_weights"},
                    %wk: tensor<?x64x64xf32> {attn.name = "key_weights"})
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map hedgehog
      weights(%wq, %wk : tensor<?x64x64xf32>, tensor<?x64x64xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
