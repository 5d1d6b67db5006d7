// Sigmoid attention, FlashSigmoid (Ramapuram et al., 2024, "Theory, Analysis,
// and Best Practices for Sigmoid Self-Attention"): w_ij = sigmoid(s_ij + b)
// with no normalisation over keys, b = -log(n) for sequence length n; here
// n = 4096, b = -8.3177662. Causal.
//
// Run it on the fp64 reference:
//   attention-run examples/sigmoid.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @sigmoid(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                   %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sigmoid bias -8.3177661667193428
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
