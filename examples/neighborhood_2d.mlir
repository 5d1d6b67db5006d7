// 2-D neighbourhood attention (NATTEN; Hassani et al., CVPR 2023,
// "Neighborhood Attention Transformer"): the 1024 tokens of a 32x32 feature
// map each attend to the 7x7 window around them, the window shifted inward at
// the borders so that every query sees exactly 49 keys. The grid fixes the
// sequence length: Nq = Nk = 1024, static. Non-causal, f16.
//
// Run it on the fp64 reference:
//   attention-run examples/neighborhood_2d.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --len 1024

func.func @neighborhood_2d(%q: tensor<?x?x1024x64xf16>, %k: tensor<?x?x1024x64xf16>,
                           %v: tensor<?x?x1024x64xf16>) -> tensor<?x?x1024x64xf16> {
  %s = attn.score %q, %k : tensor<?x?x1024x64xf16>, tensor<?x?x1024x64xf16>
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 7, kernel_w = 7,
                                           height = 32, width = 32>
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x1024x64xf16> -> tensor<?x?x1024x64xf16>
  return %o : tensor<?x?x1024x64xf16>
}
