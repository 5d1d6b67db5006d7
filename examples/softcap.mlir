// Logit soft-capping of Gemma 2 (Gemma Team, 2024): s' = 50 * tanh(s / 50)
// on causal softmax attention, head dim 256 and the query scale
// query_pre_attn_scalar^-1/2 = 256^-1/2 = 0.0625 (Gemma 2 9B). Grok-1 caps
// at 30 instead: change both constants.
//
// Run it on the fp64 reference:
//   attention-run examples/softcap.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @softcap(%q: tensor<?x?x?x256xbf16>, %k: tensor<?x?x?x256xbf16>,
                   %v: tensor<?x?x?x256xbf16>) -> tensor<?x?x?x256xbf16> {
  %s = attn.score %q, %k scale 0.0625
      : tensor<?x?x?x256xbf16>, tensor<?x?x?x256xbf16>
  %c = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %cap = arith.constant 50.0 : f32
    %d = arith.divf %x, %cap : f32
    %t = math.tanh %d : f32
    %y = arith.mulf %t, %cap : f32
    attn.yield %y : f32
  }
  %m = attn.mask %c, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x256xbf16> -> tensor<?x?x?x256xbf16>
  return %o : tensor<?x?x?x256xbf16>
}
