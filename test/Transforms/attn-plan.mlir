// attn-plan chooses the algorithm and tiling of each attn.kernel.
// With `explain`, a remark states the plan and why; spec plans that cannot
// be honoured are diagnosed on the attn.aggregate that gives them.
// RUN: attention-opt %s -split-input-file -attn-fuse -attn-plan=explain=true \
// RUN:   -verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @softmax_128(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 128 : i64, block_n = 64 : i64, stages = 2 : i64, warps = 4 : i64}}
func.func @softmax_128(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                       %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  // expected-remark @+1 {{plan: algorithm = quadratic (normalize is softmax; the chunked form needs none or sum); block_m = 128, block_n = 64, warps = 4, stages = 2 (default for head dim 128 on sm_90a)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
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
  // expected-remark @+1 {{plan: algorithm = quadratic (normalize is sigmoid; the chunked form needs none or sum); block_m = 64, block_n = 32, warps = 4, stages = 2 (default for head dim 256 on sm_90a)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x256xf16> -> tensor<?x?x?x256xf16>
  return %o : tensor<?x?x?x256xf16>
}

// -----

// Linear attention, causal, with a gated decay: the chunked form is legal.
// CHECK-LABEL: func.func @linear_chunked(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "chunked",
func.func @linear_chunked(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)
  %w = attn.normalize %d none
  // expected-remark @+1 {{plan: algorithm = chunked (normalize none/sum, bilinear score, mask none or causal: the chunked linear-time form is legal); block_m = 128, block_n = 64, warps = 4, stages = 2 (default for head dim 64 on sm_90a)}}
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
  // expected-remark @+1 {{plan: algorithm = quadratic (the mask #attn.window<127, 0> is neither absent nor causal); block_m = 128}}
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
  // expected-remark @+1 {{plan: algorithm = quadratic (the score is not bilinear in phi(q), phi(k): attn.modify changes it)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A partial plan in the spec overrides the defaults; the rest is chosen.
// CHECK-LABEL: func.func @user_plan(
// CHECK:         attn.kernel({{.*}}) attributes {plan = {algorithm = "quadratic", block_m = 64 : i64, block_n = 32 : i64, stages = 3 : i64, warps = 4 : i64}}
func.func @user_plan(%q: tensor<?x?x?x128xbf16>, %v: tensor<?x?x?x128xbf16>)
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %w = attn.normalize %s softmax
  // expected-remark @+1 {{plan: algorithm = quadratic (normalize is softmax; the chunked form needs none or sum); block_m = 64, block_n = 32, warps = 4, stages = 3 (from attn.plan, the rest default for head dim 128 on sm_90a)}}
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
