//===- NVIDIATargetInfo.cpp - TargetInfo for NVIDIA GPUs ------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The m16n8k16 fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16
// with floating point type"), with g = lane / 4 and t = lane % 4:
//   A (vector<4x2xT>): [0] row g, cols 2t..2t+1; [1] row g+8; [2] row g, cols
//                      8+2t..; [3] row g+8, cols 8+2t.
//   B (vector<2x2xT>): [0] k 2t..2t+1, col g; [1] k 8+2t.., col g.
//   C (vector<2x2xf32>): [0] row g, cols 2t..2t+1; [1] row g+8.
// ldmatrix.x4 gives lane l of matrix r the elements (l / 4, 2 (l % 4) ..) of
// the 8x8 matrix whose row addresses come from lanes 8r..8r+7 (transposed:
// (2 (l % 4) .., l / 4)), which is how the address patterns below are chosen.
//
// f32 operands run as TF32: an m16n8k16 product is two mma.m16n8k8.tf32,
// whose A holds (g, t), (g+8, t), (g, t+4), (g+8, t+4) and B (k t, col g),
// (k t+4, col g) of its 8 k columns. The f32 fragments have the shapes of
// the 16-bit ones with the k columns in that order: A [r][e] is row g + 8
// (r % 2), column t + 4 e + 8 (r / 2); B [r][e] is k t + 4 e + 8 r, column
// g; C is unchanged. The first instruction takes A's [0], [1] and B's [0],
// the second A's [2], [3] and B's [1]. Row-major A and B^T load by 32-bit
// ldmatrix (lane l of an 8 x 4-word matrix gets word (l / 4, l % 4): the
// TF32 layout); the transposed reads (ldmatrix transposes 16-bit elements
// only) load element by element, and an A built from accumulators (columns
// 2t, 2t+1) is reordered by shuffles. The operands are rounded to TF32
// (10-bit mantissa, to nearest, ties away: cvt.rna.tf32.f32); the products
// accumulate in f32.
//
// Warpgroup matrix ops (sm_90a, PTX ISA "Asynchronous Warpgroup Level Matrix
// Multiply-Accumulate"): wgmma.mma_async m64nNk16 reads A (64 x 16) and B (16
// x N) through 64-bit shared-memory descriptors. Operand tiles use the
// 128-byte swizzle: a rows x cols tile is cols / 64 column blocks of rows x
// 64 elements (128 bytes a row), and within a block the 16-byte piece p of
// row r sits at piece p ^ (r % 8). Either operand is read K-major (its
// columns are k, as Q, or K for Q K^T: a k-step inside a column block
// advances the start by 32 bytes) or MN-major with the transposed read
// (rows are k, as V for P V or K for K^T V: a k-step is 16 rows, the
// descriptor's leading byte offset is the distance between column blocks
// along m or n, and A's 64-row block r is column block r / 64). A
// descriptor holds the start address >> 4, the stride between 8-row groups
// (1024 bytes) and the swizzle mode (the hardware applies the swizzle to the
// address bits, so tiles start at a multiple of 1024 bytes). The f32
// accumulator of warp w holds rows 16 w .. 16 w + 15 in the m16n8 C layout
// above, one {c0..c3} per 8 columns.
//
//===----------------------------------------------------------------------===//

#include "NVIDIATargetInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;

static Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

int64_t NVIDIATargetInfo::getMaxSharedBytes() const {
  if (computeCapability >= 90)
    return 227 * 1024;
  if (computeCapability == 80 || computeCapability == 87)
    return 163 * 1024;
  return 99 * 1024;
}

bool NVIDIATargetInfo::supportsMatrixElementType(Type elementType) const {
  return elementType.isF16() || elementType.isBF16() || elementType.isF32();
}

Value NVIDIATargetInfo::getLaneId(OpBuilder &b, Location loc) const {
  return gpu::LaneIdOp::create(b, loc, /*upper_bound=*/nullptr);
}

Value NVIDIATargetInfo::shuffleXor(OpBuilder &b, Location loc, Value value,
                                   int64_t mask) const {
  Value offset = arith::ConstantIntOp::create(b, loc, mask, 32);
  Value width = arith::ConstantIntOp::create(b, loc, 32, 32);
  return gpu::ShuffleOp::create(b, loc, value, offset, width,
                                gpu::ShuffleMode::XOR)
      .getShuffleResult();
}

Value NVIDIATargetInfo::warpReduceInt(OpBuilder &b, Location loc, Value value,
                                      bool isMax) const {
  if (computeCapability >= 80) {
    // redux.sync.{min,max}.s32: one instruction over the full warp.
    Value all = arith::ConstantIntOp::create(b, loc, -1, 32);
    return NVVM::ReduxOp::create(
        b, loc, value.getType(), value,
        isMax ? NVVM::ReduxKind::MAX : NVVM::ReduxKind::MIN, all);
  }
  for (int64_t mask = 1; mask < 32; mask *= 2) {
    Value other = shuffleXor(b, loc, value, mask);
    value = isMax ? arith::MaxSIOp::create(b, loc, value, other).getResult()
                  : arith::MinSIOp::create(b, loc, value, other).getResult();
  }
  return value;
}

Value NVIDIATargetInfo::warpBallot(OpBuilder &b, Location loc,
                                   Value pred) const {
  Value all = arith::ConstantIntOp::create(b, loc, -1, 32);
  return NVVM::VoteSyncOp::create(b, loc, b.getI32Type(), all, pred,
                                  NVVM::VoteSyncKind::ballot);
}

void NVIDIATargetInfo::warpSync(OpBuilder &b, Location loc) const {
  NVVM::SyncWarpOp::create(b, loc,
                           arith::ConstantIntOp::create(b, loc, -1, 32));
}

void NVIDIATargetInfo::barrier(OpBuilder &b, Location loc) const {
  gpu::BarrierOp::create(b, loc);
}

Attribute NVIDIATargetInfo::getSharedMemorySpace(MLIRContext *ctx) const {
  return gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
}

Value NVIDIATargetInfo::getDynamicSharedMemory(OpBuilder &b,
                                               Location loc) const {
  auto type = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                              MemRefLayoutAttrInterface(),
                              getSharedMemorySpace(b.getContext()));
  return gpu::DynamicSharedMemoryOp::create(b, loc, type);
}

VectorType NVIDIATargetInfo::getAFragmentType(Type elementType) const {
  return VectorType::get({4, 2}, elementType);
}

VectorType NVIDIATargetInfo::getBFragmentType(Type elementType) const {
  return VectorType::get({2, 2}, elementType);
}

VectorType NVIDIATargetInfo::getCFragmentType(MLIRContext *ctx) const {
  return VectorType::get({2, 2}, Float32Type::get(ctx));
}

FragmentCoord NVIDIATargetInfo::getCCoord(OpBuilder &b, Location loc,
                                          Value lane, int64_t e) const {
  Value group = arith::DivUIOp::create(b, loc, lane, cIdx(b, loc, 4));
  Value inGroup = arith::RemUIOp::create(b, loc, lane, cIdx(b, loc, 4));
  Value row = arith::AddIOp::create(b, loc, group, cIdx(b, loc, (e / 2) * 8));
  Value col = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, inGroup, cIdx(b, loc, 2)),
      cIdx(b, loc, e % 2));
  return {row, col};
}

/// `base + (lane / div % mod) * mul`, folded where the factors allow.
static Value laneOffset(OpBuilder &b, Location loc, Value base, Value lane,
                        int64_t div, int64_t mod, int64_t mul) {
  Value v = lane;
  if (div != 1)
    v = arith::DivUIOp::create(b, loc, v, cIdx(b, loc, div));
  if (mod != 0)
    v = arith::RemUIOp::create(b, loc, v, cIdx(b, loc, mod));
  if (mul != 1)
    v = arith::MulIOp::create(b, loc, v, cIdx(b, loc, mul));
  return arith::AddIOp::create(b, loc, base, v);
}

static Value ldmatrix(OpBuilder &b, Location loc, Value tile, Value row,
                      Value col, bool transpose) {
  Type elementType = cast<MemRefType>(tile.getType()).getElementType();
  auto type = VectorType::get({4, 2}, elementType);
  return nvgpu::LdMatrixOp::create(b, loc, type, tile, ValueRange{row, col},
                                   transpose, /*numTiles=*/4);
}

/// Builds a 2-D vector from its rows with extract/insert only (n-D vector
/// casts and slices have no direct LLVM lowering).
static Value fromRows(OpBuilder &b, Location loc, VectorType type,
                      ArrayRef<Value> rows) {
  Value v = ub::PoisonOp::create(b, loc, type);
  for (auto [i, row] : llvm::enumerate(rows))
    v = vector::InsertOp::create(b, loc, row, v,
                                 ArrayRef<int64_t>{static_cast<int64_t>(i)});
  return v;
}

static Value row(OpBuilder &b, Location loc, Value v, int64_t i) {
  return vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{i});
}

static std::pair<Value, Value> splitX4(OpBuilder &b, Location loc, Value r) {
  auto type = cast<VectorType>(r.getType());
  auto half = VectorType::get({2, 2}, type.getElementType());
  return {fromRows(b, loc, half, {row(b, loc, r, 0), row(b, loc, r, 1)}),
          fromRows(b, loc, half, {row(b, loc, r, 2), row(b, loc, r, 3)})};
}

/// Whether `tile` holds f32 elements (the TF32 path).
static bool isF32Tile(Value tile) {
  return cast<MemRefType>(tile.getType()).getElementType().isF32();
}

/// A fragment of `regs` rows of element pairs of an f32 tile, loaded element
/// by element: element e of register r is `tile[at(r, e)]`, given as (row,
/// col) offsets from the lane's group g = lane / 4 and t = lane % 4 (`at`
/// returns the row and column, both relative to (row, col)).
static Value
loadF32Fragment(OpBuilder &b, Location loc, Value tile, Value row, Value col,
                Value lane, int64_t regs,
                function_ref<std::pair<Value, Value>(Value g, Value t,
                                                     int64_t r, int64_t e)>
                    at) {
  Value g = arith::DivUIOp::create(b, loc, lane, cIdx(b, loc, 4));
  Value t = arith::RemUIOp::create(b, loc, lane, cIdx(b, loc, 4));
  auto type = VectorType::get({regs, 2}, b.getF32Type());
  Value frag = ub::PoisonOp::create(b, loc, type);
  for (int64_t r = 0; r < regs; ++r)
    for (int64_t e = 0; e < 2; ++e) {
      auto [dr, dc] = at(g, t, r, e);
      Value x = memref::LoadOp::create(
          b, loc, tile,
          ValueRange{arith::AddIOp::create(b, loc, row, dr),
                     arith::AddIOp::create(b, loc, col, dc)});
      frag = vector::InsertOp::create(b, loc, x, frag, ArrayRef<int64_t>{r, e});
    }
  return frag;
}

/// `base + v`, folded for v = 0.
static Value plus(OpBuilder &b, Location loc, Value base, int64_t v) {
  return v == 0 ? base : arith::AddIOp::create(b, loc, base, cIdx(b, loc, v));
}

/// Four 8 x 4 matrices of 32-bit words of an f32 tile by ldmatrix.x4 (lanes
/// 8m .. 8m + 7 address the rows of matrix m): lane l's word (l / 4, l % 4)
/// of each, as vector<4xf32>.
static Value ldmatrixWords(OpBuilder &b, Location loc, Value tile, Value row,
                           Value col) {
  auto type = VectorType::get({4, 1}, b.getF32Type());
  Value m = nvgpu::LdMatrixOp::create(b, loc, type, tile, ValueRange{row, col},
                                      /*transpose=*/false, /*numTiles=*/4);
  return vector::ShapeCastOp::create(b, loc,
                                     VectorType::get({4}, b.getF32Type()), m);
}

static Value word(OpBuilder &b, Location loc, Value words, int64_t i) {
  return vector::ExtractOp::create(b, loc, words, ArrayRef<int64_t>{i});
}

/// The f32 fragment of `regs` rows whose register r is pick(r).
static Value
f32FragmentOf(OpBuilder &b, Location loc, int64_t regs,
              function_ref<std::pair<Value, Value>(int64_t r)> pick) {
  auto pairType = VectorType::get({2}, b.getF32Type());
  SmallVector<Value> rows;
  for (int64_t r = 0; r < regs; ++r) {
    auto [x, y] = pick(r);
    rows.push_back(
        vector::FromElementsOp::create(b, loc, pairType, ValueRange{x, y}));
  }
  return fromRows(b, loc, VectorType::get({regs, 2}, b.getF32Type()), rows);
}

Value NVIDIATargetInfo::loadAFragment(OpBuilder &b, Location loc, Value tile,
                                      Value row, Value col, Value lane) const {
  // f32, per 8 k columns kb: matrices rows 0-7 / 8-15 of columns 0-3, then
  // of columns 4-7: words (g, t), (g + 8, t), (g, t + 4), (g + 8, t + 4).
  if (isF32Tile(tile)) {
    Value r = laneOffset(b, loc, row, lane, 1, 16, 1);
    SmallVector<Value> words;
    for (int64_t kb = 0; kb < 2; ++kb)
      words.push_back(ldmatrixWords(
          b, loc, tile, r,
          laneOffset(b, loc, plus(b, loc, col, 8 * kb), lane, 16, 0, 4)));
    return f32FragmentOf(
        b, loc, 4, [&](int64_t reg) -> std::pair<Value, Value> {
          Value w = words[reg / 2];
          return {word(b, loc, w, reg % 2), word(b, loc, w, reg % 2 + 2)};
        });
  }
  // Matrices: rows 0-7 / 8-15 of columns 0-7, then of columns 8-15.
  Value r = laneOffset(b, loc, row, lane, 1, 16, 1);
  Value c = laneOffset(b, loc, col, lane, 16, 0, 8);
  return ldmatrix(b, loc, tile, r, c, /*transpose=*/false);
}

Value NVIDIATargetInfo::loadAFragmentFromColumns(OpBuilder &b, Location loc,
                                                 Value tile, Value row,
                                                 Value col, Value lane) const {
  // A's (r, c) is tile[row + c][col + r].
  if (isF32Tile(tile))
    return loadF32Fragment(
        b, loc, tile, row, col, lane, 4,
        [&](Value g, Value t, int64_t r, int64_t e) -> std::pair<Value, Value> {
          return {plus(b, loc, t, 4 * e + 8 * (r / 2)),
                  plus(b, loc, g, 8 * (r % 2))};
        });
  // Matrices (transposed): A rows 0-7 / 8-15 (tile columns) of A columns
  // 0-7 (tile rows 0-7), then of A columns 8-15 (tile rows 8-15).
  Value r = laneOffset(b, loc, row, lane, 1, 8, 1);
  r = laneOffset(b, loc, r, lane, 16, 0, 8);
  Value c = laneOffset(b, loc, col, lane, 8, 2, 8);
  return ldmatrix(b, loc, tile, r, c, /*transpose=*/true);
}

Value NVIDIATargetInfo::scaleAFragment(
    OpBuilder &b, Location loc, Value frag, Value lane,
    function_ref<Value(Value row)> rowFactor,
    function_ref<Value(Value col)> columnFactor, Type resultType) const {
  // Register r holds (row g + 8 (r % 2), columns 2t + 8 (r / 2) + {0, 1})
  // with g = lane / 4, t = lane % 4: two distinct rows and four distinct
  // columns per lane.
  auto type = cast<VectorType>(frag.getType());
  if (!resultType)
    resultType = type.getElementType();
  Type f32 = b.getF32Type();
  Value rows[2], columns[2][2];
  if (rowFactor) {
    Value g = arith::DivUIOp::create(b, loc, lane, cIdx(b, loc, 4));
    for (int64_t hi = 0; hi < 2; ++hi)
      rows[hi] =
          rowFactor(arith::AddIOp::create(b, loc, g, cIdx(b, loc, 8 * hi)));
  }
  // f32 (TF32 order): columns t + 4 i + 8 (r / 2).
  bool tf32 = type.getElementType().isF32();
  if (columnFactor) {
    Value t = arith::RemUIOp::create(b, loc, lane, cIdx(b, loc, 4));
    Value base = tf32 ? t : arith::MulIOp::create(b, loc, t, cIdx(b, loc, 2));
    for (int64_t hi = 0; hi < 2; ++hi)
      for (int64_t i = 0; i < 2; ++i)
        columns[hi][i] = columnFactor(arith::AddIOp::create(
            b, loc, base, cIdx(b, loc, hi * 8 + (tf32 ? 4 * i : i))));
  }
  Value out = resultType == type.getElementType()
                  ? frag
                  : ub::PoisonOp::create(
                        b, loc, VectorType::get(type.getShape(), resultType))
                        .getResult();
  for (int64_t r = 0; r < type.getDimSize(0); ++r)
    for (int64_t i = 0; i < 2; ++i) {
      Value x =
          vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{r, i});
      Value wide = x.getType() == f32
                       ? x
                       : arith::ExtFOp::create(b, loc, f32, x).getResult();
      if (rowFactor)
        wide = arith::MulFOp::create(b, loc, wide, rows[r % 2]);
      if (columnFactor)
        wide = arith::MulFOp::create(b, loc, wide, columns[r / 2][i]);
      Value narrow =
          resultType == f32
              ? wide
              : arith::TruncFOp::create(b, loc, resultType, wide).getResult();
      out = vector::InsertOp::create(b, loc, narrow, out,
                                     ArrayRef<int64_t>{r, i});
    }
  return out;
}

std::pair<Value, Value>
NVIDIATargetInfo::loadBFragmentsFromRows(OpBuilder &b, Location loc, Value tile,
                                         Value row, Value col,
                                         Value lane) const {
  // f32: B_j's (k, n) is tile[row + 8 j + n][col + k]; matrices n 0-7 of
  // k 0-3, 4-7, 8-11, 12-15: words (n g, k t + 4 i).
  if (isF32Tile(tile)) {
    Value c = laneOffset(b, loc, col, lane, 8, 0, 4);
    auto load = [&](int64_t j) {
      Value r = laneOffset(b, loc, plus(b, loc, row, 8 * j), lane, 1, 8, 1);
      Value words = ldmatrixWords(b, loc, tile, r, c);
      return f32FragmentOf(b, loc, 2,
                           [&](int64_t reg) -> std::pair<Value, Value> {
                             return {word(b, loc, words, 2 * reg),
                                     word(b, loc, words, 2 * reg + 1)};
                           });
    };
    return {load(0), load(1)};
  }
  // Matrices: (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k 0-7), (n 8-15, k
  // 8-15); lane l of each holds n = l / 4, k = 2 (l % 4): B's layout.
  Value r = laneOffset(b, loc, row, lane, 1, 8, 1);
  r = laneOffset(b, loc, r, lane, 16, 0, 8);
  Value c = laneOffset(b, loc, col, lane, 8, 2, 8);
  return splitX4(b, loc, ldmatrix(b, loc, tile, r, c, /*transpose=*/false));
}

std::pair<Value, Value>
NVIDIATargetInfo::loadBFragmentsFromColumns(OpBuilder &b, Location loc,
                                            Value tile, Value row, Value col,
                                            Value lane) const {
  // B_j's (k, n) is tile[row + k][col + 8 j + n].
  if (isF32Tile(tile)) {
    auto load = [&](int64_t j) {
      return loadF32Fragment(
          b, loc, tile, row, col, lane, 2,
          [&](Value g, Value t, int64_t r,
              int64_t e) -> std::pair<Value, Value> {
            return {plus(b, loc, t, 4 * e + 8 * r), plus(b, loc, g, 8 * j)};
          });
    };
    return {load(0), load(1)};
  }
  // Matrices (transposed): (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n 8-15),
  // (k 8-15, n 8-15).
  Value r = laneOffset(b, loc, row, lane, 1, 8, 1);
  r = laneOffset(b, loc, r, lane, 8, 2, 8);
  Value c = laneOffset(b, loc, col, lane, 16, 0, 8);
  return splitX4(b, loc, ldmatrix(b, loc, tile, r, c, /*transpose=*/true));
}

/// The 32-bit registers of a fragment of 16-bit pairs.
static SmallVector<Value> packedRegisters(OpBuilder &b, Location loc,
                                          Value frag) {
  auto type = cast<VectorType>(frag.getType());
  auto word = VectorType::get({1}, b.getI32Type());
  SmallVector<Value> regs;
  for (int64_t r = 0; r < type.getDimSize(0); ++r) {
    Value packed =
        vector::BitCastOp::create(b, loc, word, row(b, loc, frag, r));
    regs.push_back(
        vector::ExtractOp::create(b, loc, packed, ArrayRef<int64_t>{0}));
  }
  return regs;
}

Value NVIDIATargetInfo::mma(OpBuilder &b, Location loc, Value a, Value bFrag,
                            Value c) const {
  Type elementType = cast<VectorType>(a.getType()).getElementType();
  if (elementType.isF16())
    return nvgpu::MmaSyncOp::create(b, loc, a, bFrag, c,
                                    ArrayRef<int64_t>{16, 8, 16});
  // nvgpu.mma.sync's lowering (LLVM 22) cannot type bf16 operands: emit
  // nvvm.mma.sync directly, bf16 pairs packed in i32 registers as PTX wants.
  // f32 runs as two TF32 k8 halves (see the top of the file).
  SmallVector<Value> cRegs;
  for (int64_t e = 0; e < 4; ++e)
    cRegs.push_back(
        vector::ExtractOp::create(b, loc, c, ArrayRef<int64_t>{e / 2, e % 2}));
  Type f32 = b.getF32Type();
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  auto layouts = std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                                NVVM::MMALayout::col};
  Value d;
  if (elementType.isF32()) {
    // The TF32 bits of element (r, e) of a fragment.
    auto tf32 = [&](Value frag, int64_t r, int64_t e) -> Value {
      Value x =
          vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{r, e});
      return NVVM::ConvertFloatToTF32Op::create(
          b, loc, b.getI32Type(), x,
          NVVM::FPRoundingModeAttr::get(b.getContext(),
                                        NVVM::FPRoundingMode::RNA));
    };
    for (int64_t half = 0; half < 2; ++half) {
      int64_t r0 = 2 * half;
      SmallVector<Value> aRegs{tf32(a, r0, 0), tf32(a, r0 + 1, 0),
                               tf32(a, r0, 1), tf32(a, r0 + 1, 1)};
      SmallVector<Value> bRegs{tf32(bFrag, half, 0), tf32(bFrag, half, 1)};
      d = NVVM::MmaOp::create(b, loc, resultType, aRegs, bRegs, cRegs,
                              ArrayRef<int64_t>{16, 8, 8}, std::nullopt,
                              std::nullopt,
                              std::array<NVVM::MMATypes, 2>{
                                  NVVM::MMATypes::tf32, NVVM::MMATypes::tf32},
                              layouts);
      for (int64_t e = 0; e < 4; ++e)
        cRegs[e] =
            LLVM::ExtractValueOp::create(b, loc, d, ArrayRef<int64_t>{e});
    }
  } else {
    d = NVVM::MmaOp::create(b, loc, resultType, packedRegisters(b, loc, a),
                            packedRegisters(b, loc, bFrag), cRegs,
                            ArrayRef<int64_t>{16, 8, 16}, std::nullopt,
                            std::nullopt,
                            std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                                          NVVM::MMATypes::bf16},
                            layouts);
  }
  auto pairType = VectorType::get({2}, f32);
  SmallVector<Value> rows;
  for (int64_t r = 0; r < 2; ++r) {
    SmallVector<Value> elems;
    for (int64_t e = 0; e < 2; ++e)
      elems.push_back(LLVM::ExtractValueOp::create(
          b, loc, d, ArrayRef<int64_t>{2 * r + e}));
    rows.push_back(vector::FromElementsOp::create(b, loc, pairType, elems));
  }
  return fromRows(b, loc, cast<VectorType>(c.getType()), rows);
}

Value NVIDIATargetInfo::accumulatorsToAFragment(OpBuilder &b, Location loc,
                                                Value c0, Value c1,
                                                Type elementType) const {
  // C0 holds (g, 2t..), (g+8, 2t..) of columns [0, 8), C1 the same of [8, 16):
  // in this order they are A's [0], [1], [2], [3].
  auto pair = VectorType::get({2}, elementType);
  SmallVector<Value> rows;
  if (elementType.isF32()) {
    // TF32 order: lane (g, t) takes columns t and t + 4 of each, held by
    // lanes (g, t / 2) and (g, t / 2 + 2) as their element t % 2.
    Value lane = getLaneId(b, loc);
    Value t = arith::RemUIOp::create(b, loc, lane, cIdx(b, loc, 4));
    Value quad0 = arith::SubIOp::create(b, loc, lane, t);
    Value odd = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne,
        arith::RemUIOp::create(b, loc, t, cIdx(b, loc, 2)), cIdx(b, loc, 0));
    Value half = arith::DivUIOp::create(b, loc, t, cIdx(b, loc, 2));
    Value width = arith::ConstantIntOp::create(b, loc, 32, 32);
    auto fetch = [&](Value c, int64_t h, int64_t i, Value src) -> Value {
      Value value =
          vector::ExtractOp::create(b, loc, c, ArrayRef<int64_t>{h, i});
      return gpu::ShuffleOp::create(b, loc, value, src, width,
                                    gpu::ShuffleMode::IDX)
          .getShuffleResult();
    };
    for (Value c : {c0, c1})
      for (int64_t h = 0; h < 2; ++h) {
        SmallVector<Value> elems;
        for (int64_t e = 0; e < 2; ++e) {
          Value src = arith::IndexCastOp::create(
              b, loc, b.getI32Type(),
              arith::AddIOp::create(b, loc, quad0, plus(b, loc, half, 2 * e)));
          elems.push_back(arith::SelectOp::create(
              b, loc, odd, fetch(c, h, 1, src), fetch(c, h, 0, src)));
        }
        rows.push_back(vector::FromElementsOp::create(b, loc, pair, elems));
      }
  } else {
    for (Value c : {c0, c1})
      for (int64_t i = 0; i < 2; ++i)
        rows.push_back(
            arith::TruncFOp::create(b, loc, pair, row(b, loc, c, i)));
  }
  return fromRows(b, loc, getAFragmentType(elementType), rows);
}

Value NVIDIATargetInfo::asyncCopy(OpBuilder &b, Location loc, Value dst,
                                  ValueRange dstIndices, Value src,
                                  Value srcIndex, int64_t elements,
                                  Value valid) const {
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  if (!valid)
    return nvgpu::DeviceAsyncCopyOp::create(
        b, loc, tokenType, dst, dstIndices, src, ValueRange{srcIndex},
        b.getIndexAttr(elements), Value(), b.getUnitAttr());
  // An invalid copy reads 0 bytes from a clamped (valid) address and
  // zero-fills the destination.
  Value zero = cIdx(b, loc, 0);
  Value index = arith::SelectOp::create(b, loc, valid, srcIndex, zero);
  Value srcElements =
      arith::SelectOp::create(b, loc, valid, cIdx(b, loc, elements), zero);
  return nvgpu::DeviceAsyncCopyOp::create(
      b, loc, tokenType, dst, dstIndices, src, ValueRange{index},
      b.getIndexAttr(elements), srcElements, b.getUnitAttr());
}

Value NVIDIATargetInfo::asyncCommit(OpBuilder &b, Location loc,
                                    ValueRange tokens) const {
  auto tokenType = nvgpu::DeviceAsyncTokenType::get(b.getContext());
  return nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenType, tokens);
}

void NVIDIATargetInfo::asyncWait(OpBuilder &b, Location loc, Value group,
                                 int64_t pending) const {
  nvgpu::DeviceAsyncWaitOp::create(b, loc, group, b.getI32IntegerAttr(pending));
}

Value NVIDIATargetInfo::exp2(OpBuilder &b, Location loc, Value x) const {
  // ex2.approx.ftz.f32: one MUFU.EX2 (libdevice's __nv_exp2f adds denormal
  // handling around it). Flushing subnormal results to 0 is harmless for
  // softmax weights; 2^-inf is +0.
  return LLVM::CallIntrinsicOp::create(
             b, loc, b.getF32Type(),
             b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f32"), ValueRange{x})
      ->getResult(0);
}

//===----------------------------------------------------------------------===//
// Warpgroup matrix ops
//===----------------------------------------------------------------------===//

/// Elements of a 16-bit operand tile's column block (one 128-byte row).
static constexpr int64_t kSwizzleCols = 64;

bool NVIDIATargetInfo::supportsWarpgroupMatrixOps(int64_t cols) const {
  return computeCapability == 90 && StringRef(chip).ends_with("a") &&
         cols % kSwizzleCols == 0;
}

Value NVIDIATargetInfo::getOperandTileOffset(OpBuilder &b, Location loc,
                                             Value row, Value col, int64_t rows,
                                             int64_t cols) const {
  (void)cols;
  auto cst = [&](int64_t v) { return cIdx(b, loc, v); };
  Value block = arith::DivUIOp::create(b, loc, col, cst(kSwizzleCols));
  Value inBlock = arith::RemUIOp::create(b, loc, col, cst(kSwizzleCols));
  Value piece = arith::DivUIOp::create(b, loc, inBlock, cst(8));
  Value swizzled = arith::XOrIOp::create(
      b, loc, piece, arith::RemUIOp::create(b, loc, row, cst(8)));
  Value offset = arith::MulIOp::create(b, loc, block, cst(rows * kSwizzleCols));
  offset = arith::AddIOp::create(
      b, loc, offset, arith::MulIOp::create(b, loc, row, cst(kSwizzleCols)));
  offset = arith::AddIOp::create(
      b, loc, offset, arith::MulIOp::create(b, loc, swizzled, cst(8)));
  return arith::AddIOp::create(b, loc, offset,
                               arith::RemUIOp::create(b, loc, inBlock, cst(8)));
}

Value NVIDIATargetInfo::getSharedAddress(OpBuilder &b, Location loc,
                                         Value buffer) const {
  return memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
}

void NVIDIATargetInfo::fenceSharedForMatrixOps(OpBuilder &b,
                                               Location loc) const {
  // cp.async and st.shared write through the generic proxy, wgmma reads
  // through the async proxy.
  MLIRContext *ctx = b.getContext();
  NVVM::FenceProxyOp::create(
      b, loc, NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared),
      NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
}

SmallVector<Value> NVIDIATargetInfo::issueWarpgroupMatmul(
    OpBuilder &b, Location loc, Type elementType, OperandTile a,
    ArrayRef<Value> aRowBlocks, OperandTile bTile, int64_t n, int64_t k,
    ArrayRef<SmallVector<Value>> accumulators) const {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto c64 = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i64, v).getResult();
  };
  // Descriptor of a tile start: address >> 4 in bits 0-13, the leading byte
  // offset >> 4 in bits 16-29, the stride byte offset >> 4 in bits 32-45 and
  // the 128-byte swizzle (1) in bits 62-63. Both layouts step 1024 bytes
  // between 8-row groups (the stride); the leading offset is unused by
  // k-major tiles and is the distance between column blocks otherwise.
  auto descriptorOf = [&](const OperandTile &tile) {
    Value v = arith::IndexCastUIOp::create(b, loc, i64, tile.address);
    v = arith::ShRUIOp::create(
        b, loc, arith::AndIOp::create(b, loc, v, c64(0x3FFFF)), c64(4));
    int64_t leading = tile.kMajor ? 16 : tile.rows * 128;
    int64_t fixed = ((leading >> 4) << 16) | (int64_t{1024 >> 4} << 32) |
                    (int64_t{1} << 62);
    return arith::OrIOp::create(b, loc, v, c64(fixed)).getResult();
  };
  Value aDesc = descriptorOf(a), bDesc = descriptorOf(bTile);
  // Descriptor of k-step kk, from A's row `row0` (null: 0; a k-major tile's
  // row, else the first column of a column block): 16 columns further (32
  // bytes, or the next column block) in a k-major tile; in the other layout
  // 16 rows further.
  auto at = [&](Value desc, const OperandTile &tile, Value row0, int64_t kk) {
    int64_t col = kk * 16;
    int64_t bytes = tile.kMajor ? (col / kSwizzleCols) * tile.rows * 128 +
                                      (col % kSwizzleCols) * 2
                                : col * 128;
    // 128 bytes a row, or rows x 128 bytes per 64 columns.
    int64_t rowBytes = tile.kMajor ? 128 : tile.rows * 2;
    if (row0)
      desc = arith::AddIOp::create(
          b, loc, desc,
          arith::IndexCastUIOp::create(
              b, loc, i64,
              arith::MulIOp::create(b, loc, row0,
                                    cIdx(b, loc, rowBytes >> 4))));
    return bytes == 0 ? desc
                      : arith::AddIOp::create(b, loc, desc, c64(bytes >> 4))
                            .getResult();
  };

  Type f32 = b.getF32Type();
  int64_t perThread = n / 2;
  auto accType =
      LLVM::LLVMStructType::getLiteral(ctx, SmallVector<Type>(perThread, f32));
  // Without accumulators the first k-step ignores C (scale-d = 0).
  SmallVector<Value> acc;
  for (size_t i = 0; i < aRowBlocks.size(); ++i) {
    Value d = LLVM::UndefOp::create(b, loc, accType);
    if (!accumulators.empty())
      for (auto [j, frag] : llvm::enumerate(accumulators[i]))
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t e = 0; e < 2; ++e)
            d = LLVM::InsertValueOp::create(
                b, loc, d,
                vector::ExtractOp::create(b, loc, frag,
                                          ArrayRef<int64_t>{r, e}),
                ArrayRef<int64_t>{static_cast<int64_t>(4 * j + 2 * r + e)});
    acc.push_back(d);
  }

  auto type =
      elementType.isBF16() ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
  auto shape = NVVM::MMAShapeAttr::get(ctx, 64, n, 16);
  // A's layout: `row` is k-major, `col` the transposed read; B's: `col` is
  // k-major (B^T row-major), `row` the transposed read.
  auto aLayout = a.kMajor ? NVVM::MMALayout::row : NVVM::MMALayout::col;
  auto bLayout = bTile.kMajor ? NVVM::MMALayout::col : NVVM::MMALayout::row;
  NVVM::WgmmaFenceAlignedOp::create(b, loc);
  for (int64_t kk = 0; kk < k / 16; ++kk) {
    Value bAt = at(bDesc, bTile, Value(), kk);
    bool zero = kk == 0 && accumulators.empty();
    for (auto [i, row0] : llvm::enumerate(aRowBlocks))
      acc[i] = NVVM::WgmmaMmaAsyncOp::create(
          b, loc, accType, acc[i], at(aDesc, a, row0, kk), bAt, shape, type,
          type, NVVM::WGMMATypes::f32,
          zero ? NVVM::WGMMAScaleOut::zero : NVVM::WGMMAScaleOut::one,
          NVVM::WGMMAScaleIn::one, NVVM::WGMMAScaleIn::one, aLayout, bLayout,
          /*satfinite=*/nullptr);
  }
  NVVM::WgmmaGroupSyncAlignedOp::create(b, loc);
  return acc;
}

SmallVector<SmallVector<Value>> NVIDIATargetInfo::getWarpgroupFragments(
    OpBuilder &b, Location loc, ArrayRef<Value> products, int64_t n) const {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  // One C fragment per 8 columns: {c0, c1} of row g, {c2, c3} of row g + 8.
  auto pairType = VectorType::get({2}, f32);
  auto cType = getCFragmentType(ctx);
  SmallVector<SmallVector<Value>> result;
  for (Value d : products) {
    SmallVector<Value> frags;
    for (int64_t j = 0; j < n / 8; ++j) {
      SmallVector<Value> rows;
      for (int64_t r = 0; r < 2; ++r) {
        SmallVector<Value> elems;
        for (int64_t e = 0; e < 2; ++e)
          elems.push_back(LLVM::ExtractValueOp::create(
              b, loc, d, ArrayRef<int64_t>{4 * j + 2 * r + e}));
        rows.push_back(vector::FromElementsOp::create(b, loc, pairType, elems));
      }
      frags.push_back(fromRows(b, loc, cType, rows));
    }
    result.push_back(std::move(frags));
  }
  return result;
}

void NVIDIATargetInfo::warpgroupWait(OpBuilder &b, Location loc,
                                     int64_t pending) const {
  NVVM::WgmmaWaitGroupSyncOp::create(b, loc, b.getI64IntegerAttr(pending));
}
