//===- AttnPlan.cpp - Choose the algorithm and tiling of attn.kernel ------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The compiler's main decision, made once per kernel and explained on
// request: which algorithm evaluates the chain (the quadratic tiled form or
// the chunked linear-time form, chosen by selectAlgorithm) and with which
// tiles, warps and pipeline stages (from the kernel builder of that form).
// A spec may override any of it through `attn.plan`.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "attn/Analysis/AlgorithmSelection.h"
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Target/TargetInfo.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPLANPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Tile sizes chosen for a kernel, and why.
struct Tiling {
  int64_t blockM, blockN, warps, stages;
  std::string reason;
};

} // namespace

/// The tiling of the kernel builder of `algorithm`, the one source of truth
/// for tile sizes (it also applies the spec's `attn.plan` overrides). For the
/// chunked form block_m is the chunk and block_n the value tile.
static Tiling chooseTiling(SpecChain &chain, Algorithm algorithm,
                           StringRef chip) {
  int64_t dv = cast<RankedTensorType>(chain.aggregate.getValues().getType())
                   .getDimSize(3);
  int64_t headDim = std::max(chain.score.getHeadDim(), dv);
  std::string where = ("for head dim " + Twine(headDim) + " on " + chip).str();
  std::string error;
  std::unique_ptr<TargetInfo> target = createTargetInfo(chip, error);
  if (algorithm == Algorithm::Chunked) {
    ChunkedPlan plan = chooseChunkedPlan(chain, chip);
    std::string reason =
        plan.fittedToSharedMemory
            ? "the default chunk and value tile " + where +
                  " shrunk to fit the tiles in shared memory" +
                  (plan.stateBuffers == 1
                       ? " (one buffer of the state S, written after a "
                         "barrier)"
                       : "")
            : "default chunk and value tile " + where;
    Type element = mlir::getElementTypeOrSelf(chain.score.getQuery().getType());
    if (element.isF32())
      reason += "; f32 operands as TF32 on the warp-level matrix ops";
    // A feature map that widens a row sizes the state: F x value tile.
    int64_t features = chain.score.getFeatureDim();
    if (features != chain.score.getHeadDim())
      reason += ", the state having F = " + std::to_string(features) + " (" +
                stringifyFeatureMap(chain.score.getFeatureMap()).str() +
                ") rows";
    if (target && usesWarpgroupChunks(chain, plan, *target))
      reason += "; its products by warpgroup matrix ops";
    if (std::optional<OutputNorm> norm = chain.aggregate.getNorm();
        norm && plan.valueTile < dv)
      reason += "; the " + stringifyOutputNorm(*norm).str() +
                " norm over the " + std::to_string(dv) +
                " columns of a row of o, which the CTAs of " +
                std::to_string(plan.valueTile) +
                " value columns do not hold whole, by a kernel of its own "
                "after";
    return {plan.chunk, plan.valueTile, plan.warps, plan.stages, reason};
  }
  KernelPlan plan = choosePlan(chain, chip);
  std::string reason = "default " + where;
  if (target && usesWarpgroupValues(chain, plan, *target))
    reason += "; S = Q K^T and O += P V by warpgroup matrix ops";
  else if (target && usesWarpgroupScores(chain, plan, *target))
    reason += "; S = Q K^T by warpgroup matrix ops";
  return {plan.blockM, plan.blockN, plan.warps, plan.stages, reason};
}

namespace {

struct AttnPlanPass : public attn::impl::AttnPlanPassBase<AttnPlanPass> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult result = getOperation()->walk([&](KernelOp kernel) {
      return succeeded(planKernel(kernel)) ? WalkResult::advance()
                                           : WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  LogicalResult planKernel(KernelOp kernel) {
    if (DictionaryAttr existing = kernel.getPlanAttr()) {
      if (explain)
        kernel.emitRemark() << "plan already set: " << existing;
      return success();
    }
    FailureOr<SpecChain> chain = kernel.getSpecChain();
    if (failed(chain))
      return failure();
    AggregateOp aggregate = chain->aggregate;

    // The spec's own plan, if any (the dialect verified its entries).
    auto user = aggregate->getAttrOfType<DictionaryAttr>(plan::kSpecAttrName);
    auto userInt = [&](StringRef key) -> std::optional<int64_t> {
      if (auto value = user ? dyn_cast_or_null<IntegerAttr>(user.get(key))
                            : IntegerAttr())
        return value.getInt();
      return std::nullopt;
    };

    // Algorithm (refused here when the spec forces a form that cannot
    // compute it).
    FailureOr<AlgorithmChoice> choice = selectAlgorithm(*chain);
    if (failed(choice))
      return failure();
    StringRef algorithm = stringifyAlgorithm(choice->algorithm);

    // Tiling: the spec's values over the defaults.
    Tiling tiling = chooseTiling(*chain, choice->algorithm, chip);
    bool overridden = false;
    for (auto [key, slot] :
         {std::pair(plan::kBlockM, &tiling.blockM),
          std::pair(plan::kBlockN, &tiling.blockN),
          std::pair(plan::kWarps, &tiling.warps),
          std::pair(plan::kStages, &tiling.stages)}) {
      if (std::optional<int64_t> value = userInt(key)) {
        *slot = *value;
        overridden = true;
      }
    }
    if (user && user.contains(plan::kMatrixOps))
      overridden = true;
    if (overridden)
      tiling.reason = ("from " + plan::kSpecAttrName + ", the rest " +
                       tiling.reason)
                          .str();

    Builder b(kernel.getContext());
    SmallVector<NamedAttribute> entries = {
        b.getNamedAttr(plan::kAlgorithm, b.getStringAttr(algorithm)),
        b.getNamedAttr(plan::kBlockM, b.getI64IntegerAttr(tiling.blockM)),
        b.getNamedAttr(plan::kBlockN, b.getI64IntegerAttr(tiling.blockN)),
        b.getNamedAttr(plan::kWarps, b.getI64IntegerAttr(tiling.warps)),
        b.getNamedAttr(plan::kStages, b.getI64IntegerAttr(tiling.stages)),
    };
    if (Attribute ops = user ? user.get(plan::kMatrixOps) : Attribute())
      entries.push_back(b.getNamedAttr(plan::kMatrixOps, ops));
    DictionaryAttr planAttr = b.getDictionaryAttr(entries);
    // A partial user plan may still combine into an invalid one (block_m
    // against the default warps): report it on the spec.
    if (failed(verifyPlanAttr(planAttr, /*requireComplete=*/true, [&] {
          return aggregate.emitOpError()
                 << "with " << plan::kSpecAttrName << " applied, ";
        })))
      return failure();
    kernel.setPlanAttr(planAttr);

    if (explain)
      kernel.emitRemark() << "plan: algorithm = " << algorithm << " ("
                          << choice->reason
                          << "); block_m = " << tiling.blockM
                          << ", block_n = " << tiling.blockN
                          << ", warps = " << tiling.warps
                          << ", stages = " << tiling.stages << " ("
                          << tiling.reason << ")";
    return success();
  }
};

} // namespace
