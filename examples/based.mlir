// Based (Arora et al., ICML 2024, "Simple linear attention language models
// balance the recall-throughput tradeoff"): causal linear attention with the
// 2nd-order Taylor feature map of exp on 16-dim projections of q and k
// (phi(q).phi(k) = 1 + t + t^2/2, t = q.k/4; F = 1 + 16 + 256) and its
// normaliser, plus exact softmax attention over a small causal window of 64
// keys, the two outputs summed.
//
// Run it on the fp64 reference:
//   attention-run examples/based.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @based(%q_lin: tensor<?x?x?x16xbf16> {attn.name = "q_linear"},
                 %k_lin: tensor<?x?x?x16xbf16> {attn.name = "k_linear"},
                 %q: tensor<?x?x?x64xbf16> {attn.name = "q_window"},
                 %k: tensor<?x?x?x64xbf16> {attn.name = "k_window"},
                 %v: tensor<?x?x?x64xbf16> {attn.name = "v"})
    -> tensor<?x?x?x64xbf16> {
  // Linear attention with the Taylor feature map.
  %sl = attn.score %q_lin, %k_lin feature_map taylor2
      : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  %ml = attn.mask %sl, #attn.causal
  %wl = attn.normalize %ml sum
  %ol = attn.aggregate %wl, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  // Sliding-window softmax attention.
  %sw = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %mw = attn.mask %sw, #attn.window<63, 0>
  %ww = attn.normalize %mw softmax
  %ow = attn.aggregate %ww, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %o = arith.addf %ol, %ow : tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
