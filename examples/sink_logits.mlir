// Attention with learned sink logits, as in OpenAI's gpt-oss (2025): each
// query head has a logit that joins the softmax denominator but has no value,
// so a head can attend to "nothing". gpt-oss uses it with a 128-token causal
// sliding window on every other layer, 64 query heads over 8 key/value heads
// of dim 64 (heads dynamic here).
//
// Run it on the fp64 reference:
//   attention-run examples/sink_logits.mlir --reference --random-inputs \
//     --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17

func.func @sink_logits(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                       %v: tensor<?x?x?x64xbf16>,
                       %sinks: tensor<?xf32> {attn.name = "sinks"})
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k layout bshd
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.window<127, 0>]>
  %w = attn.normalize %m softmax sinks(%sinks : tensor<?xf32>)
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}
