// RUN: attention-opt %s --convert-attn-to-gpu --split-input-file --verify-diagnostics
// RUN: not attention-opt %examples/softmax_dense.mlir --convert-attn-to-gpu=chip=sm_75 2>&1 | FileCheck %s --check-prefix=OLD
// RUN: not attention-opt %examples/softmax_dense.mlir --convert-attn-to-gpu=chip=gfx942 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// OLD: convert-attn-to-gpu: sm_75 is not supported: the tensor-core path needs sm_80 or newer (mma.sync m16n8k16 bf16, cp.async)
// UNKNOWN: convert-attn-to-gpu: unknown chip 'gfx942' (expected sm_80, sm_86, sm_89, sm_90, sm_90a, ...)

func.func @f32_inputs(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>,
                      %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{q/k/v of type 'f32' are not supported on the tensor-core path: it needs bf16 or f16 inputs (mma.sync m16n8k16 with f32 accumulation)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
  return %o : tensor<?x?x?x64xf32>
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

func.func @linear_family(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                         %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s none
  // expected-error @+1 {{normalize none is the linear family, compiled by the chunked linear-time backend (a later issue), not by convert-attn-to-gpu}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @linear_sum(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                      %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s sum
  // expected-error @+1 {{normalize sum is the linear family}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @feature_map(%q: tensor<?x?x?x32xf16>, %k: tensor<?x?x?x32xf16>,
                       %v: tensor<?x?x?x32xf16>) -> tensor<?x?x?x32xf16> {
  %s = attn.score %q, %k scale 10.0 feature_map l2norm : tensor<?x?x?x32xf16>, tensor<?x?x?x32xf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{feature map l2norm is not supported by convert-attn-to-gpu yet (only identity)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x32xf16> -> tensor<?x?x?x32xf16>
  return %o : tensor<?x?x?x32xf16>
}

// -----

func.func @gated_decay(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                       %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  // expected-error @+1 {{gated decay is not supported by convert-attn-to-gpu yet (it needs a prefix sum of the log-gates); use exponential}}
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
  // expected-error @+1 {{the plan needs 337920 bytes of shared memory, more than the 232448 bytes sm_90a allows; lower block_m or block_n}}
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

func.func @states(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                  %v: tensor<?x?x?x64xbf16>) -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{recurrent states are not supported by convert-attn-to-gpu (they belong to the linear family)}}
  %o, %st = attn.aggregate %w, %v
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x64x64xf32>
  return %o, %st : tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>
}
