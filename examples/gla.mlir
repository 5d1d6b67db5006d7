// Gated Linear Attention (Yang et al., ICML 2024, "Gated Linear Attention
// Transformers with Hardware-Efficient Training"; fla's `chunk_gla`): the
// decay is per key channel, so it acts inside the inner product:
// s_ij = scale * sum_d q_id k_jd exp(G_id - G_jd), G the running sum of the
// log-gates [B, Hq, Nk, Dk]. Causal, no normaliser. Also returns the final
// recurrent state [B, Hq, Dk, Dv] for the next segment (generation).
//
// Run it on the fp64 reference:
//   attention-run examples/gla.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @gla(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
               %v: tensor<?x?x?x128xbf16>,
               %gk: tensor<?x?x?x64xf32> {attn.name = "log_gates"})
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x64x128xf32>) {
  %s = attn.score %q, %k gate(%gk : tensor<?x?x?x64xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o, %state = attn.aggregate %w, %v
      : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>, state tensor<?x?x64x128xf32>
  return %o, %state : tensor<?x?x?x128xbf16>, tensor<?x?x64x128xf32>
}
