//===- ScoreEpilogue.h - Per-element score pipeline in a kernel -*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Emits, for one score element with known (b, h, i, p, j), what a spec chain
// does between `attn.score` and `attn.normalize`: modifier regions (cloned,
// `tensor.extract` on a side input becoming a `memref.load` from the kernel's
// flat memref), decays and the mask predicate; and the data-dependent tile
// classification of document ids (from key-tile id ranges that a first
// kernel writes, also emitted here) and block-sparse layouts. Target
// independent.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_SCOREEPILOGUE_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_SCOREEPILOGUE_H

#include "attn/Analysis/TileClassifier.h"
#include "attn/Conversion/AttnToGPU/KernelInfo.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {

class TargetInfo;

/// The run-time problem extents of a kernel, as index values.
struct ProblemDims {
  Value batch, heads, kvHeads, queries, keys;
};

/// One side input of a chain: the spec value, its kernel parameter and the
/// extents used to linearise indices.
struct SideInput {
  Value specValue;
  Type memoryElementType;       ///< Element type in memory (i1 is i8).
  SmallVector<std::string> dims; ///< Extents as numbers or problem dims.
  Value memref;                 ///< The kernel's flat memref (once built).
  SmallVector<Value> extents;   ///< Extent values (once built).
};

/// Collects and evaluates the per-element score pipeline of a chain.
class ScoreEpilogue {
public:
  explicit ScoreEpilogue(SpecChain &chain) : chain(chain) {}

  /// Finds the side inputs in parameter order and infers their extents;
  /// fails with a diagnostic when an extent cannot be inferred.
  LogicalResult collectSideInputs();
  ArrayRef<SideInput> getSideInputs() const { return sideInputs; }
  /// The KernelInfo description of the side inputs.
  std::vector<KernelSideInput> describeSideInputs() const;

  /// Binds the kernel parameters and builds the extent values (at the kernel
  /// entry).
  void bind(OpBuilder &b, Location loc, ArrayRef<Value> memrefs,
            const ProblemDims &dims);

  /// The per-channel gate of the score (its kernel memref and extents once
  /// bound), or null.
  const SideInput *getChannelGate() const {
    Value gate = chain.score.getGate();
    return gate ? lookup(gate) : nullptr;
  }

  /// Hedgehog's projections W of the query and the key heads (their
  /// kernel memrefs once bound), or nulls.
  std::pair<const SideInput *, const SideInput *> getFeatureWeights() const {
    Value wq = chain.score.getQueryWeights();
    if (!wq)
      return {nullptr, nullptr};
    return {lookup(wq), lookup(chain.score.getKeyWeights())};
  }

  bool hasModifiers() const;
  bool hasDecay() const;
  bool hasMask() const { return !maskOps.empty(); }
  /// Whether a mask has a leaf classified from input data on the device
  /// (document ids, block-sparse layouts).
  bool hasDataDependentMask() const;

  /// Prepares the device classification of data-dependent leaves for the
  /// CTA's query positions [p0, p1] (at the kernel entry): the id range of
  /// every document leaf, reduced over the warp's lanes.
  void prepareQueryTile(OpBuilder &b, Location loc, const TargetInfo &target,
                        Value lane, Value batch, Value p0, Value p1,
                        int64_t maxQueries);
  /// The document ids inputs whose key tiles get id-range tables (i32 ids;
  /// others are classified partial), each once, in table order.
  SmallVector<Value> getKeyRangeInputs() const;
  /// The key-range kernel's body for key tile `tile` (of `keyTiles`) of
  /// `batch`: the [min, max] of its ids (blockN keys, clipped to Nk) in
  /// every table of `workspace` (KernelInfo.h), stored by lane 0.
  void writeKeyRanges(OpBuilder &b, Location loc, const TargetInfo &target,
                      Value lane, Value batch, Value tile, Value keyTiles,
                      int64_t blockN, Value workspace);
  /// Classifies document tiles from the tables in `workspace` (the key tiles
  /// being the kernel's blockN-key tiles) instead of reading their ids.
  void bindKeyRanges(Value workspace, Value keyTiles, int64_t blockN);
  /// The and of every attn.mask of the chain, or null.
  Attribute getCombinedMask() const;

  /// The class (0 skip, 1 partial, 2 full) of a tile under every mask, data-
  /// dependent leaves classified on the device. With `leafClasses`, also the
  /// class of each classified leaf (document ids, block-sparse layouts), in
  /// the order of visible()'s `leafValues`.
  IRInt classifyTile(const TileBounds<IRInt> &tile, Value batch, Value head,
                     SmallVectorImpl<Value> *leafClasses = nullptr) const;
  /// The number of leaves classifyTile classifies on the device.
  unsigned getNumClassifiedLeaves() const;
  /// The hull [lo, hi) of keys visible from positions [p0, p1] (unclipped).
  std::pair<IRInt, IRInt> visibleKeys(IRInt p0, IRInt p1, IRInt nk) const;

  /// `s` (f32, natural units) after every modifier, in program order.
  Value applyModifiers(OpBuilder &b, Location loc, Value s, Value batch,
                       Value head, Value pos, Value key) const;
  /// log D_ij (f32), or null without decays.
  Value logDecay(OpBuilder &b, Location loc, Value head, Value pos,
                 Value key) const;
  /// M_ij (i1) of the structured and data-dependent masks, without bounds.
  /// A non-empty `leafValues` gives each classified leaf's value for the
  /// whole tile (where its class is skip or full), so that its ids or layout
  /// are not read per element.
  Value visible(OpBuilder &b, Location loc, Value batch, Value head, Value row,
                Value pos, Value key, ArrayRef<Value> leafValues = {}) const;
  /// The log-gate of token `token` (f32): the sum over the decays of `ln
  /// gamma_h` (exponential) and `g[b, h, token]` (gated), so that every
  /// decay is `exp(G_p - G_j)` with `G` the running sum (the chunked form's
  /// one mechanism). Null without decays.
  Value tokenLogGate(OpBuilder &b, Location loc, Value batch, Value head,
                     Value token) const;
  /// The sink logit of `head` (f32), or null.
  Value sinkLogit(OpBuilder &b, Location loc, Value head) const;


private:
  const SideInput *lookup(Value specValue) const;
  Value loadSide(OpBuilder &b, Location loc, const SideInput &side,
                 ValueRange indices) const;
  Value cloneRegion(OpBuilder &b, Location loc, Region &region,
                    ArrayRef<Value> leadingArgs, ValueRange inputs) const;
  /// `leafValues` as in visible(); `leaf` counts the classified leaves met.
  Value maskValue(OpBuilder &b, Location loc, Attribute m, MaskOp maskOp,
                  Value batch, Value head, Value row, Value pos, Value key,
                  ArrayRef<Value> leafValues, unsigned &leaf) const;
  /// Block-sparse layouts classified exactly from the layout input, document
  /// ids from their id ranges (i32 ids; others as partial). Lane-independent:
  /// a lane may classify a tile of its own.
  IRInt classifyDataDependent(Attribute leaf, MaskOp maskOp,
                              const TileBounds<IRInt> &tile, Value batch,
                              Value head) const;

  /// The [min, max] of the ids in `side` at positions [lo, hi] of `batch`
  /// (INT_MAX, INT_MIN when empty), the same in every lane.
  std::pair<Value, Value> idRange(OpBuilder &b, Location loc,
                                  const SideInput &side, Value batch, Value lo,
                                  Value hi, int64_t maxLen) const;

  SpecChain &chain;
  SmallVector<SideInput> sideInputs;
  const TargetInfo *target = nullptr;
  Value laneId;
  /// The key-range tables, once bound, and their ids inputs in table order.
  Value keyRangeWorkspace, keyRangeTiles;
  int64_t keyRangeBlock = 0;
  SmallVector<Value> keyRangeInputs;
  /// Per document ids input (its memref): the query tile's id range.
  DenseMap<Value, std::pair<Value, Value>> queryIdRange;
  /// Whether the query tile has no negative position (p0 >= 0).
  Value queryPositionsValid;
  SmallVector<MaskOp> maskOps; ///< Every attn.mask, and-ed.
  ProblemDims dims;
};

} // namespace mlir::attn

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_SCOREEPILOGUE_H
