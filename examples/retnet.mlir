// Retention of RetNet (Sun et al., 2023, "Retentive Network"), parallel form:
// o = GroupNorm((Q K^T * D) V) with D_ij = gamma_h^(i-j) for j <= i. The 8
// heads (static: the rates are attributes) decay at gamma_h = 1 - 2^(-5-h),
// h = 0..7; the per-head GroupNorm is a layer norm of each output row. Key
// dim 128, value dim 256 (RetNet doubles the value dim). xPos rotation and
// the swish gate are applied outside the spec.
//
// Run it on the fp64 reference:
//   attention-run examples/retnet.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 8 --kv-heads 8 --q-len 17 --kv-len 17

func.func @retnet(%q: tensor<?x8x?x128xbf16>, %k: tensor<?x8x?x128xbf16>,
                  %v: tensor<?x8x?x256xbf16>) -> tensor<?x8x?x256xbf16> {
  %s = attn.score %q, %k : tensor<?x8x?x128xbf16>, tensor<?x8x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m exponential rates [0.96875, 0.984375, 0.9921875,
      0.99609375, 0.998046875, 0.9990234375, 0.99951171875, 0.999755859375]
  %w = attn.normalize %d none
  %o = attn.aggregate %w, %v norm layer
      : tensor<?x8x?x256xbf16> -> tensor<?x8x?x256xbf16>
  return %o : tensor<?x8x?x256xbf16>
}
