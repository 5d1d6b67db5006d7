// Scaled cosine attention of Swin Transformer V2 (Liu et al., CVPR 2022):
// s_ij = cos(q_i, k_j) / tau with q and k L2-normalised row-wise and a
// temperature tau = 0.1 (scale 10); softmax, non-causal. f16.
//
// Run it on the fp64 reference:
//   attention-run examples/cosine_attention.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @cosine_attention(%q: tensor<?x?x?x32xf16>, %k: tensor<?x?x?x32xf16>,
                            %v: tensor<?x?x?x32xf16>) -> tensor<?x?x?x32xf16> {
  %s = attn.score %q, %k scale 10.0 feature_map l2norm
      : tensor<?x?x?x32xf16>, tensor<?x?x?x32xf16>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x32xf16> -> tensor<?x?x?x32xf16>
  return %o : tensor<?x?x?x32xf16>
}
