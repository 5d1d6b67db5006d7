//===- AlgorithmSelection.h - Quadratic or chunked linear-time form -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The compiler's main decision (DESIGN §3, docs/semantics.md §8), made in
// one place for every client: attn-plan records and explains it,
// convert-attn-to-gpu builds the kernel it names. A spec chain may be
// evaluated by the chunked linear-time form only when that form computes
// exactly its math; among legal chains the quadratic form is still chosen
// below a measured crossover length. A spec's `attn.plan = {algorithm =
// ...}` forces either form, and is refused where the form cannot compute
// the spec.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_ANALYSIS_ALGORITHMSELECTION_H
#define ATTN_ANALYSIS_ALGORITHMSELECTION_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// The two ways of evaluating a spec chain.
enum class Algorithm {
  /// Tiled over (query tile, key tile) pairs, fully masked tiles skipped:
  /// O(Nq Nk) work; any spec.
  Quadratic,
  /// A recurrence over chunks with the state on chip: O(N) work; the linear
  /// family under a causal (or no) mask.
  Chunked,
};

/// "quadratic" or "chunked", the values of a plan's `algorithm`.
StringRef stringifyAlgorithm(Algorithm algorithm);

/// The static sequence length below which a chunk-legal spec still runs in
/// the quadratic form: short sequences leave the chunked kernel's CTAs (one
/// per batch, head and value tile) too few to fill the GPU, while the
/// quadratic kernel's work is small. Measured on the GPU (the forced
/// crossover benchmark, docs/perf.md) and updated from the measurement.
inline constexpr int64_t kChunkedCrossoverTokens = 256;

/// The algorithm chosen for a chain, and why.
struct AlgorithmChoice {
  Algorithm algorithm = Algorithm::Quadratic;
  /// Why, as a phrase for -attn-explain ("chunked form not legal: normalize
  /// is softmax; ...").
  std::string reason;
  /// The first condition of chunked legality that fails, if any.
  std::optional<std::string> failedCondition;
  /// Whether the spec's `attn.plan` chose the algorithm.
  bool forced = false;
};

/// Checks whether `chain` may be evaluated in the chunked linear-time form:
/// normalize `none` or `sum`; a score bilinear in phi(q), phi(k) (no
/// attn.modify, any feature map); every mask exactly `#attn.causal`; decays
/// exponential or gated and the per-channel gate only under that causal
/// mask (off the causal triangle a decay is symmetric in |p - j|, which the
/// causal recurrence does not compute); and, where both are static, Nq =
/// Nk. Returns std::nullopt when it may, otherwise the first condition that
/// fails as a phrase fit for a diagnostic.
std::optional<std::string> checkChunkedLegality(SpecChain &chain);

/// The static sequence length of `chain` (Nk, else Nq, from the tensor
/// types), or std::nullopt when both are dynamic.
std::optional<int64_t> getStaticSequenceLength(SpecChain &chain);

/// Chooses the algorithm of `chain`: the spec's `attn.plan` algorithm if it
/// gives one; otherwise chunked when legal and either recurrent states are
/// present or the static sequence length (if any) is at least
/// kChunkedCrossoverTokens; otherwise quadratic. Fails with an error on the
/// aggregate when the spec forces the chunked form where it is not legal
/// (naming the condition) or the quadratic form on a spec with recurrent
/// states.
FailureOr<AlgorithmChoice> selectAlgorithm(SpecChain &chain);

} // namespace mlir::attn

#endif // ATTN_ANALYSIS_ALGORITHMSELECTION_H
