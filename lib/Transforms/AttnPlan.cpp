//===- AttnPlan.cpp - Choose the algorithm and tiling of attn.kernel ------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The compiler's main decision, made once per kernel and explained on
// request: which algorithm evaluates the chain (the quadratic tiled form or
// the chunked linear-time form) and with which tiles, warps and pipeline
// stages. A spec may override any of it through `attn.plan`.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"
#include "attn/Transforms/Plan.h"

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPLANPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

std::optional<std::string> mlir::attn::checkChunkedLegality(SpecChain &chain) {
  NormalizeKind kind = chain.normalize.getKind();
  if (kind != NormalizeKind::none && kind != NormalizeKind::sum)
    return ("normalize is " + stringifyNormalizeKind(kind) +
            "; the chunked form needs none or sum")
        .str();
  for (Operation *op : chain.scoreOps) {
    if (isa<ModifyOp>(op))
      return std::string("the score is not bilinear in phi(q), phi(k): "
                         "attn.modify changes it");
    if (auto mask = dyn_cast<MaskOp>(op); mask && !isa<CausalAttr>(mask.getMask())) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << "the mask " << mask.getMask()
         << " is neither absent nor causal";
      return text;
    }
    // Every decay kind (exponential, gated) and the per-channel gate of
    // attn.score are legal.
  }
  return std::nullopt;
}

namespace {

/// Tile sizes chosen for a kernel, and why.
struct Tiling {
  int64_t blockM, blockN, warps, stages;
  std::string reason;
};

} // namespace

/// The tiling of the kernel emitter's choosePlan, the one source of truth
/// for tile sizes (it also applies the spec's `attn.plan` overrides).
static Tiling chooseTiling(SpecChain &chain, StringRef chip) {
  KernelPlan plan = choosePlan(chain, chip);
  int64_t dv = cast<RankedTensorType>(chain.aggregate.getValues().getType())
                   .getDimSize(3);
  int64_t headDim = std::max(chain.score.getHeadDim(), dv);
  std::string reason =
      ("default for head dim " + llvm::Twine(headDim) + " on " + chip).str();
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

    // Algorithm.
    std::optional<std::string> illegal = checkChunkedLegality(*chain);
    StringRef algorithm = illegal ? plan::kQuadratic : plan::kChunked;
    std::string why = illegal ? *illegal
                              : "normalize none/sum, bilinear score, mask "
                                "none or causal: the chunked linear-time "
                                "form is legal";
    if (auto forced = user ? dyn_cast_or_null<StringAttr>(
                                 user.get(plan::kAlgorithm))
                           : StringAttr()) {
      if (forced.getValue() == plan::kChunked && illegal)
        return aggregate.emitOpError()
               << plan::kSpecAttrName
               << " asks for the chunked algorithm, which is not legal for "
                  "this spec: "
               << *illegal;
      algorithm = forced.getValue() == plan::kChunked ? plan::kChunked
                                                      : plan::kQuadratic;
      why = ("forced by " + plan::kSpecAttrName).str();
    }

    // Tiling: the spec's values over the defaults.
    Tiling tiling = chooseTiling(*chain, chip);
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
    if (overridden)
      tiling.reason = ("from " + plan::kSpecAttrName + ", the rest " +
                       tiling.reason)
                          .str();

    Builder b(kernel.getContext());
    DictionaryAttr planAttr = b.getDictionaryAttr({
        b.getNamedAttr(plan::kAlgorithm, b.getStringAttr(algorithm)),
        b.getNamedAttr(plan::kBlockM, b.getI64IntegerAttr(tiling.blockM)),
        b.getNamedAttr(plan::kBlockN, b.getI64IntegerAttr(tiling.blockN)),
        b.getNamedAttr(plan::kWarps, b.getI64IntegerAttr(tiling.warps)),
        b.getNamedAttr(plan::kStages, b.getI64IntegerAttr(tiling.stages)),
    });
    // A partial user plan may still combine into an invalid one (block_m
    // against the default warps): report it on the spec.
    if (failed(verifyPlanAttr(planAttr, /*requireComplete=*/true, [&] {
          return aggregate.emitOpError()
                 << "with " << plan::kSpecAttrName << " applied, ";
        })))
      return failure();
    kernel.setPlanAttr(planAttr);

    if (explain)
      kernel.emitRemark() << "plan: algorithm = " << algorithm << " (" << why
                          << "); block_m = " << tiling.blockM
                          << ", block_n = " << tiling.blockN
                          << ", warps = " << tiling.warps
                          << ", stages = " << tiling.stages << " ("
                          << tiling.reason << ")";
    return success();
  }
};

} // namespace
