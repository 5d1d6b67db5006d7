//===- EmitterBase.h - What both attention kernels emit alike ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The pieces the quadratic (KernelBuilder.cpp) and the chunked
// (ChunkedKernelBuilder.cpp) kernels share: scalar IR shorthands, accumulator
// fragments built from elements and reduced over the lanes of a row, tiles
// copied asynchronously into shared memory, the output norm over a row of o
// and the part of KernelInfo that does not depend on the algorithm. Target
// independent: everything goes through TargetInfo.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_CONVERSION_ATTNTOGPU_EMITTERBASE_H
#define ATTN_LIB_CONVERSION_ATTNTOGPU_EMITTERBASE_H

#include "attn/Conversion/AttnToGPU/KernelInfo.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Target/TargetInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::attn {

/// Rows of shared-memory tiles are padded by this many elements (16 bytes of
/// a 16-bit type) so that the eight row addresses of an ldmatrix hit
/// distinct banks (f32 rows: 32 bytes, which keeps the rows of one access
/// on distinct banks too).
inline constexpr int64_t kRowPad = 8;
inline constexpr double kLog2E = 1.4426950408889634;
inline constexpr double kLn2 = 0.6931471805599453;

/// The KernelInfo dtype of a float element type of q/k/v/o ("bf16", "f16",
/// "f32"), or "" for one no kernel takes.
inline StringRef getKernelDType(Type type) {
  if (type.isBF16())
    return "bf16";
  if (type.isF16())
    return "f16";
  if (type.isF32())
    return "f32";
  return "";
}

/// The head dim (last extent) of a rank-4 q, k or v.
inline int64_t getHeadDim(Value v) {
  return cast<RankedTensorType>(v.getType()).getDimSize(3);
}

/// The fragments of several row blocks (or tiles), one after the other.
inline SmallVector<Value> flatten(ArrayRef<SmallVector<Value>> frags) {
  SmallVector<Value> flat;
  for (const SmallVector<Value> &row : frags)
    flat.append(row.begin(), row.end());
  return flat;
}

/// Emits into one kernel body; the kernel emitters derive from it and set
/// the configuration fields before emitting.
class EmitterBase {
protected:
  EmitterBase(OpBuilder &b, Location loc, const TargetInfo &target)
      : b(b), loc(loc), target(target) {}

  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value addf(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value subf(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mulf(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value maxf(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }

  /// Element `e` of an accumulator fragment.
  Value elem(Value frag, int64_t e) {
    return vector::ExtractOp::create(b, loc, frag, target.getCPosition(e));
  }
  /// An accumulator fragment of zeros.
  Value zeroFragment();
  /// An accumulator fragment from its elements (rows built 1-D, then
  /// inserted: n-D from_elements has no direct LLVM lowering).
  Value fromElems(ArrayRef<Value> elems);
  /// A fragment whose element e is `perHalf[row half of e]`.
  Value rowBroadcast(ArrayRef<Value> perHalf);
  /// Sum / max over the lanes of a quad (the lanes sharing a row).
  Value quadReduce(Value v, bool isMax);
  /// `v` (a float scalar or vector) in the float type `element`: extended,
  /// truncated (f16 <-> bf16 through f32), or `v` itself when it has it.
  Value castTo(Type element, Value v);
  /// A pair of f32 (vector<2xf32>) narrowed to the (16-bit) element type, as
  /// one 32-bit word (how P and S are stored to warpgroup operand tiles).
  Value packPair(Value pair);
  /// The byte offset in `smem` (the dynamic shared memory) of its first
  /// address aligned for warpgroup operand tiles.
  Value operandTileStart(Value smem);
  /// Emits `body(i)` for the items i = threadId + k * threads below
  /// `count`, k = 0, 1, ...; only a last, partial round is guarded. With
  /// `worker`, the items i = worker + k * workers instead (e.g. a warp's
  /// lanes).
  void forEachThreadItem(int64_t count, function_ref<void(Value)> body,
                         Value worker = {}, int64_t workers = 0);

  /// Elements of `dst` (a shared-memory tile) one async copy moves.
  int64_t elementsPerCopy(Value dst) const;
  /// Issues the async copies of a `rows` x `dim` tile starting at global row
  /// `row0` into `dst` rows [dstRow0, dstRow0 + rows); rows >= `limit` or
  /// with `enable` false (either may be null) are zero-filled without
  /// reading. With `operandTile`, `dst` is 1-D and holds consecutive `rows x
  /// dim` operand tiles of the warpgroup matrix ops (dstRow0 a multiple of
  /// `rows` picks one); otherwise it is a row-major 2-D tile.
  void copyTile(SmallVectorImpl<Value> &tokens, Value src, Value base,
                Value rowStride, Value row0, Value limit, Value enable,
                Value dst, Value dstRow0, int64_t rows, int64_t dim,
                bool operandTile = false);
  /// The same copy with each thread's pieces in one row (`threads` must be a
  /// multiple of `rows`): every copy of a thread is at a constant offset
  /// from one address, so a tile with many pieces per thread costs one
  /// address register, not one per piece (but a warp's copies touch more
  /// rows at once than copyTile's). Thread j of a row takes pieces j,
  /// j + (threads / rows), ...
  void copyTileByRows(SmallVectorImpl<Value> &tokens, Value src, Value base,
                      Value rowStride, Value row0, Value limit, Value dst,
                      Value dstRow0, int64_t rows, int64_t dim);

  /// Output tiles leave through shared memory: each thread writes its pairs
  /// of adjacent columns (`stagePair`) into a staging tile, then, after a
  /// barrier, every thread copies whole 16-byte pieces of rows to global
  /// memory (`copyStagedRows`): an eighth of the stores of writing the pairs
  /// directly, each of a full sector. A staging row of `cols` elements is
  /// padded by 16 bytes, so that the pairs one warp writes (eight rows, four
  /// lanes each) hit distinct banks.
  struct StagingTile {
    /// The tile as 32-bit words (pairs) and as 16-byte pieces.
    Value words, pieces;
    int64_t rows = 0, cols = 0;
  };
  /// Bytes of a staging tile.
  int64_t getStagingBytes(int64_t rows, int64_t cols) const;
  /// The staging tile at `byteOffset` (16-byte aligned) of `smem`.
  StagingTile createStagingTile(Value smem, Value byteOffset, int64_t rows,
                                int64_t cols);
  /// Writes `pair` (vector<2xf32>, narrowed to the element type) at (row,
  /// col) of `tile`; col is even.
  void stagePair(const StagingTile &tile, Value row, Value col, Value pair);
  /// Copies each row r of `tile` to row row0 + r of `dst` (flat, in the
  /// element type; row i at base + i * rowStride, 16-byte aligned) if row0 +
  /// r is below `limit`; the CTA's threads share the pieces, or with
  /// `worker`, the `workers` that staged the tile (a warp's lanes).
  void copyStagedRows(const StagingTile &tile, Value dst, Value base,
                      Value rowStride, Value row0, Value limit,
                      Value worker = {}, int64_t workers = 0);

  /// Normalises each row of `o` (the accumulator fragments of one row tile,
  /// `dv` columns in all) by `norm`: rms `o / sqrt(mean(o^2) + eps)` or layer
  /// `(o - mean) / sqrt(var + eps)`.
  void applyOutputNorm(MutableArrayRef<Value> o, OutputNorm norm, double eps,
                       int64_t dv);

  /// A kernel `name` of `type` (the main kernel's parameters: o at 3, the
  /// i64 sizes and strides from `firstScalar`) that applies `norm` to every
  /// row of o in place: a warp per row (b = blockIdx.z, h = blockIdx.y, row
  /// blockIdx.x * warps + warp), its `dv` elements in 16-byte pieces across
  /// the lanes, the statistics in f32. For output norms over a row that one
  /// CTA of the main kernel does not hold whole.
  void emitRowNormKernel(StringRef name, FunctionType type, size_t firstScalar,
                         int64_t warps, OutputNorm norm, double eps,
                         int64_t dv);

  OpBuilder &b;
  Location loc;
  const TargetInfo &target;

  // Configuration every emitter sets before emitting.
  Type elementType;
  VectorType cType;
  Value threadId;
  int64_t threads = 0;
};

/// The fields of `info` that do not depend on the algorithm: target, element
/// type, layout, normalisation, head dims, static extents, side inputs.
void describeKernel(KernelInfo &info, SpecChain &chain,
                    const TargetInfo &target,
                    std::vector<KernelSideInput> sideInputs);

} // namespace mlir::attn

#endif // ATTN_LIB_CONVERSION_ATTNTOGPU_EMITTERBASE_H
