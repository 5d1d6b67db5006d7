//===- TileClassifier.h - Skip / full / partial tiles of a mask -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Classifies a (query tile, key tile) pair of a structured mask as
//   skip    - no pair in the tile is visible: the tile is never loaded;
//   full    - every pair is visible: no mask is evaluated;
//   partial - the mask is evaluated per element,
// and bounds the keys any query of a tile can see (the hull), so that the key
// loop of a kernel never visits tiles outside it.
//
// The classification is conservative (skip and full are exact claims,
// partial is always safe) and written once, templated over a numeric domain:
// `int64_t` on the host (-attn-explain reports the fraction of tiles skipped
// for a problem size) and `IRInt`, a wrapper over an index `mlir::Value` that
// builds arith ops, in the kernel, where lengths are run-time values. The
// encoding skip = 0 < partial = 1 < full = 2 makes `and` a minimum and `or` a
// maximum.
//
// Data-dependent masks (#attn.document, #attn.block_sparse) and
// #attn.predicate are classified by a caller-provided hook; without one they
// are partial.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_ANALYSIS_TILECLASSIFIER_H
#define ATTN_ANALYSIS_TILECLASSIFIER_H

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <functional>

namespace mlir::attn {

/// The class of a tile; the values order skip < partial < full.
enum class TileClass : int64_t { Skip = 0, Partial = 1, Full = 2 };

//===----------------------------------------------------------------------===//
// Numeric domains
//===----------------------------------------------------------------------===//

namespace tile {

// Host domain: plain int64_t and bool.
inline int64_t tmin(int64_t a, int64_t b) { return std::min(a, b); }
inline int64_t tmax(int64_t a, int64_t b) { return std::max(a, b); }
inline int64_t floorDiv(int64_t a, int64_t n) {
  int64_t q = a / n;
  return (a % n != 0 && ((a < 0) != (n < 0))) ? q - 1 : q;
}
inline int64_t select(bool c, int64_t a, int64_t b) { return c ? a : b; }
inline bool land(bool a, bool b) { return a && b; }
inline bool lor(bool a, bool b) { return a || b; }
inline int64_t constantLike(int64_t, int64_t v) { return v; }

} // namespace tile

/// Where IR values are built: a builder and a location.
struct IRBuildContext {
  OpBuilder &builder;
  Location loc;
};

/// An i1 value in the IR domain.
struct IRBool {
  Value value;
  IRBuildContext *ctx;
};

/// An index value in the IR domain; arithmetic builds arith ops.
struct IRInt {
  Value value;
  IRBuildContext *ctx;

  static IRInt constant(IRBuildContext &ctx, int64_t v) {
    return {arith::ConstantIndexOp::create(ctx.builder, ctx.loc, v), &ctx};
  }
  IRInt lift(int64_t v) const { return constant(*ctx, v); }
  template <typename OpTy> IRInt bin(IRInt o) const {
    return {OpTy::create(ctx->builder, ctx->loc, value, o.value), ctx};
  }
  IRBool cmp(arith::CmpIPredicate pred, IRInt o) const {
    return {arith::CmpIOp::create(ctx->builder, ctx->loc, pred, value, o.value),
            ctx};
  }
};

inline IRInt operator+(IRInt a, IRInt b) { return a.bin<arith::AddIOp>(b); }
inline IRInt operator-(IRInt a, IRInt b) { return a.bin<arith::SubIOp>(b); }
inline IRInt operator*(IRInt a, IRInt b) { return a.bin<arith::MulIOp>(b); }
inline IRInt operator/(IRInt a, IRInt b) { return a.bin<arith::DivSIOp>(b); }
inline IRInt operator+(IRInt a, int64_t b) { return a + a.lift(b); }
inline IRInt operator-(IRInt a, int64_t b) { return a - a.lift(b); }
inline IRInt operator*(IRInt a, int64_t b) { return a * a.lift(b); }
inline IRInt operator/(IRInt a, int64_t b) { return a / a.lift(b); }
inline IRBool operator<(IRInt a, IRInt b) {
  return a.cmp(arith::CmpIPredicate::slt, b);
}
inline IRBool operator<=(IRInt a, IRInt b) {
  return a.cmp(arith::CmpIPredicate::sle, b);
}
inline IRBool operator>(IRInt a, IRInt b) { return b < a; }
inline IRBool operator>=(IRInt a, IRInt b) { return b <= a; }
inline IRBool operator==(IRInt a, IRInt b) {
  return a.cmp(arith::CmpIPredicate::eq, b);
}
inline IRBool operator<(IRInt a, int64_t b) { return a < a.lift(b); }
inline IRBool operator<=(IRInt a, int64_t b) { return a <= a.lift(b); }
inline IRBool operator>(IRInt a, int64_t b) { return a > a.lift(b); }
inline IRBool operator>=(IRInt a, int64_t b) { return a >= a.lift(b); }

namespace tile {
inline IRInt tmin(IRInt a, IRInt b) { return a.bin<arith::MinSIOp>(b); }
inline IRInt tmax(IRInt a, IRInt b) { return a.bin<arith::MaxSIOp>(b); }
inline IRInt floorDiv(IRInt a, int64_t n) {
  return a.bin<arith::FloorDivSIOp>(a.lift(n));
}
inline IRInt select(IRBool c, IRInt a, IRInt b) {
  return {arith::SelectOp::create(a.ctx->builder, a.ctx->loc, c.value, a.value,
                                  b.value),
          a.ctx};
}
inline IRBool land(IRBool a, IRBool b) {
  return {arith::AndIOp::create(a.ctx->builder, a.ctx->loc, a.value, b.value),
          a.ctx};
}
inline IRBool lor(IRBool a, IRBool b) {
  return {arith::OrIOp::create(a.ctx->builder, a.ctx->loc, a.value, b.value),
          a.ctx};
}
inline IRInt constantLike(IRInt like, int64_t v) { return like.lift(v); }
} // namespace tile

//===----------------------------------------------------------------------===//
// Classification
//===----------------------------------------------------------------------===//

/// A tile: query rows [i0, i1], their aligned positions [p0, p1] (p = i + Nk -
/// Nq) and keys [j0, j1], all inclusive and already clipped to the valid rows
/// and keys; `nk` the number of keys.
template <typename Int> struct TileBounds {
  Int i0, i1, p0, p1, j0, j1, nk;
};

/// Classifies data-dependent leaves (document, block_sparse, predicate);
/// returns a TileClass as an Int.
template <typename Int>
using DataDependentClassifier =
    std::function<Int(Attribute leaf, const TileBounds<Int> &tile)>;

/// Document ids (data-dependent): the class of a tile from the id ranges of
/// its query positions ([qMin, qMax], over positions >= 0; empty as qMin >
/// qMax) and of its keys ([kMin, kMax]). Skip when the ranges do not meet;
/// full when both tiles hold one identical id and no position is negative;
/// else partial. The device reads both ranges from the ids input (a warp
/// reduction per tile), never an N x N mask.
template <typename Int, typename Bool>
Int classifyDocumentTile(Int qMin, Int qMax, Int kMin, Int kMax,
                         Bool noNegativePositions, Int like) {
  using namespace tile;
  Int skip = constantLike(like, 0), partial = constantLike(like, 1),
      full = constantLike(like, 2);
  auto disjoint = lor(qMax < kMin, kMax < qMin);
  auto single = land(land(qMin == qMax, kMin == kMax),
                     land(qMin == kMin, noNegativePositions));
  return select(disjoint, skip, select(single, full, partial));
}

/// Block-sparse layouts (data-dependent): skip when no layout block the tile
/// covers is set, full when all are, else partial.
template <typename Int, typename Bool>
Int classifyBlockSparseTile(Bool anySet, Bool allSet, Int like) {
  using namespace tile;
  return select(anySet,
                select(allSet, constantLike(like, 2), constantLike(like, 1)),
                constantLike(like, 0));
}

/// The class (as Int: 0 skip, 1 partial, 2 full) of `tile` under `mask`.
template <typename Int>
Int classifyTile(Attribute mask, const TileBounds<Int> &t,
                 const DataDependentClassifier<Int> &dataDependent = nullptr) {
  using namespace tile;
  const Int skip = constantLike(t.p0, 0), partial = constantLike(t.p0, 1),
            full = constantLike(t.p0, 2);
  // skip if `isSkip`, else full if `isFull`, else partial.
  auto decide = [&](auto isSkip, auto isFull) {
    return select(isSkip, skip, select(isFull, full, partial));
  };
  if (isa<CausalAttr>(mask))
    return decide(t.j0 > t.p1, t.j1 <= t.p0);
  if (auto w = dyn_cast<WindowAttr>(mask)) {
    int64_t l = w.getLeft(), r = w.getRight();
    return decide(lor(t.j1 < t.p0 - l, t.j0 > t.p1 + r),
                  land(t.j0 >= t.p1 - l, t.j1 <= t.p0 + r));
  }
  auto firstKeys = [&](int64_t n) { return decide(t.j0 >= n, t.j1 < n); };
  if (auto s = dyn_cast<SinksAttr>(mask))
    return firstKeys(s.getCount());
  if (auto p = dyn_cast<PrefixAttr>(mask))
    return firstKeys(p.getLength());
  if (auto bd = dyn_cast<BlockDiagonalAttr>(mask)) {
    int64_t n = bd.getSize();
    Int bp0 = floorDiv(t.p0, n), bp1 = floorDiv(t.p1, n);
    Int bj0 = floorDiv(t.j0, n), bj1 = floorDiv(t.j1, n);
    return decide(lor(bj1 < bp0, bj0 > bp1),
                  land(land(bp0 == bp1, bj0 == bj1), bp0 == bj0));
  }
  if (auto d = dyn_cast<DilatedAttr>(mask))
    return d.getStride() == 1 ? full : partial;
  if (auto n = dyn_cast<Neighborhood2DAttr>(mask)) {
    int64_t width = n.getWidth(), extent = n.getHeight() * width;
    int64_t reach = (n.getKernelH() - 1) * n.getDilationH();
    Int q0 = tmax(t.p0, constantLike(t.p0, 0));
    Int q1 = tmin(t.p1, constantLike(t.p0, extent - 1));
    Int rq0 = floorDiv(q0, width), rq1 = floorDiv(q1, width);
    Int rj0 = floorDiv(t.j0, width), rj1 = floorDiv(t.j1, width);
    bool all = n.getKernelH() == n.getHeight() &&
               n.getKernelW() == n.getWidth() && n.getDilationH() == 1 &&
               n.getDilationW() == 1;
    auto noQueries = lor(t.p1 < 0, t.p0 >= extent);
    auto outOfReach = lor(rj1 < rq0 - reach, rj0 > rq1 + reach);
    auto isFull = land(t.p0 >= 0, t.p1 < extent);
    if (!all)
      isFull = land(isFull, t.p0 < 0); // never
    return decide(lor(noQueries, outOfReach), isFull);
  }
  if (auto a = dyn_cast<AndAttr>(mask)) {
    Int c = full;
    for (Attribute m : a.getMasks())
      c = tmin(c, classifyTile(m, t, dataDependent));
    return c;
  }
  if (auto o = dyn_cast<OrAttr>(mask)) {
    Int c = skip;
    for (Attribute m : o.getMasks())
      c = tmax(c, classifyTile(m, t, dataDependent));
    return c;
  }
  // document, block_sparse, predicate: data-dependent.
  if (dataDependent)
    return dataDependent(mask, t);
  return partial;
}

/// The keys [lo, hi) that any query with positions [p0, p1] may see under
/// `mask` (a hull: keys inside it may still be masked), not yet clipped to
/// [0, nk).
template <typename Int>
std::pair<Int, Int> visibleKeyHull(Attribute mask, Int p0, Int p1, Int nk) {
  using namespace tile;
  Int zero = constantLike(p0, 0);
  if (isa<CausalAttr>(mask))
    return {zero, p1 + 1};
  if (auto w = dyn_cast<WindowAttr>(mask))
    return {p0 - w.getLeft(), p1 + (w.getRight() + 1)};
  if (auto s = dyn_cast<SinksAttr>(mask))
    return {zero, constantLike(p0, s.getCount())};
  if (auto p = dyn_cast<PrefixAttr>(mask))
    return {zero, constantLike(p0, p.getLength())};
  if (auto bd = dyn_cast<BlockDiagonalAttr>(mask)) {
    int64_t n = bd.getSize();
    return {floorDiv(p0, n) * n, (floorDiv(p1, n) + 1) * n};
  }
  if (auto n = dyn_cast<Neighborhood2DAttr>(mask)) {
    int64_t width = n.getWidth(), height = n.getHeight();
    int64_t reach = (n.getKernelH() - 1) * n.getDilationH();
    Int rq0 = floorDiv(tmax(p0, zero), width);
    Int rq1 = floorDiv(tmin(p1, constantLike(p0, height * width - 1)), width);
    Int lo = tmax(rq0 - reach, zero) * width;
    Int hi = (tmin(rq1 + reach, constantLike(p0, height - 1)) + 1) * width;
    // Queries outside the grid see nothing.
    auto none = lor(p1 < 0, p0 >= height * width);
    return {select(none, zero, lo), select(none, zero, hi)};
  }
  if (auto a = dyn_cast<AndAttr>(mask)) {
    std::pair<Int, Int> r = {zero, nk};
    for (Attribute m : a.getMasks()) {
      auto [lo, hi] = visibleKeyHull(m, p0, p1, nk);
      r = {tmax(r.first, lo), tmin(r.second, hi)};
    }
    return r;
  }
  if (auto o = dyn_cast<OrAttr>(mask)) {
    ArrayRef<Attribute> masks = o.getMasks();
    std::pair<Int, Int> r = visibleKeyHull(masks.front(), p0, p1, nk);
    for (Attribute m : masks.drop_front()) {
      auto [lo, hi] = visibleKeyHull(m, p0, p1, nk);
      r = {tmin(r.first, lo), tmax(r.second, hi)};
    }
    return r;
  }
  return {zero, nk};
}

/// Host statistics of a mask for one problem size and tiling.
struct TileStatistics {
  int64_t total = 0;   ///< All (query tile, key tile) pairs.
  int64_t visited = 0; ///< Pairs inside the per-query-tile key loop range.
  int64_t skipped = 0; ///< Pairs never computed (outside the range or skip).
  int64_t full = 0;    ///< Pairs computed without a mask.
  int64_t partial = 0; ///< Pairs computed with the element-wise mask.
  double skippedFraction() const {
    return total ? static_cast<double>(skipped) / total : 0.0;
  }
};

/// Classifies every tile pair of an `nq` x `nk` problem with `blockM` x
/// `blockN` tiles as the kernel does (a null mask is dense).
TileStatistics computeTileStatistics(Attribute mask, int64_t nq, int64_t nk,
                                     int64_t blockM, int64_t blockN);

} // namespace mlir::attn

#endif // ATTN_ANALYSIS_TILECLASSIFIER_H
