// Causal linear attention with the elu(x) + 1 feature map and no
// denominator (Katharopoulos et al., 2020, "Transformers are RNNs", without
// its normaliser; fla's `fused_recurrent_linear_attn` with
// normalize=False): o_i = sum_{j<=i} scale * <phi(q_i), phi(k_j)> v_j.
// The compiler may run it in linear time (chunked form). f32.
//
// Run it on the fp64 reference:
//   attention-run examples/linear_elu.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @linear_elu(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>,
                      %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
  %s = attn.score %q, %k feature_map elu_plus_one
      : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
}
