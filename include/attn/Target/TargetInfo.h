//===- TargetInfo.h - What the kernel builder asks of a GPU -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The target abstraction of attn's GPU code generation, after Triton's
// TargetInfoBase: the common kernel builder (lib/Conversion/AttnToGPU) emits
// target-independent loops and arithmetic and asks a TargetInfo for
// everything that differs between vendors: the warp size, cross-lane
// shuffles, barriers, shared memory, the matrix-multiply instruction with its
// register fragments, asynchronous global-to-shared copies and fast math.
// NVIDIA's implementation (lib/Target/NVIDIA) uses nvgpu/gpu/nvvm; an AMD one
// (amdgpu mfma/wmma, LDS) implements the same interface.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TARGET_TARGETINFO_H
#define ATTN_TARGET_TARGETINFO_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>

namespace mlir::attn {

/// The shape of one warp-level matrix-multiply-accumulate instruction,
/// `C[m, n] += A[m, k] * B[k, n]`.
struct MatrixOpShape {
  int64_t m, n, k;
};

/// A row and column inside one matrix-op tile held by a lane.
struct FragmentCoord {
  Value row, col;
};

/// What the common attention kernel builder needs from a GPU target.
class TargetInfo {
public:
  virtual ~TargetInfo();

  /// The architecture name (sm_90a, gfx942, ...).
  virtual StringRef getChip() const = 0;
  /// Threads per warp (wavefront).
  virtual int64_t getWarpSize() const = 0;
  /// The largest dynamic shared memory a block may use, in bytes.
  virtual int64_t getMaxSharedBytes() const = 0;
  /// Whether `elementType` inputs have a matrix-op path: 16-bit types, and
  /// f32 where the target has a reduced-precision f32 product (NVIDIA: TF32,
  /// a 10-bit mantissa, f32 accumulation). The fragments of every element
  /// type have the same layout; warpgroup matrix ops take 16-bit types only.
  virtual bool supportsMatrixElementType(Type elementType) const = 0;

  //===--------------------------------------------------------------------===//
  // Threads, shuffles, barriers
  //===--------------------------------------------------------------------===//

  /// The lane id within the warp, as an index.
  virtual Value getLaneId(OpBuilder &b, Location loc) const = 0;
  /// `value` (f32) of the lane whose id is this lane's xor `mask`.
  virtual Value shuffleXor(OpBuilder &b, Location loc, Value value,
                           int64_t mask) const = 0;
  /// The minimum (or maximum, `isMax`) of the signed i32 `value` over the
  /// lanes of the warp, in every lane (all lanes active).
  virtual Value warpReduceInt(OpBuilder &b, Location loc, Value value,
                              bool isMax) const = 0;
  /// The bits of the lanes whose `pred` (i1) holds, lane l at bit l, as an
  /// i32 in every lane (all lanes active).
  virtual Value warpBallot(OpBuilder &b, Location loc, Value pred) const = 0;
  /// Waits for every lane of the warp and orders their shared memory
  /// accesses.
  virtual void warpSync(OpBuilder &b, Location loc) const = 0;
  /// A block-wide barrier that also orders shared memory.
  virtual void barrier(OpBuilder &b, Location loc) const = 0;

  //===--------------------------------------------------------------------===//
  // Shared memory
  //===--------------------------------------------------------------------===//

  /// The memory space attribute of shared memory.
  virtual Attribute getSharedMemorySpace(MLIRContext *ctx) const = 0;
  /// The dynamic shared memory of the block as a `memref<?xi8, space>`.
  virtual Value getDynamicSharedMemory(OpBuilder &b, Location loc) const = 0;

  //===--------------------------------------------------------------------===//
  // Matrix ops. Tiles live in shared memory as row-major 2-D memrefs; the
  // builder addresses a tile by its top-left (row, col).
  //===--------------------------------------------------------------------===//

  /// The matrix-op shape, with f32 accumulation, for every supported input
  /// type.
  virtual MatrixOpShape getMatrixOpShape() const = 0;
  /// Register types of the A, B and C (accumulator) fragments.
  virtual VectorType getAFragmentType(Type elementType) const = 0;
  virtual VectorType getBFragmentType(Type elementType) const = 0;
  virtual VectorType getCFragmentType(MLIRContext *ctx) const = 0;
  /// Number of accumulator elements each lane holds for one m x n tile.
  virtual int64_t getCFragmentSize() const = 0;
  /// The (row, col) inside the m x n tile of accumulator element `e` of lane
  /// `lane`, and the position of element `e` in the C fragment vector.
  virtual FragmentCoord getCCoord(OpBuilder &b, Location loc, Value lane,
                                  int64_t e) const = 0;
  virtual SmallVector<int64_t, 2> getCPosition(int64_t e) const = 0;

  /// The A fragment of the m x k tile at (row, col) of `tile` (row-major,
  /// rows are M).
  virtual Value loadAFragment(OpBuilder &b, Location loc, Value tile,
                              Value row, Value col, Value lane) const = 0;
  /// The A fragment of the m x k tile whose element (r, c) is
  /// `tile[row + c][col + r]`: the k x m block of `tile` at (row, col) read
  /// transposed (K^T in S = K^T V, with K stored row-major as k x m).
  virtual Value loadAFragmentFromColumns(OpBuilder &b, Location loc,
                                         Value tile, Value row, Value col,
                                         Value lane) const = 0;
  /// `frag` (an A fragment) with each element (r, c) multiplied in f32 by
  /// `rowFactor(r)` (r in [0, m)) and `columnFactor(c)` (c in [0, k)), either
  /// of which may be null; each is called once per distinct row / column the
  /// lane holds and returns an f32 value. The result has element type
  /// `resultType` (null: frag's). Column factors of a fragment read
  /// transposed scale rows of its tile (K~ = K exp(G_last - G_j)); those of
  /// a fragment read directly scale its channels (a per-channel gate).
  virtual Value scaleAFragment(OpBuilder &b, Location loc, Value frag,
                               Value lane,
                               function_ref<Value(Value row)> rowFactor,
                               function_ref<Value(Value col)> columnFactor,
                               Type resultType = {}) const = 0;
  /// Two B fragments (n-tiles `n0`, `n0 + n`) for `C = A * tile^T`, reading
  /// the 2n x k rows of `tile` at (row, col) (rows are N: K in S = Q K^T).
  virtual std::pair<Value, Value>
  loadBFragmentsFromRows(OpBuilder &b, Location loc, Value tile, Value row,
                         Value col, Value lane) const = 0;
  /// Two B fragments (n-tiles at col and col + n) for `C = A * tile`,
  /// reading the k x 2n block of `tile` at (row, col) (rows are K: V in
  /// O = P V).
  virtual std::pair<Value, Value>
  loadBFragmentsFromColumns(OpBuilder &b, Location loc, Value tile, Value row,
                            Value col, Value lane) const = 0;
  /// `c + a * b` on one tile.
  virtual Value mma(OpBuilder &b, Location loc, Value a, Value bFrag,
                    Value c) const = 0;
  /// The A fragment (of `elementType`) of the m x k tile formed by the
  /// accumulators of the two m x n tiles `c0` (columns [0, n)) and `c1`
  /// (columns [n, 2n)), without going through shared memory.
  virtual Value accumulatorsToAFragment(OpBuilder &b, Location loc, Value c0,
                                        Value c1, Type elementType) const = 0;

  //===--------------------------------------------------------------------===//
  // Warpgroup matrix ops (optional): `C[64 x n] (+)= A[64 x k] * B[k x n]`
  // issued together by the kWarpgroupWarps (4) warps of a warpgroup, A and B
  // read by the matrix unit straight from shared memory (no fragments in
  // registers). Their operand tiles are `rows x cols` 16-bit tiles in a layout
  // of the target's (getOperandTileOffset) starting at a multiple of
  // getOperandTileAlignment() bytes. Warp w of the group holds rows
  // [16 w, 16 w + 16) of C as n / 8 C fragments of the matrix op above
  // (getCFragmentType, getCCoord), so that everything around the product is
  // shared with the warp-level path.
  //===--------------------------------------------------------------------===//

  /// The warps of a warpgroup.
  static constexpr int64_t kWarpgroupWarps = 4;
  /// Whether warpgroup matrix ops exist for operand tiles of `cols` 16-bit
  /// columns.
  virtual bool supportsWarpgroupMatrixOps(int64_t cols) const {
    (void)cols;
    return false;
  }
  /// The bytes an operand tile's start must be aligned to.
  virtual int64_t getOperandTileAlignment() const { return 0; }
  /// The element offset of (row, col) inside a `rows x cols` operand tile;
  /// `col` is a multiple of the elements of one async copy, whose piece of
  /// getAsyncCopyBytes() bytes is contiguous.
  virtual Value getOperandTileOffset(OpBuilder &b, Location loc, Value row,
                                     Value col, int64_t rows,
                                     int64_t cols) const;
  /// The shared-memory byte address of the start of `buffer` (a shared
  /// memref), as an index.
  virtual Value getSharedAddress(OpBuilder &b, Location loc,
                                 Value buffer) const;
  /// Makes this thread's earlier shared-memory writes (its async copies once
  /// waited for, too) visible to the warpgroup matrix ops issued after the
  /// next barrier.
  virtual void fenceSharedForMatrixOps(OpBuilder &b, Location loc) const;

  /// An operand tile of a warpgroup matrix op: `rows` rows at byte address
  /// `address`, whose columns run along k (`kMajor`: A[m x k], or B^T[n x k])
  /// or along the other dimension (B[k x n] or A^T[k x m], k the rows).
  struct OperandTile {
    Value address;
    int64_t rows = 0;
    bool kMajor = true;
  };
  /// Issues, for each row block r in `aRowBlocks` (multiples of 64, the same
  /// in the warpgroup's warps), C_r = A[r, r + 64) B (+ C_r), A[.. x k] and
  /// B[k x n] of 16-bit `elementType` (either tile in either layout; A's
  /// row blocks of a tile that is not k-major are its column blocks, as K^T
  /// read from K [tokens x Dk]). `accumulators` holds the
  /// calling warp's C fragments per row block to add to, or is empty (C_r =
  /// A B). The products stay in flight as one group: returns per row block
  /// the product, to be read by getWarpgroupFragments only after
  /// warpgroupWait has covered the group (nothing may read its registers
  /// before, not even a copy), and the operand tiles must not change until
  /// then.
  virtual SmallVector<Value>
  issueWarpgroupMatmul(OpBuilder &b, Location loc, Type elementType,
                       OperandTile a, ArrayRef<Value> aRowBlocks,
                       OperandTile bTile, int64_t n, int64_t k,
                       ArrayRef<SmallVector<Value>> accumulators) const;
  /// Waits until at most the `pending` most recent groups issued by this
  /// warpgroup are in flight.
  virtual void warpgroupWait(OpBuilder &b, Location loc, int64_t pending) const;
  /// The calling warp's n / 8 C fragments of each finished product.
  virtual SmallVector<SmallVector<Value>>
  getWarpgroupFragments(OpBuilder &b, Location loc, ArrayRef<Value> products,
                        int64_t n) const;
  /// Issues the products, waits for them and returns their fragments.
  SmallVector<SmallVector<Value>>
  warpgroupMatmul(OpBuilder &b, Location loc, Type elementType, OperandTile a,
                  ArrayRef<Value> aRowBlocks, OperandTile bTile, int64_t n,
                  int64_t k, ArrayRef<SmallVector<Value>> accumulators) const;

  //===--------------------------------------------------------------------===//
  // Asynchronous global -> shared copies
  //===--------------------------------------------------------------------===//

  /// The bytes one asynchronous copy moves.
  virtual int64_t getAsyncCopyBytes() const = 0;
  /// Copies `elements` elements from `src[srcIndex]` (global, flat) to
  /// `dst[dstIndices]`; when `valid` is false nothing is read and zeros are
  /// written (a null `valid`: always copies). Returns a token for
  /// `asyncCommit`.
  virtual Value asyncCopy(OpBuilder &b, Location loc, Value dst,
                          ValueRange dstIndices, Value src, Value srcIndex,
                          int64_t elements, Value valid) const = 0;
  /// Closes the group of copies `tokens` (all issued since the last commit);
  /// returns the group's token.
  virtual Value asyncCommit(OpBuilder &b, Location loc,
                            ValueRange tokens) const = 0;
  /// Waits until at most `pending` committed groups are outstanding, the
  /// youngest being `group`.
  virtual void asyncWait(OpBuilder &b, Location loc, Value group,
                         int64_t pending) const = 0;

  //===--------------------------------------------------------------------===//
  // Math
  //===--------------------------------------------------------------------===//

  /// 2^x in f32 (the hot exponential of the online softmax): the target's
  /// fast hardware approximation (NVIDIA: ex2.approx.ftz.f32), relative error
  /// ~2^-22, subnormal results flushed to zero, 2^-inf = 0.
  virtual Value exp2(OpBuilder &b, Location loc, Value x) const = 0;
};

/// The TargetInfo for `chip` ("sm_80", "sm_90a", ...), or null with `error`
/// set when the chip is not supported.
std::unique_ptr<TargetInfo> createTargetInfo(StringRef chip,
                                             std::string &error);

} // namespace mlir::attn

#endif // ATTN_TARGET_TARGETINFO_H
