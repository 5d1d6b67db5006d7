// Length-scaled softplus attention (after Gao & Spratling, 2025, "Softplus
// Attention with Re-weighting Boosts Length Extrapolation in Large Language
// Models"): softmax's exp is replaced by softplus, raised to a power that
// sharpens the weights, then L1-normalised over the keys; the scores are
// first scaled by log(n) / log(512), n = p + 1 the number of keys a causal
// query at position p sees (at least 2), so that the entropy of the weights
// stays level as the context grows past the 512 tokens of training.
//
// Run it on the fp64 reference:
//   attention-run examples/softplus_length_scaled.mlir --reference \
//     --random-inputs --seed 1 --batch 1 --q-heads 2 --kv-heads 1 \
//     --q-len 17 --kv-len 17

func.func @softplus_length_scaled(%q: tensor<?x?x?x64xbf16>,
                                  %k: tensor<?x?x?x64xbf16>,
                                  %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %l = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %one = arith.constant 1 : index
    %two = arith.constant 2 : index
    %seen = arith.addi %i, %one : index
    %n = arith.maxsi %seen, %two : index
    %n64 = arith.index_cast %n : index to i64
    %nf = arith.sitofp %n64 : i64 to f32
    %logn = math.log %nf : f32
    %log512 = arith.constant 6.2383246250395077 : f32
    %factor = arith.divf %logn, %log512 : f32
    %y = arith.mulf %x, %factor : f32
    attn.yield %y : f32
  }
  %m = attn.mask %l, #attn.causal
  %w = attn.normalize %m softplus_l1 power 2.0
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
