//===- AttnAnalyzeMasks.cpp - Classify the masks of each attn.kernel ------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Decides how the kernel emitter may skip (query tile, key tile) pairs: from
// tile bounds for structured masks, on the device for data-dependent masks,
// never for predicates. The kernel's mask is the conjunction of its chain's
// attn.mask ops; each conjunct is classified on its own, since a kernel
// skips a tile pair as soon as one conjunct does.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "attn/Analysis/TileClassifier.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNANALYZEMASKSPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// The conjuncts of the chain's mask: every attn.mask's expression, with
/// top-level #attn.and flattened, in chain order.
static SmallVector<Attribute> getMaskConjuncts(SpecChain &chain) {
  SmallVector<Attribute> conjuncts;
  for (Operation *op : chain.scoreOps) {
    auto mask = dyn_cast<MaskOp>(op);
    if (!mask)
      continue;
    if (auto andAttr = dyn_cast<AndAttr>(mask.getMask()))
      llvm::append_range(conjuncts, andAttr.getMasks());
    else
      conjuncts.push_back(mask.getMask());
  }
  return conjuncts;
}

/// The least static class of the leaves of `mask`: a predicate makes it
/// element-wise, a document or block-sparse leaf device-classified.
static StringRef classifyConjunct(Attribute mask) {
  bool device = false, elementwise = false;
  walkMask(mask, [&](Attribute leaf) {
    elementwise |= isa<PredicateAttr>(leaf);
    device |= isa<DocumentAttr, BlockSparseAttr>(leaf);
  });
  if (elementwise)
    return mask_class::kElementwise;
  return device ? mask_class::kDevice : mask_class::kStatic;
}

/// Reads an integer entry of a plan, or `fallback`.
static int64_t getPlanInt(DictionaryAttr plan, StringRef key,
                          int64_t fallback) {
  if (!plan)
    return fallback;
  auto value = dyn_cast_or_null<IntegerAttr>(plan.get(key));
  return value ? value.getInt() : fallback;
}

namespace {

struct AttnAnalyzeMasksPass
    : public attn::impl::AttnAnalyzeMasksPassBase<AttnAnalyzeMasksPass> {
  using Base::Base;

  void runOnOperation() override {
    if (explain && (qLen <= 0 || kvLen <= 0 || blockM <= 0 || blockN <= 0)) {
      getOperation()->emitError()
          << "attn-analyze-masks: q-len, kv-len, block-m and block-n must be "
             "positive";
      return signalPassFailure();
    }
    WalkResult result = getOperation()->walk([&](KernelOp kernel) {
      FailureOr<SpecChain> chain = kernel.getSpecChain();
      if (failed(chain))
        return WalkResult::interrupt();
      SmallVector<Attribute> conjuncts = getMaskConjuncts(*chain);
      Builder builder(kernel.getContext());
      SmallVector<StringRef> classes = llvm::map_to_vector(
          conjuncts, [](Attribute mask) { return classifyConjunct(mask); });
      kernel.setMaskClassesAttr(builder.getStrArrayAttr(classes));
      if (explain)
        explainKernel(kernel, conjuncts, classes);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  void explainKernel(KernelOp kernel, ArrayRef<Attribute> conjuncts,
                     ArrayRef<StringRef> classes) {
    DictionaryAttr plan = kernel.getPlanAttr();
    int64_t bm = getPlanInt(plan, plan::kBlockM, blockM);
    int64_t bn = getPlanInt(plan, plan::kBlockN, blockN);
    // The kernel's mask is the conjunction of its conjuncts.
    Attribute mask;
    if (conjuncts.size() == 1)
      mask = conjuncts.front();
    else if (!conjuncts.empty())
      mask = AndAttr::get(kernel.getContext(), conjuncts);
    TileStatistics stats = computeTileStatistics(mask, qLen, kvLen, bm, bn);
    auto percent = [&](int64_t n) {
      return llvm::formatv("{0:F1}%", 100.0 * n / stats.total).str();
    };
    InFlightDiagnostic diag = kernel.emitRemark();
    diag << "mask classes [";
    llvm::interleaveComma(classes, diag);
    diag << "]; Nq = " << qLen.getValue() << ", Nk = " << kvLen.getValue()
         << ", " << bm << "x" << bn << " tiles: " << stats.total
         << " tile pairs, skip " << percent(stats.skipped) << ", full "
         << percent(stats.full) << ", partial " << percent(stats.partial);
    bool unknown = llvm::any_of(
        classes, [](StringRef c) { return c != mask_class::kStatic; });
    if (unknown)
      diag << " (device-classified and element-wise conjuncts counted as "
              "partial)";
  }
};

} // namespace
