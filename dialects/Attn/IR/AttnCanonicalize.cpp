//===- AttnCanonicalize.cpp - attn canonicalization patterns --------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Canonical specs have one attn.mask per chain where possible, no identity
// modifiers or decays, and constant score multipliers folded into
// attn.score's scale, so that the analyses downstream see the fewest ops.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// ModifyOp
//===----------------------------------------------------------------------===//

namespace {

/// Drops a modifier whose region yields the score unchanged.
struct DropIdentityModifier : OpRewritePattern<ModifyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ModifyOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    if (yield.getValue() != body.getArgument(0))
      return rewriter.notifyMatchFailure(op, "modifier is not the identity");
    rewriter.replaceOp(op, op.getScores());
    return success();
  }
};

/// Folds `s * c` or `s / c` (c a constant) directly after attn.score into
/// the score's scale.
struct FoldScaleIntoScore : OpRewritePattern<ModifyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ModifyOp op,
                                PatternRewriter &rewriter) const override {
    auto score = op.getScores().getDefiningOp<ScoreOp>();
    if (!score || !score->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not directly after attn.score");
    Block &body = op.getBody().front();
    Value x = body.getArgument(0);
    auto yield = cast<YieldOp>(body.getTerminator());
    Operation *def = yield.getValue().getDefiningOp();
    if (!def || def->getBlock() != &body)
      return rewriter.notifyMatchFailure(op, "no multiply to fold");

    FloatAttr cst;
    double factor;
    if (auto mul = dyn_cast<arith::MulFOp>(def)) {
      if (mul.getLhs() == x && matchPattern(mul.getRhs(), m_Constant(&cst)))
        factor = cst.getValueAsDouble();
      else if (mul.getRhs() == x && matchPattern(mul.getLhs(), m_Constant(&cst)))
        factor = cst.getValueAsDouble();
      else
        return rewriter.notifyMatchFailure(op, "not a multiply by a constant");
    } else if (auto div = dyn_cast<arith::DivFOp>(def)) {
      if (div.getLhs() != x || !matchPattern(div.getRhs(), m_Constant(&cst)))
        return rewriter.notifyMatchFailure(op, "not a division by a constant");
      factor = 1.0 / cst.getValueAsDouble();
    } else {
      return rewriter.notifyMatchFailure(op, "not a multiply or division");
    }
    // The region must be exactly the constant, the operation and the yield.
    for (Operation &inner : body.without_terminator())
      if (&inner != def && !inner.hasTrait<OpTrait::ConstantLike>())
        return rewriter.notifyMatchFailure(op, "region does more than scale");
    double scale = score.getEffectiveScale() * factor;
    if (!std::isfinite(scale) || scale == 0.0)
      return rewriter.notifyMatchFailure(op, "folded scale would be invalid");
    rewriter.modifyOpInPlace(
        score, [&] { score.setScaleAttr(rewriter.getF64FloatAttr(scale)); });
    rewriter.replaceOp(op, score.getResult());
    return success();
  }
};

} // namespace

void ModifyOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<DropIdentityModifier, FoldScaleIntoScore>(context);
}

//===----------------------------------------------------------------------===//
// MaskOp
//===----------------------------------------------------------------------===//

/// Returns `mask` with every input index shifted by `offset`.
static Attribute shiftMaskInputs(Attribute mask, int64_t offset) {
  MLIRContext *ctx = mask.getContext();
  auto shiftAll = [&](ArrayRef<Attribute> masks) {
    return llvm::map_to_vector(
        masks, [&](Attribute m) { return shiftMaskInputs(m, offset); });
  };
  if (auto doc = dyn_cast<DocumentAttr>(mask))
    return DocumentAttr::get(ctx, doc.getInput() + offset);
  if (auto bs = dyn_cast<BlockSparseAttr>(mask))
    return BlockSparseAttr::get(ctx, bs.getInput() + offset, bs.getQBlock(),
                                bs.getKBlock());
  if (auto andAttr = dyn_cast<AndAttr>(mask))
    return AndAttr::get(ctx, shiftAll(andAttr.getMasks()));
  if (auto orAttr = dyn_cast<OrAttr>(mask))
    return OrAttr::get(ctx, shiftAll(orAttr.getMasks()));
  return mask;
}

/// Appends `mask` to `masks`, flattening a nested `#attn.and`.
static void appendConjuncts(Attribute mask, SmallVectorImpl<Attribute> &masks) {
  if (auto andAttr = dyn_cast<AndAttr>(mask))
    llvm::append_range(masks, andAttr.getMasks());
  else
    masks.push_back(mask);
}

namespace {

/// mask(mask(s, A, inputs0), B, inputs1) -> mask(s, and<[A, B']>, inputs0 ++
/// inputs1), B' with its input indices shifted. At most one of the two may
/// carry a predicate region.
struct MergeMasks : OpRewritePattern<MaskOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MaskOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getScores().getDefiningOp<MaskOp>();
    if (!inner || !inner->hasOneUse())
      return rewriter.notifyMatchFailure(op, "not a mask of a mask");
    if (!inner.getPredicate().empty() && !op.getPredicate().empty())
      return rewriter.notifyMatchFailure(op, "both masks have predicates");

    int64_t offset = inner.getInputs().size();
    SmallVector<Attribute> conjuncts;
    appendConjuncts(inner.getMask(), conjuncts);
    appendConjuncts(shiftMaskInputs(op.getMask(), offset), conjuncts);
    SmallVector<Value> inputs(inner.getInputs());
    llvm::append_range(inputs, op.getInputs());

    auto merged = MaskOp::create(rewriter, op.getLoc(), op.getType(),
                                 inner.getScores(),
                                 AndAttr::get(getContext(), conjuncts), inputs);
    // The predicate's block takes (b, h, i, j, inputs...): give it the
    // merged input list.
    Location loc = op.getLoc();
    if (!inner.getPredicate().empty()) {
      rewriter.inlineRegionBefore(inner.getPredicate(), merged.getPredicate(),
                                  merged.getPredicate().end());
      Block &block = merged.getPredicate().front();
      for (Value input : op.getInputs())
        block.addArgument(input.getType(), loc);
    } else if (!op.getPredicate().empty()) {
      rewriter.inlineRegionBefore(op.getPredicate(), merged.getPredicate(),
                                  merged.getPredicate().end());
      Block &block = merged.getPredicate().front();
      for (auto [index, input] : llvm::enumerate(inner.getInputs()))
        block.insertArgument(4 + index, input.getType(), loc);
    }
    rewriter.replaceOp(op, merged.getResult());
    rewriter.eraseOp(inner);
    return success();
  }
};

/// and<[m]> / or<[m]> -> m.
struct UnwrapSingletonMask : OpRewritePattern<MaskOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MaskOp op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<Attribute> masks;
    if (auto andAttr = dyn_cast<AndAttr>(op.getMask()))
      masks = andAttr.getMasks();
    else if (auto orAttr = dyn_cast<OrAttr>(op.getMask()))
      masks = orAttr.getMasks();
    if (masks.size() != 1)
      return rewriter.notifyMatchFailure(op, "not a singleton and/or");
    rewriter.modifyOpInPlace(op, [&] { op.setMaskAttr(masks.front()); });
    return success();
  }
};

} // namespace

void MaskOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<MergeMasks, UnwrapSingletonMask>(context);
}

//===----------------------------------------------------------------------===//
// DecayOp
//===----------------------------------------------------------------------===//

namespace {

/// Exponential decay with every rate 1 multiplies by 1: drop it.
struct DropUnitDecay : OpRewritePattern<DecayOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DecayOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<ArrayRef<double>> rates = op.getRates();
    if (op.getKind() != DecayKind::exponential || !rates ||
        !llvm::all_of(*rates, [](double r) { return r == 1.0; }))
      return rewriter.notifyMatchFailure(op, "not a unit decay");
    rewriter.replaceOp(op, op.getScores());
    return success();
  }
};

} // namespace

void DecayOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<DropUnitDecay>(context);
}
