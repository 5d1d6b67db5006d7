// Simple gated linear attention (fla's `chunk_simple_gla`; the decay of
// Mamba-2 and of "Gated Slot Attention"-style models): causal linear
// attention whose weights decay by exp(G_i - G_j), G the running sum of one
// data-dependent log-gate per token and head, [B, Hq, Nk] (non-positive in
// practice, e.g. logsigmoid of a projection).
//
// Run it on the fp64 reference:
//   attention-run examples/simple_gla.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @simple_gla(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                      %v: tensor<?x?x?x128xbf16>,
                      %g: tensor<?x?x?xf32> {attn.name = "log_gates"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)
  %w = attn.normalize %d none
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
