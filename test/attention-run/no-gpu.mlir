// Without a GPU, attention-run says so and points at --reference.
// UNSUPPORTED: cuda-gpu
// RUN: not attention-run %examples/softmax_causal.mlir --random-inputs 2>&1 \
// RUN:   | FileCheck %s
// RUN: not attention-run %examples/softmax_causal.mlir --random-inputs --check 2>&1 \
// RUN:   | FileCheck %s
// CHECK: attention-run: error: cannot run on the GPU: no CUDA driver: libcuda.so.1 not found ({{.*}}); pass --reference to run the fp64 CPU reference
