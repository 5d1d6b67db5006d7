//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// `CudaDriver` loads `libcuda.so.1` with dlopen on first use and resolves the
// driver API entry points it needs by name (see CudaSymbols.def), as IREE's
// CUDA driver does. The runtime therefore builds without a CUDA toolkit and,
// on a machine without a driver, reports a clear "no CUDA driver" error
// instead of failing to load. The few CUDA types and constants needed are
// declared here; no CUDA header is included.
//
// Every driver call is checked: a failing CUresult becomes an llvm::Error
// naming the call and the driver's error name and description.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_CUDADRIVER_H
#define ATTN_RUNTIME_CUDADRIVER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace attn {
namespace runtime {

//===----------------------------------------------------------------------===//
// CUDA driver API types, as cuda.h declares them
//===----------------------------------------------------------------------===//

namespace cuda {
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;

// The enum-typed parameters of the API are passed as int.
constexpr CUresult CUDA_SUCCESS = 0;
constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
constexpr CUresult CUDA_ERROR_INVALID_CONTEXT = 201;

constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

constexpr int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

constexpr int CU_JIT_INFO_LOG_BUFFER = 3;
constexpr int CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4;
constexpr int CU_JIT_ERROR_LOG_BUFFER = 5;
constexpr int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
} // namespace cuda

//===----------------------------------------------------------------------===//
// Architectures
//===----------------------------------------------------------------------===//

/// A compute capability, e.g. {9, 0} for H100/H200.
struct ComputeCapability {
  int major = 0;
  int minor = 0;

  /// "sm_90".
  std::string getArchName() const;
  friend bool operator==(ComputeCapability a, ComputeCapability b) {
    return a.major == b.major && a.minor == b.minor;
  }
};

/// A target a kernel binary was built for: "sm_80", "sm_90a", "sm_100f".
struct CudaArch {
  ComputeCapability capability;
  /// 'a' (architecture-specific features, this exact capability only), 'f'
  /// (family-specific: same major, minor at least this), or 0.
  char suffix = 0;

  /// Parses "sm_<major><minor>[a|f]".
  static llvm::Expected<CudaArch> parse(llvm::StringRef name);
  std::string getName() const;
};

/// What kind of image a kernel binary is: a cubin runs only on its major
/// architecture, PTX is compiled by the driver for any newer device.
enum class ImageKind { Cubin, PTX };

/// Returns success if a kernel built for `required` runs on a device of
/// `capability`, else an error such as "kernel built for sm_90a but device 0
/// is sm_80 (NVIDIA A100-SXM4-80GB)". Needs no GPU.
llvm::Error checkArchitecture(llvm::StringRef required,
                              ComputeCapability capability, int device,
                              llvm::StringRef deviceName,
                              ImageKind kind = ImageKind::Cubin);

//===----------------------------------------------------------------------===//
// The driver
//===----------------------------------------------------------------------===//

class CudaModule;
class DeviceBuffer;

/// The device properties a kernel launch cares about.
struct DeviceInfo {
  int device = 0;
  std::string name;
  ComputeCapability capability;
  int multiprocessorCount = 0;
  /// Shared memory per block a kernel may opt into with
  /// `setMaxDynamicSharedMemory`.
  int maxSharedMemoryPerBlockOptin = 0;
};

/// Grid or block dimensions of a launch.
using Dim3 = std::array<unsigned, 3>;

/// The CUDA driver API, loaded with dlopen. One instance per process, made
/// by the first `get()` and never destroyed (the driver tears itself down
/// at exit). All methods are thread-safe as the driver API is; like it,
/// memory, module and launch calls act on the calling thread's current
/// context (see `makeCurrent`).
class CudaDriver {
public:
  /// Loads the driver and runs cuInit once, on first call (thread-safe).
  /// Fails with "no CUDA driver: libcuda.so.1 not found (...)", "no CUDA
  /// device", or "cuInit failed: ...", every time it is called.
  static llvm::Expected<CudaDriver &> get();

  ~CudaDriver();
  CudaDriver(const CudaDriver &) = delete;
  CudaDriver &operator=(const CudaDriver &) = delete;

  /// The driver's CUDA version, e.g. 13000 for 13.0.
  llvm::Expected<int> getDriverVersion();

  //===--------------------------------------------------------------------===//
  // Devices
  //===--------------------------------------------------------------------===//

  /// Number of CUDA devices (at least one once `get()` succeeded).
  int getDeviceCount() const { return deviceCount; }
  llvm::Expected<std::string> getDeviceName(int device);
  llvm::Expected<ComputeCapability> getComputeCapability(int device);
  llvm::Expected<int> getMultiprocessorCount(int device);
  llvm::Expected<int> getMaxSharedMemoryPerBlockOptin(int device);
  /// All of the above.
  llvm::Expected<DeviceInfo> getDeviceInfo(int device);

  /// Returns success if a kernel built for `required` ("sm_90a") runs on
  /// `device`, else an error naming both.
  llvm::Error checkArchitecture(llvm::StringRef required, int device = 0,
                                ImageKind kind = ImageKind::Cubin);

  //===--------------------------------------------------------------------===//
  // Contexts
  //===--------------------------------------------------------------------===//

  /// Retains the primary context of `device` (one reference per call).
  llvm::Expected<cuda::CUcontext> retainPrimaryContext(int device);
  /// Drops one reference taken by retainPrimaryContext.
  llvm::Error releasePrimaryContext(int device);
  /// Makes `context` current on the calling thread.
  llvm::Error setCurrentContext(cuda::CUcontext context);
  /// The calling thread's current context (null if none).
  llvm::Expected<cuda::CUcontext> getCurrentContext();
  /// The device ordinal of the calling thread's current context.
  llvm::Expected<int> getCurrentDevice();
  /// Makes the primary context of `device` current on the calling thread,
  /// retaining it the first time (it stays retained for the process).
  llvm::Error makeCurrent(int device = 0);

  //===--------------------------------------------------------------------===//
  // Modules and launches
  //===--------------------------------------------------------------------===//

  /// Loads a cubin (ELF), fatbin, or PTX text into the current context.
  /// On failure the error carries the driver's JIT log.
  llvm::Expected<CudaModule> loadModule(llvm::StringRef image);
  llvm::Expected<cuda::CUfunction> getFunction(cuda::CUmodule module,
                                               llvm::StringRef name);
  /// Address and size of a `__device__` global of `module`.
  llvm::Expected<std::pair<cuda::CUdeviceptr, size_t>>
  getGlobal(cuda::CUmodule module, llvm::StringRef name);
  /// Lets `function` use up to `bytes` of dynamic shared memory (needed
  /// above 48 KiB).
  llvm::Error setMaxDynamicSharedMemory(cuda::CUfunction function, int bytes);
  /// Launches `function`; `params` points to one pointer per kernel
  /// parameter, as cuLaunchKernel takes them.
  llvm::Error launch(cuda::CUfunction function, Dim3 grid, Dim3 block,
                     unsigned sharedBytes, cuda::CUstream stream,
                     void **params);

  //===--------------------------------------------------------------------===//
  // Memory and streams
  //===--------------------------------------------------------------------===//

  /// Allocates `bytes` of device memory in the current context.
  llvm::Expected<DeviceBuffer> allocate(size_t bytes);
  llvm::Expected<cuda::CUdeviceptr> memAlloc(size_t bytes);
  llvm::Error memFree(cuda::CUdeviceptr pointer);
  llvm::Error copyHostToDevice(cuda::CUdeviceptr dst, const void *src,
                               size_t bytes);
  llvm::Error copyDeviceToHost(void *dst, cuda::CUdeviceptr src, size_t bytes);
  llvm::Error copyDeviceToDevice(cuda::CUdeviceptr dst, cuda::CUdeviceptr src,
                                 size_t bytes);
  llvm::Error memsetD8(cuda::CUdeviceptr dst, uint8_t value, size_t bytes);

  llvm::Expected<cuda::CUstream> createStream();
  llvm::Error destroyStream(cuda::CUstream stream);
  /// Waits for all work on `stream` (null: the legacy default stream).
  llvm::Error synchronize(cuda::CUstream stream = nullptr);

  /// Module unloading, for CudaModule.
  llvm::Error unloadModule(cuda::CUmodule module);

  /// Turns a CUresult into an error naming `call` and the driver's error
  /// name and description; success for CUDA_SUCCESS.
  llvm::Error check(cuda::CUresult result, llvm::StringRef call);

  /// The table of driver entry points (CudaSymbols.def).
  struct Symbols;

private:
  CudaDriver(void *library, std::unique_ptr<Symbols> symbols);

  void *library;
  std::unique_ptr<Symbols> symbols;
  int deviceCount = 0;
  /// Primary contexts retained by makeCurrent, by device.
  std::mutex contextsMutex;
  std::vector<cuda::CUcontext> primaryContexts;
};

//===----------------------------------------------------------------------===//
// RAII wrappers
//===----------------------------------------------------------------------===//

/// Owns a device allocation; frees it on destruction. Move-only.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(CudaDriver &driver, cuda::CUdeviceptr pointer, size_t bytes)
      : driver(&driver), pointer(pointer), bytes(bytes) {}
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  ~DeviceBuffer();

  cuda::CUdeviceptr get() const { return pointer; }
  /// The pointer as `TensorRef::data` takes it.
  void *data() const { return reinterpret_cast<void *>(pointer); }
  size_t size() const { return bytes; }
  explicit operator bool() const { return pointer != 0; }

  /// Copies `size()` bytes (or `count`, if smaller) from/to the host.
  llvm::Error copyFromHost(const void *src, size_t count);
  llvm::Error copyToHost(void *dst, size_t count) const;

  /// Frees the memory now, returning the driver's verdict.
  llvm::Error free();
  /// Gives up ownership without freeing.
  cuda::CUdeviceptr release();

private:
  CudaDriver *driver = nullptr;
  cuda::CUdeviceptr pointer = 0;
  size_t bytes = 0;
};

/// Owns a loaded module; unloads it on destruction. Move-only.
class CudaModule {
public:
  CudaModule() = default;
  CudaModule(CudaDriver &driver, cuda::CUmodule module)
      : driver(&driver), module(module) {}
  CudaModule(CudaModule &&other) noexcept { *this = std::move(other); }
  CudaModule &operator=(CudaModule &&other) noexcept;
  ~CudaModule();

  cuda::CUmodule get() const { return module; }
  explicit operator bool() const { return module != nullptr; }

  llvm::Expected<cuda::CUfunction> getFunction(llvm::StringRef name) const;
  /// Unloads the module now, returning the driver's verdict.
  llvm::Error unload();

private:
  CudaDriver *driver = nullptr;
  cuda::CUmodule module = nullptr;
};

} // namespace runtime
} // namespace attn

#endif // ATTN_RUNTIME_CUDADRIVER_H
