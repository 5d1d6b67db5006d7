// Causal sliding-window attention of Mistral 7B (Jiang et al., 2023): every
// query sees itself and the 4095 keys before it (a 4096-token window). The
// window <4095, 0> is causal already; #attn.causal states it for the reader.
// BSHD layout ([B, N, H, D], as PyTorch/HF keep q, k, v) and GQA with the
// head counts left dynamic (Mistral: 32 query heads, 8 key/value heads).
//
// Run it on the fp64 reference:
//   attention-run examples/sliding_window.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @sliding_window(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                          %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k layout bshd
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.window<4095, 0>]>
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
