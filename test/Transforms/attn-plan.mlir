// attn-plan chooses the algorithm and tiling of each attn.kernel.
// With `explain`, a remark states the plan and why; spec plans that cannot
// be honoured are diagnosed on the attn.aggregate that gives them.
// RUN: attention-opt %s -split-input-file -attn-fuse -attn-plan=explain=true \
// RUN:   -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @softmax_128(
// sm_90a (the default chip): S = Q K^T and O += P V by warpgroup matrix ops, two
// warpgroups over 128-key tiles.
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 128 : i64, block_n = 128 : i64, stages = 2 : i64, warps = 8 : i64}}
func.func @softmax_128(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                       %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: normalize is softmax; the chunked form needs none or sum); block_m = 128, block_n = 128, warps = 8, stages = 2 (default for head dim 128 on sm_90a; S = Q K^T and O += P V by warpgroup matrix ops)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// matrix_ops = "warp" keeps the warp-level matrix ops and their tiling, and
// the choice is recorded in the plan.
// CHECK-LABEL: func.func @softmax_128_warp_ops(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 128 : i64, block_n = 64 : i64, matrix_ops = "warp", stages = 2 : i64, warps = 4 : i64}}
func.func @softmax_128_warp_ops(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                                %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %w = attn.normalize %s softmax
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: normalize is softmax; the chunked form needs none or sum); block_m = 128, block_n = 64, warps = 4, stages = 2 (from attn.plan, the rest default for head dim 128 on sm_90a)}}
  %o = attn.aggregate %w, %v {attn.plan = {matrix_ops = "warp"}}
      : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// Head dim 256: smaller tiles.
// CHECK-LABEL: func.func @softmax_256(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 64 : i64, block_n = 32 : i64, stages = 2 : i64, warps = 4 : i64}}
func.func @softmax_256(%q: tensor<?x?x?x256xf16>, %v: tensor<?x?x?x256xf16>)
    -> tensor<?x?x?x256xf16> {
  %s = attn.score %q, %q : tensor<?x?x?x256xf16>, tensor<?x?x?x256xf16>
  %w = attn.normalize %s sigmoid
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: normalize is sigmoid; the chunked form needs none or sum); block_m = 64, block_n = 32, warps = 4, stages = 2 (default for head dim 256 on sm_90a; S = Q K^T by warpgroup matrix ops)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x256xf16> -> tensor<?x?x?x256xf16>
  return %o : tensor<?x?x?x256xf16>
}

// -----

// Linear attention, causal, with a gated decay: the chunked form is legal,
// and with a dynamic length it is chosen; its tiles come from the chunked
// kernel builder (block_m is the chunk, block_n the value tile).
// CHECK-LABEL: func.func @linear_chunked(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "chunked", block_m = {{[0-9]+}} : i64, block_n = {{[0-9]+}} : i64,
func.func @linear_chunked(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)
  %w = attn.normalize %d none
  // A feature map keeps the warp-level ops.
  // expected-remark @+1 {{plan: algorithm = chunked (the chunked linear-time form is legal: normalize none/sum, bilinear score, mask absent or causal; the sequence length is dynamic); block_m = 64, block_n = 64, warps = 4, stages = 2 (default chunk and value tile for head dim 64 on sm_90a)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Linear attention with a window: quadratic, and the remark names the
// condition that fails.
// CHECK-LABEL: func.func @linear_window(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic",
func.func @linear_window(%q: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q feature_map relu : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.window<127, 0>
  %w = attn.normalize %m sum
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: the mask #attn.window<127, 0> is neither absent nor causal); block_m = 128}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Linear attention with a modifier: not bilinear.
// CHECK-LABEL: func.func @linear_modified(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic",
func.func @linear_modified(%q: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %a = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %a none
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: the score is not bilinear in phi(q), phi(k): attn.modify changes it)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A decay without a causal mask is symmetric in |p - j| (docs/semantics.md
// §5): the causal recurrence does not compute it.
// CHECK-LABEL: func.func @linear_decay_not_causal(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic",
func.func @linear_decay_not_causal(%q: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>)
    -> tensor<?x4x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>
  %d = attn.decay %s exponential rates [0.5, 0.75, 0.875, 0.9375]
  %w = attn.normalize %d none
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: the exponential decay has no causal mask: off the causal triangle it is symmetric in |p - j|, which the chunked recurrence does not compute); block_m = 128}}
  %o = attn.aggregate %w, %v : tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// -----

// The same for the per-channel gate.
// CHECK-LABEL: func.func @gate_not_causal(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic",
func.func @gate_not_causal(%q: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>,
                           %g: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q gate(%g : tensor<?x?x?x64xf32>) : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s sum
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: the per-channel gate has no causal mask: off the causal triangle it is symmetric in |p - j|, which the chunked recurrence does not compute)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Static lengths that differ: the chunked kernel needs Nq = Nk.
// CHECK-LABEL: func.func @linear_nq_ne_nk(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic",
func.func @linear_nq_ne_nk(%q: tensor<?x?x512x64xbf16>, %k: tensor<?x?x1024x64xbf16>,
                           %v: tensor<?x?x1024x64xbf16>) -> tensor<?x?x512x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one : tensor<?x?x512x64xbf16>, tensor<?x?x1024x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: Nq = 512 and Nk = 1024 differ; the chunked form needs as many queries as keys); block_m = 128}}
  %o = attn.aggregate %w, %v : tensor<?x?x1024x64xbf16> -> tensor<?x?x512x64xbf16>
  return %o : tensor<?x?x512x64xbf16>
}

// -----

// Chunk-legal, but a static length below the measured crossover: quadratic.
// CHECK-LABEL: func.func @linear_short(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 128 : i64, block_n = 64 : i64,
func.func @linear_short(%q: tensor<?x?x128x64xbf16>, %v: tensor<?x?x128x64xbf16>)
    -> tensor<?x?x128x64xbf16> {
  %s = attn.score %q, %q feature_map elu_plus_one : tensor<?x?x128x64xbf16>, tensor<?x?x128x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form legal, but the sequence length 128 is below the crossover of 256 tokens where it wins); block_m = 128, block_n = 64, warps = 4, stages = 2 (default for head dim 64 on sm_90a)}}
  %o = attn.aggregate %w, %v : tensor<?x?x128x64xbf16> -> tensor<?x?x128x64xbf16>
  return %o : tensor<?x?x128x64xbf16>
}

// -----

// At or above the crossover: chunked (BSHD: the length is axis 1).
// CHECK-LABEL: func.func @linear_long(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "chunked",
func.func @linear_long(%q: tensor<?x4096x?x64xbf16>, %v: tensor<?x4096x?x64xbf16>)
    -> tensor<?x4096x?x64xbf16> {
  %s = attn.score %q, %q layout bshd : tensor<?x4096x?x64xbf16>, tensor<?x4096x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-remark @+1 {{plan: algorithm = chunked (the chunked linear-time form is legal: normalize none/sum, bilinear score, mask absent or causal; the sequence length 4096 is at least the crossover of 256 tokens); block_m = 64, block_n = 64, warps = 4, stages = 2 (default chunk and value tile for head dim 64 on sm_90a; its products by warpgroup matrix ops)}}
  %o = attn.aggregate %w, %v : tensor<?x4096x?x64xbf16> -> tensor<?x4096x?x64xbf16>
  return %o : tensor<?x4096x?x64xbf16>
}

// -----

// Recurrent states need the chunked form, whatever the length.
// CHECK-LABEL: func.func @states_short(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "chunked",
func.func @states_short(%q: tensor<?x?x64x64xbf16>, %v: tensor<?x?x64x64xbf16>)
    -> (tensor<?x?x64x64xbf16>, tensor<?x?x64x64xf32>) {
  %s = attn.score %q, %q : tensor<?x?x64x64xbf16>, tensor<?x?x64x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-remark @+1 {{plan: algorithm = chunked (the chunked linear-time form is legal: normalize none/sum, bilinear score, mask absent or causal; recurrent states need it); block_m = }}
  %o, %st = attn.aggregate %w, %v
      : tensor<?x?x64x64xbf16> -> tensor<?x?x64x64xbf16>, state tensor<?x?x64x64xf32>
  return %o, %st : tensor<?x?x64x64xbf16>, tensor<?x?x64x64xf32>
}

// -----

// A partial plan in the spec overrides the defaults; the rest is chosen.
// CHECK-LABEL: func.func @user_plan(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 64 : i64, block_n = 32 : i64, stages = 3 : i64, warps = 4 : i64}}
func.func @user_plan(%q: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>)
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %w = attn.normalize %s softmax
  // expected-remark @+1 {{plan: algorithm = quadratic (chunked form not legal: normalize is softmax; the chunked form needs none or sum); block_m = 64, block_n = 32, warps = 4, stages = 3 (from attn.plan, the rest default for head dim 128 on sm_90a; S = Q K^T by warpgroup matrix ops)}}
  %o = attn.aggregate %w, %v {attn.plan = {block_m = 64 : i64, block_n = 32 : i64, stages = 3 : i64}} : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// The spec may force the quadratic form of a linear spec.
// CHECK-LABEL: func.func @forced_quadratic(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic",
func.func @forced_quadratic(%q: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s none
  // expected-remark @+1 {{plan: algorithm = quadratic (forced by attn.plan); block_m = 128}}
  %o = attn.aggregate %w, %v {attn.plan = {algorithm = "quadratic"}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A kernel that already has a plan keeps it.
// CHECK-LABEL: func.func @planned(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 32 : i64, block_n = 16 : i64, stages = 1 : i64, warps = 2 : i64}}
func.func @planned(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  // expected-remark @+1 {{plan already set: {algorithm = "quadratic", block_m = 32 : i64, block_n = 16 : i64, stages = 1 : i64, warps = 2 : i64}}}
  %o = attn.kernel(%q, %q, %q) attributes {plan = {algorithm = "quadratic", block_m = 32 : i64, block_n = 16 : i64, stages = 1 : i64, warps = 2 : i64}} : (tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  ^bb0(%q0: tensor<?x?x?x64xbf16>, %k0: tensor<?x?x?x64xbf16>, %v0: tensor<?x?x?x64xbf16>):
    %s = attn.score %q0, %k0 : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %v0 : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
    attn.return %a : tensor<?x?x?x64xbf16>
  }
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Diagnostics for plans given in the spec that cannot be honoured (the
// entries themselves are checked by the dialect, see
// test/Dialect/Attn/invalid.mlir).

// block_m alone is valid, but not with the default 4 warps.
func.func @bad_block_m_default_warps(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{with attn.plan applied, plan block_m = 32 must be a multiple of 16 * warps = 64 (16 query rows per warp)}}
  %o = attn.aggregate %w, %q {attn.plan = {block_m = 32 : i64}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Forcing the chunked form where it is not legal names the failed condition.
func.func @forced_chunked_softmax(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{attn.plan asks for the chunked algorithm, which is not legal for this spec: normalize is softmax; the chunked form needs none or sum}}
  %o = attn.aggregate %w, %q {attn.plan = {algorithm = "chunked"}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @forced_chunked_window(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.window<15, 0>]>
  %w = attn.normalize %m sum
  // expected-error @+1 {{attn.plan asks for the chunked algorithm, which is not legal for this spec: the mask #attn.and<[#attn.causal, #attn.window<15, 0>]> is neither absent nor causal}}
  %o = attn.aggregate %w, %q {attn.plan = {algorithm = "chunked"}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Forcing the chunked form where it is legal, below the crossover.
// CHECK-LABEL: func.func @forced_chunked_short(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "chunked",
func.func @forced_chunked_short(%q: tensor<?x?x64x64xbf16>) -> tensor<?x?x64x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x64x64xbf16>, tensor<?x?x64x64xbf16>
  %w = attn.normalize %s sum
  // expected-remark @+1 {{plan: algorithm = chunked (forced by attn.plan); block_m = }}
  %o = attn.aggregate %w, %q {attn.plan = {algorithm = "chunked"}} : tensor<?x?x64x64xbf16> -> tensor<?x?x64x64xbf16>
  return %o : tensor<?x?x64x64xbf16>
}

// -----

func.func @forced_chunked_decay_not_causal(%q: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %d = attn.decay %s gated(%g : tensor<?x?x?xf32>)
  %w = attn.normalize %d none
  // expected-error @+1 {{attn.plan asks for the chunked algorithm, which is not legal for this spec: the gated decay has no causal mask: off the causal triangle it is symmetric in |p - j|, which the chunked recurrence does not compute}}
  %o = attn.aggregate %w, %q {attn.plan = {algorithm = "chunked"}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Recurrent states cannot be computed by the quadratic form.
func.func @forced_quadratic_states(%q: tensor<?x?x?x64xbf16>, %s0: tensor<?x?x64x64xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{attn.plan asks for the quadratic algorithm, but recurrent states (initial_state, final_state) need the chunked form}}
  %o, %st = attn.aggregate %w, %q initial_state(%s0 : tensor<?x?x64x64xf32>) {attn.plan = {algorithm = "quadratic"}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x64x64xf32>
  return %o, %st : tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>
}

// -----

// Taylor-2 widens a row to F = 1 + 16 + 256 = 273 features: the state has F
// rows, so the value tile shrinks to 16 columns (F padded to 320 x 16 / 128
// threads = 40 state registers per thread).
func.func @taylor2(%q: tensor<?x?x?x16xbf16>, %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q scale 1.0 feature_map taylor2 : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  // expected-remark @+1 {{plan: algorithm = chunked (the chunked linear-time form is legal: normalize none/sum, bilinear score, mask absent or causal; the sequence length is dynamic); block_m = 64, block_n = 16, warps = 4, stages = 2 (default chunk and value tile for head dim 64 on sm_90a, the state having F = 273 (taylor2) rows)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// An output norm over more value columns than a CTA's state holds whole
// (Dk 128 x Dv 256 would take 256 registers a thread): the value columns are
// split as without the norm, and a kernel of its own normalises the rows.
// CHECK-LABEL: func.func @retnet_layer_norm(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "chunked", block_m = 64 : i64, block_n = 64 : i64, stages = 2 : i64, warps = 4 : i64}}
func.func @retnet_layer_norm(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                             %v: tensor<?x?x?x256xbf16>) -> tensor<?x?x?x256xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m exponential rates [0.96875]
  %w = attn.normalize %d none
  // expected-remark @+1 {{plan: algorithm = chunked (the chunked linear-time form is legal: normalize none/sum, bilinear score, mask absent or causal; the sequence length is dynamic); block_m = 64, block_n = 64, warps = 4, stages = 2 (default chunk and value tile for head dim 256 on sm_90a; its products by warpgroup matrix ops; the layer norm over the 256 columns of a row of o, which the CTAs of 64 value columns do not hold whole, by a kernel of its own after)}}
  %o = attn.aggregate %w, %v norm layer : tensor<?x?x?x256xbf16> -> tensor<?x?x?x256xbf16>
  return %o : tensor<?x?x?x256xbf16>
}

// -----

// f32 linear attention at Dk 128: the default plan's tiles do not fit in
// sm_90a's shared memory with two buffers of S, so the plan keeps one (its
// writes after a barrier), and the remark says so.
// CHECK-LABEL: func.func @linear_f32_fitted(
func.func @linear_f32_fitted(%q: tensor<?x?x?x128xf32>, %k: tensor<?x?x?x128xf32>,
                             %v: tensor<?x?x?x128xf32>) -> tensor<?x?x?x128xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-remark @+1 {{plan: algorithm = chunked (the chunked linear-time form is legal: normalize none/sum, bilinear score, mask absent or causal; the sequence length is dynamic); block_m = 64, block_n = 64, warps = 4, stages = 2 (the default chunk and value tile for head dim 128 on sm_90a shrunk to fit the tiles in shared memory (one buffer of the state S, written after a barrier); f32 operands as TF32 on the warp-level matrix ops)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xf32> -> tensor<?x?x?x128xf32>
  return %o : tensor<?x?x?x128xf32>
}
