//===- AlgorithmSelection.cpp - Quadratic or chunked linear-time form -----===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/AlgorithmSelection.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn;

StringRef mlir::attn::stringifyAlgorithm(Algorithm algorithm) {
  return algorithm == Algorithm::Chunked ? plan::kChunked : plan::kQuadratic;
}

/// The static extent of the sequence axis of `value`, or std::nullopt.
static std::optional<int64_t> staticSeqLen(Value value, Layout layout) {
  auto type = cast<RankedTensorType>(value.getType());
  unsigned axis = getLayoutAxes(layout).seq;
  if (type.isDynamicDim(axis))
    return std::nullopt;
  return type.getDimSize(axis);
}

std::optional<int64_t> mlir::attn::getStaticSequenceLength(SpecChain &chain) {
  Layout layout = chain.score.getLayout();
  if (std::optional<int64_t> nk = staticSeqLen(chain.score.getKey(), layout))
    return nk;
  return staticSeqLen(chain.score.getQuery(), layout);
}

std::optional<std::string> mlir::attn::checkChunkedLegality(SpecChain &chain) {
  NormalizeKind kind = chain.normalize.getKind();
  if (kind != NormalizeKind::none && kind != NormalizeKind::sum)
    return ("normalize is " + stringifyNormalizeKind(kind) +
            "; the chunked form needs none or sum")
        .str();
  bool causal = false;
  DecayOp decay;
  for (Operation *op : chain.scoreOps) {
    if (isa<ModifyOp>(op))
      return std::string("the score is not bilinear in phi(q), phi(k): "
                         "attn.modify changes it");
    if (auto mask = dyn_cast<MaskOp>(op)) {
      if (!isa<CausalAttr>(mask.getMask())) {
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "the mask " << mask.getMask() << " is neither absent nor causal";
        return text;
      }
      causal = true;
    }
    // Both decay kinds (exponential, gated) are legal under a causal mask.
    if (auto d = dyn_cast<DecayOp>(op); d && !decay)
      decay = d;
  }
  // Off the causal triangle a decay is symmetric, D = gamma^|p - j|
  // (docs/semantics.md §5): keys after the query are weighted by the decay
  // between the two positions, which a recurrence carrying the state
  // forwards cannot give.
  if (!causal && decay)
    return ("the " + stringifyDecayKind(decay.getKind()) +
            " decay has no causal mask: off the causal triangle it is "
            "symmetric in |p - j|, which the chunked recurrence does not "
            "compute")
        .str();
  if (!causal && chain.score.getGate())
    return std::string(
        "the per-channel gate has no causal mask: off the causal triangle it "
        "is symmetric in |p - j|, which the chunked recurrence does not "
        "compute");
  Layout layout = chain.score.getLayout();
  std::optional<int64_t> nq = staticSeqLen(chain.score.getQuery(), layout);
  std::optional<int64_t> nk = staticSeqLen(chain.score.getKey(), layout);
  if (nq && nk && *nq != *nk)
    return ("Nq = " + Twine(*nq) + " and Nk = " + Twine(*nk) +
            " differ; the chunked form needs as many queries as keys")
        .str();
  return std::nullopt;
}

FailureOr<AlgorithmChoice> mlir::attn::selectAlgorithm(SpecChain &chain) {
  AggregateOp aggregate = chain.aggregate;
  AlgorithmChoice choice;
  choice.failedCondition = checkChunkedLegality(chain);
  bool legal = !choice.failedCondition;
  bool hasStates = aggregate.getInitialState() || aggregate.getFinalState();

  // The spec's own choice, or the kernel's recorded one (the dialect
  // verified the value).
  auto [user, source] = getPlanOverrides(aggregate);
  if (auto forced = user ? user.getAs<StringAttr>(plan::kAlgorithm)
                         : StringAttr()) {
    choice.forced = true;
    choice.reason = ("forced by " + source).str();
    if (forced.getValue() == plan::kChunked) {
      if (!legal)
        return aggregate.emitOpError()
               << source
               << " asks for the chunked algorithm, which is not legal for "
                  "this spec: "
               << *choice.failedCondition;
      choice.algorithm = Algorithm::Chunked;
      return choice;
    }
    if (hasStates)
      return aggregate.emitOpError()
             << source
             << " asks for the quadratic algorithm, but recurrent states "
                "(initial_state, final_state) need the chunked form";
    choice.algorithm = Algorithm::Quadratic;
    return choice;
  }

  if (!legal) {
    if (hasStates)
      return aggregate.emitOpError()
             << "recurrent states need the chunked form, which is not legal "
                "for this spec: "
             << *choice.failedCondition;
    choice.algorithm = Algorithm::Quadratic;
    choice.reason = "chunked form not legal: " + *choice.failedCondition;
    return choice;
  }

  constexpr StringLiteral legalWhy =
      "the chunked linear-time form is legal: normalize none/sum, bilinear "
      "score, mask absent or causal";
  choice.algorithm = Algorithm::Chunked;
  if (hasStates) {
    choice.reason =
        (legalWhy + Twine("; recurrent states need it")).str();
    return choice;
  }
  std::optional<int64_t> length = getStaticSequenceLength(chain);
  if (!length) {
    choice.reason = (legalWhy + Twine("; the sequence length is dynamic")).str();
    return choice;
  }
  if (*length < kChunkedCrossoverTokens) {
    choice.algorithm = Algorithm::Quadratic;
    choice.reason = ("chunked form legal, but the sequence length " +
                     Twine(*length) + " is below the crossover of " +
                     Twine(kChunkedCrossoverTokens) +
                     " tokens where it wins")
                        .str();
    return choice;
  }
  choice.reason = (legalWhy + Twine("; the sequence length ") + Twine(*length) +
                   " is at least the crossover of " +
                   Twine(kChunkedCrossoverTokens) + " tokens")
                      .str();
  return choice;
}
