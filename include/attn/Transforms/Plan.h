//===- Plan.h - Algorithm and tiling choices for attn.kernel ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The decisions attn-plan makes, exposed so that other passes and tools
// (the linear-attention backend, explanations) reach the same answers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PLAN_H
#define ATTN_TRANSFORMS_PLAN_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// Checks whether `chain` may be evaluated in the chunked linear-time form
/// (docs/semantics.md §8, DESIGN §3): normalize `none` or `sum`, a score
/// bilinear in phi(q), phi(k) (no attn.modify), a mask that is absent or
/// causal, and decays that are none, exponential or gated. Returns
/// std::nullopt when it may, otherwise the first condition that fails, as a
/// phrase fit for a diagnostic ("normalize is softmax; the chunked form
/// needs none or sum").
std::optional<std::string> checkChunkedLegality(SpecChain &chain);

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_PLAN_H
