// Every example runs on the fp64 reference with random inputs and yields
// finite results of the right shapes: B = 1, Hq = 2, Hkv = 1 and 17 queries
// and keys unless the spec fixes them (odd lengths, GQA, both layouts).
// REQUIRES: attention-run

// RUN: attention-run %examples/softmax_dense.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SOFTMAX-DENSE
// SOFTMAX-DENSE: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SOFTMAX-DENSE-NOT: {{.}}

// RUN: attention-run %examples/softmax_causal.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SOFTMAX-CAUSAL
// SOFTMAX-CAUSAL: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SOFTMAX-CAUSAL-NEXT: lse: [1, 2, 17] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SOFTMAX-CAUSAL-NOT: {{.}}

// RUN: attention-run %examples/sliding_window.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SLIDING-WINDOW
// SLIDING-WINDOW: o: [1, 17, 2, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SLIDING-WINDOW-NOT: {{.}}

// RUN: attention-run %examples/alibi.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=ALIBI
// ALIBI: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// ALIBI-NOT: {{.}}

// RUN: attention-run %examples/softcap.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SOFTCAP
// SOFTCAP: o: [1, 2, 17, 256] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SOFTCAP-NOT: {{.}}

// RUN: attention-run %examples/sink_logits.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SINK-LOGITS
// SINK-LOGITS: o: [1, 17, 2, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SINK-LOGITS-NOT: {{.}}

// RUN: attention-run %examples/a_shape.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=A-SHAPE
// A-SHAPE: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// A-SHAPE-NOT: {{.}}

// RUN: attention-run %examples/sigmoid.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SIGMOID
// SIGMOID: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SIGMOID-NOT: {{.}}

// RUN: attention-run %examples/softplus_length_scaled.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SOFTPLUS-LENGTH-SCALED
// SOFTPLUS-LENGTH-SCALED: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SOFTPLUS-LENGTH-SCALED-NOT: {{.}}

// RUN: attention-run %examples/per_query_temperature.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=PER-QUERY-TEMPERATURE
// PER-QUERY-TEMPERATURE: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// PER-QUERY-TEMPERATURE-NOT: {{.}}

// RUN: attention-run %examples/document_mask.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=DOCUMENT-MASK
// DOCUMENT-MASK: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// DOCUMENT-MASK-NOT: {{.}}

// RUN: attention-run %examples/prefix_lm.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=PREFIX-LM
// PREFIX-LM: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// PREFIX-LM-NOT: {{.}}

// RUN: attention-run %examples/dilated.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=DILATED
// DILATED: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// DILATED-NOT: {{.}}

// RUN: attention-run %examples/block_sparse.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=BLOCK-SPARSE
// BLOCK-SPARSE: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// BLOCK-SPARSE-NOT: {{.}}

// RUN: attention-run %examples/neighborhood_2d.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --len 1024 \
// RUN:   | FileCheck %s --check-prefix=NEIGHBORHOOD-2D
// NEIGHBORHOOD-2D: o: [1, 2, 1024, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// NEIGHBORHOOD-2D-NOT: {{.}}

// RUN: attention-run %examples/linear_elu.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=LINEAR-ELU
// LINEAR-ELU: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// LINEAR-ELU-NOT: {{.}}

// RUN: attention-run %examples/linear_elu_sum.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=LINEAR-ELU-SUM
// LINEAR-ELU-SUM: o: [1, 17, 2, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// LINEAR-ELU-SUM-NOT: {{.}}

// RUN: attention-run %examples/transnormer_norm_attention.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=TRANSNORMER-NORM-ATTENTION
// TRANSNORMER-NORM-ATTENTION: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// TRANSNORMER-NORM-ATTENTION-NOT: {{.}}

// RUN: attention-run %examples/transnormer_diag_attention.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=TRANSNORMER-DIAG-ATTENTION
// TRANSNORMER-DIAG-ATTENTION: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// TRANSNORMER-DIAG-ATTENTION-NOT: {{.}}

// RUN: attention-run %examples/retnet.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 8 --kv-heads 8 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=RETNET
// RETNET: o: [1, 8, 17, 256] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// RETNET-NOT: {{.}}

// RUN: attention-run %examples/lightning_attention.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=LIGHTNING-ATTENTION
// LIGHTNING-ATTENTION: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// LIGHTNING-ATTENTION-NOT: {{.}}

// RUN: attention-run %examples/mamba2_ssd.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=MAMBA2-SSD
// MAMBA2-SSD: o: [1, 17, 2, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// MAMBA2-SSD-NEXT: state: [1, 2, 128, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// MAMBA2-SSD-NOT: {{.}}

// RUN: attention-run %examples/simple_gla.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=SIMPLE-GLA
// SIMPLE-GLA: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// SIMPLE-GLA-NOT: {{.}}

// RUN: attention-run %examples/gla.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=GLA
// GLA: o: [1, 2, 17, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// GLA-NEXT: state: [1, 2, 64, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// GLA-NOT: {{.}}

// RUN: attention-run %examples/based.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=BASED
// BASED: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// BASED-NOT: {{.}}

// RUN: attention-run %examples/hedgehog.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=HEDGEHOG
// HEDGEHOG: o: [1, 2, 17, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// HEDGEHOG-NOT: {{.}}

// RUN: attention-run %examples/cosine_attention.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 2 --kv-heads 1 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=COSINE-ATTENTION
// COSINE-ATTENTION: o: [1, 2, 17, 32] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// COSINE-ATTENTION-NOT: {{.}}

// RUN: attention-run %examples/gqa.mlir --reference --random-inputs \
// RUN:   --seed 1 --batch 1 --q-heads 32 --kv-heads 8 --q-len 17 --kv-len 17 \
// RUN:   | FileCheck %s --check-prefix=GQA
// GQA: o: [1, 17, 32, 128] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}{{$}}
// GQA-NOT: {{.}}
