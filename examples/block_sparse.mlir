// Block-sparse attention with a layout computed at run time, as MInference
// (Jiang et al., NeurIPS 2024) builds per head for long prefills: the
// layout [B or 1, Hq or 1, ceil(Nq/64), ceil(Nk/64)] marks which 64x64
// (query block, key block) tiles are computed; inside them the causal mask
// still applies. Query blocks count rows of Q, as a GPU tiles them.
//
// Run it on the fp64 reference:
//   attention-run examples/block_sparse.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @block_sparse(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                        %v: tensor<?x?x?x128xbf16>,
                        %layout: tensor<?x?x?x?xi8> {attn.name = "block_layout"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal,
      #attn.block_sparse<input = 0, q_block = 64, k_block = 64>]>
      (%layout : tensor<?x?x?x?xi8>)
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
