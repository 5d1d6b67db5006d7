// NormAttention of TransNormer (Qin et al., EMNLP 2022, "The Devil in Linear
// Transformer"): linear attention without the unstable denominator, with an
// RMS norm of each output row instead (the paper's "simple RMSNorm";
// its 1+elu kernel). Causal, as in the TransNormer LM.
//
// Run it on the fp64 reference:
//   attention-run examples/transnormer_norm_attention.mlir --reference \
//     --random-inputs --seed 1 --batch 1 --q-heads 2 --kv-heads 1 \
//     --q-len 17 --kv-len 17

func.func @transnormer_norm_attention(%q: tensor<?x?x?x64xbf16>,
                                      %k: tensor<?x?x?x64xbf16>,
                                      %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o = attn.aggregate %w, %v norm rms
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
