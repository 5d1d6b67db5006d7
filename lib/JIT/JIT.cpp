//===- JIT.cpp - Compile attn specs to GPU kernels at run time ------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A compilation: parse and verify the spec in a fresh context, print it back
// (the canonical text the cache key hashes), look the key up in memory, then
// on disk, and only then run the pipeline (Pipeline.cpp) and store the
// result in both caches.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT/JIT.h"
#include "attn/JIT/KernelCache.h"
#include "Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <atomic>
#include <chrono>
#include <mutex>

#ifndef ATTN_VERSION
#define ATTN_VERSION "unknown"
#endif

using namespace attn::jit;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

StringRef attn::jit::getBinaryFormatName(BinaryFormat format) {
  return format == BinaryFormat::PTX ? "ptx" : "cubin";
}

std::optional<BinaryFormat> attn::jit::parseBinaryFormat(StringRef name) {
  if (name == "ptx" || name == "isa")
    return BinaryFormat::PTX;
  if (name == "cubin" || name == "bin")
    return BinaryFormat::Cubin;
  return std::nullopt;
}

std::string JITOptions::getDefaultCacheDir() {
  return DiskCache::getDefaultDirectory();
}

bool attn::jit::hasPtxas() {
  static const bool found = [] {
    if (llvm::sys::findProgramByName("ptxas"))
      return true;
    return llvm::sys::fs::can_execute("/usr/local/cuda/bin/ptxas");
  }();
  return found;
}

Expected<std::string> attn::jit::detectChip() {
  Expected<attn::runtime::CudaDriver &> driver =
      attn::runtime::CudaDriver::get();
  if (!driver)
    return driver.takeError();
  Expected<attn::runtime::ComputeCapability> capability =
      driver->getComputeCapability(0);
  if (!capability)
    return capability.takeError();
  // Hopper and later get the architecture-specific variant (sm_90a), which
  // the tensor-core paths of those chips need.
  std::string chip = capability->getArchName();
  if (capability->major >= 9)
    chip += 'a';
  return chip;
}

/// An identity of the compiler's build beyond ATTN_VERSION: the size and
/// modification time of the running executable. The code generator changes
/// between commits without a version bump; keying on the binary keeps a
/// rebuilt compiler from reusing its predecessor's kernels.
static std::string getBuildIdentity() {
  static const std::string identity = [] {
    std::string exe = llvm::sys::fs::getMainExecutable(
        nullptr, reinterpret_cast<void *>(&getBuildIdentity));
    llvm::sys::fs::file_status status;
    if (exe.empty() || llvm::sys::fs::status(exe, status))
      return std::string("unknown");
    return exe + ":" + std::to_string(status.getSize()) + ":" +
           std::to_string(status.getLastModificationTime()
                              .time_since_epoch()
                              .count());
  }();
  return identity;
}

//===----------------------------------------------------------------------===//
// CompiledBundle serialisation
//===----------------------------------------------------------------------===//

std::string CompiledBundle::serialize() const {
  llvm::json::Array kernelArray;
  for (const KernelBinary &kernel : kernels) {
    // Cubins are binary: stored hex-encoded inside the JSON document.
    kernelArray.push_back(llvm::json::Object{
        {"info", kernelInfoToJSON(kernel.info)},
        {"image", llvm::toHex(kernel.image, /*LowerCase=*/true)}});
  }
  llvm::json::Object root{{"key", key},
                          {"chip", chip},
                          {"format", getBinaryFormatName(format)},
                          {"kernels", std::move(kernelArray)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(root));
  return text;
}

Expected<CompiledBundle> CompiledBundle::deserialize(StringRef payload) {
  Expected<llvm::json::Value> value = llvm::json::parse(payload);
  if (!value)
    return value.takeError();
  const llvm::json::Object *root = value->getAsObject();
  if (!root)
    return makeError("cache payload is not a JSON object");
  CompiledBundle bundle;
  std::optional<StringRef> key = root->getString("key");
  std::optional<StringRef> chip = root->getString("chip");
  std::optional<StringRef> format = root->getString("format");
  const llvm::json::Array *kernels = root->getArray("kernels");
  if (!key || !chip || !format || !kernels || !parseBinaryFormat(*format))
    return makeError("cache payload lacks key, chip, format or kernels");
  bundle.key = key->str();
  bundle.chip = chip->str();
  bundle.format = *parseBinaryFormat(*format);
  for (const llvm::json::Value &entry : *kernels) {
    const llvm::json::Object *object = entry.getAsObject();
    const llvm::json::Value *info = object ? object->get("info") : nullptr;
    std::optional<StringRef> image =
        object ? object->getString("image") : std::nullopt;
    if (!info || !image)
      return makeError("cache payload kernel lacks info or image");
    Expected<KernelInfo> kernelInfo = kernelInfoFromJSON(*info);
    if (!kernelInfo)
      return kernelInfo.takeError();
    KernelBinary kernel;
    kernel.info = std::move(*kernelInfo);
    if (!llvm::tryGetFromHex(*image, kernel.image))
      return makeError("cache payload image is not hex");
    bundle.kernels.push_back(std::move(kernel));
  }
  if (bundle.kernels.empty())
    return makeError("cache payload holds no kernel");
  return bundle;
}

//===----------------------------------------------------------------------===//
// Compilation
//===----------------------------------------------------------------------===//

namespace {
using BundleCache = MemoryCache<CompiledBundle>;
} // namespace

static BundleCache &getMemoryCache() {
  static BundleCache cache;
  return cache;
}

static std::atomic<uint64_t> numCompilations{0};

uint64_t attn::jit::getNumCompilations() { return numCompilations.load(); }

void attn::jit::clearMemoryCache() { getMemoryCache().clear(); }

/// The chip and format `options` ask for, with defaults filled in.
static Expected<std::pair<std::string, BinaryFormat>>
resolveTarget(const JITOptions &options) {
  std::string chip = options.chip;
  if (chip.empty()) {
    Expected<std::string> detected = detectChip();
    if (!detected)
      return makeError("no target chip given and none detected: " +
                       llvm::toString(detected.takeError()) +
                       "; name one (JITOptions::chip, e.g. \"sm_90a\")");
    chip = *detected;
  }
  if (!StringRef(chip).starts_with("sm_"))
    return makeError("unsupported target chip '" + chip +
                     "': the JIT targets NVIDIA chips (sm_80, sm_90a, ...)");
  BinaryFormat format = options.format.value_or(
      hasPtxas() ? BinaryFormat::Cubin : BinaryFormat::PTX);
  return std::make_pair(chip, format);
}

/// Compiles `module` (in `context`) whose canonical text is `canonical`.
static Expected<std::unique_ptr<CompiledKernel>>
compileCanonical(mlir::MLIRContext &context, mlir::ModuleOp module,
                 StringRef canonical, const JITOptions &options,
                 std::chrono::steady_clock::time_point start);

Expected<std::unique_ptr<CompiledKernel>>
CompiledKernel::compile(StringRef specText, const JITOptions &options) {
  auto start = std::chrono::steady_clock::now();
  std::unique_ptr<mlir::MLIRContext> context = createJITContext();

  // Collect every diagnostic as text, with its location.
  std::string diagnostics;
  llvm::raw_string_ostream diagStream(diagnostics);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(specText, "spec", false),
      llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, context.get(),
                                           diagStream);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, context.get());
  if (!module)
    return makeError("invalid spec:\n" + StringRef(diagnostics).rtrim());

  std::string canonical;
  llvm::raw_string_ostream os(canonical);
  module->print(os);
  Expected<std::unique_ptr<CompiledKernel>> kernel =
      compileCanonical(*context, *module, canonical, options, start);
  if (!kernel && !diagnostics.empty())
    return makeError(llvm::toString(kernel.takeError()) + "\n" +
                     StringRef(diagnostics).rtrim());
  return kernel;
}

Expected<std::unique_ptr<CompiledKernel>>
CompiledKernel::compile(mlir::ModuleOp module, const JITOptions &options) {
  if (mlir::failed(mlir::verify(module)))
    return makeError("invalid spec: the module does not verify");
  // The JIT works in its own context: print the module and start over. This
  // also gives the canonical text the cache key hashes.
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return compile(text, options);
}

static Expected<std::unique_ptr<CompiledKernel>>
compileCanonical(mlir::MLIRContext &context, mlir::ModuleOp module,
                 StringRef canonical, const JITOptions &options,
                 std::chrono::steady_clock::time_point start) {
  Expected<std::pair<std::string, BinaryFormat>> target =
      resolveTarget(options);
  if (!target)
    return target.takeError();
  auto [chip, format] = *target;

  std::string key = CacheKeyBuilder()
                        .add("spec", canonical)
                        .add("chip", chip)
                        .add("format", getBinaryFormatName(format))
                        .add("features", options.features)
                        .add("pipeline", getPipelineDescription())
                        .add("attn", ATTN_VERSION)
                        .add("llvm", LLVM_VERSION_STRING)
                        .add("build", getBuildIdentity())
                        .getKey();

  std::string source = "memory";
  auto computeBundle =
      [&]() -> Expected<std::shared_ptr<const CompiledBundle>> {
    DiskCache disk(options.cacheDir);
    if (std::optional<std::string> payload = disk.load(key)) {
      Expected<CompiledBundle> bundle = CompiledBundle::deserialize(*payload);
      if (bundle && bundle->key == key) {
        source = "disk";
        return std::make_shared<const CompiledBundle>(std::move(*bundle));
      }
      // A well-formed file with a payload we cannot read (e.g. written by
      // a KernelInfo of another shape): rebuild it.
      if (!bundle)
        llvm::consumeError(bundle.takeError());
      disk.remove(key);
    }

    source.clear();
    ++numCompilations;
    PipelineOptions pipelineOptions{chip, format, options.features};
    Expected<std::vector<KernelBinary>> kernels =
        runPipeline(module, pipelineOptions);
    if (!kernels)
      return kernels.takeError();
    CompiledBundle bundle{key, chip, format, std::move(*kernels)};
    // A cache that cannot be written is not an error: the kernel is good.
    if (Error error = disk.store(key, bundle.serialize()))
      llvm::consumeError(std::move(error));
    return std::make_shared<const CompiledBundle>(std::move(bundle));
  };

  std::shared_ptr<const CompiledBundle> bundle;
  if (options.inMemoryCache) {
    bool hit = false;
    Expected<std::shared_ptr<const CompiledBundle>> cached =
        getMemoryCache().getOrCompute(key, computeBundle, &hit);
    if (!cached)
      return cached.takeError();
    bundle = std::move(*cached);
    if (hit)
      source = "memory";
  } else {
    Expected<std::shared_ptr<const CompiledBundle>> computed =
        computeBundle();
    if (!computed)
      return computed.takeError();
    bundle = std::move(*computed);
  }
  (void)context;

  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  return CompiledKernel::fromBundle(std::move(bundle), ms, source);
}

//===----------------------------------------------------------------------===//
// CompiledKernel
//===----------------------------------------------------------------------===//

CompiledKernel::CompiledKernel(std::shared_ptr<const CompiledBundle> bundle,
                               double compileTimeMs, std::string cacheSource)
    : bundle(std::move(bundle)), compileTimeMs(compileTimeMs),
      fromCache(!cacheSource.empty()), cacheSource(std::move(cacheSource)) {
  if (this->bundle->kernels.size() == 1)
    launcher = std::make_unique<attn::runtime::KernelLauncher>(
        this->bundle->kernels.front().image, this->bundle->kernels.front().info,
        this->bundle->format == BinaryFormat::Cubin
            ? attn::runtime::ImageKind::Cubin
            : attn::runtime::ImageKind::PTX);
}

std::unique_ptr<CompiledKernel>
CompiledKernel::fromBundle(std::shared_ptr<const CompiledBundle> bundle,
                           double compileTimeMs, std::string cacheSource) {
  return std::unique_ptr<CompiledKernel>(
      new CompiledKernel(std::move(bundle), compileTimeMs,
                         std::move(cacheSource)));
}

CompiledKernel::~CompiledKernel() = default;

const std::vector<KernelBinary> &CompiledKernel::getKernels() const {
  return bundle->kernels;
}
BinaryFormat CompiledKernel::getFormat() const { return bundle->format; }
StringRef CompiledKernel::getChip() const { return bundle->chip; }
StringRef CompiledKernel::getCacheKey() const { return bundle->key; }

Expected<attn::runtime::KernelSignature> CompiledKernel::getSignature() const {
  return attn::runtime::getKernelSignature(getKernelInfo());
}

Error CompiledKernel::launch(const attn::runtime::AttentionProblem &tensors,
                             attn::runtime::cuda::CUstream stream) {
  if (bundle->kernels.size() != 1)
    return makeError("this spec compiled to " +
                     llvm::Twine(bundle->kernels.size()) +
                     " kernels; CompiledKernel::launch runs single-kernel "
                     "specs");
  return launcher->launch(tensors, stream);
}
