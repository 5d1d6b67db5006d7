//===- TileClassifier.cpp - Host tile statistics of a mask ----------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/TileClassifier.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"

using namespace mlir;
using namespace mlir::attn;

TileStatistics mlir::attn::computeTileStatistics(Attribute mask, int64_t nq,
                                                 int64_t nk, int64_t blockM,
                                                 int64_t blockN) {
  TileStatistics stats;
  if (nq <= 0 || nk <= 0)
    return stats;
  int64_t tilesM = (nq + blockM - 1) / blockM;
  int64_t tilesN = (nk + blockN - 1) / blockN;
  stats.total = tilesM * tilesN;
  for (int64_t qt = 0; qt < tilesM; ++qt) {
    int64_t i0 = qt * blockM, i1 = std::min(i0 + blockM, nq) - 1;
    int64_t p0 = i0 + nk - nq, p1 = i1 + nk - nq;
    int64_t first = 0, last = tilesN;
    if (mask) {
      auto [lo, hi] = visibleKeyHull<int64_t>(mask, p0, p1, nk);
      lo = std::max<int64_t>(lo, 0);
      hi = std::min(hi, nk);
      first = hi > lo ? lo / blockN : 0;
      last = hi > lo ? (hi + blockN - 1) / blockN : 0;
    }
    for (int64_t kt = first; kt < last; ++kt) {
      ++stats.visited;
      int64_t j0 = kt * blockN, j1 = std::min(j0 + blockN, nk) - 1;
      TileClass c = TileClass::Full;
      if (mask)
        c = static_cast<TileClass>(classifyTile<int64_t>(
            mask, TileBounds<int64_t>{i0, i1, p0, p1, j0, j1, nk}));
      if (c == TileClass::Skip)
        continue;
      if (c == TileClass::Full)
        ++stats.full;
      else
        ++stats.partial;
    }
  }
  stats.skipped = stats.total - stats.full - stats.partial;
  return stats;
}
