//===- Pipeline.cpp - The JIT's compilation pipeline ----------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The JIT runs `attn-lower-to-nvvm` (attn/Pipelines/Pipelines.h) as
// attention-opt does: the attn passes, convert-attn-to-gpu, the device
// lowering of each gpu.module and gpu-module-to-binary. The host function is
// left alone: the JIT's host side is the runtime. gpu-module-to-binary
// replaces each gpu.module (and its `attn.kernel_info` attribute) by a
// gpu.binary, so the JIT runs the pipeline in two steps and reads the kernel
// infos in between.
//
// The first step does not verify the IR after each of its ~20 passes (50-60
// ms of a 0.6-1.3 s cold compile, ~8 KLOC of IR each time): attention-opt
// and the lit tests, which run the same pipeline, do. The JIT verifies the
// lowered module once, before LLVM translates it, so that a lowering bug
// still surfaces as an error rather than as a crash in the NVPTX back end.
//
// A module holding gpu.modules already and no attn op (tests build such
// trivial kernels) goes through the same pipeline: the attn passes find
// nothing to do.
//
//===----------------------------------------------------------------------===//

#include "Pipeline.h"

#include "attn/InitAll.h"
#include "attn/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

using namespace mlir;
// `attn` alone is ambiguous here (mlir::attn is the dialect's namespace).
namespace jit = ::attn::jit;
using jit::BinaryFormat;
using jit::KernelBinary;
using jit::KernelInfo;
using llvm::Error;
using llvm::Expected;

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// Context
//===----------------------------------------------------------------------===//

std::unique_ptr<MLIRContext>
jit::createJITContext() {
  static std::once_flag passesRegistered;
  std::call_once(passesRegistered, [] { mlir::attn::registerAllPasses(); });

  DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);

  auto context = std::make_unique<MLIRContext>(registry,
                                               MLIRContext::Threading::DISABLED);
  // Diagnostics become error messages: the failing op's location is
  // enough, its (possibly huge) text is not.
  context->printOpOnDiagnostic(false);
  context->printStackTraceOnDiagnostic(false);
  return context;
}

//===----------------------------------------------------------------------===//
// Pipeline
//===----------------------------------------------------------------------===//

llvm::StringRef
jit::getPipelineDescription() {
  return "attn-lower-to-nvvm/1";
}

llvm::json::Value
jit::kernelInfoToJSON(const KernelInfo &info) {
  return info.toJSON();
}

Expected<KernelInfo>
jit::kernelInfoFromJSON(const llvm::json::Value &value) {
  return KernelInfo::fromJSON(value);
}

/// Runs `step` on `op`, turning its diagnostics into the error's message.
static Error withDiagnostics(Operation *op, llvm::StringRef what,
                             llvm::function_ref<LogicalResult()> step) {
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(op->getContext(), [&](Diagnostic &diag) {
    os << diag.getLocation() << ": ";
    switch (diag.getSeverity()) {
    case DiagnosticSeverity::Error:
      os << "error: ";
      break;
    case DiagnosticSeverity::Warning:
      os << "warning: ";
      break;
    case DiagnosticSeverity::Note:
      os << "note: ";
      break;
    case DiagnosticSeverity::Remark:
      os << "remark: ";
      break;
    }
    os << diag << '\n';
    for (const Diagnostic &note : diag.getNotes())
      os << note.getLocation() << ": note: " << note << '\n';
    return success();
  });
  if (succeeded(step()))
    return Error::success();
  return makeError(what + " failed" +
                   (diagnostics.empty()
                        ? llvm::Twine()
                        : ":\n" + llvm::StringRef(diagnostics).rtrim()));
}

static Error runPasses(PassManager &pm, Operation *op, llvm::StringRef what) {
  return withDiagnostics(op, what, [&] { return pm.run(op); });
}

/// Verifies the lowered module: an error here is a bug in the lowering.
static Error runVerifier(ModuleOp module) {
  return withDiagnostics(module, "verifying the lowered module",
                         [&] { return verify(module); });
}

namespace {
/// What a gpu.module says about its kernel, read before gpu-module-to-binary
/// replaces it (and its attributes) by a gpu.binary.
struct ModuleRecord {
  std::string name;
  /// The `attn.kernel_info` JSON string, if the module has one.
  std::optional<std::string> kernelInfo;
  /// The first kernel's name.
  std::string firstKernel;
};
} // namespace

static std::vector<ModuleRecord> collectModuleRecords(ModuleOp module) {
  std::vector<ModuleRecord> records;
  module.walk([&](gpu::GPUModuleOp gpuModule) {
    ModuleRecord record;
    record.name = gpuModule.getSymName().str();
    if (auto json = gpuModule->getAttrOfType<StringAttr>("attn.kernel_info"))
      record.kernelInfo = json.getValue().str();
    // By now kernels are llvm.funcs marked gpu.kernel.
    for (Operation &op : gpuModule.getBody()->getOperations())
      if (op.hasAttr(gpu::GPUDialect::getKernelFuncAttrName()))
        if (auto name = op.getAttrOfType<StringAttr>(
                SymbolTable::getSymbolAttrName())) {
          record.firstKernel = name.getValue().str();
          break;
        }
    records.push_back(std::move(record));
  });
  return records;
}

Expected<std::vector<KernelBinary>>
jit::runPipeline(ModuleOp module, const jit::PipelineOptions &options) {
  MLIRContext *context = module.getContext();
  if (!module->hasAttr(gpu::GPUDialect::getContainerModuleAttrName()))
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(context));

  mlir::attn::LowerToNVVMOptions pipelineOptions;
  pipelineOptions.chip = options.chip;
  pipelineOptions.features = options.features;
  pipelineOptions.format =
      options.format == BinaryFormat::Cubin ? "bin" : "isa";
  PassManager lower(context, ModuleOp::getOperationName());
  lower.enableVerifier(false);
  mlir::attn::buildLowerToNVVMIRPipeline(lower, pipelineOptions);
  if (Error err = runPasses(lower, module, "attn-lower-to-nvvm"))
    return std::move(err);
  if (Error err = runVerifier(module))
    return std::move(err);
  std::vector<ModuleRecord> records = collectModuleRecords(module);
  if (records.empty())
    return makeError("the spec produced no gpu.module: nothing in it is "
                     "compiled for the GPU");

  PassManager binary(context, ModuleOp::getOperationName());
  binary.enableVerifier(false);
  mlir::attn::addGpuModuleToBinary(binary, pipelineOptions);
  if (Error err = runPasses(binary, module, "attn-lower-to-nvvm"))
    return std::move(err);

  std::vector<KernelBinary> kernels;
  for (ModuleRecord &record : records) {
    KernelInfo info;
    if (record.kernelInfo) {
      Expected<KernelInfo> parsed = KernelInfo::fromJSON(llvm::StringRef(*record.kernelInfo));
      if (!parsed)
        return parsed.takeError();
      info = std::move(*parsed);
    } else {
      // A module built by hand (tests): named, without a launch contract.
      info.moduleName = record.name;
      info.kernelName = record.firstKernel;
    }
    info.arch = options.chip;
    auto binary = module.lookupSymbol<gpu::BinaryOp>(record.name);
    if (!binary || binary.getObjects().empty())
      return makeError("gpu-module-to-binary made no binary for @" +
                       record.name);
    auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    kernels.push_back({std::move(info), object.getObject().getValue().str()});
  }
  return kernels;
}
