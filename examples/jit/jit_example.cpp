//===- jit_example.cpp - Compile and launch an attn spec from C++ ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The host C++ API end to end: build a causal sliding-window softmax spec with
// SpecBuilder, compile it for the GPU (cold, then from the cache), put random
// bf16 tensors on the device, launch, and check the output against the fp64
// reference executor.
//
//   build/bin/attn-jit-example [--len N]
//
// Without a GPU it compiles to PTX for sm_90a and says why it cannot launch.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT/HostRun.h"
#include "attn/JIT/JIT.h"
#include "attn/JIT/SpecBuilder.h"
#include "attn/Reference/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace attn;

int main(int argc, char **argv) {
  int64_t len = 1000;
  if (argc == 3 && std::strcmp(argv[1], "--len") == 0)
    len = std::atoll(argv[2]);

  // 1. The spec: causal softmax over a 512-key window, bf16, head dim 128.
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      jit::SpecBuilder(context)
          .setName("window_attention")
          .setElementType(jit::SpecElementType::BF16)
          .setHeadDim(128)
          .addCausal()
          .addWindow(511, 0)
          .build();

  // 2. Compile: for the GPU of this machine if there is one, else PTX.
  jit::JITOptions options;
  options.cacheDir.clear(); // Keep the example's first compile cold.
  llvm::Expected<std::string> chip = jit::detectChip();
  if (!chip) {
    llvm::errs() << "no GPU here (" << llvm::toString(chip.takeError())
                 << "); compiling PTX for sm_90a only\n";
    options.chip = "sm_90a";
    options.format = jit::BinaryFormat::PTX;
  }
  auto kernel = jit::CompiledKernel::compile(*module, options);
  if (!kernel) {
    llvm::errs() << "compile failed: " << llvm::toString(kernel.takeError())
                 << "\n";
    return 1;
  }
  auto cached = jit::CompiledKernel::compile(*module, options);
  if (!cached) {
    llvm::errs() << llvm::toString(cached.takeError()) << "\n";
    return 1;
  }
  const jit::KernelInfo &info = (*kernel)->getKernelInfo();
  llvm::outs() << "compiled " << info.kernelName << " (" << info.normalize
               << ", head dim " << info.headDimQK << ") for " << (*kernel)->getChip()
               << " (" << jit::getBinaryFormatName((*kernel)->getFormat())
               << ", " << (*kernel)->getBinary().size() << " bytes) in "
               << llvm::format("%.1f", (*kernel)->getCompileTimeMs())
               << " ms; cached lookup "
               << llvm::format("%.3f", (*cached)->getCompileTimeMs())
               << " ms\n";
  if (!chip)
    return 0;

  // 3. Random inputs for B=1, Hq=8, Hkv=2, N=len, launched on the GPU and
  // checked against the fp64 reference.
  auto spec = *module->getOps<mlir::func::FuncOp>().begin();
  reference::ProblemSize size{1, 8, 2, len, len};
  auto inputs = reference::makeRandomInputs(spec, size, /*seed=*/42);
  if (!inputs) {
    llvm::errs() << llvm::toString(inputs.takeError()) << "\n";
    return 1;
  }
  double ms = 0;
  jit::HostRunOptions run;
  run.timedLaunches = 10;
  run.milliseconds = &ms;
  auto gpu = jit::runOnGPU(**kernel, spec, *inputs, run);
  auto ref = reference::evaluate(spec, *inputs);
  if (!gpu || !ref) {
    llvm::errs() << (gpu ? llvm::toString(ref.takeError())
                         : llvm::toString(gpu.takeError()))
                 << "\n";
    return 1;
  }
  double num = 0, den = 0;
  const HostTensor &o = (*gpu)[0], &r = (*ref)[0];
  for (size_t i = 0; i < r.data.size(); ++i) {
    num += (o.data[i] - r.data[i]) * (o.data[i] - r.data[i]);
    den += r.data[i] * r.data[i];
  }
  double relErr = std::sqrt(num / den);
  llvm::outs() << "launched on " << *chip << ": o " << o.shapeString()
               << ", " << llvm::format("%.3f", ms)
               << " ms per launch, relative error vs fp64 reference "
               << llvm::format("%.2e", relErr) << "\n";
  return relErr <= 1e-2 ? 0 : 1;
}
