//===- Passes.h - attn transformation passes --------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// attn-fuse, attn-analyze-masks and attn-plan: from a spec to planned
// attn.kernel ops ready for the GPU lowering.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PASSES_H
#define ATTN_TRANSFORMS_PASSES_H

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "mlir/Pass/Pass.h"

#include <memory>

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attn/Transforms/Passes.h.inc"

/// Generates registerAttnTransformsPasses(), which registers attn-fuse,
/// attn-analyze-masks and attn-plan with the global pass registry.
#define GEN_PASS_REGISTRATION
#include "attn/Transforms/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTN_TRANSFORMS_PASSES_H
