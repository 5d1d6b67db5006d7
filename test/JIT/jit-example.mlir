// The host C++ example compiles a spec through the JIT; on a GPU machine it
// also launches it and checks it against the fp64 reference.
// (This file holds no IR; lit runs the example program.)

// RUN: attn-jit-example --len 333 2>&1 | FileCheck %s --check-prefix=%if cuda-gpu %{GPU%} %else %{NOGPU%}

// NOGPU: no GPU here (no CUDA driver
// NOGPU: compiled attn_fwd{{.*}} for sm_90a (ptx, {{[0-9]+}} bytes) in {{[0-9.]+}} ms; cached lookup {{[0-9.]+}} ms

// GPU: compiled attn_fwd{{.*}} for sm_{{[0-9]+a?}}
// GPU: launched on sm_{{[0-9]+a?}}: o [1, 8, 333, 128], {{[0-9.]+}} ms per launch, relative error vs fp64 reference {{[0-9.]+e-0[3-9]}}
