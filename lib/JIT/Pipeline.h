//===- Pipeline.h - The JIT's compilation pipeline --------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Internal to lib/JIT: the MLIR context the JIT compiles in and the pass
// pipeline that turns a spec into PTX or a cubin per `gpu.module`, with the
// `attn.kernel_info` each module carries.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_JIT_PIPELINE_H
#define ATTN_LIB_JIT_PIPELINE_H

#include "attn/JIT/JIT.h"

#include "llvm/Support/JSON.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ModuleOp;
} // namespace mlir

namespace attn::jit {

/// A context with every dialect, interface and translation the spec and its
/// lowering to NVVM need, single-threaded (one small module per compile).
std::unique_ptr<mlir::MLIRContext> createJITContext();

struct PipelineOptions {
  std::string chip;
  BinaryFormat format;
  std::string features;
};

/// A short text naming the pipeline's passes, part of the cache key.
llvm::StringRef getPipelineDescription();

/// Lowers `module` in place to binaries and returns one per gpu.module, in
/// order, each with its KernelInfo. Errors carry the MLIR diagnostics.
llvm::Expected<std::vector<KernelBinary>>
runPipeline(mlir::ModuleOp module, const PipelineOptions &options);

/// KernelInfo <-> JSON, for the on-disk cache.
llvm::json::Value kernelInfoToJSON(const KernelInfo &info);
llvm::Expected<KernelInfo> kernelInfoFromJSON(const llvm::json::Value &value);

} // namespace attn::jit

#endif // ATTN_LIB_JIT_PIPELINE_H
