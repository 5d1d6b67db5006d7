// DiagAttention of TransNormer (Qin et al., EMNLP 2022): the early layers use
// softmax attention restricted to non-overlapping blocks of 64 tokens on the
// diagonal (local attention without any cross-block term), causal inside the
// block for the language model.
//
// Run it on the fp64 reference:
//   attention-run examples/transnormer_diag_attention.mlir --reference \
//     --random-inputs --seed 1 --batch 1 --q-heads 2 --kv-heads 1 \
//     --q-len 17 --kv-len 17

func.func @transnormer_diag_attention(%q: tensor<?x?x?x64xbf16>,
                                      %k: tensor<?x?x?x64xbf16>,
                                      %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.block_diagonal<64>]>
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
