//===- JIT.cpp - Compile attn specs to GPU kernels at run time ------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A compilation: look the raw spec text up in memory (the fast path, no
// MLIR involved), else parse and verify the spec in a fresh context, print it
// back (the canonical text the cache key hashes), look that key up in memory,
// then on disk, and only then run the pipeline (Pipeline.cpp) and store the
// result in both caches and under the raw text.
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
#include "llvm/Support/Process.h"
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
using BundlePtr = std::shared_ptr<const CompiledBundle>;

/// The chip and format a compilation targets, defaults filled in.
struct Target {
  std::string chip;
  BinaryFormat format;
};
} // namespace

/// Entries each in-memory cache keeps unless ATTN_JIT_MEMORY_CACHE_ENTRIES
/// says otherwise. A bundle is mostly its kernels' images, 155 KB and 195 KB
/// of PTX for the ALiBi and GLA examples, so 256 bundles are some 50 MB:
/// far more specs than a model uses (one per attention variant, head size
/// and mask), while a process generating specs without end stays bounded. The raw-text cache gets the same count: its entries hold their
/// bundles too, so a larger one would keep bundles alive that the canonical
/// cache has let go, and a text evicted while its bundle is still cached
/// costs a parse (under 1 ms) on its next use, not a compilation.
static constexpr size_t kDefaultMemoryCacheEntries = 256;

size_t attn::jit::getMemoryCacheEntries() {
  static const size_t entries = [] {
    if (std::optional<std::string> value =
            llvm::sys::Process::GetEnv("ATTN_JIT_MEMORY_CACHE_ENTRIES"))
      if (std::optional<size_t> parsed = parseMemoryCacheEntries(*value))
        return *parsed;
    return kDefaultMemoryCacheEntries;
  }();
  return entries;
}

/// Canonical key -> bundle: the bundles this process compiled or read from
/// disk, found by the key the disk cache uses; the most recently used
/// getMemoryCacheEntries() of them.
static BundleCache &getMemoryCache() {
  static BundleCache cache(getMemoryCacheEntries());
  return cache;
}

/// Exact raw-text key -> bundle, the fast path in front of getMemoryCache:
/// each spec text that compiled (or hit either cache through the slow path)
/// maps to its bundle, so compiling that text again needs no context, parse
/// or print. Its keys are the unhashed key parts (the whole text among
/// them), so two texts differing in any byte never share an entry; the
/// price is keeping each text once, small next to the bundle's binaries.
/// Bounded like getMemoryCache, to as many texts.
static BundleCache &getTextCache() {
  static BundleCache cache(getMemoryCacheEntries());
  return cache;
}

static std::atomic<uint64_t> numCompilations{0};
static std::atomic<uint64_t> numSpecParses{0};

uint64_t attn::jit::getNumCompilations() { return numCompilations.load(); }

uint64_t attn::jit::getNumSpecParses() { return numSpecParses.load(); }

void attn::jit::clearMemoryCache() {
  // The text cache first: an alias outliving its canonical entry would keep
  // serving a bundle the caller meant to forget.
  getTextCache().clear();
  getMemoryCache().clear();
}

/// detectChip, asked the driver once per process: the fast path resolves the
/// target on every call, and device 0 and its compute capability cannot
/// change once the driver is initialised. Failures are not kept (the
/// compilation fails anyway; a later call asks again).
static Expected<std::string> getDetectedChip() {
  static std::mutex mutex;
  static std::optional<std::string> chip;
  std::lock_guard<std::mutex> lock(mutex);
  if (!chip) {
    Expected<std::string> detected = detectChip();
    if (!detected)
      return detected.takeError();
    chip = std::move(*detected);
  }
  return *chip;
}

/// The chip and format `options` ask for, with defaults filled in.
static Expected<Target> resolveTarget(const JITOptions &options) {
  std::string chip = options.chip;
  if (chip.empty()) {
    Expected<std::string> detected = getDetectedChip();
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
  return Target{std::move(chip), format};
}

/// The parts of a cache key: the spec under `specPart` and everything else
/// the compiled kernels depend on. The canonical key ("spec", the printed
/// module) names disk entries, so its parts and their order must not change
/// without changing every on-disk key; the fast path's key ("text", the raw
/// text) is the same with the other name, which keeps the two apart.
static CacheKeyBuilder getKeyParts(StringRef specPart, StringRef spec,
                                   const Target &target,
                                   const JITOptions &options) {
  CacheKeyBuilder builder;
  builder.add(specPart, spec)
      .add("chip", target.chip)
      .add("format", getBinaryFormatName(target.format))
      .add("features", options.features)
      .add("pipeline", getPipelineDescription())
      .add("attn", ATTN_VERSION)
      .add("llvm", LLVM_VERSION_STRING)
      .add("build", getBuildIdentity());
  return builder;
}

/// Looks `module` (in `context`), whose printed text is `canonical`, up in
/// memory and on disk, else compiles it. `source` becomes "memory", "disk"
/// or "" (compiled).
static Expected<BundlePtr> compileCanonical(mlir::MLIRContext &context,
                                            mlir::ModuleOp module,
                                            StringRef canonical,
                                            const JITOptions &options,
                                            std::string &source);

/// The slow path: parses `specText` in a fresh context and prints it back
/// for the canonical key, then compileCanonical.
static Expected<BundlePtr> parseAndCompile(StringRef specText,
                                           const JITOptions &options,
                                           std::string &source) {
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
  ++numSpecParses;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, context.get());
  if (!module)
    return makeError("invalid spec:\n" + StringRef(diagnostics).rtrim());

  std::string canonical;
  llvm::raw_string_ostream os(canonical);
  module->print(os);
  Expected<BundlePtr> bundle =
      compileCanonical(*context, *module, canonical, options, source);
  if (!bundle && !diagnostics.empty())
    return makeError(llvm::toString(bundle.takeError()) + "\n" +
                     StringRef(diagnostics).rtrim());
  return bundle;
}

Expected<std::unique_ptr<CompiledKernel>>
CompiledKernel::compile(StringRef specText, const JITOptions &options) {
  auto start = std::chrono::steady_clock::now();
  std::string source;
  Expected<BundlePtr> bundle = [&]() -> Expected<BundlePtr> {
    if (!options.inMemoryCache)
      return parseAndCompile(specText, options, source);
    // A target that does not resolve skips the fast path: the slow path
    // reports a bad spec's diagnostics before the target's error.
    Expected<Target> target = resolveTarget(options);
    if (!target) {
      llvm::consumeError(target.takeError());
      return parseAndCompile(specText, options, source);
    }
    // The fast path: the raw text seen before (by this process, with these
    // options) is a map lookup of microseconds; a fresh context, parse and
    // print for the canonical key cost 0.3 ms to over 1 ms, more than the
    // JIT's < 1 ms bar for a cached lookup allows. A miss goes down the slow
    // path, whose bundle (compiled, from disk, or found under the canonical
    // key of a differently written text) becomes this text's entry. Threads
    // compiling one text wait for one slow path.
    bool hit = false;
    Expected<BundlePtr> found = getTextCache().getOrCompute(
        getKeyParts("text", specText, *target, options).getParts(),
        [&] { return parseAndCompile(specText, options, source); }, &hit);
    if (hit)
      source = "memory";
    return found;
  }();
  if (!bundle)
    return bundle.takeError();
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  return CompiledKernel::fromBundle(std::move(*bundle), ms, source);
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

static Expected<BundlePtr> compileCanonical(mlir::MLIRContext &context,
                                            mlir::ModuleOp module,
                                            StringRef canonical,
                                            const JITOptions &options,
                                            std::string &source) {
  Expected<Target> target = resolveTarget(options);
  if (!target)
    return target.takeError();
  const std::string &chip = target->chip;
  BinaryFormat format = target->format;
  std::string key = getKeyParts("spec", canonical, *target, options).getKey();

  auto computeBundle = [&]() -> Expected<BundlePtr> {
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

  (void)context;
  if (!options.inMemoryCache)
    return computeBundle();
  bool hit = false;
  Expected<BundlePtr> bundle =
      getMemoryCache().getOrCompute(key, computeBundle, &hit);
  if (bundle && hit)
    source = "memory";
  return bundle;
}

//===----------------------------------------------------------------------===//
// CompiledKernel
//===----------------------------------------------------------------------===//

CompiledKernel::CompiledKernel(std::shared_ptr<const CompiledBundle> bundle,
                               double compileTimeMs, std::string cacheSource)
    : bundle(std::move(bundle)), compileTimeMs(compileTimeMs),
      fromCache(!cacheSource.empty()), cacheSource(std::move(cacheSource)) {
  attn::runtime::ImageKind kind = this->bundle->format == BinaryFormat::Cubin
                                      ? attn::runtime::ImageKind::Cubin
                                      : attn::runtime::ImageKind::PTX;
  std::vector<std::pair<std::string, KernelInfo>> kernels;
  for (const KernelBinary &kernel : this->bundle->kernels)
    kernels.emplace_back(kernel.image, kernel.info);
  specLauncher =
      std::make_unique<attn::runtime::SpecLauncher>(std::move(kernels), kind);
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
    return makeError(
        "this spec compiled to " + llvm::Twine(bundle->kernels.size()) +
        " kernels (one per attn.aggregate chain and one combining their "
        "outputs), and launch(AttentionProblem) runs single-kernel specs; "
        "pass the spec's arguments by number to "
        "launch(runtime::SpecProblem) instead");
  return specLauncher->getLauncher(0).launch(tensors, stream);
}

Error CompiledKernel::launch(const attn::runtime::SpecProblem &problem,
                             attn::runtime::cuda::CUstream stream) {
  return specLauncher->launch(problem, stream);
}
