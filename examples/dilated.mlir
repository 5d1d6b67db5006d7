// Dilated causal attention (one branch of LongNet, Ding et al., 2023; the
// "strided" head of the Sparse Transformer, Child et al., 2019): a query sees
// every 4th key before it, those at distance 0, 4, 8, ... Mixing heads with
// different offsets (or adding a local window) covers all keys.
//
// Run it on the fp64 reference:
//   attention-run examples/dilated.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @dilated(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                   %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.dilated<4>]>
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
