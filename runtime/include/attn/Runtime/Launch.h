//===- Launch.h - Launching generated attention kernels ---------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The runtime side of kernel ABI v6 (KernelInfo.h): what a generated kernel
// expects (`getKernelSignature`), how a launch's tensors become its
// parameters (`packLaunch`: validate first, then the 5-value memref
// descriptors of q, k, v, o, lse, the states and the side inputs, then the
// i64 sizes and strides), and `KernelLauncher`, which
// loads a binary once per CUDA context and launches it.
//
// A whole spec (several chain kernels and a combine kernel, e.g. Based) is
// launched from its arguments by number (`SpecProblem`): `planSpecLaunch`
// binds each chain kernel's tensors and validates every launch, and
// `SpecLauncher` runs the chains into temporaries, then the combine kernel.
//
// `getKernelSignature`, `packLaunch`, `packCombineLaunch` and
// `planSpecLaunch` touch no device and are tested without a GPU. Like the rest
// of the runtime, no MLIR here: KernelInfo.h is a plain header.
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
#include <memory>
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
/// parameters per ABI v6; grid.x is `KernelInfo::gridX`. A chunked launch
/// takes `problem.segments`, else `chooseSegments` for `capacity` (1 without
/// one). Touches no memory.
llvm::Expected<PackedLaunch>
packLaunch(const KernelInfo &info, const AttentionProblem &problem,
           std::optional<DeviceCapacity> capacity = std::nullopt);

/// Validates the tensors of a combine kernel (KernelInfo.h: `operands`, one
/// per `combineOperands` entry, and `o`, all [B, Hq, Nq, Dv] in `layout`
/// with any strides but a unit head-dim stride, base pointers and strides
/// aligned to the kernel's vector) and packs its parameters. Touches no
/// memory.
llvm::Expected<PackedLaunch>
packCombineLaunch(const KernelInfo &info, llvm::ArrayRef<TensorRef> operands,
                  const TensorRef &o, Layout layout);

/// The tensors of a whole spec's launch, given by spec argument number (the
/// spec function's argument order, as `attention-run --list-inputs` and the
/// fp64 reference number them).
struct SpecProblem {
  Layout layout = Layout::BHSD;
  /// Every argument of the spec function, by number (q, k, v, initial
  /// states and side inputs alike); an argument no kernel reads may be left
  /// empty (a null TensorRef).
  std::vector<TensorRef> arguments;
  /// The spec's result.
  TensorRef o;
  /// Single-chain specs only: the chain's lse and final state, when the
  /// kernel writes them.
  std::optional<TensorRef> lse, finalState;
  /// Chunked chain kernels: the sequence segments (AttentionProblem); 0
  /// lets the launcher choose.
  int64_t segments = 0;
};

/// A validated launch of a whole spec.
struct SpecLaunchPlan {
  /// One per chain kernel, in bundle order: its index in the bundle, its
  /// tensors, and the temporary its output goes to (-1: the spec's o).
  struct Chain {
    size_t kernel = 0;
    AttentionProblem problem;
    int64_t temporary = -1;
  };
  std::vector<Chain> chains;
  /// The bytes of each temporary: a dense [B, Hq, Nq, Dv] tensor of its
  /// chain's output dtype in the launch's layout.
  std::vector<size_t> temporaryBytes;
  /// The combine kernel's index in the bundle and its packed launch, if the
  /// spec has one.
  std::optional<size_t> combine;
  PackedLaunch combineLaunch;
};

/// Binds and validates every launch of the spec compiled to `kernels` (its
/// whole bundle, chain kernels and at most one combine kernel) for
/// `problem`: each chain kernel's tensors are the spec arguments its
/// KernelInfo names; with a combine kernel, each chain writes a temporary
/// (the last chain of o's dtype writes o, which the combine then reads in
/// place), without one the single chain writes o. `temporaries` are the
/// device addresses of the temporaries (`temporaryBytes`, in order); empty,
/// placeholders stand for them, so that everything is checked before any
/// allocation. Errors name the spec argument and what was expected. Touches
/// no memory.
llvm::Expected<SpecLaunchPlan>
planSpecLaunch(llvm::ArrayRef<KernelInfo> kernels, const SpecProblem &problem,
               llvm::ArrayRef<uint64_t> temporaries = {});

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

  /// Launches what `packed` holds (packLaunch's or packCombineLaunch's
  /// result for this kernel), after filling in its workspace.
  llvm::Error launch(PackedLaunch packed, cuda::CUstream stream = nullptr);

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

/// The kernels of a whole spec (a bundle: chain kernels, and a combine
/// kernel where the spec combines their outputs), launched from the spec's
/// arguments. Thread-safe; the temporaries are kept per (context, stream)
/// for the next launch, like KernelLauncher's workspaces.
class SpecLauncher {
public:
  /// `kernels`: (binary, KernelInfo) of each kernel of the bundle, in order.
  SpecLauncher(std::vector<std::pair<std::string, KernelInfo>> kernels,
               ImageKind kind);
  ~SpecLauncher();

  /// The KernelInfo of each kernel, in bundle order.
  llvm::ArrayRef<KernelInfo> getInfos() const { return infos; }
  /// The launcher of kernel `index` of the bundle (a single-kernel spec's
  /// AttentionProblem launches go through it, so that both ways of
  /// launching share one loaded module and one workspace).
  KernelLauncher &getLauncher(size_t index) { return *launchers[index]; }

  /// Validates everything (planSpecLaunch; no memory touched on a
  /// mismatch), then launches the chain kernels and the combine kernel in
  /// order on `stream`, asynchronously.
  llvm::Error launch(const SpecProblem &problem,
                     cuda::CUstream stream = nullptr);

private:
  std::vector<KernelInfo> infos;
  std::vector<std::unique_ptr<KernelLauncher>> launchers;
  std::mutex mutex;
  std::map<std::pair<cuda::CUcontext, cuda::CUstream>, DeviceBuffer>
      temporaries;
};

} // namespace attn::runtime

#endif // ATTN_RUNTIME_LAUNCH_H
