//===- Launch.h - Launching generated attention kernels ---------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The runtime side of kernel ABI v5 (KernelInfo.h): what a generated kernel
// expects (`getKernelSignature`), how a launch's tensors become its
// parameters (`packLaunch`: validate first, then the 5-value memref
// descriptors of q, k, v, o, lse, the states and the side inputs, then the
// i64 sizes and strides), and `KernelLauncher`, which
// loads a binary once per CUDA context and launches it.
//
// `getKernelSignature` and `packLaunch` touch no device and are tested
// without a GPU. Like the rest of the runtime, no MLIR here: KernelInfo.h is
// a plain header.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_LAUNCH_H
#define ATTN_RUNTIME_LAUNCH_H

#include "attn/Conversion/AttnToGPU/KernelInfo.h"
#include "attn/Runtime/CudaDriver.h"
#include "attn/Runtime/Tensor.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace attn::runtime {

using KernelInfo = ::mlir::attn::KernelInfo;

/// The launch contract of a generated kernel: dtypes, layout, head dims,
/// lse, the recurrent states (dense [B, Hq, F, Dv] f32, in place allowed),
/// Nq == Nk for the chunked algorithm, side inputs (their extents bound to
/// problem dims where KernelInfo names one), 16-byte alignment of the
/// cp.async operands. Fails on a KernelInfo this runtime does not understand
/// (another ABI version, an unknown algorithm, dtype or layout).
llvm::Expected<KernelSignature> getKernelSignature(const KernelInfo &info);

/// Everything cuLaunchKernel takes, for one launch (of a chunked kernel:
/// of the state kernel, if `launchStateKernel`, then of the kernel; of a
/// quadratic kernel with key-range tables: of the key-range kernel on
/// `keyRangesGrid`, then of the kernel; then, with a row norm kernel, of it
/// on `normGrid`).
struct PackedLaunch {
  Dim3 grid = {1, 1, 1};
  Dim3 block = {1, 1, 1};
  unsigned sharedBytes = 0;
  /// One 8-byte value per kernel parameter (pointers and i64 alike).
  std::vector<uint64_t> values;
  /// Chunked: the sequence segments, whether the state kernel runs first.
  int64_t segments = 1;
  bool launchStateKernel = false;
  /// Quadratic: whether the key-range kernel runs first, and its grid.
  bool launchKeyRanges = false;
  Dim3 keyRangesGrid = {1, 1, 1};
  /// Whether the row norm kernel runs last, and its grid.
  bool launchNorm = false;
  Dim3 normGrid = {1, 1, 1};
  /// The workspace the kernels need (bytes) and the index in `values` of
  /// its descriptor, whose two pointers the launcher fills in.
  size_t workspaceBytes = 0;
  size_t workspaceValue = 0;

  /// The parameter pointers cuLaunchKernel takes; valid while `values` is
  /// unchanged.
  std::vector<void *> getParamPointers();
  /// Points the workspace descriptor at `pointer`.
  void setWorkspace(uint64_t pointer);
};

/// The size of a device, for the segment split.
struct DeviceCapacity {
  int64_t multiprocessors = 0;
};

/// The sequence segments a chunked launch of `dims` splits into: 1 when the
/// (value tile, head, batch) CTAs occupy every multiprocessor already, else
/// as many as give each one a CTA, each at least `kMinChunksPerSegment`
/// chunks, at most `kMaxSegments` (each CTA combines the states of the
/// segments before it).
int64_t chooseSegments(const KernelInfo &info, const ProblemDims &dims,
                       const DeviceCapacity &capacity);
inline constexpr int64_t kMinChunksPerSegment = 8;
inline constexpr int64_t kMaxSegments = 16;

/// Validates `problem` against `info` (runtime::validate plus the static
/// extents and side-input expressions of KernelInfo) and packs its
/// parameters per ABI v5; grid.x is `KernelInfo::gridX`. A chunked launch
/// takes `problem.segments`, else `chooseSegments` for `capacity` (1 without
/// one). Touches no memory.
llvm::Expected<PackedLaunch>
packLaunch(const KernelInfo &info, const AttentionProblem &problem,
           std::optional<DeviceCapacity> capacity = std::nullopt);

/// Evaluates a side-input extent of KernelInfo ("128", "Hq", "ceil(Nq/64)",
/// "Nk/16") for `dims`; std::nullopt when the expression is not understood.
std::optional<int64_t> evaluateExtent(llvm::StringRef expression,
                                      const ProblemDims &dims);

/// A kernel binary ready to launch: loaded lazily into each CUDA context it
/// is launched in (the calling thread's current one, else device 0's primary
/// context). Thread-safe.
class KernelLauncher {
public:
  KernelLauncher(std::string image, KernelInfo info, ImageKind kind);
  ~KernelLauncher();

  const KernelInfo &getInfo() const { return info; }

  /// Validates and packs (no memory touched on mismatch), loads the module
  /// if needed, and launches asynchronously on `stream`.
  llvm::Error launch(const AttentionProblem &problem,
                     cuda::CUstream stream = nullptr);

private:
  struct Loaded {
    CudaModule module;
    cuda::CUfunction function = nullptr;
    /// Chunked: the segment-state kernel.
    cuda::CUfunction stateFunction = nullptr;
    /// Quadratic: the key-range kernel.
    cuda::CUfunction keyRangesFunction = nullptr;
    /// The row norm kernel.
    cuda::CUfunction normFunction = nullptr;
    DeviceCapacity capacity;
  };
  /// The module loaded in the current context (device 0's primary one if
  /// none is current).
  llvm::Expected<Loaded *> load(CudaDriver &driver);
  /// A workspace of at least `bytes` for launches on `stream`, kept for the
  /// next: launches on one stream run in order, so they may share it.
  llvm::Expected<uint64_t> getWorkspace(CudaDriver &driver,
                                        cuda::CUcontext context,
                                        cuda::CUstream stream, size_t bytes);

  std::string image;
  KernelInfo info;
  ImageKind kind;
  std::mutex mutex;
  std::map<cuda::CUcontext, Loaded> loaded;
  std::map<std::pair<cuda::CUcontext, cuda::CUstream>, DeviceBuffer>
      workspaces;
};

} // namespace attn::runtime

#endif // ATTN_RUNTIME_LAUNCH_H
