//===- FeatureMap.h - Feature maps applied to shared-memory tiles -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The feature maps phi of attn.score (docs/semantics.md §2) applied in place
// to a q or k tile once it has landed in shared memory, so that every later
// matrix op reads phi(x) instead of x. Shared by the quadratic and the
// chunked kernels. Target independent: all threads of the block take part,
// and the caller places the barriers around the call.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_FEATUREMAP_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_FEATUREMAP_H

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {

class TargetInfo;

/// Whether `map` can be applied in place by `applyFeatureMapInShared`: maps
/// that keep the width of a row (F = Dk).
bool isInPlaceFeatureMap(FeatureMap map);

/// Replaces rows [row0, row0 + rows) x columns [0, cols) of the 2-D shared
/// memory tile `tile` by phi of themselves; rows whose index (relative to
/// row0) is >= `validRows` are set to zero instead, so that padded rows stay
/// zero whatever phi(0) is. `threadId` ranges over `threads` threads, all of
/// which must call this. Identity emits nothing.
void applyFeatureMapInShared(OpBuilder &b, Location loc,
                             const TargetInfo &target, FeatureMap map,
                             Value tile, Value row0, int64_t rows,
                             int64_t cols, Value validRows, Value threadId,
                             int64_t threads);

} // namespace mlir::attn

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_FEATUREMAP_H
