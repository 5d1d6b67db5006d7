//===- CudaDriverTest.cpp - Tests of the dlopen'ed CUDA driver ------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Architecture checks need no GPU and always run. On a machine without
// libcuda.so.1 (CI) the driver must fail with a clear "no CUDA driver" error
// and the device tests skip; on a GPU machine they allocate, copy and query
// the device. No kernel source is involved.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/CudaDriver.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <dlfcn.h>
#include <random>
#include <thread>

using namespace attn::runtime;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

//===----------------------------------------------------------------------===//
// Architectures (no GPU needed)
//===----------------------------------------------------------------------===//

std::string archError(llvm::StringRef required, ComputeCapability capability,
                      ImageKind kind = ImageKind::Cubin) {
  if (llvm::Error err = checkArchitecture(required, capability, 0,
                                          "NVIDIA A100-SXM4-80GB", kind))
    return llvm::toString(std::move(err));
  return "";
}

TEST(CudaArchTest, Parse) {
  llvm::Expected<CudaArch> arch = CudaArch::parse("sm_90a");
  ASSERT_TRUE(bool(arch)) << llvm::toString(arch.takeError());
  EXPECT_EQ(arch->capability, (ComputeCapability{9, 0}));
  EXPECT_EQ(arch->suffix, 'a');
  EXPECT_EQ(arch->getName(), "sm_90a");

  arch = CudaArch::parse("sm_100f");
  ASSERT_TRUE(bool(arch)) << llvm::toString(arch.takeError());
  EXPECT_EQ(arch->capability, (ComputeCapability{10, 0}));
  EXPECT_EQ(arch->suffix, 'f');

  arch = CudaArch::parse("sm_86");
  ASSERT_TRUE(bool(arch)) << llvm::toString(arch.takeError());
  EXPECT_EQ(arch->capability, (ComputeCapability{8, 6}));
  EXPECT_EQ(arch->suffix, 0);

  for (const char *bad : {"gfx942", "sm_", "sm_9", "sm_9x", "90a", "sm_90b"}) {
    llvm::Expected<CudaArch> invalid = CudaArch::parse(bad);
    ASSERT_FALSE(bool(invalid)) << bad;
    EXPECT_EQ(llvm::toString(invalid.takeError()),
              "invalid CUDA architecture '" + std::string(bad) +
                  "': expected sm_<major><minor>[a|f], e.g. sm_80 or sm_90a");
  }
}

TEST(CudaArchTest, ArchSpecificNeedsExactCapability) {
  EXPECT_EQ(archError("sm_90a", {8, 0}),
            "kernel built for sm_90a but device 0 is sm_80 (NVIDIA "
            "A100-SXM4-80GB): sm_90a code runs only on compute capability "
            "9.0; rebuild the kernel for sm_80");
  EXPECT_EQ(archError("sm_90a", {9, 0}), "");
  EXPECT_THAT(archError("sm_90a", {10, 0}),
              StartsWith("kernel built for sm_90a but device 0 is sm_100"));
}

TEST(CudaArchTest, CubinRunsWithinItsMajor) {
  EXPECT_EQ(archError("sm_80", {8, 0}), "");
  EXPECT_EQ(archError("sm_80", {8, 9}), "");
  EXPECT_EQ(archError("sm_86", {8, 0}),
            "kernel built for sm_86 but device 0 is sm_80 (NVIDIA "
            "A100-SXM4-80GB): sm_86 cubin runs on compute capability 8.6 to "
            "8.x; rebuild the kernel for sm_80");
  EXPECT_THAT(archError("sm_80", {9, 0}),
              StartsWith("kernel built for sm_80 but device 0 is sm_90"));
}

TEST(CudaArchTest, PTXRunsOnNewerDevices) {
  EXPECT_EQ(archError("sm_80", {9, 0}, ImageKind::PTX), "");
  EXPECT_THAT(archError("sm_90", {8, 0}, ImageKind::PTX),
              HasSubstr("sm_90 PTX runs on compute capability 9.0 or newer"));
  // Arch-specific PTX still needs the exact device.
  EXPECT_THAT(archError("sm_90a", {10, 0}, ImageKind::PTX),
              HasSubstr("runs only on compute capability 9.0"));
}

TEST(CudaArchTest, FamilySpecific) {
  EXPECT_EQ(archError("sm_100f", {10, 3}), "");
  EXPECT_THAT(archError("sm_100f", {12, 0}),
              StartsWith("kernel built for sm_100f but device 0 is sm_120"));
}

TEST(CudaArchTest, InvalidRequiredArch) {
  EXPECT_THAT(archError("gfx942", {9, 0}),
              StartsWith("invalid CUDA architecture 'gfx942'"));
}

//===----------------------------------------------------------------------===//
// Without a driver
//===----------------------------------------------------------------------===//

bool hasLibCuda() {
  void *handle = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!handle)
    return false;
  dlclose(handle);
  return true;
}

TEST(CudaDriverTest, NoDriverIsAClearError) {
  if (hasLibCuda())
    GTEST_SKIP() << "libcuda.so.1 is present on this machine";
  llvm::Expected<CudaDriver &> driver = CudaDriver::get();
  ASSERT_FALSE(bool(driver));
  std::string message = llvm::toString(driver.takeError());
  EXPECT_THAT(message, StartsWith("no CUDA driver: libcuda.so.1 not found ("));
  EXPECT_THAT(message, HasSubstr("libcuda.so.1"));
  // Every call reports the same error, from any thread.
  std::string again;
  std::thread([&] {
    llvm::Expected<CudaDriver &> other = CudaDriver::get();
    again = other ? "" : llvm::toString(other.takeError());
  }).join();
  EXPECT_EQ(again, message);
}

//===----------------------------------------------------------------------===//
// With a GPU
//===----------------------------------------------------------------------===//

/// Skips (never silently passes) where there is no CUDA GPU.
struct CudaDeviceTest : ::testing::Test {
  CudaDriver *driver = nullptr;

  void SetUp() override {
    llvm::Expected<CudaDriver &> got = CudaDriver::get();
    if (!got)
      GTEST_SKIP() << "no CUDA GPU: " << llvm::toString(got.takeError());
    driver = &*got;
    llvm::Error err = driver->makeCurrent(0);
    ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
  }
};

#define ASSERT_NO_ERROR(expr)                                                  \
  do {                                                                         \
    llvm::Error assertErr = (expr);                                            \
    ASSERT_FALSE(bool(assertErr)) << llvm::toString(std::move(assertErr));     \
  } while (false)

template <typename T> T unwrap(llvm::Expected<T> value) {
  if (!value) {
    ADD_FAILURE() << llvm::toString(value.takeError());
    return T();
  }
  return std::move(*value);
}

TEST_F(CudaDeviceTest, QueriesTheDevice) {
  ASSERT_GE(driver->getDeviceCount(), 1);
  llvm::Expected<DeviceInfo> info = driver->getDeviceInfo(0);
  ASSERT_TRUE(bool(info)) << llvm::toString(info.takeError());
  EXPECT_FALSE(info->name.empty());
  EXPECT_GE(info->capability.major, 5);
  EXPECT_GT(info->multiprocessorCount, 0);
  // Every GPU since Volta lets a block opt into more than 48 KiB.
  if (info->capability.major >= 7) {
    EXPECT_GT(info->maxSharedMemoryPerBlockOptin, 48 * 1024);
  }
  EXPECT_GT(unwrap(driver->getDriverVersion()), 0);
  std::cout << "device 0: " << info->name << ", "
            << info->capability.getArchName() << ", "
            << info->multiprocessorCount << " SMs, "
            << info->maxSharedMemoryPerBlockOptin
            << " bytes of opt-in shared memory per block\n";
}

TEST_F(CudaDeviceTest, RejectsMissingDevice) {
  int count = driver->getDeviceCount();
  llvm::Expected<std::string> name = driver->getDeviceName(count);
  ASSERT_FALSE(bool(name));
  EXPECT_THAT(
      llvm::toString(name.takeError()),
      StartsWith("CUDA device " + std::to_string(count) + " does not exist"));
}

TEST_F(CudaDeviceTest, ChecksArchitecture) {
  ComputeCapability cc = unwrap(driver->getComputeCapability(0));
  std::string name = unwrap(driver->getDeviceName(0));
  ASSERT_NO_ERROR(driver->checkArchitecture(cc.getArchName()));
  std::string archSpecific = cc.getArchName() + "a";
  ASSERT_NO_ERROR(driver->checkArchitecture(archSpecific));
  // A newer architecture than the device's.
  std::string newer = ComputeCapability{cc.major + 1, 0}.getArchName() + "a";
  llvm::Error err = driver->checkArchitecture(newer);
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)),
              StartsWith("kernel built for " + newer + " but device 0 is " +
                         cc.getArchName() + " (" + name + ")"));
}

TEST_F(CudaDeviceTest, CopiesRoundTrip) {
  // An odd size, so that nothing is a multiple of anything.
  const size_t bytes = (1 << 20) + 13;
  std::vector<uint8_t> input(bytes), output(bytes, 0);
  std::mt19937 random(42);
  for (uint8_t &byte : input)
    byte = static_cast<uint8_t>(random());

  llvm::Expected<DeviceBuffer> first = driver->allocate(bytes);
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  llvm::Expected<DeviceBuffer> second = driver->allocate(bytes);
  ASSERT_TRUE(bool(second)) << llvm::toString(second.takeError());
  EXPECT_NE(first->get(), 0u);
  EXPECT_EQ(first->size(), bytes);

  ASSERT_NO_ERROR(first->copyFromHost(input.data(), bytes));
  ASSERT_NO_ERROR(
      driver->copyDeviceToDevice(second->get(), first->get(), bytes));
  ASSERT_NO_ERROR(driver->synchronize());
  ASSERT_NO_ERROR(second->copyToHost(output.data(), bytes));
  EXPECT_EQ(input, output);

  // memset, then read back.
  ASSERT_NO_ERROR(driver->memsetD8(second->get(), 0xab, bytes));
  ASSERT_NO_ERROR(second->copyToHost(output.data(), bytes));
  EXPECT_EQ(output, std::vector<uint8_t>(bytes, 0xab));

  // Copies larger than the buffer are refused before reaching the driver.
  llvm::Error err = first->copyToHost(output.data(), bytes + 1);
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)),
              HasSubstr("exceeds the device buffer"));

  ASSERT_NO_ERROR(first->free());
  EXPECT_FALSE(bool(*first));
  ASSERT_NO_ERROR(first->free());
}

TEST_F(CudaDeviceTest, BuffersMove) {
  DeviceBuffer buffer = unwrap(driver->allocate(256));
  cuda::CUdeviceptr pointer = buffer.get();
  DeviceBuffer moved = std::move(buffer);
  EXPECT_EQ(moved.get(), pointer);
  EXPECT_FALSE(bool(buffer));
}

TEST_F(CudaDeviceTest, DriverErrorsNameTheCall) {
  // 1 PiB cannot be allocated.
  llvm::Expected<DeviceBuffer> huge = driver->allocate(size_t(1) << 50);
  ASSERT_FALSE(bool(huge));
  EXPECT_THAT(llvm::toString(huge.takeError()),
              StartsWith("cuMemAlloc_v2(1125899906842624 bytes) failed: "
                         "CUDA_ERROR_OUT_OF_MEMORY"));
}

TEST_F(CudaDeviceTest, MissingContextIsExplained) {
  std::string message;
  // A fresh thread has no current context.
  std::thread([&] {
    llvm::Expected<cuda::CUdeviceptr> pointer = driver->memAlloc(256);
    if (pointer)
      llvm::consumeError(driver->memFree(*pointer));
    else
      message = llvm::toString(pointer.takeError());
  }).join();
  EXPECT_THAT(message, HasSubstr("CUDA_ERROR_INVALID_CONTEXT"));
  EXPECT_THAT(message, HasSubstr("call CudaDriver::makeCurrent(device)"));
}

TEST_F(CudaDeviceTest, InvalidModuleImageReportsTheDriverError) {
  llvm::Expected<CudaModule> module =
      driver->loadModule("this is neither a cubin nor PTX");
  ASSERT_FALSE(bool(module));
  EXPECT_THAT(llvm::toString(module.takeError()),
              StartsWith("cuModuleLoadDataEx (PTX) failed: CUDA_ERROR_"));

  llvm::Expected<CudaModule> empty = driver->loadModule("");
  ASSERT_FALSE(bool(empty));
  EXPECT_EQ(llvm::toString(empty.takeError()),
            "cannot load an empty CUDA module image");
}

TEST_F(CudaDeviceTest, LaunchChecksItsArguments) {
  llvm::Error err =
      driver->launch(nullptr, {1, 1, 1}, {32, 1, 1}, 0, nullptr, nullptr);
  ASSERT_TRUE(bool(err));
  EXPECT_THAT(llvm::toString(std::move(err)), HasSubstr("null function"));
}

TEST_F(CudaDeviceTest, Streams) {
  cuda::CUstream stream = unwrap(driver->createStream());
  ASSERT_NE(stream, nullptr);
  ASSERT_NO_ERROR(driver->synchronize(stream));
  ASSERT_NO_ERROR(driver->destroyStream(stream));
}

} // namespace
