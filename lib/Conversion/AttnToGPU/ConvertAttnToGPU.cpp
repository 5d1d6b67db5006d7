//===- ConvertAttnToGPU.cpp - The convert-attn-to-gpu pass ----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A thin wrapper: for every attn.aggregate, a `gpu.module` with the kernel
// of the algorithm selectAlgorithm picks (buildChunkedKernel for the chunked
// linear-time form, buildAttentionKernel for the quadratic one) and its
// KernelInfo as JSON. The host functions are left as they are.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/AlgorithmSelection.h"
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"
#include "attn/Target/TargetInfo.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPU
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct ConvertAttnToGPUPass
    : public mlir::attn::impl::ConvertAttnToGPUBase<ConvertAttnToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    std::unique_ptr<TargetInfo> target = createTargetInfo(chip, error);
    if (!target) {
      module.emitError() << "convert-attn-to-gpu: " << error;
      return signalPassFailure();
    }
    SmallVector<AggregateOp> aggregates;
    module.walk([&](AggregateOp op) { aggregates.push_back(op); });

    OpBuilder builder(module.getContext());
    SymbolTable symbols(module);
    bool failed = false;
    for (AggregateOp agg : aggregates) {
      FailureOr<SpecChain> chain = getSpecChain(agg);
      if (::mlir::failed(chain)) {
        failed = true;
        continue;
      }
      FailureOr<AlgorithmChoice> choice = selectAlgorithm(*chain);
      if (::mlir::failed(choice)) {
        failed = true;
        continue;
      }
      builder.setInsertionPointToEnd(module.getBody());
      auto gpuModule =
          gpu::GPUModuleOp::create(builder, agg.getLoc(), "attn_kernels");
      symbols.insert(gpuModule); // Renames on collision.
      OpBuilder inner = OpBuilder::atBlockBegin(gpuModule.getBody());
      FailureOr<KernelInfo> info =
          choice->algorithm == Algorithm::Chunked
              ? buildChunkedKernel(inner, *chain,
                                   chooseChunkedPlan(*chain, target->getChip()),
                                   *target)
              : buildAttentionKernel(inner, *chain,
                                     choosePlan(*chain, target->getChip()),
                                     *target);
      if (::mlir::failed(info)) {
        gpuModule.erase();
        failed = true;
        continue;
      }
      info->moduleName = gpuModule.getSymName().str();
      gpuModule->setAttr(kKernelInfoAttrName,
                         builder.getStringAttr(info->toJSONString()));
    }
    if (failed)
      return signalPassFailure();
    if (!aggregates.empty())
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      builder.getUnitAttr());
  }
};

} // namespace
