// End to end: every softmax-family example through the project's
// attn-lower-to-nvvm pipeline (attn-fuse, masks, plan, convert-attn-to-gpu,
// device lowering) to PTX text (no CUDA toolkit needed).
//
// RUN: attention-opt %examples/a_shape.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/alibi.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/cosine_attention.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/block_sparse.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/dilated.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/document_mask.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/gqa.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/neighborhood_2d.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/per_query_temperature.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/prefix_lm.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/sigmoid.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/sink_logits.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/sliding_window.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/softcap.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/softmax_causal.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/softmax_dense.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/softplus_length_scaled.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
// RUN: attention-opt %examples/transnormer_diag_attention.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s
//
// Document masks: a kernel writes each key tile's id range first; the main
// kernel classifies tiles from them, a tile per lane in its scans.
// RUN: attention-opt %examples/document_mask.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=DOC
// DOC: gpu.binary @attn_kernels
// DOC-SAME: .entry attn_fwd_key_ranges(
// DOC-SAME: redux.sync.min.s32
// DOC-SAME: .entry attn_fwd(
// DOC-SAME: vote.sync.ballot.b32
//
// A feature map (cosine attention's l2norm) is applied in place in shared
// memory with 16-byte accesses.
// RUN: attention-opt %examples/cosine_attention.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=FMAP
// FMAP: gpu.binary @attn_kernels
// FMAP-SAME: ld.shared.v4.b32
// FMAP-SAME: shfl.sync.bfly.b32
// FMAP-SAME: st.shared.v4.b32
// FMAP-SAME: ldmatrix.sync.aligned

// The chunked kernels on sm_90a: every product is a wgmma, and K^T is K's
// tile read transposed (imm-trans-a 1), as are S and V (imm-trans-b 1).
// RUN: attention-opt %examples/simple_gla.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=CHUNK
// CHUNK: gpu.binary @attn_kernels
// CHUNK-SAME: .visible .entry attn_fwd_segment_states(
// CHUNK-SAME: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{[^}]*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 1,  1;
// CHUNK-SAME: .visible .entry attn_fwd(
// CHUNK-SAME: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{[^}]*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  0;
// CHUNK-SAME: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{[^}]*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  1;
// CHUNK-SAME: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{[^}]*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 1,  1;
// CHUNK-SAME: wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{[^}]*}}}, %rd{{[0-9]+}}, %rd{{[0-9]+}}, p, 1,  1, 0,  1;

// RetNet's layer norm over Dv = 256, more than a CTA's 64 value columns: the
// chunked kernels write o unnormalised, then a row norm kernel (a warp per
// row, 16-byte pieces, shuffle reductions) normalises it in place.
// RUN: attention-opt %examples/retnet.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=ROWNORM
// ROWNORM: gpu.binary @attn_kernels
// ROWNORM-SAME: .visible .entry attn_fwd_segment_states(
// ROWNORM-SAME: .visible .entry attn_fwd(
// ROWNORM-SAME: .visible .entry attn_fwd_row_norm(
// ROWNORM-SAME: ld.global.v4.b32
// ROWNORM-SAME: shfl.sync.bfly.b32
// (math.rsqrt: libdevice's __nv_rsqrtf, inlined where libdevice is found)
// ROWNORM-SAME: {{rsqrt.approx.f32|__nv_rsqrtf}}
// ROWNORM-SAME: st.global.v4.b32

// Based, two chains summed: the chunked Taylor-2 kernels, the window
// softmax kernel, then the combine kernel, which adds 16-byte pieces of both
// outputs.
// RUN: attention-opt %examples/based.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=BASED
// BASED: gpu.binary @attn_kernels
// BASED-SAME: .visible .entry attn_fwd_segment_states(
// BASED-SAME: .visible .entry attn_fwd(
// BASED: gpu.binary @attn_kernels_0
// BASED-SAME: .visible .entry attn_fwd(
// BASED-SAME: ex2.approx.ftz.f32
// BASED: gpu.binary @attn_combine
// BASED-SAME: .visible .entry attn_combine(
// BASED-SAME: ld.global.v4.b32
// BASED-SAME: ld.global.v4.b32
// BASED-SAME: add.rn.bf16x2
// BASED-SAME: st.global.v4.b32

// A feature map that widens a row (hedgehog): y = x W by mma.sync, both
// softmaxes by ex2 over quad shuffles, phi stored as element pairs.
// RUN: attention-opt %examples/hedgehog.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=WIDE
// WIDE: gpu.binary @attn_kernels
// WIDE-SAME: .visible .entry attn_fwd(
// WIDE-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// WIDE-SAME: shfl.sync.bfly.b32
// WIDE-SAME: ex2.approx.ftz.f32
// WIDE-SAME: st.shared.b32

// CHECK: gpu.binary @attn_kernels
// CHECK-SAME: .target sm_90a
// CHECK-SAME: .visible .entry attn_fwd(
// CHECK-SAME: cp.async.cg.shared.global
// The tensor-core op (warpgroup ops where the head dims allow) and the
// exponential, in either order in the text.
// CHECK-SAME: {{(mma.sync.aligned.m16n8k16.row.col.f32|wgmma.mma_async.sync.aligned.m64n[0-9]+k16.f32).*ex2.approx.ftz.f32|ex2.approx.ftz.f32.*(mma.sync.aligned.m16n8k16.row.col.f32|wgmma.mma_async.sync.aligned.m64n[0-9]+k16.f32)}}

// f32 inputs (linear attention with elu + 1): the warp-level matrix ops run
// as TF32, each m16n8k16 product two mma.m16n8k8 on operands rounded to
// nearest (cvt.rna.tf32.f32). The state kernel's K^T V reads both operands
// transposed, element by element (ldmatrix transposes 16-bit elements only);
// the output kernel loads Q and K (Q K^T) by 32-bit ldmatrix and reorders
// the weights' accumulators into TF32 A fragments by shuffles.
// RUN: attention-opt %examples/linear_elu.mlir --attn-lower-to-nvvm="chip=sm_90a features=+ptx80 format=isa" | FileCheck %s --check-prefix=TF32
// TF32: gpu.binary @attn_kernels
// TF32-SAME: .visible .entry attn_fwd_segment_states(
// TF32-NOT: ldmatrix
// TF32-SAME: .visible .entry attn_fwd(
// TF32-SAME: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// TF32-SAME: cvt.rna.tf32.f32
// TF32-SAME: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
// TF32-SAME: shfl.sync.idx.b32
