/*===- attn-c/JIT.h - C API of the attn JIT -----------------------*- C -*-===*\
|*                                                                            *|
|* Part of the attn project.                                                  *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* A C interface to attn::jit::CompiledKernel, so that Python (ctypes) and    *|
|* other languages compile a spec and launch it on their own device tensors:  *|
|* bench/attn_ctypes.py wraps it for PyTorch. Errors are reported by a NULL   *|
|* or non-zero return and attnGetLastError() (per thread).                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTN_C_JIT_H
#define ATTN_C_JIT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A compiled spec.
typedef struct AttnKernel AttnKernel;

/// A device tensor of a launch, by role: "q", "k", "v", "o", "lse",
/// "initial_state", "final_state", or a side input's name. `dtype` is "f16",
/// "bf16", "f32", "i32", "i64", "i8" or "u8"; strides are in elements.
///
/// lse and the recurrent states are passed like q/k/v/o, each under its
/// name, when the kernel takes them (attnKernelGetInfoJSON: "lse",
/// "initial_state", "final_state"): lse is f32 [B, Hq, Nq], written; the
/// states are f32 [B, Hq, F, Dv] ("feature_dim" F), dense row-major, 16-byte
/// aligned; "initial_state" is read, "final_state" written, and the two may
/// be the same buffer (in-place decode). A kernel that takes a state
/// requires it: pass zeros for a zero initial state.
typedef struct AttnTensor {
  const char *name;
  void *data;
  const char *dtype;
  int32_t rank;
  const int64_t *sizes;
  const int64_t *strides;
} AttnTensor;

/// The message of the last failed call on this thread ("" if none).
const char *attnGetLastError(void);

/// Compiles `specText` for `chip` ("sm_90a", ...; NULL or "" detects the
/// GPU). `useCache` = 0 bypasses both caches (a cold compile). NULL on error.
AttnKernel *attnCompile(const char *specText, const char *chip,
                        int32_t useCache);

/// Wall time of the attnCompile that made `kernel`, in milliseconds.
double attnKernelGetCompileTimeMs(const AttnKernel *kernel);

/// 1 if `kernel` came from the in-memory or on-disk cache.
int32_t attnKernelIsFromCache(const AttnKernel *kernel);

/// The launch contract of `kernel` as a JSON object (kernel ABI v6,
/// attn/Conversion/AttnToGPU/KernelInfo.h): "abi", "algorithm" ("quadratic"
/// or "chunked"; of the first kernel of a multi-chain spec), "dtype", "layout",
/// "dk", "dv", "lse", "initial_state", "final_state", "feature_dim",
/// "side_inputs", ... Owned by `kernel`, valid until attnDestroy; "" for a NULL
/// kernel.
const char *attnKernelGetInfoJSON(const AttnKernel *kernel);

/// Validates the tensors against the kernel and launches on `stream` (a
/// CUstream; NULL for the default stream). Returns 0 on success; nothing is
/// launched when a tensor is missing, misshapen or misplaced.
int32_t attnLaunch(AttnKernel *kernel, const AttnTensor *tensors,
                   int32_t numTensors, void *stream);

/// Launches the whole spec (any number of attn.aggregate chains and the
/// kernel combining their outputs, e.g. Based) from its function arguments
/// by position: `arguments[i]` is the spec's argument i (its `name` is
/// ignored; a NULL `data` marks an argument no kernel reads), `o` its
/// result. The layout is the one the spec was compiled for. Returns 0 on
/// success; nothing is launched when an argument is missing or misshapen.
int32_t attnLaunchSpec(AttnKernel *kernel, const AttnTensor *arguments,
                       int32_t numArguments, const AttnTensor *o, void *stream);

/// Frees `kernel`.
void attnDestroy(AttnKernel *kernel);

#ifdef __cplusplus
}
#endif

#endif /* ATTN_C_JIT_H */
