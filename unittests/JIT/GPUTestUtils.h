//===- GPUTestUtils.h - Shared helpers of the GPU suites --------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What the GPU suites (GPUTest.cpp, LinearGPUTest.cpp) share: skipping
// without a GPU, the relative error, and compiling, running and comparing a
// spec with the fp64 reference on random inputs.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_JIT_GPUTESTUTILS_H
#define ATTN_UNITTESTS_JIT_GPUTESTUTILS_H

#include "JITTestUtils.h"

#include "attn/InitAll.h"
#include "attn/JIT/HostRun.h"
#include "attn/Reference/Reference.h"
#include "attn/Runtime/CudaDriver.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

namespace attn::jit::testing {

/// Skips the test unless a CUDA GPU is usable.
#define REQUIRE_GPU()                                                          \
  do {                                                                         \
    llvm::Expected<attn::runtime::CudaDriver &> driver =                       \
        attn::runtime::CudaDriver::get();                                      \
    if (!driver)                                                               \
      GTEST_SKIP() << "no CUDA GPU: " << llvm::toString(driver.takeError());   \
  } while (false)

/// ||a - b|| / ||b|| over the finite values; non-finite ones must match.
inline double relativeError(const HostTensor &actual,
                            const HostTensor &expected,
                            int64_t *nonFiniteMismatches) {
  double diff = 0, ref = 0;
  *nonFiniteMismatches = 0;
  for (auto [a, b] : llvm::zip(actual.data, expected.data)) {
    if (!std::isfinite(a) || !std::isfinite(b)) {
      *nonFiniteMismatches += !((std::isnan(a) && std::isnan(b)) || a == b);
      continue;
    }
    diff += (a - b) * (a - b);
    ref += b * b;
  }
  if (ref == 0)
    return diff == 0 ? 0 : INFINITY;
  return std::sqrt(diff / ref);
}

/// A spec parsed in a context of its own (the module keeps it alive).
struct ParsedSpec {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// Parses spec `text` with the spec dialects loaded; a null module (and the
/// parser's diagnostics on stderr) on error.
inline ParsedSpec parseSpec(llvm::StringRef text) {
  ParsedSpec spec;
  spec.context = std::make_unique<mlir::MLIRContext>();
  mlir::attn::loadSpecDialects(*spec.context);
  spec.module =
      mlir::parseSourceString<mlir::ModuleOp>(text, spec.context.get());
  return spec;
}

/// The first spec function of `module`.
inline mlir::func::FuncOp getSpec(mlir::ModuleOp module) {
  mlir::func::FuncOp spec;
  module.walk([&](mlir::func::FuncOp func) {
    if (!spec && !func.isExternal())
      spec = func;
  });
  return spec;
}

struct RunResult {
  std::vector<HostTensor> gpu, reference;
};

/// Compiles `module`, runs it on random inputs of `size` (then given to
/// `editInputs`, if set) on the GPU and on the reference, and checks every
/// result against the tolerance of its element type (bf16 1e-2; f16 and f32,
/// whose TF32 products keep 10 bits too, 5e-3), or `tolerance` when
/// given. Returns the results for further checks.
inline std::optional<RunResult> runAndCompare(
    mlir::ModuleOp module, const reference::ProblemSize &size,
    const HostRunOptions &runOptions = {}, uint64_t seed = 1,
    llvm::StringRef expectedAlgorithm = {},
    std::optional<double> tolerance = std::nullopt,
    llvm::function_ref<void(std::vector<HostTensor> &)> editInputs = {}) {
  mlir::func::FuncOp spec = getSpec(module);
  EXPECT_TRUE(spec);
  if (!spec)
    return std::nullopt;
  auto kernel = CompiledKernel::compile(module);
  if (!kernel) {
    ADD_FAILURE() << "compile: " << llvm::toString(kernel.takeError());
    return std::nullopt;
  }
  auto inputs = reference::makeRandomInputs(spec, size, seed);
  if (!inputs) {
    ADD_FAILURE() << "inputs: " << llvm::toString(inputs.takeError());
    return std::nullopt;
  }
  if (editInputs)
    editInputs(*inputs);
  auto gpu = runOnGPU(**kernel, spec, *inputs, runOptions);
  if (!gpu) {
    ADD_FAILURE() << "GPU run: " << llvm::toString(gpu.takeError());
    return std::nullopt;
  }
  auto ref = reference::evaluate(spec, *inputs);
  if (!ref) {
    ADD_FAILURE() << "reference: " << llvm::toString(ref.takeError());
    return std::nullopt;
  }
  if (!expectedAlgorithm.empty()) {
    EXPECT_EQ((*kernel)->getKernelInfo().algorithm, expectedAlgorithm.str())
        << "the compiler chose another algorithm";
  }
  if (!tolerance)
    tolerance = (*kernel)->getKernelInfo().dtype == "bf16" ? 1e-2 : 5e-3;
  for (size_t i = 0; i < gpu->size(); ++i) {
    int64_t mismatches = 0;
    double err = relativeError((*gpu)[i], (*ref)[i], &mismatches);
    EXPECT_LE(err, *tolerance)
        << "result " << i << " of @" << spec.getSymName().str() << " at B"
        << size.batch << " Hq" << size.qHeads << " Hkv" << size.kvHeads << " Nq"
        << size.qLen << " Nk" << size.kvLen;
    EXPECT_EQ(mismatches, 0) << "non-finite values differ in result " << i;
  }
  return RunResult{std::move(*gpu), std::move(*ref)};
}

} // namespace attn::jit::testing

#endif // ATTN_UNITTESTS_JIT_GPUTESTUTILS_H
