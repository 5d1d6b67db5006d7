// attn-lower-to-nvvm: spec -> attn.kernel -> gpu.module -> NVVM -> PTX, in
// process (format=isa needs no CUDA toolkit).
// RUN: attention-opt %s -attn-lower-to-nvvm | FileCheck %s
// RUN: attention-opt %s -attn-lower-to-nvvm="chip=sm_80 features=+ptx70" \
// RUN:   | FileCheck %s --check-prefix=SM80
// RUN: attention-opt %s -attn-lower-to-nvvm=explain=true -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=EXPLAIN

// Every softmax-family example becomes PTX with tensor-core MMAs.
// RUN: attention-opt %examples/a_shape.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/alibi.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/block_sparse.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/dilated.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/document_mask.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/gqa.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/neighborhood_2d.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/per_query_temperature.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/prefix_lm.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/sigmoid.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/sink_logits.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/sliding_window.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/softcap.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/softmax_causal.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/softmax_dense.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/softplus_length_scaled.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// RUN: attention-opt %examples/transnormer_diag_attention.mlir -attn-lower-to-nvvm | FileCheck %s --check-prefix=PTX
// PTX: gpu.binary @attn_kernels
// PTX-SAME: .target sm_90a
// PTX-SAME: {{mma.sync.aligned.m16n8k16.row.col.f32|wgmma.mma_async.sync.aligned.m64n[0-9]+k16.f32}}

// The spec stays as a planned attn.kernel on the host side; the kernel
// becomes a gpu.binary holding PTX.
// CHECK-LABEL: func.func @causal(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = ["static"], plan = {algorithm = "quadratic", block_m = {{[0-9]+}} : i64, block_n = {{[0-9]+}} : i64, stages = {{[0-9]+}} : i64, warps = {{[0-9]+}} : i64}}
// CHECK:       gpu.binary @attn_kernels [#gpu.object<#nvvm.target<chip = "sm_90a", features = "+ptx80">
// CHECK-SAME:    assembly =
// CHECK-SAME:    .version 8.0
// CHECK-SAME:    .target sm_90a
// CHECK-SAME:    .visible .entry attn_fwd(
// CHECK-SAME:    wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// SM80:        gpu.binary @attn_kernels [#gpu.object<#nvvm.target<chip = "sm_80", features = "+ptx70">
// SM80-SAME:     .target sm_80
// SM80-SAME:     mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// The plan first, then the mask statistics over the plan's tiles.
// EXPLAIN: remark: plan: algorithm = quadratic (chunked form not legal: normalize is softmax; the chunked form needs none or sum); block_m = 128, block_n = 128, warps = 8, stages = 2 (default for head dim 128 on sm_90a; S = Q K^T and O += P V by warpgroup matrix ops)
// EXPLAIN: remark: mask classes [static]; Nq = 4096, Nk = 4096, 128x128 tiles: 1024 tile pairs, skip 48.4%, full 48.4%, partial 3.1%
func.func @causal(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                  %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}
