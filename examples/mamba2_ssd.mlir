// The state-space dual (SSD) layer of Mamba-2 (Dao & Gu, ICML 2024,
// "Transformers are SSMs"), as causal linear attention with a scalar gated
// decay: y_i = sum_{j<=i} (C_i . B_j) exp(A_cum_i - A_cum_j) x_j, where the
// log-gates are A * dt per token and head, q = C, k = B (d_state 128),
// v = x * dt (head dim 64), no scale. It carries the recurrent state in and
// out, so that a long prompt can be processed in pieces (chunked prefill):
// state [B, H, d_state, headdim] f32. B and C are shared by Mamba-2's head
// groups: pass them broadcast to every head (views). The D skip and the gate
// are outside the spec. BSHD, as Mamba keeps [batch, seqlen, nheads, dim].
//
// Run it on the fp64 reference:
//   attention-run examples/mamba2_ssd.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 2 --q-len 17 --kv-len 17

func.func @mamba2_ssd(%c: tensor<?x?x?x128xbf16> {attn.name = "C"},
                      %b: tensor<?x?x?x128xbf16> {attn.name = "B"},
                      %x: tensor<?x?x?x64xbf16> {attn.name = "x_dt"},
                      %log_a: tensor<?x?x?xf32> {attn.name = "a_dt"},
                      %h0: tensor<?x?x128x64xf32> {attn.name = "initial_state"})
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>) {
  %s = attn.score %c, %b scale 1.0 layout bshd
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m gated(%log_a : tensor<?x?x?xf32>)
  %w = attn.normalize %d none
  %y, %hn = attn.aggregate %w, %x initial_state(%h0 : tensor<?x?x128x64xf32>)
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x128x64xf32>
  return %y, %hn : tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>
}
