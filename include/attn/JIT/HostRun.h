//===- HostRun.h - Run a compiled spec on host tensors ----------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The convenience path of attention-run and the GPU tests: take the spec's
// arguments as host tensors (fp64 values standing for bf16/f16/f32/int
// data), copy them to the device in their element types, launch the compiled
// kernel, and copy its results back, in the order of the spec function's
// results: o, lse and the final state ("state"), as the spec returns them.
// A kernel with recurrent states (the chunked algorithm) reads its initial
// state from the spec's "initial state" argument (zeros if the spec has
// none) and writes the final state to a fresh f32 [B, Hq, F, Dv] buffer, or
// over the initial state with `inPlaceState`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_HOSTRUN_H
#define ATTN_JIT_HOSTRUN_H

#include "attn/JIT/JIT.h"
#include "attn/Support/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace attn::jit {

struct HostRunOptions {
  /// Put q, k and v in one packed buffer ([B, N, Hq+2Hkv, D] for BSHD,
  /// [B, Hq+2Hkv, N, D] for BHSD) and pass strided views of it. Needs
  /// Nq == Nk and Dk == Dv.
  bool packedQKV = false;
  /// Pass one buffer as both initial and final state (in-place decode), if
  /// the kernel takes both.
  bool inPlaceState = false;
  /// Chunked kernels: sequence segments run in parallel (0: the launcher
  /// chooses; AttentionProblem::segments).
  int64_t segments = 0;
  /// Kernel launches to time after the first (0: none); the mean time per
  /// launch goes to `*milliseconds`. The results are those of the first.
  int timedLaunches = 0;
  double *milliseconds = nullptr;
};

/// Encodes `value` in `kind`'s device representation (bf16/f16 rounded to
/// nearest even) at `out`, which holds getElementKindSize(kind) bytes.
void encodeElement(double value, ElementKind kind, void *out);
/// Decodes one element of `kind` at `in`.
double decodeElement(const void *in, ElementKind kind);
/// Bytes per element on the device (i1 as one byte).
int64_t getDeviceElementSize(ElementKind kind);

/// Runs `kernel`, compiled from `spec`, on `args` (one per argument of
/// `spec`, in order). Returns one tensor per result of `spec`, in its order
/// (what `reference::evaluate` returns, in the kernel's element types).
llvm::Expected<std::vector<HostTensor>>
runOnGPU(CompiledKernel &kernel, mlir::func::FuncOp spec,
         llvm::ArrayRef<HostTensor> args, const HostRunOptions &options = {});

} // namespace attn::jit

#endif // ATTN_JIT_HOSTRUN_H
