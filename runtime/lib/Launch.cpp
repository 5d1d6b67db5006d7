//===- Launch.cpp - Launching generated attention kernels -----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Launch.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace attn::runtime;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Fails if the kernel of `info` was compiled for the static extent
/// `expected` (-1: dynamic) of `name` and the launch has `actual`.
static Error checkStaticExtent(const KernelInfo &info, int64_t expected,
                               int64_t actual, StringRef name) {
  if (expected >= 0 && expected != actual)
    return makeError(llvm::formatv(
        "{0}: {1} = {2}, but the kernel was compiled for {1} = {3}",
        info.kernelName, name, actual, expected));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Signature
//===----------------------------------------------------------------------===//

/// The problem dim named `name` ("B", "Hq", ...; getProblemDimName's
/// spelling).
static std::optional<ProblemDim> parseProblemDim(StringRef name) {
  for (auto dim : {ProblemDim::Batch, ProblemDim::QueryHeads,
                   ProblemDim::KVHeads, ProblemDim::QueryLength,
                   ProblemDim::KeyLength, ProblemDim::HeadDimK,
                   ProblemDim::HeadDimV, ProblemDim::FeatureDim})
    if (getProblemDimName(dim) == name)
      return dim;
  return std::nullopt;
}

std::optional<int64_t> attn::runtime::evaluateExtent(StringRef expression,
                                                     const ProblemDims &dims) {
  expression = expression.trim();
  int64_t value;
  if (!expression.getAsInteger(10, value))
    return value;
  if (std::optional<ProblemDim> dim = parseProblemDim(expression))
    return dims.get(*dim);
  // ceil(X/n) and X/n.
  bool ceil = expression.consume_front("ceil(");
  if (ceil && !expression.consume_back(")"))
    return std::nullopt;
  auto [lhs, rhs] = expression.split('/');
  if (rhs.empty())
    return std::nullopt;
  std::optional<int64_t> numerator = evaluateExtent(lhs, dims);
  std::optional<int64_t> denominator = evaluateExtent(rhs, dims);
  if (!numerator || !denominator || *denominator <= 0)
    return std::nullopt;
  return ceil ? (*numerator + *denominator - 1) / *denominator
              : *numerator / *denominator;
}

/// The runtime dtype of a KernelInfo dtype name (booleans are bytes).
static Expected<DType> parseKernelDType(StringRef name, StringRef what) {
  if (name == "i1")
    return DType::U8;
  if (std::optional<DType> dtype = parseDType(name))
    return *dtype;
  return makeError("kernel info: unsupported element type '" + name +
                   "' of " + what);
}

Expected<KernelSignature>
attn::runtime::getKernelSignature(const KernelInfo &info) {
  if (info.abiVersion != KernelInfo::kVersion)
    return makeError("kernel info: ABI version " +
                     llvm::Twine(info.abiVersion) +
                     " is not supported by this runtime (expected " +
                     llvm::Twine(KernelInfo::kVersion) +
                     "); rebuild the kernel with this version of attn");
  if (info.algorithm != "quadratic" && info.algorithm != "chunked")
    return makeError("kernel info: unknown algorithm '" + info.algorithm +
                     "' (expected quadratic or chunked)");
  if (info.warps <= 0 || info.blockM <= 0 || info.blockN <= 0)
    return makeError(llvm::formatv("kernel info: warps ({0}), block_m ({1}) "
                                   "and block_n ({2}) must be positive",
                                   info.warps, info.blockM, info.blockN));
  // The chunked grid is over value columns, so Dv must be known.
  if (info.isChunked() && info.headDimV <= 0)
    return makeError("kernel info: a chunked kernel needs a static value "
                     "head dim (dv = " +
                     llvm::Twine(info.headDimV) + ")");
  if (info.isChunked() &&
      (info.stateKernelName.empty() || info.workspaceRows <= 0 ||
       info.workspaceColumns <= 0))
    return makeError("kernel info: a chunked kernel needs its segment-state "
                     "kernel and workspace extents");
  bool hasKeyRanges = info.keyRangeTables > 0;
  if (info.keyRangeTables < 0 || (hasKeyRanges && info.isChunked()) ||
      hasKeyRanges == info.keyRangesKernelName.empty())
    return makeError("kernel info: key-range tables (" +
                     llvm::Twine(info.keyRangeTables) +
                     ") need a quadratic kernel and a key-range kernel, and "
                     "the other way round");
  KernelSignature signature;
  signature.name = info.kernelName;
  Expected<DType> dtype = parseKernelDType(info.dtype, "q/k/v/o");
  if (!dtype)
    return dtype.takeError();
  signature.dtype = *dtype;
  if (info.layout == "bhsd")
    signature.layout = Layout::BHSD;
  else if (info.layout == "bshd")
    signature.layout = Layout::BSHD;
  else
    return makeError("kernel info: unknown layout '" + info.layout + "'");
  signature.headDimK = std::max<int64_t>(info.headDimQK, 0);
  signature.headDimV = std::max<int64_t>(info.headDimV, 0);
  // The kernel writes lse unconditionally when it has one.
  signature.lse = info.hasLse ? Presence::Required : Presence::None;
  // The states are parameters whenever the kernel has them (a zero initial
  // state is passed as zeros, not as null).
  signature.initialState =
      info.hasInitialState ? Presence::Required : Presence::None;
  signature.finalState =
      info.hasFinalState ? Presence::Required : Presence::None;
  signature.featureDim = std::max<int64_t>(info.featureDim, 0);
  // Every CTA reads the initial state columns it writes before writing
  // them, and CTAs own disjoint columns: in-place decode is safe.
  signature.allowInPlaceState = true;
  // The states take no strides: dense [B, Hq, F, Dv].
  signature.requireContiguousStates = true;
  // The chunked kernel walks q and k together in chunks.
  signature.requireEqualLengths = info.isChunked();
  signature.arch = info.arch;
  // Offsets are computed with i64 scalars (index lowers to i64), so any
  // tensor whose offsets fit in 64 bits is fine.
  signature.index32 = false;
  // cp.async moves 16 bytes at a time.
  signature.vectorAlignment = 16;
  for (const mlir::attn::KernelSideInput &input : info.sideInputs) {
    ArgumentSpec spec;
    spec.name = input.name;
    Expected<DType> inputType =
        parseKernelDType(input.dtype, "side input '" + input.name + "'");
    if (!inputType)
      return inputType.takeError();
    spec.dtype = *inputType;
    for (const std::string &extent : input.shape) {
      int64_t value;
      if (!StringRef(extent).getAsInteger(10, value) && value >= 0)
        spec.sizes.push_back(DimSize(value));
      else if (std::optional<ProblemDim> dim = parseProblemDim(extent))
        spec.sizes.push_back(DimSize(*dim));
      else
        spec.sizes.push_back(DimSize::dynamic()); // Checked in packLaunch.
    }
    spec.requireContiguous = true;
    spec.alignment = input.alignment;
    signature.sideInputs.push_back(std::move(spec));
  }
  return signature;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

void PackedLaunch::setWorkspace(uint64_t pointer) {
  values[workspaceValue] = pointer;     // allocated
  values[workspaceValue + 1] = pointer; // aligned
}

std::vector<void *> PackedLaunch::getParamPointers() {
  std::vector<void *> pointers;
  pointers.reserve(values.size());
  for (uint64_t &value : values)
    pointers.push_back(&value);
  return pointers;
}

/// Elements spanned by `tensor`: the memref size its descriptor carries.
static int64_t getSpan(const TensorRef &tensor) {
  int64_t span = 1;
  for (auto [size, stride] : llvm::zip(tensor.sizes, tensor.strides)) {
    if (size == 0)
      return 0;
    span += (size - 1) * stride;
  }
  return span;
}

/// Appends the 5 values of a flat memref descriptor.
static void appendMemRef(std::vector<uint64_t> &values,
                         const TensorRef &tensor) {
  uint64_t pointer = reinterpret_cast<uintptr_t>(tensor.data);
  values.push_back(pointer); // allocated
  values.push_back(pointer); // aligned
  values.push_back(0);       // offset
  values.push_back(static_cast<uint64_t>(getSpan(tensor)));
  values.push_back(1); // stride
}

/// "argN", the name kernels gave the side input from the spec's argument N
/// before they took the reference's names; "" if it comes from none.
static std::string getLegacyName(const mlir::attn::KernelSideInput &input) {
  return input.argNumber >= 0 ? "arg" + std::to_string(input.argNumber) : "";
}

/// `problem` with each side input given by its legacy name ("arg3") renamed
/// to the kernel's ("log_gates"), so that older callers keep working. Fails
/// on a name that is neither, listing both names of each input.
static Expected<AttentionProblem>
resolveSideInputNames(const KernelInfo &info, const AttentionProblem &problem) {
  AttentionProblem resolved = problem;
  for (SideInput &given : resolved.sideInputs) {
    auto isNamed = [&](const mlir::attn::KernelSideInput &input) {
      return input.name == given.name;
    };
    if (llvm::any_of(info.sideInputs, isNamed))
      continue;
    auto isLegacy = [&](const mlir::attn::KernelSideInput &input) {
      return getLegacyName(input) == given.name;
    };
    auto legacy = llvm::find_if(info.sideInputs, isLegacy);
    if (legacy != info.sideInputs.end()) {
      if (llvm::any_of(problem.sideInputs, [&](const SideInput &other) {
            return other.name == legacy->name;
          }))
        return makeError(
            llvm::formatv("side input '{0}': given twice, as '{0}' and '{1}'",
                          legacy->name, given.name));
      given.name = legacy->name;
      continue;
    }
    llvm::SmallVector<std::string> names;
    for (const mlir::attn::KernelSideInput &input : info.sideInputs) {
      std::string legacyName = getLegacyName(input);
      names.push_back(legacyName.empty() || legacyName == input.name
                          ? input.name
                          : input.name + " (or " + legacyName + ")");
    }
    return makeError(llvm::formatv(
        "side input '{0}': {1} takes no such input (it takes: {2})", given.name,
        info.kernelName,
        names.empty() ? std::string("none") : llvm::join(names, ", ")));
  }
  return resolved;
}

int64_t attn::runtime::chooseSegments(const KernelInfo &info,
                                      const ProblemDims &dims,
                                      const DeviceCapacity &capacity) {
  int64_t ctas = info.gridX(dims.queryLength) * dims.queryHeads * dims.batch;
  // One CTA per multiprocessor: a second resident one adds only ~20% (H200,
  // docs/perf.md), less than the segments' extra state pass costs.
  int64_t slots = capacity.multiprocessors;
  if (ctas <= 0 || slots <= 0)
    return 1;
  int64_t segments =
      std::min({slots / ctas, kMaxSegments,
                info.numChunks(dims.keyLength) / kMinChunksPerSegment});
  return std::max<int64_t>(segments, 1);
}

Expected<PackedLaunch>
attn::runtime::packLaunch(const KernelInfo &info, const AttentionProblem &given,
                          std::optional<DeviceCapacity> capacity) {
  Expected<KernelSignature> signature = getKernelSignature(info);
  if (!signature)
    return signature.takeError();
  Expected<AttentionProblem> resolved = resolveSideInputNames(info, given);
  if (!resolved)
    return resolved.takeError();
  const AttentionProblem &problem = *resolved;
  Expected<ProblemDims> dims = validateProblem(*signature, problem);
  if (!dims)
    return dims.takeError();

  // What validate cannot know: the static extents the kernel was built for
  // and side-input extents given as expressions.
  auto checkStatic = [&](int64_t expected, int64_t actual, StringRef name) {
    return checkStaticExtent(info, expected, actual, name);
  };
  if (Error err = checkStatic(info.staticHq, dims->queryHeads, "Hq"))
    return std::move(err);
  if (Error err = checkStatic(info.staticHkv, dims->kvHeads, "Hkv"))
    return std::move(err);
  if (Error err = checkStatic(info.staticNq, dims->queryLength, "Nq"))
    return std::move(err);
  if (Error err = checkStatic(info.staticNk, dims->keyLength, "Nk"))
    return std::move(err);
  if (dims->kvHeads <= 0 || dims->queryHeads % dims->kvHeads != 0)
    return makeError(llvm::formatv("{0}: Hq = {1} is not a multiple of Hkv = "
                                   "{2}",
                                   info.kernelName, dims->queryHeads,
                                   dims->kvHeads));
  if (problem.segments < 0 || (problem.segments > 0 && !info.isChunked()))
    return makeError(llvm::formatv(
        "{0}: segments = {1}; only a chunked kernel splits the sequence into "
        "segments (pass 0)",
        info.kernelName, problem.segments));
  int64_t chunks = info.numChunks(dims->keyLength);
  if (problem.segments > std::max<int64_t>(chunks, 1))
    return makeError(llvm::formatv(
        "{0}: segments = {1} exceeds the {2} chunks of {3} tokens in Nk = {4}",
        info.kernelName, problem.segments, chunks, info.blockM,
        dims->keyLength));

  // Side inputs in the kernel's order, found by name.
  llvm::SmallVector<const TensorRef *> sideTensors;
  for (const mlir::attn::KernelSideInput &input : info.sideInputs) {
    const SideInput *found = nullptr;
    for (const SideInput &given : problem.sideInputs)
      if (given.name == input.name)
        found = &given;
    if (!found) {
      std::string legacyName = getLegacyName(input);
      return makeError(llvm::formatv(
          "{0}: missing side input '{1}'{2}", info.kernelName, input.name,
          legacyName.empty() || legacyName == input.name
              ? std::string()
              : " (or '" + legacyName + "')"));
    }
    for (auto [axis, extent] : llvm::enumerate(input.shape)) {
      std::optional<int64_t> expected = evaluateExtent(extent, *dims);
      if (!expected)
        return makeError(llvm::formatv("{0}: cannot evaluate extent '{1}' "
                                       "of side input '{2}'",
                                       info.kernelName, extent, input.name));
      if (axis >= found->tensor.sizes.size() ||
          found->tensor.sizes[axis] != *expected)
        return makeError(llvm::formatv(
            "{0}: side input '{1}' axis {2} must have extent {3} ({4})",
            info.kernelName, input.name, axis, *expected, extent));
    }
    sideTensors.push_back(&found->tensor);
  }

  PackedLaunch launch;
  std::vector<uint64_t> &values = launch.values;
  for (const TensorRef *tensor : {&problem.q, &problem.k, &problem.v,
                                  &problem.o})
    appendMemRef(values, *tensor);
  if (info.hasLse)
    appendMemRef(values, *problem.lse);
  if (info.hasInitialState)
    appendMemRef(values, *problem.initialState);
  if (info.hasFinalState)
    appendMemRef(values, *problem.finalState);
  for (const TensorRef *tensor : sideTensors)
    appendMemRef(values, *tensor);
  // The workspace descriptor: `elements` of 4 bytes (f32 states or i32 id
  // ranges); its pointers are filled in by the launcher.
  auto appendWorkspace = [&](int64_t elements) {
    launch.workspaceBytes = static_cast<size_t>(elements) * 4;
    launch.workspaceValue = values.size();
    values.push_back(0); // allocated
    values.push_back(0); // aligned
    values.push_back(0);
    values.push_back(static_cast<uint64_t>(elements));
    values.push_back(1);
  };
  if (!info.normKernelName.empty()) {
    launch.launchNorm = true;
    launch.normGrid = {static_cast<unsigned>(
                           (dims->queryLength + info.warps - 1) / info.warps),
                       static_cast<unsigned>(dims->queryHeads),
                       static_cast<unsigned>(dims->batch)};
  }
  if (info.keyRangeTables > 0) {
    int64_t tiles = info.keyTiles(dims->keyLength);
    launch.launchKeyRanges = tiles > 0;
    launch.keyRangesGrid = {
        static_cast<unsigned>((tiles + info.warps - 1) / info.warps), 1,
        static_cast<unsigned>(dims->batch)};
    appendWorkspace(info.keyRangeElements(dims->batch, dims->keyLength));
  }
  if (info.isChunked()) {
    launch.segments = problem.segments > 0 ? problem.segments
                      : capacity ? chooseSegments(info, *dims, *capacity)
                                 : 1;
    // The non-causal global form always computes the state first; a causal
    // one only to start the segments after the first.
    bool causal = info.causal;
    launch.launchStateKernel = !causal || launch.segments > 1;
    appendWorkspace(launch.launchStateKernel
                        ? info.workspaceElements(dims->batch, dims->queryHeads,
                                                 launch.segments)
                        : 0);
  }

  for (int64_t scalar : {dims->batch, dims->queryHeads, dims->kvHeads,
                         dims->queryLength, dims->keyLength})
    values.push_back(static_cast<uint64_t>(scalar));
  // (batch, head, seq) strides; BSHD stores the sequence axis second.
  bool bshd = signature->layout == Layout::BSHD;
  for (const TensorRef *tensor : {&problem.q, &problem.k, &problem.v,
                                  &problem.o}) {
    values.push_back(static_cast<uint64_t>(tensor->strides[0]));
    values.push_back(static_cast<uint64_t>(tensor->strides[bshd ? 2 : 1]));
    values.push_back(static_cast<uint64_t>(tensor->strides[bshd ? 1 : 2]));
  }
  if (info.isChunked())
    values.push_back(static_cast<uint64_t>(launch.segments));

  // Query tiles (quadratic) or value-column tiles times segments (chunked).
  int64_t gridX = info.gridX(dims->queryLength, launch.segments);
  if (gridX > 0x7fffffff || dims->queryHeads > 65535 || dims->batch > 65535)
    return makeError(llvm::formatv("{0}: grid ({1}, {2}, {3}) exceeds the "
                                   "CUDA grid limits",
                                   info.kernelName, gridX, dims->queryHeads,
                                   dims->batch));
  launch.grid = {static_cast<unsigned>(gridX),
                 static_cast<unsigned>(dims->queryHeads),
                 static_cast<unsigned>(dims->batch)};
  launch.block = {static_cast<unsigned>(info.threads()), 1, 1};
  launch.sharedBytes = static_cast<unsigned>(info.sharedBytes);
  return launch;
}

//===----------------------------------------------------------------------===//
// KernelLauncher
//===----------------------------------------------------------------------===//

KernelLauncher::KernelLauncher(std::string image, KernelInfo info,
                               ImageKind kind)
    : image(std::move(image)), info(std::move(info)), kind(kind) {}

KernelLauncher::~KernelLauncher() = default;

Expected<KernelLauncher::Loaded *> KernelLauncher::load(CudaDriver &driver) {
  Expected<cuda::CUcontext> context = driver.getCurrentContext();
  if (!context)
    return context.takeError();
  if (!*context) {
    if (Error err = driver.makeCurrent(0))
      return std::move(err);
    context = driver.getCurrentContext();
    if (!context)
      return context.takeError();
  }

  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(*context);
  if (it != loaded.end())
    return &it->second;

  Expected<int> device = driver.getCurrentDevice();
  if (!device)
    return device.takeError();
  if (Error err = driver.checkArchitecture(info.arch, *device, kind))
    return std::move(err);
  Expected<int> optin = driver.getMaxSharedMemoryPerBlockOptin(*device);
  if (!optin)
    return optin.takeError();
  if (info.sharedBytes > *optin)
    return makeError(llvm::formatv("{0} needs {1} bytes of shared memory; "
                                   "device {2} allows {3} per block",
                                   info.kernelName, info.sharedBytes, *device,
                                   *optin));

  Expected<CudaModule> module = driver.loadModule(image);
  if (!module)
    return module.takeError();
  Loaded entry;
  for (auto [name, function] :
       {std::pair<const std::string &, cuda::CUfunction &>{info.kernelName,
                                                           entry.function},
        {info.stateKernelName, entry.stateFunction},
        {info.keyRangesKernelName, entry.keyRangesFunction},
        {info.normKernelName, entry.normFunction}}) {
    if (name.empty())
      continue;
    Expected<cuda::CUfunction> found = module->getFunction(name);
    if (!found)
      return found.takeError();
    function = *found;
    // Above 48 KiB, dynamic shared memory must be opted into per function.
    if (info.sharedBytes > 48 * 1024)
      if (Error err = driver.setMaxDynamicSharedMemory(
              function, static_cast<int>(info.sharedBytes)))
        return std::move(err);
  }
  Expected<int> sms = driver.getMultiprocessorCount(*device);
  if (!sms)
    return sms.takeError();
  entry.capacity = {*sms};
  entry.module = std::move(*module);
  return &(loaded[*context] = std::move(entry));
}

Expected<uint64_t> KernelLauncher::getWorkspace(CudaDriver &driver,
                                                cuda::CUcontext context,
                                                cuda::CUstream stream,
                                                size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  DeviceBuffer &buffer = workspaces[{context, stream}];
  if (buffer.size() < bytes) {
    // The old buffer may still be in use by a launch on `stream`.
    if (buffer)
      if (Error err = driver.synchronize(stream))
        return std::move(err);
    Expected<DeviceBuffer> grown = driver.allocate(bytes);
    if (!grown)
      return grown.takeError();
    buffer = std::move(*grown);
  }
  return static_cast<uint64_t>(buffer.get());
}

Error KernelLauncher::launch(const AttentionProblem &problem,
                             cuda::CUstream stream) {
  // Everything that can be checked without the device is, first.
  Expected<PackedLaunch> packed = packLaunch(info, problem);
  if (!packed)
    return packed.takeError();
  Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  Expected<Loaded *> entry = load(*driver);
  if (!entry)
    return entry.takeError();
  if (info.isChunked() && problem.segments == 0) {
    packed = packLaunch(info, problem, (*entry)->capacity);
    if (!packed)
      return packed.takeError();
  }
  return launch(std::move(*packed), stream);
}

Error KernelLauncher::launch(PackedLaunch packed, cuda::CUstream stream) {
  Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  Expected<Loaded *> entry = load(*driver);
  if (!entry)
    return entry.takeError();
  if (packed.workspaceBytes > 0) {
    Expected<cuda::CUcontext> context = driver->getCurrentContext();
    if (!context)
      return context.takeError();
    Expected<uint64_t> workspace =
        getWorkspace(*driver, *context, stream, packed.workspaceBytes);
    if (!workspace)
      return workspace.takeError();
    packed.setWorkspace(*workspace);
  }
  std::vector<void *> params = packed.getParamPointers();
  if (packed.launchKeyRanges)
    if (Error err = driver->launch((*entry)->keyRangesFunction,
                                   packed.keyRangesGrid, packed.block,
                                   /*sharedBytes=*/0, stream, params.data()))
      return err;
  if (packed.launchStateKernel)
    if (Error err =
            driver->launch((*entry)->stateFunction, packed.grid, packed.block,
                           packed.sharedBytes, stream, params.data()))
      return err;
  if (Error err = driver->launch((*entry)->function, packed.grid, packed.block,
                                 packed.sharedBytes, stream, params.data()))
    return err;
  if (packed.launchNorm)
    return driver->launch((*entry)->normFunction, packed.normGrid, packed.block,
                          /*sharedBytes=*/0, stream, params.data());
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Combine kernels
//===----------------------------------------------------------------------===//

/// "[B, Hq, Nq, Dv]" or "[B, Nq, Hq, Dv]", as `layout` orders the axes.
static std::string getOutputAxes(Layout layout) {
  return layout == Layout::BSHD ? "[B, Nq, Hq, Dv]" : "[B, Hq, Nq, Dv]";
}

Expected<PackedLaunch>
attn::runtime::packCombineLaunch(const KernelInfo &info,
                                 llvm::ArrayRef<TensorRef> operands,
                                 const TensorRef &o, Layout layout) {
  if (info.abiVersion != KernelInfo::kVersion)
    return makeError("kernel info: ABI version " +
                     llvm::Twine(info.abiVersion) +
                     " is not supported by this runtime (expected " +
                     llvm::Twine(KernelInfo::kVersion) +
                     "); rebuild the kernel with this version of attn");
  if (!info.isCombine() || info.warps <= 0 || info.blockN <= 0 ||
      info.headDimV <= 0 || info.headDimV % info.blockN != 0)
    return makeError(llvm::formatv(
        "kernel info: {0} is not a combine kernel with a static Dv ({1}) of "
        "whole vectors of {2} elements",
        info.kernelName, info.headDimV, info.blockN));
  if (operands.size() != info.combineOperands.size())
    return makeError(llvm::formatv("{0}: {1} operands given, the kernel "
                                   "reads {2}",
                                   info.kernelName, operands.size(),
                                   info.combineOperands.size()));
  if ((layout == Layout::BSHD) != (info.layout == "bshd"))
    return makeError(llvm::formatv("{0}: layout {1} given, the spec was "
                                   "compiled for {2}",
                                   info.kernelName, getLayoutName(layout),
                                   StringRef(info.layout).upper()));
  struct {
    unsigned batch, heads, seq;
  } axes = {0, layout == Layout::BSHD ? 2u : 1u,
            layout == Layout::BSHD ? 1u : 2u};
  // Every tensor: the shape of o, its dtype, a unit head-dim stride and
  // vector-aligned base and strides.
  auto check = [&](const TensorRef &t, StringRef what,
                   StringRef dtypeName) -> Error {
    Expected<DType> dtype = parseKernelDType(dtypeName, what);
    if (!dtype)
      return dtype.takeError();
    if (!t.data)
      return makeError(
          llvm::formatv("{0}: {1} is null", info.kernelName, what));
    if (t.getRank() != 4 || t.strides.size() != 4)
      return makeError(llvm::formatv(
          "{0}: {1} must have rank 4 {2}, got "
          "shape {3}",
          info.kernelName, what, getOutputAxes(layout), formatSizes(t.sizes)));
    if (t.dtype != *dtype)
      return makeError(llvm::formatv("{0}: {1} must be {2}, got {3}",
                                     info.kernelName, what, dtypeName,
                                     getDTypeName(t.dtype)));
    if (t.sizes != o.sizes)
      return makeError(llvm::formatv(
          "{0}: {1} has shape {2}, but o has {3}", info.kernelName, what,
          formatSizes(t.sizes), formatSizes(o.sizes)));
    if (t.sizes[3] != info.headDimV)
      return makeError(llvm::formatv("{0}: {1} has Dv = {2}, the kernel was "
                                     "compiled for Dv = {3}",
                                     info.kernelName, what, t.sizes[3],
                                     info.headDimV));
    if (t.strides[3] != 1)
      return makeError(llvm::formatv("{0}: {1} must have a unit head-dim "
                                     "stride (got {2})",
                                     info.kernelName, what, t.strides[3]));
    int64_t vectorBytes = info.blockN * getDTypeSize(*dtype);
    if (reinterpret_cast<uintptr_t>(t.data) % vectorBytes != 0)
      return makeError(llvm::formatv(
          "{0}: {1} must be {2}-byte aligned (the kernel moves {3} elements "
          "at a time)",
          info.kernelName, what, vectorBytes, info.blockN));
    for (unsigned axis = 0; axis < 3; ++axis)
      if (t.sizes[axis] > 1 && t.strides[axis] % info.blockN != 0)
        return makeError(llvm::formatv(
            "{0}: {1} stride {2} of axis {3} is not a multiple of {4} "
            "elements (the kernel's vector)",
            info.kernelName, what, t.strides[axis], axis, info.blockN));
    return Error::success();
  };
  if (Error err = check(o, "o", info.dtype))
    return std::move(err);
  for (auto [i, operand] : llvm::enumerate(operands))
    if (Error err = check(operand,
                          ("operand " + llvm::Twine(i) + " (the output of " +
                           info.combineOperands[i].module + ")")
                              .str(),
                          info.combineOperands[i].dtype))
      return std::move(err);
  int64_t batch = o.sizes[axes.batch], heads = o.sizes[axes.heads],
          rows = o.sizes[axes.seq];
  auto checkStatic = [&](int64_t expected, int64_t actual, StringRef name) {
    return checkStaticExtent(info, expected, actual, name);
  };
  if (Error err = checkStatic(info.staticHq, heads, "Hq"))
    return std::move(err);
  if (Error err = checkStatic(info.staticNq, rows, "Nq"))
    return std::move(err);

  PackedLaunch launch;
  for (const TensorRef &operand : operands)
    appendMemRef(launch.values, operand);
  appendMemRef(launch.values, o);
  for (int64_t scalar : {batch, heads, rows})
    launch.values.push_back(static_cast<uint64_t>(scalar));
  auto appendStrides = [&](const TensorRef &t) {
    for (unsigned axis : {axes.batch, axes.heads, axes.seq})
      launch.values.push_back(static_cast<uint64_t>(t.strides[axis]));
  };
  for (const TensorRef &operand : operands)
    appendStrides(operand);
  appendStrides(o);
  int64_t pieces = rows * (info.headDimV / info.blockN);
  int64_t gridX = (pieces + info.threads() - 1) / info.threads();
  if (gridX > 0x7fffffff || heads > 65535 || batch > 65535)
    return makeError(llvm::formatv("{0}: grid ({1}, {2}, {3}) exceeds the "
                                   "CUDA grid limits",
                                   info.kernelName, gridX, heads, batch));
  launch.grid = {static_cast<unsigned>(gridX), static_cast<unsigned>(heads),
                 static_cast<unsigned>(batch)};
  launch.block = {static_cast<unsigned>(info.threads()), 1, 1};
  return launch;
}

//===----------------------------------------------------------------------===//
// Whole specs
//===----------------------------------------------------------------------===//

/// What a chain kernel's tensors are called in messages.
static std::string describeChain(const KernelInfo &info) {
  return llvm::formatv("chain kernel '{0}' (q = argument {1}, k = argument "
                       "{2}, v = argument {3})",
                       info.moduleName, info.queryArg, info.keyArg,
                       info.valueArg)
      .str();
}

Expected<SpecLaunchPlan>
attn::runtime::planSpecLaunch(llvm::ArrayRef<KernelInfo> kernels,
                              const SpecProblem &problem,
                              llvm::ArrayRef<uint64_t> temporaries) {
  SpecLaunchPlan plan;
  llvm::SmallVector<size_t> chainKernels;
  for (auto [index, info] : llvm::enumerate(kernels)) {
    if (info.abiVersion != KernelInfo::kVersion)
      return makeError(
          "kernel info: ABI version " + llvm::Twine(info.abiVersion) + " of '" +
          info.moduleName + "' is not supported by this runtime (expected " +
          llvm::Twine(KernelInfo::kVersion) +
          "); rebuild the spec with this version of attn");
    if (!info.isCombine()) {
      chainKernels.push_back(index);
      continue;
    }
    if (plan.combine)
      return makeError("the spec has two combine kernels ('" +
                       kernels[*plan.combine].moduleName + "' and '" +
                       info.moduleName + "'); a spec has at most one");
    plan.combine = index;
  }
  if (chainKernels.empty())
    return makeError("the spec has no chain kernel to launch");
  if (!plan.combine && chainKernels.size() != 1)
    return makeError(llvm::formatv(
        "the spec has {0} chain kernels but no combine kernel, so nothing "
        "says how their outputs make o; recompile it with this version of "
        "attn",
        chainKernels.size()));
  const KernelInfo *combine = plan.combine ? &kernels[*plan.combine] : nullptr;
  if (combine && (problem.lse || problem.finalState))
    return makeError("lse and final state: a multi-chain spec returns o "
                     "only; pass no lse or final state");

  // The spec argument `number`, which `info` reads as `what`.
  auto getArgument = [&](const KernelInfo &info, int64_t number,
                         StringRef what) -> Expected<TensorRef> {
    if (number < 0)
      return makeError(describeChain(info) +
                       ": its kernel info records no "
                       "spec argument for " +
                       what + "; recompile the spec with this version of attn");
    if (static_cast<size_t>(number) >= problem.arguments.size() ||
        !problem.arguments[number].data)
      return makeError(llvm::formatv(
          "spec argument {0} ({1} of {2}) is missing: pass it as "
          "arguments[{0}] ({3} arguments given)",
          number, what, describeChain(info), problem.arguments.size()));
    return problem.arguments[number];
  };

  // With a combine kernel, the last chain of o's dtype writes o.
  std::optional<size_t> writesO;
  if (!combine)
    writesO = chainKernels.front();
  else
    for (size_t index : chainKernels)
      if (kernels[index].dtype == combine->dtype)
        writesO = index;
  if (combine && problem.o.getRank() != 4)
    return makeError(llvm::formatv("o must have rank 4 {0}, got shape {1}",
                                   getOutputAxes(problem.layout),
                                   formatSizes(problem.o.sizes)));
  if (combine && getDTypeName(problem.o.dtype) != combine->dtype)
    return makeError(llvm::formatv("o must be {0} (the spec's result type), "
                                   "got {1}",
                                   combine->dtype,
                                   getDTypeName(problem.o.dtype)));

  // Placeholders for the temporaries: 16-byte aligned, far from any real
  // allocation, so that validation can run before allocating them.
  size_t numTemporaries = 0;
  for (size_t index : chainKernels) {
    const KernelInfo &info = kernels[index];
    SpecLaunchPlan::Chain chain;
    chain.kernel = index;
    AttentionProblem &p = chain.problem;
    p.layout = problem.layout;
    auto bind = [&](int64_t number, StringRef what, TensorRef &into) -> Error {
      Expected<TensorRef> arg = getArgument(info, number, what);
      if (!arg)
        return arg.takeError();
      into = *arg;
      return Error::success();
    };
    if (Error err = bind(info.queryArg, "the queries", p.q))
      return std::move(err);
    if (Error err = bind(info.keyArg, "the keys", p.k))
      return std::move(err);
    if (Error err = bind(info.valueArg, "the values", p.v))
      return std::move(err);
    if (info.hasInitialState) {
      TensorRef state;
      if (Error err = bind(info.initialStateArg, "the initial state", state))
        return std::move(err);
      p.initialState = state;
    }
    for (const mlir::attn::KernelSideInput &input : info.sideInputs) {
      TensorRef tensor;
      if (Error err =
              bind(input.argNumber, "side input '" + input.name + "'", tensor))
        return std::move(err);
      p.sideInputs.push_back({input.name, tensor});
    }
    if (!combine) {
      p.lse = problem.lse;
      p.finalState = problem.finalState;
    }
    p.segments = info.isChunked() ? problem.segments : 0;
    if (writesO == index) {
      p.o = problem.o;
    } else {
      Expected<DType> dtype = parseKernelDType(info.dtype, "a chain output");
      if (!dtype)
        return dtype.takeError();
      chain.temporary = static_cast<int64_t>(numTemporaries++);
      size_t bytes = static_cast<size_t>(problem.o.getNumElements() *
                                         getDTypeSize(*dtype));
      plan.temporaryBytes.push_back(bytes);
      uint64_t address =
          static_cast<size_t>(chain.temporary) < temporaries.size()
              ? temporaries[chain.temporary]
              : (uint64_t(1) << 62) + (uint64_t(chain.temporary) << 50);
      p.o = TensorRef::contiguous(reinterpret_cast<void *>(address), *dtype,
                                  problem.o.sizes);
    }
    // Checks it all, as the launch will.
    Expected<PackedLaunch> packed = packLaunch(info, p);
    if (!packed)
      return makeError(describeChain(info) + ": " +
                       llvm::toString(packed.takeError()));
    plan.chains.push_back(std::move(chain));
  }

  if (combine) {
    llvm::SmallVector<TensorRef> operands;
    for (const mlir::attn::KernelCombineOperand &operand :
         combine->combineOperands) {
      auto chain = llvm::find_if(plan.chains, [&](const auto &c) {
        return kernels[c.kernel].moduleName == operand.module;
      });
      if (chain == plan.chains.end())
        return makeError("combine kernel '" + combine->moduleName +
                         "' reads the output of '" + operand.module +
                         "', which is no chain kernel of the spec");
      operands.push_back(chain->problem.o);
    }
    Expected<PackedLaunch> packed =
        packCombineLaunch(*combine, operands, problem.o, problem.layout);
    if (!packed)
      return packed.takeError();
    plan.combineLaunch = std::move(*packed);
  }
  return plan;
}

SpecLauncher::SpecLauncher(
    std::vector<std::pair<std::string, KernelInfo>> kernels, ImageKind kind) {
  for (auto &[image, info] : kernels) {
    infos.push_back(info);
    launchers.push_back(
        std::make_unique<KernelLauncher>(std::move(image), info, kind));
  }
}

SpecLauncher::~SpecLauncher() = default;

Error SpecLauncher::launch(const SpecProblem &problem, cuda::CUstream stream) {
  // Everything that can be checked without the device is, first.
  Expected<SpecLaunchPlan> plan = planSpecLaunch(infos, problem);
  if (!plan)
    return plan.takeError();
  llvm::SmallVector<uint64_t> addresses;
  if (!plan->temporaryBytes.empty()) {
    Expected<CudaDriver &> driver = CudaDriver::get();
    if (!driver)
      return driver.takeError();
    Expected<cuda::CUcontext> context = driver->getCurrentContext();
    if (!context)
      return context.takeError();
    if (!*context) {
      if (Error err = driver->makeCurrent(0))
        return err;
      context = driver->getCurrentContext();
      if (!context)
        return context.takeError();
    }
    // One buffer, each temporary 256-byte aligned in it.
    size_t total = 0;
    llvm::SmallVector<size_t> offsets;
    for (size_t bytes : plan->temporaryBytes) {
      offsets.push_back(total);
      total += (bytes + 255) / 256 * 256;
    }
    uint64_t base;
    {
      std::lock_guard<std::mutex> lock(mutex);
      DeviceBuffer &buffer = temporaries[{*context, stream}];
      if (buffer.size() < total) {
        // The old buffer may still be in use by a launch on `stream`.
        if (buffer)
          if (Error err = driver->synchronize(stream))
            return err;
        Expected<DeviceBuffer> grown = driver->allocate(total);
        if (!grown)
          return grown.takeError();
        buffer = std::move(*grown);
      }
      base = static_cast<uint64_t>(buffer.get());
    }
    for (size_t offset : offsets)
      addresses.push_back(base + offset);
    plan = planSpecLaunch(infos, problem, addresses);
    if (!plan)
      return plan.takeError();
  }
  for (const SpecLaunchPlan::Chain &chain : plan->chains)
    if (Error err = launchers[chain.kernel]->launch(chain.problem, stream))
      return err;
  if (plan->combine)
    return launchers[*plan->combine]->launch(std::move(plan->combineLaunch),
                                             stream);
  return Error::success();
}
