//===- HostRun.cpp - Run a compiled spec on host tensors ------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT/HostRun.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Reference/Reference.h"
#include "attn/Runtime/CudaDriver.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cstring>

using namespace attn;
using namespace attn::jit;
using attn::runtime::CudaDriver;
using attn::runtime::DeviceBuffer;
using attn::runtime::DType;
using attn::runtime::TensorRef;
using llvm::Error;
using llvm::Expected;

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// Element encoding
//===----------------------------------------------------------------------===//

int64_t attn::jit::getDeviceElementSize(ElementKind kind) {
  switch (kind) {
  case ElementKind::I1:
  case ElementKind::I8:
  case ElementKind::U8:
    return 1;
  case ElementKind::F16:
  case ElementKind::BF16:
    return 2;
  case ElementKind::F32:
  case ElementKind::I32:
    return 4;
  case ElementKind::F64:
  case ElementKind::I64:
    return 8;
  }
  llvm_unreachable("unknown ElementKind");
}

void attn::jit::encodeElement(double value, ElementKind kind, void *out) {
  switch (kind) {
  case ElementKind::F16: {
    llvm::APFloat half(value);
    bool lost;
    half.convert(llvm::APFloat::IEEEhalf(),
                 llvm::APFloat::rmNearestTiesToEven, &lost);
    uint16_t bits = half.bitcastToAPInt().getZExtValue();
    std::memcpy(out, &bits, 2);
    return;
  }
  case ElementKind::BF16: {
    // bf16 is the top half of an f32; roundToBF16 makes the cut exact.
    float rounded = static_cast<float>(roundToBF16(value));
    uint32_t bits;
    std::memcpy(&bits, &rounded, 4);
    uint16_t top = bits >> 16;
    std::memcpy(out, &top, 2);
    return;
  }
  case ElementKind::F32: {
    float f = static_cast<float>(value);
    std::memcpy(out, &f, 4);
    return;
  }
  case ElementKind::F64:
    std::memcpy(out, &value, 8);
    return;
  case ElementKind::I1:
  case ElementKind::U8: {
    uint8_t b = kind == ElementKind::I1 ? value != 0.0
                                        : static_cast<uint8_t>(value);
    std::memcpy(out, &b, 1);
    return;
  }
  case ElementKind::I8: {
    int8_t b = static_cast<int8_t>(value);
    std::memcpy(out, &b, 1);
    return;
  }
  case ElementKind::I32: {
    int32_t i = static_cast<int32_t>(value);
    std::memcpy(out, &i, 4);
    return;
  }
  case ElementKind::I64: {
    int64_t i = static_cast<int64_t>(value);
    std::memcpy(out, &i, 8);
    return;
  }
  }
}

double attn::jit::decodeElement(const void *in, ElementKind kind) {
  switch (kind) {
  case ElementKind::F16: {
    uint16_t bits;
    std::memcpy(&bits, in, 2);
    llvm::APFloat half(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
    bool lost;
    half.convert(llvm::APFloat::IEEEdouble(),
                 llvm::APFloat::rmNearestTiesToEven, &lost);
    return half.convertToDouble();
  }
  case ElementKind::BF16: {
    uint16_t top;
    std::memcpy(&top, in, 2);
    uint32_t bits = uint32_t(top) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case ElementKind::F32: {
    float f;
    std::memcpy(&f, in, 4);
    return f;
  }
  case ElementKind::F64: {
    double d;
    std::memcpy(&d, in, 8);
    return d;
  }
  case ElementKind::I1:
  case ElementKind::U8:
    return *static_cast<const uint8_t *>(in);
  case ElementKind::I8:
    return *static_cast<const int8_t *>(in);
  case ElementKind::I32: {
    int32_t i;
    std::memcpy(&i, in, 4);
    return i;
  }
  case ElementKind::I64: {
    int64_t i;
    std::memcpy(&i, in, 8);
    return static_cast<double>(i);
  }
  }
  llvm_unreachable("unknown ElementKind");
}

static Expected<ElementKind> parseKind(llvm::StringRef name) {
  for (ElementKind kind :
       {ElementKind::F16, ElementKind::BF16, ElementKind::F32,
        ElementKind::F64, ElementKind::I1, ElementKind::I8, ElementKind::I32,
        ElementKind::I64, ElementKind::U8})
    if (getElementKindName(kind) == name)
      return kind;
  return makeError("unknown element type '" + name + "'");
}

static Expected<DType> toDType(ElementKind kind) {
  switch (kind) {
  case ElementKind::F16:
    return DType::F16;
  case ElementKind::BF16:
    return DType::BF16;
  case ElementKind::F32:
    return DType::F32;
  case ElementKind::I1:
  case ElementKind::U8:
    return DType::U8;
  case ElementKind::I8:
    return DType::I8;
  case ElementKind::I32:
    return DType::I32;
  case ElementKind::I64:
    return DType::I64;
  case ElementKind::F64:
    break;
  }
  return makeError("f64 tensors cannot be passed to a GPU kernel");
}

/// The bytes of `tensor` in `kind`, dense row-major.
/// The CUDA driver, with device 0's primary context current (the runs here
/// upload, launch and read back on it).
static Expected<CudaDriver &> getDriverOnDevice0() {
  Expected<CudaDriver &> driver = CudaDriver::get();
  if (!driver)
    return driver.takeError();
  if (Error err = driver->makeCurrent(0))
    return std::move(err);
  return *driver;
}

/// Reads `tensor`'s elements, of device kind `as`, back from `data`.
static Error downloadTensor(CudaDriver &driver, HostTensor &tensor,
                            const void *data, ElementKind as) {
  int64_t size = getDeviceElementSize(as);
  std::vector<char> bytes(tensor.getNumElements() * size);
  if (Error err = driver.copyDeviceToHost(
          bytes.data(), reinterpret_cast<uintptr_t>(data), bytes.size()))
    return err;
  for (int64_t i = 0; i < tensor.getNumElements(); ++i)
    tensor.data[i] = decodeElement(bytes.data() + i * size, as);
  return Error::success();
}

/// Runs `launch` options.timedLaunches times and stores the mean time per
/// launch in *options.milliseconds (nothing without timed launches).
static Error timeLaunches(CudaDriver &driver, const HostRunOptions &options,
                          llvm::function_ref<Error()> launch) {
  if (options.timedLaunches <= 0)
    return Error::success();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < options.timedLaunches; ++i)
    if (Error err = launch())
      return err;
  if (Error err = driver.synchronize())
    return err;
  if (options.milliseconds)
    *options.milliseconds = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - start)
                                .count() /
                            options.timedLaunches;
  return Error::success();
}

/// Copies `bytes` to a new device buffer (at least 16 bytes, so that an
/// empty tensor still has an aligned address) kept in `buffers`; returns
/// its address.
static Expected<void *> uploadToDevice(CudaDriver &driver,
                                       std::vector<DeviceBuffer> &buffers,
                                       llvm::ArrayRef<char> bytes) {
  Expected<DeviceBuffer> buffer =
      driver.allocate(std::max<size_t>(bytes.size(), 16));
  if (!buffer)
    return buffer.takeError();
  if (!bytes.empty())
    if (Error err = buffer->copyFromHost(bytes.data(), bytes.size()))
      return std::move(err);
  buffers.push_back(std::move(*buffer));
  return buffers.back().data();
}

static std::vector<char> encodeTensor(const HostTensor &tensor,
                                      ElementKind kind) {
  int64_t size = getDeviceElementSize(kind);
  std::vector<char> bytes(tensor.data.size() * size);
  for (size_t i = 0; i < tensor.data.size(); ++i)
    encodeElement(tensor.data[i], kind, bytes.data() + i * size);
  return bytes;
}

//===----------------------------------------------------------------------===//
// runOnGPU
//===----------------------------------------------------------------------===//

/// runOnGPU for a spec of several kernels (chains and a combine kernel):
/// every argument uploaded in its own element type and the whole spec
/// launched by argument number (CompiledKernel::launch(SpecProblem)).
static Expected<std::vector<HostTensor>>
runSpecOnGPU(CompiledKernel &kernel, mlir::func::FuncOp spec,
             llvm::ArrayRef<HostTensor> args, const HostRunOptions &options) {
  if (options.packedQKV || options.inPlaceState)
    return makeError("--packed-qkv and --in-place-state apply to "
                     "single-chain specs; this spec compiled to " +
                     llvm::Twine(kernel.getKernels().size()) + " kernels");
  if (spec.getNumArguments() != args.size())
    return makeError(llvm::formatv("the spec takes {0} arguments, {1} given",
                                   spec.getNumArguments(), args.size()));
  const KernelInfo *combine = nullptr, *chain = nullptr;
  for (const KernelBinary &binary : kernel.getKernels())
    (binary.info.isCombine() ? combine : chain) = &binary.info;
  if (!combine || !chain)
    return makeError("a spec of several kernels needs a combine kernel");
  if (chain->queryArg < 0 || chain->valueArg < 0 ||
      chain->queryArg >= int64_t(args.size()) ||
      chain->valueArg >= int64_t(args.size()))
    return makeError("kernel " + chain->moduleName +
                     " names no query or values argument of the spec");
  bool bshd = combine->layout == "bshd";
  unsigned headAxis = bshd ? 2 : 1, seqAxis = bshd ? 1 : 2;
  const HostTensor &hq = args[chain->queryArg], &hv = args[chain->valueArg];
  if (hq.shape.size() != 4 || hv.shape.size() != 4)
    return makeError("q and v must be rank 4");
  std::vector<int64_t> oShape =
      bshd ? std::vector<int64_t>{hq.shape[0], hq.shape[seqAxis],
                                  hq.shape[headAxis], hv.shape[3]}
           : std::vector<int64_t>{hq.shape[0], hq.shape[headAxis],
                                  hq.shape[seqAxis], hv.shape[3]};

  Expected<CudaDriver &> driver = getDriverOnDevice0();
  if (!driver)
    return driver.takeError();
  std::vector<DeviceBuffer> buffers;
  auto upload = [&](llvm::ArrayRef<char> bytes) {
    return uploadToDevice(*driver, buffers, bytes);
  };

  runtime::SpecProblem problem;
  problem.layout = bshd ? runtime::Layout::BSHD : runtime::Layout::BHSD;
  problem.segments = options.segments;
  for (auto [argument, tensor] : llvm::zip_equal(spec.getArguments(), args)) {
    std::string name;
    llvm::raw_string_ostream os(name);
    os << mlir::getElementTypeOrSelf(argument.getType());
    Expected<ElementKind> argKind = parseKind(name);
    if (!argKind)
      return argKind.takeError();
    Expected<DType> argType = toDType(*argKind);
    if (!argType)
      return argType.takeError();
    Expected<void *> data = upload(encodeTensor(tensor, *argKind));
    if (!data)
      return data.takeError();
    problem.arguments.push_back(
        TensorRef::contiguous(*data, *argType, tensor.shape));
  }
  Expected<ElementKind> kind = parseKind(combine->dtype);
  if (!kind)
    return kind.takeError();
  Expected<DType> dtype = toDType(*kind);
  if (!dtype)
    return dtype.takeError();
  HostTensor o(*kind, oShape);
  Expected<void *> oData = upload(
      std::vector<char>(o.getNumElements() * getDeviceElementSize(*kind), 0));
  if (!oData)
    return oData.takeError();
  problem.o = TensorRef::contiguous(*oData, *dtype, oShape);

  if (Error err = kernel.launch(problem))
    return std::move(err);
  if (Error err = driver->synchronize())
    return std::move(err);
  if (Error err = downloadTensor(*driver, o, *oData, *kind))
    return std::move(err);

  if (Error err = timeLaunches(*driver, options,
                               [&] { return kernel.launch(problem); }))
    return std::move(err);
  std::vector<HostTensor> results;
  results.push_back(std::move(o));
  return results;
}

Expected<std::vector<HostTensor>>
attn::jit::runOnGPU(CompiledKernel &kernel, mlir::func::FuncOp spec,
                    llvm::ArrayRef<HostTensor> args,
                    const HostRunOptions &options) {
  if (kernel.getKernels().size() > 1)
    return runSpecOnGPU(kernel, spec, args, options);
  const KernelInfo &info = kernel.getKernelInfo();
  Expected<std::vector<reference::ArgumentInfo>> described =
      reference::describeArguments(spec);
  if (!described)
    return described.takeError();
  if (described->size() != args.size())
    return makeError(llvm::formatv("the spec takes {0} arguments, {1} given",
                                   described->size(), args.size()));
  int q = -1, k = -1, v = -1, initialState = -1;
  for (auto [index, arg] : llvm::enumerate(*described)) {
    if (arg.role == "query" && q < 0)
      q = index;
    else if (arg.role == "key" && k < 0)
      k = index;
    else if (arg.role == "values" && v < 0)
      v = index;
    else if (arg.role == "initial state" && initialState < 0)
      initialState = index;
  }
  if (q < 0 || k < 0 || v < 0)
    return makeError("the spec has no query, key or values argument");
  if (initialState >= 0 && !info.hasInitialState)
    return makeError("the spec takes an initial state but kernel " +
                     info.kernelName + " reads none");

  Expected<ElementKind> kind = parseKind(info.dtype);
  if (!kind)
    return kind.takeError();
  Expected<DType> dtype = toDType(*kind);
  if (!dtype)
    return dtype.takeError();
  bool bshd = info.layout == "bshd";
  const HostTensor &hq = args[q], &hk = args[k], &hv = args[v];
  if (hq.shape.size() != 4 || hk.shape.size() != 4 || hv.shape.size() != 4)
    return makeError("q, k and v must be rank 4");
  unsigned headAxis = bshd ? 2 : 1, seqAxis = bshd ? 1 : 2;
  int64_t batch = hq.shape[0], hqHeads = hq.shape[headAxis],
          nq = hq.shape[seqAxis], dv = hv.shape[3];

  Expected<CudaDriver &> driver = getDriverOnDevice0();
  if (!driver)
    return driver.takeError();

  std::vector<DeviceBuffer> buffers;
  auto upload = [&](llvm::ArrayRef<char> bytes) {
    return uploadToDevice(*driver, buffers, bytes);
  };

  runtime::AttentionProblem problem;
  problem.layout = bshd ? runtime::Layout::BSHD : runtime::Layout::BHSD;
  problem.segments = options.segments;
  if (options.packedQKV) {
    if (hq.shape[seqAxis] != hk.shape[seqAxis] ||
        hq.shape[3] != hk.shape[3] || hk.shape[3] != hv.shape[3])
      return makeError("--packed-qkv needs Nq == Nk and Dk == Dv");
    int64_t hkv = hk.shape[headAxis], n = nq, d = hq.shape[3];
    int64_t heads = hqHeads + 2 * hkv;
    // One buffer [B, N, Hq+2Hkv, D] (BSHD) or [B, Hq+2Hkv, N, D] (BHSD).
    std::vector<int64_t> packedShape =
        bshd ? std::vector<int64_t>{batch, n, heads, d}
             : std::vector<int64_t>{batch, heads, n, d};
    HostTensor packed(*kind, packedShape);
    auto copyIn = [&](const HostTensor &t, int64_t headOffset) {
      int64_t h = t.shape[headAxis];
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t hh = 0; hh < h; ++hh)
          for (int64_t s = 0; s < n; ++s)
            for (int64_t x = 0; x < d; ++x) {
              double value = bshd ? t.at({b, s, hh, x}) : t.at({b, hh, s, x});
              if (bshd)
                packed.at({b, s, headOffset + hh, x}) = value;
              else
                packed.at({b, headOffset + hh, s, x}) = value;
            }
    };
    copyIn(hq, 0);
    copyIn(hk, hqHeads);
    copyIn(hv, hqHeads + hkv);
    Expected<void *> base = upload(encodeTensor(packed, *kind));
    if (!base)
      return base.takeError();
    auto strides = TensorRef::getContiguousStrides(packedShape);
    int64_t headStride = strides[headAxis];
    int64_t elementSize = getDeviceElementSize(*kind);
    auto view = [&](const HostTensor &t, int64_t headOffset) {
      return TensorRef(static_cast<char *>(*base) +
                           headOffset * headStride * elementSize,
                       *dtype, t.shape, strides);
    };
    problem.q = view(hq, 0);
    problem.k = view(hk, hqHeads);
    problem.v = view(hv, hqHeads + hkv);
  } else {
    for (auto [index, ref] : {std::pair<int, TensorRef *>{q, &problem.q},
                              {k, &problem.k},
                              {v, &problem.v}}) {
      Expected<void *> data = upload(encodeTensor(args[index], *kind));
      if (!data)
        return data.takeError();
      *ref = TensorRef::contiguous(*data, *dtype, args[index].shape);
    }
  }

  std::vector<int64_t> oShape = bshd
                                    ? std::vector<int64_t>{batch, nq, hqHeads,
                                                           dv}
                                    : std::vector<int64_t>{batch, hqHeads, nq,
                                                           dv};
  HostTensor o(*kind, oShape);
  int64_t oBytes = o.getNumElements() * getDeviceElementSize(*kind);
  Expected<void *> oData = upload(std::vector<char>(oBytes, 0));
  if (!oData)
    return oData.takeError();
  problem.o = TensorRef::contiguous(*oData, *dtype, oShape);

  HostTensor lse(ElementKind::F32, {batch, hqHeads, nq});
  if (info.hasLse) {
    Expected<void *> lseData =
        upload(std::vector<char>(lse.getNumElements() * 4, 0));
    if (!lseData)
      return lseData.takeError();
    problem.lse = TensorRef::contiguous(*lseData, DType::F32, lse.shape);
  }

  // Recurrent states, f32 [B, Hq, F, Dv]: the initial one from the spec
  // (zeros if it has none), the final one fresh or over the initial one.
  int64_t featureDim = info.featureDim > 0 ? info.featureDim : hq.shape[3];
  if (initialState >= 0 && args[initialState].shape.size() == 4)
    featureDim = args[initialState].shape[2];
  std::vector<int64_t> stateShape{batch, hqHeads, featureDim, dv};
  HostTensor finalState(ElementKind::F32, stateShape);
  int64_t stateBytes = finalState.getNumElements() * 4;
  if (info.hasInitialState) {
    Expected<void *> data =
        initialState >= 0
            ? upload(encodeTensor(args[initialState], ElementKind::F32))
            : upload(std::vector<char>(stateBytes, 0));
    if (!data)
      return data.takeError();
    problem.initialState = TensorRef::contiguous(
        *data, DType::F32,
        initialState >= 0 ? args[initialState].shape : stateShape);
  }
  if (info.hasFinalState) {
    if (options.inPlaceState && problem.initialState) {
      problem.finalState = problem.initialState;
    } else {
      Expected<void *> data = upload(std::vector<char>(stateBytes, 0));
      if (!data)
        return data.takeError();
      problem.finalState = TensorRef::contiguous(*data, DType::F32, stateShape);
    }
  }

  for (const mlir::attn::KernelSideInput &input : info.sideInputs) {
    if (input.argNumber < 0 || input.argNumber >= int64_t(args.size()))
      return makeError("side input '" + input.name +
                       "' names no argument of the spec");
    Expected<ElementKind> inputKind = parseKind(input.dtype);
    if (!inputKind)
      return inputKind.takeError();
    Expected<DType> inputType = toDType(*inputKind);
    if (!inputType)
      return inputType.takeError();
    const HostTensor &tensor = args[input.argNumber];
    Expected<void *> data = upload(encodeTensor(tensor, *inputKind));
    if (!data)
      return data.takeError();
    problem.sideInputs.push_back(
        {input.name, TensorRef::contiguous(*data, *inputType, tensor.shape)});
  }

  if (Error err = kernel.launch(problem))
    return std::move(err);
  if (Error err = driver->synchronize())
    return std::move(err);

  // The results of the first launch, before timed launches (which, in
  // place, would advance the state again).
  auto download = [&](HostTensor &tensor, void *data, ElementKind as) {
    return downloadTensor(*driver, tensor, data, as);
  };
  if (Error err = download(o, *oData, *kind))
    return std::move(err);
  if (info.hasLse)
    if (Error err = download(lse, problem.lse->data, ElementKind::F32))
      return std::move(err);
  if (info.hasFinalState)
    if (Error err =
            download(finalState, problem.finalState->data, ElementKind::F32))
      return std::move(err);

  if (Error err = timeLaunches(*driver, options,
                               [&] { return kernel.launch(problem); }))
    return std::move(err);

  // The kernel's results in its order: o, lse, final state.
  std::vector<HostTensor> produced{std::move(o)};
  int lseIndex = -1, stateIndex = -1;
  if (info.hasLse) {
    lseIndex = produced.size();
    produced.push_back(std::move(lse));
  }
  if (info.hasFinalState) {
    stateIndex = produced.size();
    produced.push_back(std::move(finalState));
  }

  // Returned in the spec's order: each result is the (one) aggregate's
  // output, lse or final state.
  auto returnOp = llvm::dyn_cast<mlir::func::ReturnOp>(
      spec.getBody().front().getTerminator());
  std::vector<int> order;
  if (returnOp) {
    mlir::attn::AggregateOp first;
    for (mlir::Value value : returnOp.getOperands()) {
      auto aggregate = value.getDefiningOp<mlir::attn::AggregateOp>();
      if (!first)
        first = aggregate;
      if (!aggregate || aggregate != first) {
        order.clear();
        break;
      }
      int index = value == aggregate.getOutput() ? 0
                  : value == aggregate.getLse()  ? lseIndex
                                                 : stateIndex;
      if (index < 0)
        return makeError(llvm::formatv(
            "the spec returns the {0}, which kernel {1} does not write",
            value == aggregate.getLse() ? "lse" : "final state",
            info.kernelName));
      order.push_back(index);
    }
  }
  if (order.empty()) {
    // Something else (e.g. a sum of outputs): the kernel's order.
    if (produced.size() != spec.getNumResults())
      return makeError(llvm::formatv("the kernel produced {0} results for a "
                                     "spec function with {1}",
                                     produced.size(), spec.getNumResults()));
    return produced;
  }
  std::vector<HostTensor> results;
  for (int index : order)
    results.push_back(produced[index]);
  return results;
}
