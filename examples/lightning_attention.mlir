// Lightning Attention (Qin et al., 2024, "Lightning Attention-2";
// TransNormerLLM, MiniMax-01): causal linear attention with a per-head
// exponential decay gamma_h = exp(-slope_h), the slopes ALiBi's geometric
// sequence, given here as an input of rates (one per query head, in (0, 1]),
// and an RMS norm of the output. The SiLU on q and k and the output gate
// are applied outside the spec.
//
// Run it on the fp64 reference:
//   attention-run examples/lightning_attention.mlir --reference \
//     --random-inputs --seed 1 --batch 1 --q-heads 2 --kv-heads 1 \
//     --q-len 17 --kv-len 17

func.func @lightning_attention(%q: tensor<?x?x?x128xbf16>,
                               %k: tensor<?x?x?x128xbf16>,
                               %v: tensor<?x?x?x128xbf16>,
                               %rates: tensor<?xf32> {attn.name = "decay_rates"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m exponential(%rates : tensor<?xf32>)
  %w = attn.normalize %d none
  %o = attn.aggregate %w, %v norm rms
      : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
