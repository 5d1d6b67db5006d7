//===- FeatureMap.cpp - Feature maps applied to shared-memory tiles -------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// phi of docs/semantics.md §2, applied in place to a tile in shared memory.
// Each thread takes 16-byte runs of a row (the granule of cp.async and
// ldmatrix), widens them to f32, maps and narrows them back to the storage
// type:
//
//   element-wise maps (elu_plus_one, relu, exp): the vectors of the tile are
//   dealt round-robin to the threads;
//   l2norm: a row belongs to a group of L adjacent lanes (L a power of two
//   <= 8), each holding rowVectors / L vectors in registers; the sum of
//   squares is reduced over the group with xor shuffles, then every lane
//   scales its own vectors. All lanes of a warp take part in every shuffle
//   (rows past the tile are loaded from its last row and not stored).
//
// Taylor-2 widens a row: phi goes to another tile, one thread per row (a
// chunk's q and k rows together are one per thread), the row's Dk values in
// registers, then every feature (a constant, a value or a product of two)
// unrolled, F = 1 + Dk + Dk^2. (Hedgehog's projection is a matrix product:
// ChunkedKernelBuilder.cpp computes it with the matrix ops.)
//
//===----------------------------------------------------------------------===//

#include "FeatureMap.h"

#include "attn/Target/TargetInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;

bool mlir::attn::isInPlaceFeatureMap(FeatureMap map) {
  switch (map) {
  case FeatureMap::identity:
  case FeatureMap::elu_plus_one:
  case FeatureMap::relu:
  case FeatureMap::exp:
  case FeatureMap::l2norm:
    return true;
  case FeatureMap::taylor2:
  case FeatureMap::hedgehog:
    return false;
  }
  llvm_unreachable("unknown feature map");
}

namespace {

/// Builds the map over one tile; holds what every part needs.
class FeatureMapEmitter {
public:
  FeatureMapEmitter(OpBuilder &b, Location loc, const TargetInfo &target,
                    FeatureMap map, Value tile, Value row0, int64_t rows,
                    int64_t cols, Value validRows, Value threadId,
                    int64_t threads)
      : b(b), loc(loc), target(target), map(map), tile(tile), row0(row0),
        rows(rows), cols(cols), validRows(validRows), threadId(threadId),
        threads(threads) {
    elementType = cast<MemRefType>(tile.getType()).getElementType();
    int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
    // The widest vector of at most 16 bytes that divides a row.
    width = std::max<int64_t>(16 / elementBytes, 1);
    while (width > 1 && cols % width != 0)
      width /= 2;
    vecType = VectorType::get({width}, elementType);
    f32VecType = VectorType::get({width}, b.getF32Type());
  }

  void emitElementwise();
  void emitL2Norm();

private:
  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }

  /// The f32 vector at tile row `row` (relative to row0), column `col`.
  /// Scalar accesses: the device pipeline lowers vector ops before it maps
  /// the workgroup address space, and these are adjacent, so the backend's
  /// load/store vectorizer may merge them.
  Value load(Value row, Value col) {
    Value r = add(row0, row);
    SmallVector<Value> elems;
    for (int64_t e = 0; e < width; ++e) {
      Value x = memref::LoadOp::create(b, loc, tile,
                                       ValueRange{r, add(col, c(e))});
      if (!elementType.isF32())
        x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
      elems.push_back(x);
    }
    return vector::FromElementsOp::create(b, loc, f32VecType, elems);
  }
  void store(Value v, Value row, Value col) {
    Value r = add(row0, row);
    for (int64_t e = 0; e < width; ++e) {
      Value x = vector::ExtractOp::create(b, loc, v, int64_t{e});
      if (!elementType.isF32())
        x = arith::TruncFOp::create(b, loc, elementType, x);
      memref::StoreOp::create(b, loc, x, tile, ValueRange{r, add(col, c(e))});
    }
  }
  /// phi of one element, for the element-wise maps.
  Value mapScalar(Value x);
  /// `v` with every element mapped by `fn`.
  Value mapVector(Value v, llvm::function_ref<Value(Value)> fn) {
    SmallVector<Value> elems;
    for (int64_t e = 0; e < width; ++e)
      elems.push_back(fn(vector::ExtractOp::create(b, loc, v, int64_t{e})));
    return vector::FromElementsOp::create(b, loc, f32VecType, elems);
  }
  /// A loop of `trips` iterations whose body receives the trip index.
  void loop(int64_t trips, llvm::function_ref<void(Value)> body) {
    if (trips == 1) {
      body(c(0));
      return;
    }
    scf::ForOp::create(b, loc, c(0), c(trips), c(1), ValueRange{},
                       [&](OpBuilder &, Location, Value it, ValueRange) {
                         body(it);
                         scf::YieldOp::create(b, loc);
                       });
  }

  OpBuilder &b;
  Location loc;
  const TargetInfo &target;
  FeatureMap map;
  Value tile, row0;
  int64_t rows, cols;
  Value validRows, threadId;
  int64_t threads;
  Type elementType;
  int64_t width = 1;
  VectorType vecType, f32VecType;
};

} // namespace

Value FeatureMapEmitter::mapScalar(Value x) {
  Value zero = f(0.0);
  switch (map) {
  case FeatureMap::elu_plus_one: {
    // x + 1 for x > 0, else exp(x) (= elu(x) + 1, without the cancellation
    // of exp(x) - 1 + 1).
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    return arith::SelectOp::create(b, loc, positive,
                                   arith::AddFOp::create(b, loc, x, f(1.0)),
                                   math::ExpOp::create(b, loc, x));
  }
  case FeatureMap::relu:
    return arith::MaximumFOp::create(b, loc, x, zero);
  case FeatureMap::exp:
    return math::ExpOp::create(b, loc, x);
  default:
    llvm_unreachable("not an element-wise feature map");
  }
}

void FeatureMapEmitter::emitElementwise() {
  int64_t rowVectors = cols / width;
  int64_t vectors = rows * rowVectors;
  int64_t trips = (vectors + threads - 1) / threads;
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(f32VecType, b.getF32FloatAttr(0.0)));
  loop(trips, [&](Value it) {
    Value index = add(threadId, mul(it, c(threads)));
    auto body = [&] {
      Value row = arith::DivUIOp::create(b, loc, index, c(rowVectors));
      Value col = mul(arith::RemUIOp::create(b, loc, index, c(rowVectors)),
                      c(width));
      Value mapped = mapVector(load(row, col),
                               [&](Value x) { return mapScalar(x); });
      Value valid = cmpi(arith::CmpIPredicate::slt, row, validRows);
      store(arith::SelectOp::create(b, loc, valid, mapped, zeros), row, col);
    };
    if (vectors % threads == 0) {
      body();
      return;
    }
    Value inTile = cmpi(arith::CmpIPredicate::ult, index, c(vectors));
    scf::IfOp::create(b, loc, inTile, [&](OpBuilder &, Location) {
      body();
      scf::YieldOp::create(b, loc);
    });
  });
}

void FeatureMapEmitter::emitL2Norm() {
  int64_t rowVectors = cols / width;
  // Lanes per row: a power of two dividing the row's vectors and the warp.
  int64_t lanes = 1;
  while (lanes < 8 && rowVectors % (2 * lanes) == 0 &&
         target.getWarpSize() % (2 * lanes) == 0 && threads % (2 * lanes) == 0)
    lanes *= 2;
  int64_t perLane = rowVectors / lanes;
  int64_t rowsPerTrip = threads / lanes;
  int64_t trips = (rows + rowsPerTrip - 1) / rowsPerTrip;
  Value group = arith::DivUIOp::create(b, loc, threadId, c(lanes));
  Value member = arith::RemUIOp::create(b, loc, threadId, c(lanes));
  loop(trips, [&](Value it) {
    Value row = add(mul(it, c(rowsPerTrip)), group);
    Value inTile = cmpi(arith::CmpIPredicate::slt, row, c(rows));
    // Every lane loads and shuffles; rows past the tile read its last row.
    Value rowIn = arith::MinSIOp::create(b, loc, row, c(rows - 1));
    SmallVector<Value> vecs, colsOf;
    Value sum = f(0.0);
    for (int64_t v = 0; v < perLane; ++v) {
      // Lane `member` holds vectors member, member + lanes, ...: adjacent
      // lanes read adjacent 16-byte granules.
      Value col = mul(add(member, c(v * lanes)), c(width));
      Value x = load(rowIn, col);
      for (int64_t e = 0; e < width; ++e) {
        Value xe = vector::ExtractOp::create(b, loc, x, int64_t{e});
        sum = arith::AddFOp::create(b, loc, sum,
                                    arith::MulFOp::create(b, loc, xe, xe));
      }
      vecs.push_back(x);
      colsOf.push_back(col);
    }
    for (int64_t mask = 1; mask < lanes; mask *= 2)
      sum = arith::AddFOp::create(b, loc, sum,
                                  target.shuffleXor(b, loc, sum, mask));
    // x / ||x||, 0 for a zero row; padded rows become 0 whatever they hold.
    Value zero = f(0.0);
    Value nonZero =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, zero);
    Value inverse = arith::SelectOp::create(
        b, loc, nonZero,
        arith::DivFOp::create(b, loc, f(1.0),
                              math::SqrtOp::create(b, loc, sum)),
        zero);
    Value inverseVec = vector::BroadcastOp::create(b, loc, f32VecType, inverse);
    Value valid = cmpi(arith::CmpIPredicate::slt, row, validRows);
    Value zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(f32VecType, b.getF32FloatAttr(0.0)));
    scf::IfOp::create(b, loc, inTile, [&](OpBuilder &, Location) {
      for (auto [x, col] : llvm::zip(vecs, colsOf))
        store(arith::SelectOp::create(
                  b, loc, valid, arith::MulFOp::create(b, loc, x, inverseVec),
                  zeros),
              row, col);
      scf::YieldOp::create(b, loc);
    });
  });
}

void mlir::attn::applyFeatureMapInShared(OpBuilder &b, Location loc,
                                         const TargetInfo &target,
                                         FeatureMap map, Value tile,
                                         Value row0, int64_t rows, int64_t cols,
                                         Value validRows, Value threadId,
                                         int64_t threads) {
  assert(isInPlaceFeatureMap(map) && "the map changes the width of a row");
  if (map == FeatureMap::identity || rows <= 0 || cols <= 0)
    return;
  FeatureMapEmitter emitter(b, loc, target, map, tile, row0, rows, cols,
                            validRows, threadId, threads);
  if (map == FeatureMap::l2norm)
    emitter.emitL2Norm();
  else
    emitter.emitElementwise();
}

void mlir::attn::applyTaylor2FeatureMap(OpBuilder &b, Location loc, Value in,
                                        Value out, ArrayRef<Taylor2Job> jobs,
                                        int64_t rows, int64_t dk,
                                        int64_t outCols, Value validRows,
                                        Value threadId, int64_t threads) {

  int64_t features = 1 + dk + dk * dk;
  assert(features <= outCols && !jobs.empty());
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto f = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  };
  auto addi = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, loc, x, y);
  };
  auto mulf = [&](Value x, Value y) -> Value {
    return arith::MulFOp::create(b, loc, x, y);
  };
  Type f32 = b.getF32Type();
  Type outElement = cast<MemRefType>(out.getType()).getElementType();
  int64_t width = 1;
  Type storeType = outElement;
  if (auto vec = dyn_cast<VectorType>(outElement)) {
    width = vec.getNumElements();
    storeType = vec.getElementType();
  }
  assert(outCols % width == 0 && "a row is whole vectors");
  // x of row `inRow`, f32.
  auto loadIn = [&](Value inRow, Value col) -> Value {
    Value x = memref::LoadOp::create(b, loc, in, ValueRange{inRow, col});
    return x.getType().isF32() ? x : arith::ExtFOp::create(b, loc, f32, x);
  };

  // phi of one row (f32, F values); every value is 0 when `valid` is false.
  auto taylor2 = [&](Value inRow, Value valid) {
    double d = static_cast<double>(dk);
    double linear = 1.0 / std::pow(d, 0.25);
    double quadratic = 1.0 / (std::sqrt(2.0) * std::sqrt(d));
    SmallVector<Value> x;
    Value zero = f(0.0);
    for (int64_t i = 0; i < dk; ++i)
      x.push_back(
          arith::SelectOp::create(b, loc, valid, loadIn(inRow, c(i)), zero));
    SmallVector<Value> phi{
        arith::SelectOp::create(b, loc, valid, f(1.0), zero)};
    for (int64_t i = 0; i < dk; ++i)
      phi.push_back(mulf(x[i], f(linear)));
    // x_a x_b / (sqrt 2 sqrt d): the constant on the shared factor x_a.
    for (int64_t a = 0; a < dk; ++a) {
      Value xa = mulf(x[a], f(quadratic));
      for (int64_t bIdx = 0; bIdx < dk; ++bIdx)
        phi.push_back(mulf(xa, x[bIdx]));
    }
    return phi;
  };
  auto body = [&](Value item) {
    Value jobIdx = arith::DivUIOp::create(b, loc, item, c(rows));
    Value row = arith::RemUIOp::create(b, loc, item, c(rows));
    Taylor2Job job = jobs.front();
    for (auto [j, other] : llvm::enumerate(jobs.drop_front())) {
      Value is = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, jobIdx,
                                       c(j + 1));
      auto pick = [&](Value x, Value y) -> Value {
        return arith::SelectOp::create(b, loc, is, y, x);
      };
      job = {pick(job.inRow0, other.inRow0), pick(job.outRow0, other.outRow0)};
    }
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row,
                                        validRows);
    Value inRow = addi(job.inRow0, row);
    SmallVector<Value> phi = taylor2(inRow, valid);
    assert(static_cast<int64_t>(phi.size()) == features);
    Value outRow = addi(job.outRow0, row);
    Value zero =
        arith::ConstantOp::create(b, loc, b.getFloatAttr(storeType, 0));
    for (int64_t v = 0; v < outCols / width; ++v) {
      SmallVector<Value> elems;
      for (int64_t e = 0; e < width; ++e) {
        int64_t feature = v * width + e;
        elems.push_back(feature < features
                            ? (storeType.isF32()
                                   ? phi[feature]
                                   : arith::TruncFOp::create(b, loc, storeType,
                                                             phi[feature])
                                         .getResult())
                            : zero);
      }
      Value stored = width == 1
                         ? elems.front()
                         : vector::FromElementsOp::create(
                               b, loc, cast<VectorType>(outElement), elems)
                               .getResult();
      memref::StoreOp::create(b, loc, stored, out, ValueRange{outRow, c(v)});
    }
  };

  int64_t items = rows * static_cast<int64_t>(jobs.size());
  for (int64_t first = 0; first < items; first += threads) {
    Value item = addi(threadId, c(first));
    if (first + threads <= items) {
      body(item);
      continue;
    }
    Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          item, c(items));
    scf::IfOp::create(b, loc, inRange, [&](OpBuilder &, Location) {
      body(item);
      scf::YieldOp::create(b, loc);
    });
  }
}
