//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/CudaDriver.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstring>
#include <dlfcn.h>

using namespace attn::runtime;
using namespace attn::runtime::cuda;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

/// One function pointer per line of CudaSymbols.def.
struct CudaDriver::Symbols {
#define CUDA_SYMBOL(member, symbol, ...)                                       \
  CUresult (*member)(__VA_ARGS__) = nullptr;
#include "CudaSymbols.def"
};

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// "CUDA_ERROR_OUT_OF_MEMORY (out of memory)", or the number when the driver
/// does not know the code.
static std::string describeResult(const CudaDriver::Symbols &symbols,
                                  CUresult result) {
  const char *name = nullptr, *description = nullptr;
  if (symbols.cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    return llvm::formatv("unknown CUDA error {0}", result).str();
  if (symbols.cuGetErrorString(result, &description) != CUDA_SUCCESS ||
      !description)
    return name;
  return llvm::formatv("{0} ({1})", name, description).str();
}

//===----------------------------------------------------------------------===//
// Architectures
//===----------------------------------------------------------------------===//

std::string ComputeCapability::getArchName() const {
  return llvm::formatv("sm_{0}{1}", major, minor).str();
}

Expected<CudaArch> CudaArch::parse(StringRef name) {
  StringRef rest = name;
  CudaArch arch;
  unsigned number = 0;
  if (rest.consume_front("sm_")) {
    if (rest.consume_back("a"))
      arch.suffix = 'a';
    else if (rest.consume_back("f"))
      arch.suffix = 'f';
    if (rest.size() >= 2 && llvm::all_of(rest, llvm::isDigit) &&
        !rest.getAsInteger(10, number)) {
      arch.capability = {static_cast<int>(number / 10),
                         static_cast<int>(number % 10)};
      return arch;
    }
  }
  return makeError("invalid CUDA architecture '" + name +
                   "': expected sm_<major><minor>[a|f], e.g. sm_80 or sm_90a");
}

std::string CudaArch::getName() const {
  std::string name = capability.getArchName();
  if (suffix)
    name += suffix;
  return name;
}

Error attn::runtime::checkArchitecture(StringRef required,
                                       ComputeCapability capability, int device,
                                       StringRef deviceName, ImageKind kind) {
  Expected<CudaArch> arch = CudaArch::parse(required);
  if (!arch)
    return arch.takeError();
  ComputeCapability want = arch->capability;
  bool sameMajor = capability.major == want.major;
  bool atLeast = capability.major > want.major ||
                 (sameMajor && capability.minor >= want.minor);
  bool runs;
  std::string rule;
  if (arch->suffix == 'a') {
    runs = capability == want;
    rule = llvm::formatv("{0} code runs only on compute capability {1}.{2}",
                         arch->getName(), want.major, want.minor);
  } else if (arch->suffix == 'f' || kind == ImageKind::Cubin) {
    runs = sameMajor && atLeast;
    rule = llvm::formatv("{0} {1} runs on compute capability {2}.{3} to "
                         "{2}.x",
                         arch->getName(),
                         kind == ImageKind::Cubin ? "cubin" : "code",
                         want.major, want.minor);
  } else {
    runs = atLeast;
    rule = llvm::formatv("{0} PTX runs on compute capability {1}.{2} or "
                         "newer",
                         arch->getName(), want.major, want.minor);
  }
  if (runs)
    return Error::success();
  return makeError(llvm::formatv("kernel built for {0} but device {1} is {2} "
                                 "({3}): {4}; rebuild the kernel for {2}",
                                 arch->getName(), device,
                                 capability.getArchName(), deviceName, rule));
}

//===----------------------------------------------------------------------===//
// Loading the driver
//===----------------------------------------------------------------------===//

namespace {
/// What the first CudaDriver::get() found, kept for the process.
struct DriverState {
  CudaDriver *driver = nullptr;
  std::string error;
};
} // namespace

CudaDriver::CudaDriver(void *library, std::unique_ptr<Symbols> symbols)
    : library(library), symbols(std::move(symbols)) {}

// The driver is never unloaded: libcuda tears itself down at exit, and
// dlclose before that would leave dangling callbacks.
CudaDriver::~CudaDriver() = default;

Expected<CudaDriver &> CudaDriver::get() {
  // A function-local static: initialised once, thread-safe, never destroyed.
  static DriverState *state = [] {
    auto *state = new DriverState;
    dlerror();
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *reason = dlerror();
      state->error = llvm::formatv("no CUDA driver: libcuda.so.1 not found "
                                   "({0})",
                                   reason ? reason : "dlopen failed")
                         .str();
      return state;
    }
    auto symbols = std::make_unique<Symbols>();
#define CUDA_SYMBOL(member, symbol, ...)                                       \
  symbols->member =                                                            \
      reinterpret_cast<decltype(symbols->member)>(dlsym(library, #symbol));    \
  if (!symbols->member) {                                                      \
    state->error = "CUDA driver too old: libcuda.so.1 has no " #symbol;        \
    return state;                                                              \
  }
#include "CudaSymbols.def"

    CUresult result = symbols->cuInit(0);
    if (result == CUDA_ERROR_NO_DEVICE) {
      state->error =
          "no CUDA device: cuInit reported " + describeResult(*symbols, result);
      return state;
    }
    if (result != CUDA_SUCCESS) {
      state->error = "cuInit failed: " + describeResult(*symbols, result);
      return state;
    }
    int count = 0;
    result = symbols->cuDeviceGetCount(&count);
    if (result != CUDA_SUCCESS) {
      state->error =
          "cuDeviceGetCount failed: " + describeResult(*symbols, result);
      return state;
    }
    if (count == 0) {
      state->error = "no CUDA device: the driver reports 0 devices";
      return state;
    }
    auto *driver = new CudaDriver(library, std::move(symbols));
    driver->deviceCount = count;
    driver->primaryContexts.assign(count, nullptr);
    state->driver = driver;
    return state;
  }();
  if (!state->driver)
    return makeError(state->error);
  return *state->driver;
}

Error CudaDriver::check(CUresult result, StringRef call) {
  if (result == CUDA_SUCCESS)
    return Error::success();
  std::string message =
      (call + " failed: " + describeResult(*symbols, result)).str();
  if (result == CUDA_ERROR_INVALID_CONTEXT)
    message += "; no CUDA context is current on this thread: call "
               "CudaDriver::makeCurrent(device) first";
  return makeError(message);
}

Expected<int> CudaDriver::getDriverVersion() {
  int version = 0;
  if (Error err =
          check(symbols->cuDriverGetVersion(&version), "cuDriverGetVersion"))
    return std::move(err);
  return version;
}

//===----------------------------------------------------------------------===//
// Devices
//===----------------------------------------------------------------------===//

/// The CUdevice of ordinal `device`, or an error if there is none.
static Expected<CUdevice>
getDevice(CudaDriver &driver, const CudaDriver::Symbols &symbols, int device) {
  if (device < 0 || device >= driver.getDeviceCount())
    return makeError(llvm::formatv("CUDA device {0} does not exist ({1} "
                                   "device{2})",
                                   device, driver.getDeviceCount(),
                                   driver.getDeviceCount() == 1 ? "" : "s"));
  CUdevice handle = 0;
  if (Error err =
          driver.check(symbols.cuDeviceGet(&handle, device), "cuDeviceGet"))
    return std::move(err);
  return handle;
}

static Expected<int> getAttribute(CudaDriver &driver,
                                  const CudaDriver::Symbols &symbols,
                                  int device, int attribute,
                                  StringRef attributeName) {
  Expected<CUdevice> handle = getDevice(driver, symbols, device);
  if (!handle)
    return handle.takeError();
  int value = 0;
  if (Error err =
          driver.check(symbols.cuDeviceGetAttribute(&value, attribute, *handle),
                       ("cuDeviceGetAttribute(" + attributeName + ")").str()))
    return std::move(err);
  return value;
}

Expected<std::string> CudaDriver::getDeviceName(int device) {
  Expected<CUdevice> handle = getDevice(*this, *symbols, device);
  if (!handle)
    return handle.takeError();
  char name[256] = {0};
  if (Error err = check(symbols->cuDeviceGetName(name, sizeof(name), *handle),
                        "cuDeviceGetName"))
    return std::move(err);
  return std::string(name, strnlen(name, sizeof(name)));
}

Expected<ComputeCapability> CudaDriver::getComputeCapability(int device) {
  Expected<int> major = getAttribute(
      *this, *symbols, device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
      "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR");
  if (!major)
    return major.takeError();
  Expected<int> minor = getAttribute(
      *this, *symbols, device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
      "CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR");
  if (!minor)
    return minor.takeError();
  return ComputeCapability{*major, *minor};
}

Expected<int> CudaDriver::getMultiprocessorCount(int device) {
  return getAttribute(*this, *symbols, device,
                      CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
                      "CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT");
}

Expected<int> CudaDriver::getMaxSharedMemoryPerBlockOptin(int device) {
  return getAttribute(*this, *symbols, device,
                      CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
                      "CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN");
}

Expected<DeviceInfo> CudaDriver::getDeviceInfo(int device) {
  DeviceInfo info;
  info.device = device;
  Expected<std::string> name = getDeviceName(device);
  if (!name)
    return name.takeError();
  info.name = std::move(*name);
  Expected<ComputeCapability> capability = getComputeCapability(device);
  if (!capability)
    return capability.takeError();
  info.capability = *capability;
  Expected<int> sms = getMultiprocessorCount(device);
  if (!sms)
    return sms.takeError();
  info.multiprocessorCount = *sms;
  Expected<int> shared = getMaxSharedMemoryPerBlockOptin(device);
  if (!shared)
    return shared.takeError();
  info.maxSharedMemoryPerBlockOptin = *shared;
  return info;
}

Error CudaDriver::checkArchitecture(StringRef required, int device,
                                    ImageKind kind) {
  Expected<ComputeCapability> capability = getComputeCapability(device);
  if (!capability)
    return capability.takeError();
  Expected<std::string> name = getDeviceName(device);
  if (!name)
    return name.takeError();
  return runtime::checkArchitecture(required, *capability, device, *name, kind);
}

//===----------------------------------------------------------------------===//
// Contexts
//===----------------------------------------------------------------------===//

Expected<CUcontext> CudaDriver::retainPrimaryContext(int device) {
  Expected<CUdevice> handle = getDevice(*this, *symbols, device);
  if (!handle)
    return handle.takeError();
  CUcontext context = nullptr;
  if (Error err = check(symbols->cuDevicePrimaryCtxRetain(&context, *handle),
                        "cuDevicePrimaryCtxRetain"))
    return std::move(err);
  return context;
}

Error CudaDriver::releasePrimaryContext(int device) {
  Expected<CUdevice> handle = getDevice(*this, *symbols, device);
  if (!handle)
    return handle.takeError();
  return check(symbols->cuDevicePrimaryCtxRelease(*handle),
               "cuDevicePrimaryCtxRelease_v2");
}

Error CudaDriver::setCurrentContext(CUcontext context) {
  return check(symbols->cuCtxSetCurrent(context), "cuCtxSetCurrent");
}

Expected<CUcontext> CudaDriver::getCurrentContext() {
  CUcontext context = nullptr;
  if (Error err = check(symbols->cuCtxGetCurrent(&context), "cuCtxGetCurrent"))
    return std::move(err);
  return context;
}

Expected<int> CudaDriver::getCurrentDevice() {
  CUdevice device = 0;
  if (Error err = check(symbols->cuCtxGetDevice(&device), "cuCtxGetDevice"))
    return std::move(err);
  return static_cast<int>(device);
}

Error CudaDriver::makeCurrent(int device) {
  CUcontext context = nullptr;
  {
    std::lock_guard<std::mutex> lock(contextsMutex);
    if (device >= 0 && device < deviceCount)
      context = primaryContexts[device];
    if (!context) {
      Expected<CUcontext> retained = retainPrimaryContext(device);
      if (!retained)
        return retained.takeError();
      context = primaryContexts[device] = *retained;
    }
  }
  return setCurrentContext(context);
}

//===----------------------------------------------------------------------===//
// Modules and launches
//===----------------------------------------------------------------------===//

Expected<CudaModule> CudaDriver::loadModule(StringRef image) {
  if (image.empty())
    return makeError("cannot load an empty CUDA module image");
  // A cubin is an ELF file and a fatbin starts with 0xBA55ED50; anything
  // else is PTX text, which the driver reads up to a NUL.
  bool isBinary = image.starts_with("\x7f"
                                    "ELF") ||
                  image.starts_with("\x50\xed\x55\xba");
  std::string ptx;
  const void *data = image.data();
  if (!isBinary && image.back() != '\0') {
    ptx = image.str();
    data = ptx.c_str();
  }

  char errorLog[16384] = {0};
  char infoLog[4096] = {0};
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {
      errorLog, reinterpret_cast<void *>(uintptr_t(sizeof(errorLog))), infoLog,
      reinterpret_cast<void *>(uintptr_t(sizeof(infoLog)))};
  CUmodule module = nullptr;
  CUresult result = symbols->cuModuleLoadDataEx(
      &module, data, std::size(options), options, values);
  if (Error err = check(result, isBinary ? "cuModuleLoadDataEx (cubin)"
                                         : "cuModuleLoadDataEx (PTX)")) {
    StringRef log(errorLog, strnlen(errorLog, sizeof(errorLog)));
    log = log.trim();
    if (log.empty())
      return std::move(err);
    return makeError(llvm::toString(std::move(err)) + "; JIT log:\n" + log);
  }
  return CudaModule(*this, module);
}

Error CudaDriver::unloadModule(CUmodule module) {
  return check(symbols->cuModuleUnload(module), "cuModuleUnload");
}

Expected<CUfunction> CudaDriver::getFunction(CUmodule module, StringRef name) {
  std::string nameString = name.str();
  CUfunction function = nullptr;
  if (Error err = check(
          symbols->cuModuleGetFunction(&function, module, nameString.c_str()),
          "cuModuleGetFunction(\"" + nameString + "\")"))
    return std::move(err);
  return function;
}

Expected<std::pair<CUdeviceptr, size_t>> CudaDriver::getGlobal(CUmodule module,
                                                               StringRef name) {
  std::string nameString = name.str();
  CUdeviceptr pointer = 0;
  size_t bytes = 0;
  if (Error err = check(symbols->cuModuleGetGlobal(&pointer, &bytes, module,
                                                   nameString.c_str()),
                        "cuModuleGetGlobal_v2(\"" + nameString + "\")"))
    return std::move(err);
  return std::make_pair(pointer, bytes);
}

Error CudaDriver::setMaxDynamicSharedMemory(CUfunction function, int bytes) {
  return check(
      symbols->cuFuncSetAttribute(
          function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
      llvm::formatv("cuFuncSetAttribute("
                    "CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, "
                    "{0})",
                    bytes)
          .str());
}

Error CudaDriver::launch(CUfunction function, Dim3 grid, Dim3 block,
                         unsigned sharedBytes, CUstream stream, void **params) {
  auto describe = [&] {
    return llvm::formatv("cuLaunchKernel(grid [{0}, {1}, {2}], block [{3}, "
                         "{4}, {5}], {6} bytes of dynamic shared memory)",
                         grid[0], grid[1], grid[2], block[0], block[1],
                         block[2], sharedBytes)
        .str();
  };
  if (!function)
    return makeError(describe() + ": null function");
  if (llvm::is_contained(grid, 0u) || llvm::is_contained(block, 0u))
    return makeError(describe() + ": every grid and block dimension must be "
                                  ">= 1");
  return check(symbols->cuLaunchKernel(function, grid[0], grid[1], grid[2],
                                       block[0], block[1], block[2],
                                       sharedBytes, stream, params, nullptr),
               describe());
}

//===----------------------------------------------------------------------===//
// Memory and streams
//===----------------------------------------------------------------------===//

Expected<CUdeviceptr> CudaDriver::memAlloc(size_t bytes) {
  CUdeviceptr pointer = 0;
  if (Error err = check(symbols->cuMemAlloc(&pointer, bytes),
                        llvm::formatv("cuMemAlloc_v2({0} bytes)", bytes).str()))
    return std::move(err);
  return pointer;
}

Expected<DeviceBuffer> CudaDriver::allocate(size_t bytes) {
  Expected<CUdeviceptr> pointer = memAlloc(bytes);
  if (!pointer)
    return pointer.takeError();
  return DeviceBuffer(*this, *pointer, bytes);
}

Error CudaDriver::memFree(CUdeviceptr pointer) {
  return check(symbols->cuMemFree(pointer), "cuMemFree_v2");
}

Error CudaDriver::copyHostToDevice(CUdeviceptr dst, const void *src,
                                   size_t bytes) {
  return check(symbols->cuMemcpyHtoD(dst, src, bytes),
               llvm::formatv("cuMemcpyHtoD_v2({0} bytes)", bytes).str());
}

Error CudaDriver::copyDeviceToHost(void *dst, CUdeviceptr src, size_t bytes) {
  return check(symbols->cuMemcpyDtoH(dst, src, bytes),
               llvm::formatv("cuMemcpyDtoH_v2({0} bytes)", bytes).str());
}

Error CudaDriver::copyDeviceToDevice(CUdeviceptr dst, CUdeviceptr src,
                                     size_t bytes) {
  return check(symbols->cuMemcpyDtoD(dst, src, bytes),
               llvm::formatv("cuMemcpyDtoD_v2({0} bytes)", bytes).str());
}

Error CudaDriver::memsetD8(CUdeviceptr dst, uint8_t value, size_t bytes) {
  return check(symbols->cuMemsetD8(dst, value, bytes),
               llvm::formatv("cuMemsetD8_v2({0} bytes)", bytes).str());
}

Expected<CUstream> CudaDriver::createStream() {
  CUstream stream = nullptr;
  // CU_STREAM_NON_BLOCKING: do not synchronise with the legacy default
  // stream, as PyTorch's side streams do not.
  if (Error err =
          check(symbols->cuStreamCreate(&stream, 0x1), "cuStreamCreate"))
    return std::move(err);
  return stream;
}

Error CudaDriver::destroyStream(CUstream stream) {
  return check(symbols->cuStreamDestroy(stream), "cuStreamDestroy_v2");
}

Error CudaDriver::synchronize(CUstream stream) {
  return check(symbols->cuStreamSynchronize(stream), "cuStreamSynchronize");
}

//===----------------------------------------------------------------------===//
// RAII wrappers
//===----------------------------------------------------------------------===//

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    llvm::consumeError(free());
    driver = other.driver;
    pointer = other.pointer;
    bytes = other.bytes;
    other.pointer = 0;
    other.bytes = 0;
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() { llvm::consumeError(free()); }

static Error checkCopySize(size_t count, size_t bytes) {
  if (count <= bytes)
    return Error::success();
  return makeError(llvm::formatv("copy of {0} bytes exceeds the device buffer "
                                 "of {1} bytes",
                                 count, bytes));
}

Error DeviceBuffer::copyFromHost(const void *src, size_t count) {
  if (Error err = checkCopySize(count, bytes))
    return err;
  return driver->copyHostToDevice(pointer, src, count);
}

Error DeviceBuffer::copyToHost(void *dst, size_t count) const {
  if (Error err = checkCopySize(count, bytes))
    return err;
  return driver->copyDeviceToHost(dst, pointer, count);
}

Error DeviceBuffer::free() {
  if (!pointer)
    return Error::success();
  CUdeviceptr freed = release();
  return driver->memFree(freed);
}

CUdeviceptr DeviceBuffer::release() {
  CUdeviceptr released = pointer;
  pointer = 0;
  bytes = 0;
  return released;
}

CudaModule &CudaModule::operator=(CudaModule &&other) noexcept {
  if (this != &other) {
    llvm::consumeError(unload());
    driver = other.driver;
    module = other.module;
    other.module = nullptr;
  }
  return *this;
}

CudaModule::~CudaModule() { llvm::consumeError(unload()); }

Expected<CUfunction> CudaModule::getFunction(StringRef name) const {
  if (!module)
    return makeError("cannot look up '" + name + "' in an unloaded module");
  return driver->getFunction(module, name);
}

Error CudaModule::unload() {
  if (!module)
    return Error::success();
  CUmodule unloaded = module;
  module = nullptr;
  return driver->unloadModule(unloaded);
}
