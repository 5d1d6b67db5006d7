// RUN: attention-opt %s --convert-attn-to-gpu --split-input-file --verify-diagnostics
// RUN: not attention-opt %examples/softmax_dense.mlir --convert-attn-to-gpu=chip=sm_75 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not attention-opt %examples/softmax_dense.mlir --convert-attn-to-gpu=chip=gfx942 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// OLD: convert-attn-to-gpu: sm_75 is not supported: the tensor-core path needs sm_80 or newer (mma.sync m16n8k16 bf16, cp.async)
// UNKNOWN: convert-attn-to-gpu: unknown chip 'gfx942' (expected sm_80, sm_86, sm_89, sm_90, sm_90a, ...)

func.func @f32_inputs(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>,
                      %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{q/k/v of type f32 are not supported by the quadratic kernel: it takes bf16 or f16 inputs (only the chunked linear-time kernel has an f32 path); convert q, k and v to bf16 or f16}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
}

// -----

// f32 GLA at Dk = 128: even the smallest plan's f32 tiles (with the raw
// gates and the factor table) exceed sm_90a's shared memory.
func.func @f32_channel_gate_too_wide(%q: tensor<?x?x?x128xf32>, %k: tensor<?x?x?x128xf32>,
                                     %v: tensor<?x?x?x128xf32>, %gk: tensor<?x?x?x128xf32>) -> tensor<?x?x?x128xf32> {
  %s = attn.score %q, %k gate(%gk : tensor<?x?x?x128xf32>) : tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{the chunked plan needs 246272 bytes of shared memory, more than the 232448 bytes sm_90a allows; lower block_n or block_m; f32 tiles take twice the bytes of 16-bit ones, so bf16 or f16 q/k/v need half}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xf32> -> tensor<?x?x?x128xf32>
  return %o : tensor<?x?x?x128xf32>
}

// -----

func.func @head_dim_too_large(%q: tensor<?x?x?x512xbf16>, %k: tensor<?x?x?x512xbf16>,
                              %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x512xbf16>, tensor<?x?x?x512xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{query/key head dim 512 exceeds the limit of 256 of the tensor-core path}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @head_dim_not_multiple(%q: tensor<?x?x?x40xbf16>, %k: tensor<?x?x?x40xbf16>,
                                 %v: tensor<?x?x?x40xbf16>) -> tensor<?x?x?x40xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x40xbf16>, tensor<?x?x?x40xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{query/key head dim 40 is not a multiple of 16, the k of the m16n8k16 matrix op}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x40xbf16> -> tensor<?x?x?x40xbf16>
  return %o : tensor<?x?x?x40xbf16>
}

// -----

// Feature maps that change the width of a row: the quadratic kernel does
// not compute them (here the window mask keeps the spec off the chunked
// form).
func.func @taylor2(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>,
                   %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k scale 1.0 feature_map taylor2 : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  %m = attn.mask %s, #attn.window<63, 0>
  %w = attn.normalize %m sum
  // expected-error @+1 {{feature map taylor2 changes the feature width (F = 1 + Dk + Dk^2), which the quadratic kernel does not compute; the chunked kernel does, for a causal or no mask with normalize none or sum}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @hedgehog(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                    %v: tensor<?x?x?x64xbf16>, %wq: tensor<?x64x32xf32>,
                    %wk: tensor<?x64x32xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map hedgehog
      weights(%wq, %wk : tensor<?x64x32xf32>, tensor<?x64x32xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{feature map hedgehog changes the feature width (F = 2F'), which the quadratic kernel does not compute; the chunked kernel does, for a causal or no mask with normalize none or sum}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// The chunked kernel: a per-channel gate acts on phi's features, which
// taylor2 makes wider than q and k.
func.func @taylor2_gate(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>,
                        %v: tensor<?x?x?x64xbf16>,
                        %gk: tensor<?x?x?x273xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map taylor2 gate(%gk : tensor<?x?x?x273xf32>) : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{a per-channel gate with feature map taylor2 is not supported by the chunked kernel: the gate's channels are phi's features, which this map makes wider than q and k; use a map that keeps the width (identity, elu_plus_one, relu, exp, l2norm)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A per-channel gate off the causal triangle: not chunk-legal, and the
// quadratic kernel does not compute it.
func.func @gate_not_causal(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                           %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k gate(%g : tensor<?x?x?x64xf32>) : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s none
  // expected-error @+1 {{the per-channel gate is not supported by the quadratic kernel (the chunked form computes it, with a causal mask and normalize none or sum)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @gated_decay(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                       %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  // expected-error @+1 {{gated decay is not supported by the quadratic kernel yet (it needs a prefix sum of the log-gates); use exponential, or a causal mask with normalize none or sum for the chunked form}}
  %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)
  %w = attn.normalize %d softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @shared_memory(%q: tensor<?x?x?x256xbf16>, %k: tensor<?x?x?x256xbf16>,
                         %v: tensor<?x?x?x256xbf16>) -> tensor<?x?x?x256xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x256xbf16>, tensor<?x?x?x256xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{the plan needs 361472 bytes of shared memory, more than the 232448 bytes sm_90a allows; lower block_m or block_n}}
  %o = attn.aggregate %w, %v {attn.plan = {block_m = 128 : i64, block_n = 128 : i64}}
      : tensor<?x?x?x256xbf16> -> tensor<?x?x?x256xbf16>
  return %o : tensor<?x?x?x256xbf16>
}

// -----

func.func @bad_plan(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                    %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{plan block_m = 96 must be a positive multiple of 16 x warps (4)}}
  %o = attn.aggregate %w, %v {attn.plan = {block_m = 96 : i64}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @bad_block_n(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                       %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{plan block_n = 24 must be a positive multiple of 16}}
  %o = attn.aggregate %w, %v {attn.plan = {block_n = 24 : i64}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @bad_stages(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                      %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{plan stages = 3 is not supported (the kernel double-buffers: stages = 2)}}
  %o = attn.aggregate %w, %v {attn.plan = {stages = 3 : i64}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @uninferable_extent(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                              %v: tensor<?x?x?x64xbf16>, %t: tensor<?x?xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  // expected-error @+1 {{input 0: cannot infer the extent of dynamic dimension 1 for the GPU kernel (index it directly by %b, %h, %i or %j, or give it a static size)}}
  %b = attn.modify %s(%t : tensor<?x?xf32>) {
  ^bb0(%x: f32, %bb: index, %h: index, %i: index, %j: index, %tt: tensor<?x?xf32>):
    %c0 = arith.constant 0 : index
    %y = tensor.extract %tt[%h, %c0] : tensor<?x?xf32>
    %z = arith.addf %x, %y : f32
    attn.yield %z : f32
  }
  %w = attn.normalize %b softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// The algorithm is selected per aggregate: a spec that forces a form that
// cannot compute it is refused with the reason.
func.func @states_forced_quadratic(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                  %v: tensor<?x?x?x64xbf16>) -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{attn.plan asks for the quadratic algorithm, but recurrent states (initial_state, final_state) need the chunked form}}
  %o, %st = attn.aggregate %w, %v {attn.plan = {algorithm = "quadratic"}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x64x64xf32>
  return %o, %st : tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>
}

// -----

func.func @forced_chunked_window(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                 %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.window<63, 0>
  %w = attn.normalize %m none
  // expected-error @+1 {{attn.plan asks for the chunked algorithm, which is not legal for this spec: the mask #attn.window<63, 0> is neither absent nor causal}}
  %o = attn.aggregate %w, %v {attn.plan = {algorithm = "chunked"}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// The per-channel gate is scanned by one thread per key channel.
func.func @gate_too_many_channels(%q: tensor<?x?x?x256xbf16>, %k: tensor<?x?x?x256xbf16>,
                                  %v: tensor<?x?x?x64xbf16>,
                                  %g: tensor<?x?x?x256xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k gate(%g : tensor<?x?x?x256xf32>) : tensor<?x?x?x256xbf16>, tensor<?x?x?x256xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{the per-channel gate is scanned by one thread per key channel: Dk = 256 needs at most 128 channels (the plan's warps x 32)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// The chunked kernel needs a second buffer for the next chunk's copies.
func.func @chunked_one_stage(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                             %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{chunked plan: stages = 1 leaves no buffer for the next chunk's copies; use 2 or more}}
  %o = attn.aggregate %w, %v {attn.plan = {algorithm = "chunked", stages = 1}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A widening map's tiles that do not fit even in the smallest plan (32-token
// chunks over 2 warps; F = 256 fits there): the diagnostic says how much of
// the shared memory the map's own tiles take (block_n does not shrink them).
func.func @hedgehog_too_wide(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                             %v: tensor<?x?x?x64xbf16>, %wq: tensor<?x128x256xf32>,
                             %wk: tensor<?x128x256xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map hedgehog
      weights(%wq, %wk : tensor<?x128x256xf32>, tensor<?x128x256xf32>)
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  // expected-error @+1 {{the chunked plan needs 282624 bytes of shared memory, more than the 232448 bytes sm_90a allows; lower block_n or block_m (the feature map hedgehog alone takes 236544 bytes: phi of F = 512 padded to 512, the staging tiles of q and k, the projections W; fewer features or a smaller Dk need less)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @hedgehog_odd_features(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                 %v: tensor<?x?x?x64xbf16>, %wq: tensor<?x64x24xf32>,
                                 %wk: tensor<?x64x24xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map hedgehog
      weights(%wq, %wk : tensor<?x64x24xf32>, tensor<?x64x24xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  // expected-error @+1 {{the hedgehog weights have F' = 24 features; the chunked kernel projects x W with 16-column matrix-op tiles, so F' must be a multiple of 16}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Taylor-2 of Dk = 32 has 1057 features: even 16 value columns give a state
// of 1088 x 16, more registers than fit.
func.func @taylor2_too_wide(%q: tensor<?x?x?x32xbf16>, %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q scale 1.0 feature_map taylor2 : tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  // expected-error @+1 {{the state tile F (padded) x value tile = 1088 x 16 needs 136 registers per thread; at most 128 fit (even 16 value columns are too many: use a feature map of at most 1024 features)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Multi-chain specs: the combine kernel reads only the chains' outputs.

func.func @combine_reads_argument(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                  %v: tensor<?x?x?x64xbf16>,
                                  %x: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  // expected-error @+2 {{'arith.addf' op cannot be computed by the combine kernel of a multi-chain spec: the spec must return an element-wise arith expression (addf, subf, mulf, divf, negf, maximumf, minimumf, select, ...) over the outputs of its attn.aggregate chains and splat float constants}}
  // expected-note @-5 {{this operand is a function argument; the combine kernel reads only chain outputs: compute argument-dependent terms inside a chain (e.g. as a modifier input), or outside the spec}}
  %r = arith.addf %o, %x : tensor<?x?x?x64xbf16>
  return %r : tensor<?x?x?x64xbf16>
}

// -----

func.func @combine_non_arith(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                             %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  %o1 = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %s2 = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m2 = attn.mask %s2, #attn.causal
  %w2 = attn.normalize %m2 softmax
  %o2 = attn.aggregate %w2, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  // expected-error @+1 {{'math.absf' op cannot be computed by the combine kernel of a multi-chain spec}}
  %a = math.absf %o1 : tensor<?x?x?x64xbf16>
  %r = arith.addf %a, %o2 : tensor<?x?x?x64xbf16>
  return %r : tensor<?x?x?x64xbf16>
}

// -----

func.func @combine_lse(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                       %v: tensor<?x?x?x64xbf16>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  %o1, %lse = attn.aggregate %w, %v
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, lse tensor<?x?x?xf32>
  %s2 = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m2 = attn.mask %s2, #attn.causal
  %w2 = attn.normalize %m2 softmax
  %o2 = attn.aggregate %w2, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %r = arith.addf %o1, %o2 : tensor<?x?x?x64xbf16>
  // expected-error @+1 {{'func.return' op returns 2 values from a spec of 2 attn.aggregate chains; such a spec must return one value, an element-wise arith expression over the chains' outputs (lse and states are returned by single-chain specs only)}}
  return %r, %lse : tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
}

// -----

func.func @combine_unused_chain(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  %o1 = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %s2 = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m2 = attn.mask %s2, #attn.causal
  %w2 = attn.normalize %m2 softmax
  // expected-error @+1 {{'attn.aggregate' op output is not used by the spec's result; the chains of a multi-chain spec must all contribute to the returned element-wise expression (remove the unused chain)}}
  %o2 = attn.aggregate %w2, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o1 : tensor<?x?x?x64xbf16>
}

// -----

// A single chain whose result is an expression of its output also gets a
// combine kernel, under the same rules.
func.func @combine_non_splat(%q: tensor<1x1x1x16xbf16>, %k: tensor<1x1x1x16xbf16>,
                             %v: tensor<1x1x1x16xbf16>) -> tensor<1x1x1x16xbf16> {
  %s = attn.score %q, %k : tensor<1x1x1x16xbf16>, tensor<1x1x1x16xbf16>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<1x1x1x16xbf16> -> tensor<1x1x1x16xbf16>
  // expected-error @+1 {{'arith.constant' op is not a splat float constant; the combine kernel of a multi-chain spec takes only splat float constants (e.g. dense<0.5>)}}
  %c = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]]]> : tensor<1x1x1x16xbf16>
  %r = arith.mulf %o, %c : tensor<1x1x1x16xbf16>
  return %r : tensor<1x1x1x16xbf16>
}
