// Per-query temperature, as in Selective Attention (Zhang et al., NeurIPS
// 2024, "Selective Attention: Enhancing Transformer through Principled
// Context Control"): each query's scores are multiplied by its own
// temperature tau[b, h, p], computed from the token (and its position)
// outside the spec. The modifier indexes by the aligned query position p, so
// the input is [B, Hq, Nk]: with a KV cache (Nq < Nk) the current queries'
// temperatures are its last Nq entries. Causal softmax.
//
// Run it on the fp64 reference:
//   attention-run examples/per_query_temperature.mlir --reference \
//     --random-inputs --seed 1 --batch 1 --q-heads 2 --kv-heads 1 \
//     --q-len 17 --kv-len 17

func.func @per_query_temperature(
    %q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
    %v: tensor<?x?x?x128xbf16>,
    %temperature: tensor<?x?x?xf32> {attn.name = "temperature"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %t = attn.modify %s(%temperature : tensor<?x?x?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index,
       %temp: tensor<?x?x?xf32>):
    %tau = tensor.extract %temp[%b, %h, %i] : tensor<?x?x?xf32>
    %y = arith.mulf %x, %tau : f32
    attn.yield %y : f32
  }
  %m = attn.mask %t, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
