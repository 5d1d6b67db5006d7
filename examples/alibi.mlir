// ALiBi (Press et al., 2022, "Train Short, Test Long"; BLOOM, MPT): a
// per-head linear distance penalty s'_ij = s_ij - slope[h] * |p - j| on
// causal softmax attention. The slopes (a geometric sequence 2^(-8h/H) in
// the paper) are an input, one per query head.
//
// Run it on the fp64 reference:
//   attention-run examples/alibi.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @alibi(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                 %v: tensor<?x?x?x128xbf16>,
                 %slopes: tensor<?xf32> {attn.name = "slopes"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %b = attn.modify %s(%slopes : tensor<?xf32>) {
  ^bb0(%x: f32, %batch: index, %h: index, %i: index, %j: index,
       %sl: tensor<?xf32>):
    %slope = tensor.extract %sl[%h] : tensor<?xf32>
    %diff = arith.subi %i, %j : index
    %diff64 = arith.index_cast %diff : index to i64
    %dist64 = math.absi %diff64 : i64
    %dist = arith.sitofp %dist64 : i64 to f32
    %penalty = arith.mulf %slope, %dist : f32
    %y = arith.subf %x, %penalty : f32
    attn.yield %y : f32
  }
  %m = attn.mask %b, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
