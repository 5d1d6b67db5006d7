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
    signature.sideInputs.push_back(std::move(spec));
  }
  return signature;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

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

Expected<PackedLaunch>
attn::runtime::packLaunch(const KernelInfo &info,
                          const AttentionProblem &given) {
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
  auto checkStatic = [&](int64_t expected, int64_t actual,
                         StringRef name) -> Error {
    if (expected >= 0 && expected != actual)
      return makeError(llvm::formatv(
          "{0}: {1} = {2}, but the kernel was compiled for {1} = {3}",
          info.kernelName, name, actual, expected));
    return Error::success();
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

  // Query tiles (quadratic) or value-column tiles (chunked).
  int64_t gridX = info.gridX(dims->queryLength);
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

Expected<cuda::CUfunction> KernelLauncher::getFunction(CudaDriver &driver) {
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
    return it->second.function;

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
  Expected<cuda::CUfunction> function = module->getFunction(info.kernelName);
  if (!function)
    return function.takeError();
  // Above 48 KiB, dynamic shared memory must be opted into per function.
  if (info.sharedBytes > 48 * 1024)
    if (Error err = driver.setMaxDynamicSharedMemory(
            *function, static_cast<int>(info.sharedBytes)))
      return std::move(err);
  Loaded &entry = loaded[*context];
  entry.module = std::move(*module);
  entry.function = *function;
  return entry.function;
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
  Expected<cuda::CUfunction> function = getFunction(*driver);
  if (!function)
    return function.takeError();
  std::vector<void *> params = packed->getParamPointers();
  return driver->launch(*function, packed->grid, packed->block,
                        packed->sharedBytes, stream, params.data());
}
