//===- JIT.h - Compile attn specs to GPU kernels at run time ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The host C++ entry point of attn, shaped like mlir::ExecutionEngine: an
// options struct, a `compile` returning
// `llvm::Expected<std::unique_ptr<CompiledKernel>>`, then `launch`.
//
//   attn::jit::JITOptions options;            // detect the GPU, cache on disk
//   auto kernel = attn::jit::CompiledKernel::compile(specText, options);
//   if (!kernel) ... llvm::toString(kernel.takeError()) ...
//   attn::runtime::AttentionProblem tensors = ...; // device views
//   if (llvm::Error err = (*kernel)->launch(tensors, stream)) ...
//
// A spec of several chains (Based: a linear and a window chain, outputs
// summed) compiles to a kernel per chain and a combine kernel; launch it
// from the spec's arguments by number with `launch(runtime::SpecProblem)`.
//
// `compile` parses and verifies the spec (errors are its MLIR diagnostics as
// text), runs the `attn-lower-to-nvvm` pipeline in-process, and returns the
// PTX or cubin of each `gpu.module` with the `KernelInfo` the code generator
// attached to it. Results are cached in memory (per process, thread-safe:
// threads compiling one spec wait for a single compilation) and on disk (one
// file per key, written atomically, validated on read), keyed by the
// canonical spec text, target, options and compiler build. In memory, a
// text compiled before is also found by its exact bytes, before any parsing
// (a cached lookup costs microseconds, not a parse and print).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_JIT_H
#define ATTN_JIT_JIT_H

#include "attn/Conversion/AttnToGPU/KernelInfo.h"
#include "attn/Runtime/CudaDriver.h"
#include "attn/Runtime/Launch.h"
#include "attn/Runtime/Tensor.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class ModuleOp;
} // namespace mlir

namespace attn::jit {

using KernelInfo = ::mlir::attn::KernelInfo;

/// What the JIT hands the driver: PTX text (the driver compiles it for the
/// device at load time) or a cubin (built by ptxas, loads as is).
enum class BinaryFormat { PTX, Cubin };

/// "ptx" or "cubin".
llvm::StringRef getBinaryFormatName(BinaryFormat format);
/// Parses "ptx"/"isa" or "cubin"/"bin".
std::optional<BinaryFormat> parseBinaryFormat(llvm::StringRef name);

/// How to compile.
struct JITOptions {
  /// Target chip, e.g. "sm_90a" or "sm_80". Empty: detect from device 0
  /// through the runtime ("sm_90a" for compute capability 9.0).
  std::string chip;
  /// PTX or cubin. Unset: cubin when `ptxas` is on PATH or under
  /// /usr/local/cuda/bin, else PTX.
  std::optional<BinaryFormat> format;
  /// PTX feature string given to the NVVM target.
  std::string features = "+ptx80";
  /// On-disk cache directory: $XDG_CACHE_HOME/attn or ~/.cache/attn by
  /// default; empty disables the on-disk cache.
  std::string cacheDir = getDefaultCacheDir();
  /// Keep compiled kernels in a per-process map (the most recently used
  /// ones: see getMemoryCacheEntries).
  bool inMemoryCache = true;

  static std::string getDefaultCacheDir();
};

/// One kernel of a compiled spec: what the code generator says about it and
/// its binary.
struct KernelBinary {
  KernelInfo info;
  /// PTX text or cubin bytes.
  std::string image;
};

/// What a compilation produces, shared between the caches and the
/// CompiledKernels that use it. Immutable.
struct CompiledBundle {
  std::string key;
  std::string chip;
  BinaryFormat format = BinaryFormat::PTX;
  std::vector<KernelBinary> kernels;

  /// The cache payload: a JSON document holding everything.
  std::string serialize() const;
  static llvm::Expected<CompiledBundle> deserialize(llvm::StringRef payload);
};

/// A compiled spec, ready to launch on the GPU.
class CompiledKernel {
public:
  /// Compiles spec text (a module holding one spec function).
  static llvm::Expected<std::unique_ptr<CompiledKernel>>
  compile(llvm::StringRef specText, const JITOptions &options = {});

  /// Compiles a module built in C++ (e.g. with SpecBuilder). The module is
  /// not modified: the JIT works on a copy printed and parsed in its own
  /// context.
  static llvm::Expected<std::unique_ptr<CompiledKernel>>
  compile(mlir::ModuleOp module, const JITOptions &options = {});

  /// Wraps a bundle compiled earlier (e.g. read back from AOT output).
  /// `cacheSource` is "memory", "disk" or "" (compiled now).
  static std::unique_ptr<CompiledKernel>
  fromBundle(std::shared_ptr<const CompiledBundle> bundle,
             double compileTimeMs = 0, std::string cacheSource = "");

  ~CompiledKernel();

  /// The kernels of the spec (one per fused chain; one for the softmax
  /// family).
  const std::vector<KernelBinary> &getKernels() const;
  /// The first (for single-kernel specs, the only) kernel's description.
  const KernelInfo &getKernelInfo() const { return getKernels().front().info; }
  llvm::StringRef getBinary() const { return getKernels().front().image; }
  BinaryFormat getFormat() const;
  llvm::StringRef getChip() const;
  llvm::StringRef getCacheKey() const;

  /// Wall time of `compile`, in milliseconds (a cached result's lookup time
  /// when `isFromCache()`).
  double getCompileTimeMs() const { return compileTimeMs; }
  /// Whether the kernel came from the in-memory or on-disk cache.
  bool isFromCache() const { return fromCache; }
  /// "memory", "disk" or "" (compiled).
  llvm::StringRef getCacheSource() const { return cacheSource; }

  /// The launch-time contract of the first kernel, as the runtime checks it.
  llvm::Expected<runtime::KernelSignature> getSignature() const;

  /// Validates `tensors` against the kernel (no memory is touched when they
  /// do not match), loads the module into the current context (once per
  /// context) and launches on `stream`. Single-kernel specs only: a spec of
  /// several chains (and a combine kernel) takes its arguments by number
  /// through the SpecProblem overload.
  llvm::Error launch(const runtime::AttentionProblem &tensors,
                     runtime::cuda::CUstream stream = nullptr);

  /// Launches the whole spec, any number of chains, from its arguments by
  /// number (runtime::SpecLauncher): each chain kernel on the arguments its
  /// KernelInfo names, then the combine kernel, if any, which writes
  /// `problem.o`. Everything is validated before any memory is touched.
  llvm::Error launch(const runtime::SpecProblem &problem,
                     runtime::cuda::CUstream stream = nullptr);

private:
  CompiledKernel(std::shared_ptr<const CompiledBundle> bundle,
                 double compileTimeMs, std::string cacheSource);

  std::shared_ptr<const CompiledBundle> bundle;
  double compileTimeMs;
  bool fromCache;
  std::string cacheSource;
  /// Every kernel of the spec: launches by spec argument, and (single-kernel
  /// specs) by AttentionProblem through its one KernelLauncher.
  std::unique_ptr<runtime::SpecLauncher> specLauncher;
};

/// Number of times this process ran the compilation pipeline (cache misses);
/// lets tests check that concurrent compiles of one spec compile once.
uint64_t getNumCompilations();

/// Number of times this process parsed a spec text: the compiles that the
/// in-memory cache could not answer from the raw text alone. Lets tests check
/// the fast path.
uint64_t getNumSpecParses();

/// Forgets every kernel of the in-memory cache (both its canonical and its
/// raw-text keys).
void clearMemoryCache();

/// How many entries each of the in-memory cache's two maps (canonical key,
/// raw text) keeps before it forgets the least recently used one: the
/// environment variable ATTN_JIT_MEMORY_CACHE_ENTRIES, read once per process
/// (a decimal number, 0 for no bound; any other value is ignored), else
/// 256. Kernels already handed out stay valid when their entry is forgotten.
size_t getMemoryCacheEntries();

/// The chip of device 0 as the JIT targets it ("sm_90a" for compute
/// capability 9.0, "sm_80"...), or the runtime's error ("no CUDA driver").
llvm::Expected<std::string> detectChip();

/// Whether a ptxas is available (PATH or /usr/local/cuda/bin), i.e. whether
/// the default format is cubin.
bool hasPtxas();

} // namespace attn::jit

#endif // ATTN_JIT_JIT_H
