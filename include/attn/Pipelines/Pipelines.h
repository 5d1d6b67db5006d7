//===- Pipelines.h - attn compilation pipelines -----------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The pass pipelines that take a spec to a GPU binary: attn-lower-to-nvvm.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PIPELINES_PIPELINES_H
#define ATTN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::attn {

/// Options of attn-lower-to-nvvm.
struct LowerToNVVMOptions : public PassPipelineOptions<LowerToNVVMOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("Target GPU architecture (sm_80, sm_90a)"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX features (e.g. +ptx80)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Output of gpu-module-to-binary: isa (PTX text), bin "
                     "(cubin, needs ptxas) or fatbin"),
      llvm::cl::init("isa")};
  PassOptions::Option<bool> explain{
      *this, "explain",
      llvm::cl::desc("Explain the mask analysis and the plan in remarks "
                     "(-attn-explain)"),
      llvm::cl::init(false)};
};

/// Builds spec -> attn.kernel -> gpu.module -> NVVM -> PTX/cubin:
/// canonicalize, attn-fuse, attn-analyze-masks, attn-plan,
/// convert-attn-to-gpu, canonicalize/cse, then the device lowering of each
/// gpu.module and gpu-module-to-binary. The host function is left as it is.
void buildLowerToNVVMPipeline(OpPassManager &pm,
                              const LowerToNVVMOptions &options);

/// The same pipeline without its last pass, gpu-module-to-binary: it leaves
/// every gpu.module in the LLVM and NVVM dialects with its #nvvm.target
/// attached. The JIT runs it and gpu-module-to-binary separately, verifying
/// the module once in between (lib/JIT/Pipeline.cpp).
void buildLowerToNVVMIRPipeline(OpPassManager &pm,
                                const LowerToNVVMOptions &options);

/// Adds gpu-module-to-binary with the output format of `options`.
void addGpuModuleToBinary(OpPassManager &pm, const LowerToNVVMOptions &options);

/// Registers attn-lower-to-nvvm with the global pass pipeline registry.
void registerLowerToNVVMPipeline();

} // namespace mlir::attn

#endif // ATTN_PIPELINES_PIPELINES_H
