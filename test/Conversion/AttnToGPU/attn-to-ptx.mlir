// End to end: every softmax-family example through convert-attn-to-gpu and the
// upstream device pipeline to PTX text (no CUDA toolkit needed).
//
// RUN: attention-opt %examples/a_shape.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/alibi.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/block_sparse.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/dilated.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/document_mask.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/gqa.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/neighborhood_2d.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/per_query_temperature.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/prefix_lm.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/sigmoid.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/sink_logits.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/sliding_window.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/softcap.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/softmax_causal.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/softmax_dense.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/softplus_length_scaled.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s
// RUN: attention-opt %examples/transnormer_diag_attention.mlir --convert-attn-to-gpu --gpu-lower-to-nvvm-pipeline="cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa" | FileCheck %s

// CHECK: gpu.binary @attn_kernels
// CHECK-SAME: .target sm_90a
// CHECK-SAME: .visible .entry attn_fwd(
// CHECK-SAME: cp.async.cg.shared.global
// CHECK-SAME: ldmatrix.sync.aligned
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32
