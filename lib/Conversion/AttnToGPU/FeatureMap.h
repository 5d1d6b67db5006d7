//===- FeatureMap.h - Feature maps applied to shared-memory tiles -*- C++
//-*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The feature maps phi of attn.score (docs/semantics.md §2) applied to a q
// or k tile once it has landed in shared memory, so that every later matrix
// op reads phi(x) instead of x: in place for the maps that keep the width
// of a row (shared by the quadratic and the chunked kernels), into a wider
// tile for taylor2 (the chunked kernel, which projects hedgehog's rows
// with its matrix ops). Target independent:
// all threads of the block take part, and the caller places the barriers
// around the call.
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

/// One tile of rows mapped by `applyTaylor2FeatureMap`: its first row in
/// the input and in the output tile.
struct Taylor2Job {
  Value inRow0, outRow0;
};

/// Writes phi of rows [inRow0, inRow0 + rows) x columns [0, dk) of the 2-D
/// shared tile `in` to rows [outRow0, outRow0 + rows) x [0, outCols) of
/// `out`, for each job: taylor2, [1, x / d^1/4, vec(x x^T) / (sqrt 2
/// sqrt d)], F = 1 + Dk + Dk^2 <= outCols. Columns [F,
/// outCols) and rows >= `validRows` become zero. `out` may be viewed with
/// vector elements (a row of outCols / w vectors of w elements). One thread
/// maps one row, the rows of every job dealt over `threads` threads, all of
/// which must call this. (Hedgehog's projection x W is a matrix product:
/// the chunked kernel computes it with its matrix ops.)
void applyTaylor2FeatureMap(OpBuilder &b, Location loc, Value in, Value out,
                            ArrayRef<Taylor2Job> jobs, int64_t rows, int64_t dk,
                            int64_t outCols, Value validRows, Value threadId,
                            int64_t threads);

} // namespace mlir::attn

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_FEATUREMAP_H
