//===- ConvertAttnToGPU.cpp - The convert-attn-to-gpu pass ----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A thin wrapper: for every attn.aggregate, a `gpu.module` with the kernel
// of the algorithm selectAlgorithm picks (buildChunkedKernel for the chunked
// linear-time form, buildAttentionKernel for the quadratic one) and its
// KernelInfo as JSON; then, for each spec that does not simply return its
// one chain's results (several chains whose outputs the spec combines
// element-wise, as Based does), a `gpu.module` with the combine kernel
// (buildCombineKernel). The host functions are left as they are.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/AlgorithmSelection.h"
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/Passes.h"
#include "attn/Target/TargetInfo.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTATTNTOGPU
#include "attn/Conversion/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A chain compiled to a kernel, as its spec sees it.
struct CompiledChain {
  /// The op whose results the spec uses: the aggregate, or the attn.kernel
  /// around it after attn-fuse.
  Operation *specOp;
  /// The chain's output o among specOp's results.
  Value output;
  std::string module;
  Layout layout;
};

/// The chain of `agg` as its spec sees it: the aggregate itself, or the
/// attn.kernel result its output is returned as.
static std::pair<Operation *, Value> getSpecLevelOutput(AggregateOp agg) {
  auto kernel = dyn_cast<KernelOp>(agg->getParentOp());
  if (!kernel)
    return {agg, agg.getOutput()};
  Operation *ret = kernel.getBody().front().getTerminator();
  for (OpOperand &operand : ret->getOpOperands())
    if (operand.get() == agg.getOutput())
      return {kernel, kernel->getResult(operand.getOperandNumber())};
  return {kernel, Value()};
}

/// Adds the combine kernel of `spec`, whose chains are `chains`, unless the
/// spec returns its one chain's results as they are.
static LogicalResult addCombineKernel(func::FuncOp spec,
                                      ArrayRef<CompiledChain> chains,
                                      ModuleOp module, SymbolTable &symbols,
                                      const TargetInfo &target) {
  auto ret = dyn_cast<func::ReturnOp>(spec.getBody().back().getTerminator());
  if (!ret)
    return success();
  if (chains.size() == 1 && llvm::all_of(ret.getOperands(), [&](Value v) {
        return v.getDefiningOp() == chains.front().specOp;
      }))
    return success();
  if (ret.getNumOperands() != 1)
    return ret.emitOpError()
           << "returns " << ret.getNumOperands() << " values from a spec of "
           << chains.size()
           << " attn.aggregate chains; such a spec must return one value, "
              "an element-wise arith expression over the chains' outputs "
              "(lse and states are returned by single-chain specs only)";
  SmallVector<Value> outputs;
  SmallVector<std::string> modules;
  for (const CompiledChain &chain : chains) {
    outputs.push_back(chain.output);
    modules.push_back(chain.module);
    if (chain.layout != chains.front().layout)
      return chain.specOp->emitOpError()
             << "has layout " << stringifyLayout(chain.layout)
             << " but the spec's first chain has "
             << stringifyLayout(chains.front().layout)
             << "; the chains of a multi-chain spec must share one layout";
  }
  FailureOr<CombineExpression> expr =
      analyzeCombine(ret.getOperand(0), outputs);
  if (failed(expr))
    return failure();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto gpuModule =
      gpu::GPUModuleOp::create(builder, ret.getLoc(), "attn_combine");
  symbols.insert(gpuModule); // Renames on collision.
  OpBuilder inner = OpBuilder::atBlockBegin(gpuModule.getBody());
  FailureOr<KernelInfo> info =
      buildCombineKernel(inner, *expr, modules, chains.front().layout, target);
  if (failed(info)) {
    gpuModule.erase();
    return failure();
  }
  info->moduleName = gpuModule.getSymName().str();
  gpuModule->setAttr(kKernelInfoAttrName,
                     builder.getStringAttr(info->toJSONString()));
  return success();
}

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
    llvm::MapVector<func::FuncOp, SmallVector<CompiledChain>> specs;
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
      if (auto spec = agg->getParentOfType<func::FuncOp>()) {
        auto [specOp, output] = getSpecLevelOutput(agg);
        specs[spec].push_back(
            {specOp, output, info->moduleName, chain->score.getLayout()});
      }
    }
    if (failed)
      return signalPassFailure();
    for (auto &[spec, chains] : specs)
      if (::mlir::failed(
              addCombineKernel(spec, chains, module, symbols, *target)))
        failed = true;
    if (failed)
      return signalPassFailure();
    if (!aggregates.empty())
      module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                      builder.getUnitAttr());
  }
};

} // namespace
