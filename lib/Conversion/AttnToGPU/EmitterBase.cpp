//===- EmitterBase.cpp - What both attention kernels emit alike -----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "EmitterBase.h"

#include "attn/Analysis/ArgumentRoles.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"

using namespace mlir;
using namespace mlir::attn;

Value EmitterBase::zeroFragment() {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(cType, b.getF32FloatAttr(0.0)));
}

Value EmitterBase::fromElems(ArrayRef<Value> elems) {
  auto rowType = VectorType::get({cType.getDimSize(1)}, b.getF32Type());
  Value v = ub::PoisonOp::create(b, loc, cType);
  for (int64_t r = 0; r < cType.getDimSize(0); ++r) {
    Value row = vector::FromElementsOp::create(
        b, loc, rowType,
        elems.slice(r * rowType.getDimSize(0), rowType.getDimSize(0)));
    v = vector::InsertOp::create(b, loc, row, v, ArrayRef<int64_t>{r});
  }
  return v;
}

Value EmitterBase::rowBroadcast(ArrayRef<Value> perHalf) {
  SmallVector<Value> elems;
  for (int64_t e = 0; e < target.getCFragmentSize(); ++e)
    elems.push_back(perHalf[target.getCPosition(e)[0]]);
  return fromElems(elems);
}

Value EmitterBase::quadReduce(Value v, bool isMax) {
  for (int64_t mask : {1, 2}) {
    Value other = target.shuffleXor(b, loc, v, mask);
    v = isMax ? maxf(v, other) : addf(v, other);
  }
  return v;
}

Value EmitterBase::castTo(Type element, Value v) {
  Type from = getElementTypeOrSelf(v.getType());
  if (from == element)
    return v;
  Type type = element;
  if (auto vec = dyn_cast<VectorType>(v.getType()))
    type = vec.clone(element);
  unsigned fromBits = from.getIntOrFloatBitWidth();
  unsigned toBits = element.getIntOrFloatBitWidth();
  // f16 <-> bf16: through f32.
  if (fromBits == toBits)
    return castTo(element, castTo(b.getF32Type(), v));
  if (toBits > fromBits)
    return arith::ExtFOp::create(b, loc, type, v);
  return arith::TruncFOp::create(b, loc, type, v);
}

Value EmitterBase::packPair(Value pair) {
  Value narrow = castTo(elementType, pair);
  Value word = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), narrow);
  return vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
}

/// 32-bit words of a staging row of `cols` elements of `elementBytes` bytes.
static int64_t stagingPitchWords(int64_t cols, int64_t elementBytes) {
  return (cols * elementBytes + 16) / 4;
}

int64_t EmitterBase::getStagingBytes(int64_t rows, int64_t cols) const {
  return rows * 4 *
         stagingPitchWords(cols, elementType.getIntOrFloatBitWidth() / 8);
}

EmitterBase::StagingTile EmitterBase::createStagingTile(Value smem,
                                                        Value byteOffset,
                                                        int64_t rows,
                                                        int64_t cols) {
  int64_t words = getStagingBytes(rows, cols) / 4;
  Attribute space = cast<MemRefType>(smem.getType()).getMemorySpace();
  auto view = [&](Type element, int64_t size) {
    return memref::ViewOp::create(
        b, loc,
        MemRefType::get({size}, element, MemRefLayoutAttrInterface(), space),
        smem, byteOffset, ValueRange{});
  };
  // Pieces as a memref of vectors: memref.load of a vector lowers with the
  // memory space conversions of the GPU lowering (vector.load's pattern runs
  // earlier, without them).
  return {view(b.getI32Type(), words),
          view(VectorType::get({4}, b.getI32Type()), words / 4), rows, cols};
}

void EmitterBase::stagePair(const StagingTile &tile, Value row, Value col,
                            Value pair) {
  int64_t eb = elementType.getIntOrFloatBitWidth() / 8;
  int64_t pitch = stagingPitchWords(tile.cols, eb);
  // The pair's bytes as 32-bit words: one of a 16-bit pair, two of f32.
  int64_t pairWords = 2 * eb / 4;
  Value words = vector::BitCastOp::create(
      b, loc, VectorType::get({pairWords}, b.getI32Type()),
      castTo(elementType, pair));
  Value word0 =
      add(mul(row, c(pitch)),
          pairWords == 1 ? arith::DivUIOp::create(b, loc, col, c(2)).getResult()
                         : mul(col, c(pairWords / 2)));
  for (int64_t w = 0; w < pairWords; ++w)
    memref::StoreOp::create(
        b, loc, vector::ExtractOp::create(b, loc, words, ArrayRef<int64_t>{w}),
        tile.words, ValueRange{add(word0, c(w))});
}

void EmitterBase::copyStagedRows(const StagingTile &tile, Value dst, Value base,
                                 Value rowStride, Value row0, Value limit,
                                 Value worker, int64_t workers) {
  int64_t eb = elementType.getIntOrFloatBitWidth() / 8;
  int64_t piecePitch = stagingPitchWords(tile.cols, eb) / 4;
  int64_t pieceElements = 16 / eb;
  assert(tile.cols % pieceElements == 0 && "rows must be whole pieces");
  int64_t piecesPerRow = tile.cols / pieceElements;
  forEachThreadItem(
      tile.rows * piecesPerRow,
      [&](Value item) {
        Value row = arith::DivUIOp::create(b, loc, item, c(piecesPerRow));
        Value piece = arith::RemUIOp::create(b, loc, item, c(piecesPerRow));
        Value global = add(row0, row);
        scf::IfOp::create(
            b, loc, cmpi(arith::CmpIPredicate::slt, global, limit),
            [&](OpBuilder &, Location) {
              Value words = memref::LoadOp::create(
                  b, loc, tile.pieces,
                  ValueRange{add(mul(row, c(piecePitch)), piece)});
              Value elements = vector::BitCastOp::create(
                  b, loc, VectorType::get({pieceElements}, elementType), words);
              Value at = add(add(base, mul(global, rowStride)),
                             mul(piece, c(pieceElements)));
              vector::StoreOp::create(b, loc, elements, dst, ValueRange{at},
                                      /*nontemporal=*/false, llvm::Align(16));
              scf::YieldOp::create(b, loc);
            });
      },
      worker, workers);
}

Value EmitterBase::operandTileStart(Value smem) {
  Value align = c(target.getOperandTileAlignment());
  Value address = target.getSharedAddress(b, loc, smem);
  return arith::RemUIOp::create(
      b, loc, sub(align, arith::RemUIOp::create(b, loc, address, align)),
      align);
}

void EmitterBase::forEachThreadItem(int64_t count,
                                    function_ref<void(Value)> body,
                                    Value worker, int64_t workers) {
  if (!worker) {
    worker = threadId;
    workers = threads;
  }
  for (int64_t it = 0; it * workers < count; ++it) {
    Value idx = add(worker, c(it * workers));
    if ((it + 1) * workers <= count) {
      body(idx);
      continue;
    }
    scf::IfOp::create(b, loc, cmpi(arith::CmpIPredicate::ult, idx, c(count)),
                      [&](OpBuilder &, Location) {
                        body(idx);
                        scf::YieldOp::create(b, loc);
                      });
  }
}

int64_t EmitterBase::elementsPerCopy(Value dst) const {
  Type type = cast<MemRefType>(dst.getType()).getElementType();
  return target.getAsyncCopyBytes() / (type.getIntOrFloatBitWidth() / 8);
}

void EmitterBase::copyTile(SmallVectorImpl<Value> &tokens, Value src,
                           Value base, Value rowStride, Value row0, Value limit,
                           Value enable, Value dst, Value dstRow0, int64_t rows,
                           int64_t dim, bool operandTile) {
  int64_t perCopy = elementsPerCopy(dst);
  int64_t chunksPerRow = dim / perCopy;
  int64_t chunks = rows * chunksPerRow;
  for (int64_t it = 0; it * threads < chunks; ++it) {
    Value chunk = add(threadId, c(it * threads));
    Value r = arith::DivUIOp::create(b, loc, chunk, c(chunksPerRow));
    Value col =
        mul(arith::RemUIOp::create(b, loc, chunk, c(chunksPerRow)), c(perCopy));
    Value row = add(row0, r);
    // Null: the copy is unconditional.
    Value valid;
    auto andValid = [&](Value v) {
      valid = valid ? arith::AndIOp::create(b, loc, valid, v).getResult() : v;
    };
    if (limit)
      andValid(cmpi(arith::CmpIPredicate::slt, row, limit));
    if (enable)
      andValid(enable);
    if ((it + 1) * threads > chunks)
      andValid(cmpi(arith::CmpIPredicate::ult, chunk, c(chunks)));
    Value srcIndex = add(add(base, mul(row, rowStride)), col);
    SmallVector<Value, 2> dstIndices = {add(dstRow0, r), col};
    if (operandTile)
      dstIndices = {add(mul(dstRow0, c(dim)), target.getOperandTileOffset(
                                                  b, loc, r, col, rows, dim))};
    tokens.push_back(target.asyncCopy(b, loc, dst, dstIndices, src, srcIndex,
                                      perCopy, valid));
  }
}

void EmitterBase::copyTileByRows(SmallVectorImpl<Value> &tokens, Value src,
                                 Value base, Value rowStride, Value row0,
                                 Value limit, Value dst, Value dstRow0,
                                 int64_t rows, int64_t dim) {
  int64_t perCopy = elementsPerCopy(dst);
  int64_t threadsPerRow = threads / rows;
  assert(threadsPerRow * rows == threads && dim % perCopy == 0 &&
         (dim / perCopy) % threadsPerRow == 0 && "uneven copy");
  Value r = arith::DivUIOp::create(b, loc, threadId, c(threadsPerRow));
  Value j = arith::RemUIOp::create(b, loc, threadId, c(threadsPerRow));
  Value row = add(row0, r);
  Value valid = cmpi(arith::CmpIPredicate::slt, row, limit);
  Value rowBase = add(base, mul(row, rowStride));
  Value col0 = mul(j, c(perCopy));
  for (int64_t k = 0; k < dim / perCopy / threadsPerRow; ++k) {
    Value col = add(col0, c(k * threadsPerRow * perCopy));
    tokens.push_back(target.asyncCopy(b, loc, dst,
                                      ValueRange{add(dstRow0, r), col}, src,
                                      add(rowBase, col), perCopy, valid));
  }
}

void EmitterBase::applyOutputNorm(MutableArrayRef<Value> o, OutputNorm norm,
                                  double eps, int64_t dv) {
  // Row statistics over Dv: lane-local partial sums, then the quad.
  auto rowSum = [&](int64_t h, bool square) {
    Value sum = f(0.0);
    for (Value v : o)
      for (int64_t e = 0; e < target.getCFragmentSize(); ++e)
        if (target.getCPosition(e)[0] == h) {
          Value x = elem(v, e);
          sum = addf(sum, square ? mulf(x, x) : x);
        }
    return quadReduce(sum, /*isMax=*/false);
  };
  Value invDv = f(1.0 / static_cast<double>(dv));
  if (norm == OutputNorm::layer) {
    SmallVector<Value> mean(2);
    for (int64_t h = 0; h < 2; ++h)
      mean[h] = mulf(rowSum(h, false), invDv);
    Value meanVec = rowBroadcast(mean);
    for (Value &v : o)
      v = subf(v, meanVec);
  }
  SmallVector<Value> rstd(2);
  for (int64_t h = 0; h < 2; ++h)
    rstd[h] = math::RsqrtOp::create(b, loc,
                                    addf(mulf(rowSum(h, true), invDv), f(eps)));
  Value rstdVec = rowBroadcast(rstd);
  for (Value &v : o)
    v = mulf(v, rstdVec);
}

void EmitterBase::emitRowNormKernel(StringRef name, FunctionType type,
                                    size_t firstScalar, int64_t warps,
                                    OutputNorm norm, double eps, int64_t dv) {
  OpBuilder::InsertionGuard guard(b);
  int64_t width = target.getWarpSize();
  auto func = gpu::GPUFuncOp::create(b, loc, name, type);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(warps * width), 1, 1}));
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto scalar = [&](size_t i) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      entry.getArgument(firstScalar + i))
        .getResult();
  };
  // B, Hq, Hkv, Nq, Nk, then the (batch, head, seq) strides of q, k, v, o.
  Value rows = scalar(3);
  Value base =
      add(mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::z), scalar(14)),
          mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y), scalar(15)));
  Value thread = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value lane = target.getLaneId(b, loc);
  Value row =
      add(mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x), c(warps)),
          arith::DivUIOp::create(b, loc, thread, c(width)));
  Value o = entry.getArgument(3);
  int64_t pieceElements = 16 / (elementType.getIntOrFloatBitWidth() / 8);
  assert(dv % pieceElements == 0 && "rows must be whole 16-byte pieces");
  int64_t pieces = dv / pieceElements;
  auto pieceType = VectorType::get({pieceElements}, elementType);
  auto wideType = VectorType::get({pieceElements}, b.getF32Type());
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wideType, b.getF32FloatAttr(0)));
  scf::IfOp::create(
      b, loc, cmpi(arith::CmpIPredicate::slt, row, rows),
      [&](OpBuilder &, Location) {
        Value rowBase = add(base, mul(row, scalar(16)));
        // Lane l holds pieces l, l + width, ...; pieces past the row are
        // zeros and are not stored.
        SmallVector<Value> x, valid, at;
        for (int64_t k = 0; k * width < pieces; ++k) {
          Value piece = add(lane, c(k * width));
          Value inRow = cmpi(arith::CmpIPredicate::slt, piece, c(pieces));
          Value offset =
              add(rowBase, mul(select(inRow, piece, c(0)), c(pieceElements)));
          Value loaded =
              vector::LoadOp::create(b, loc, pieceType, o, ValueRange{offset},
                                     /*nontemporal=*/false, llvm::Align(16));
          x.push_back(select(inRow, castTo(b.getF32Type(), loaded), zeros));
          valid.push_back(inRow);
          at.push_back(offset);
        }
        auto rowSum = [&](bool square) {
          Value sum = f(0.0);
          for (Value v : x)
            sum = addf(sum, vector::ReductionOp::create(
                                b, loc, vector::CombiningKind::ADD,
                                square ? mulf(v, v) : v));
          for (int64_t mask = 1; mask < width; mask *= 2)
            sum = addf(sum, target.shuffleXor(b, loc, sum, mask));
          return sum;
        };
        Value invDv = f(1.0 / static_cast<double>(dv));
        if (norm == OutputNorm::layer) {
          Value mean = vector::BroadcastOp::create(b, loc, wideType,
                                                   mulf(rowSum(false), invDv));
          for (auto [v, ok] : llvm::zip(x, valid))
            v = select(ok, subf(v, mean), zeros);
        }
        Value rstd = vector::BroadcastOp::create(
            b, loc, wideType,
            math::RsqrtOp::create(b, loc,
                                  addf(mulf(rowSum(true), invDv), f(eps))));
        for (auto [v, ok, offset] : llvm::zip(x, valid, at))
          scf::IfOp::create(b, loc, ok, [&](OpBuilder &, Location) {
            Value narrow = castTo(elementType, mulf(v, rstd));
            vector::StoreOp::create(b, loc, narrow, o, ValueRange{offset},
                                    /*nontemporal=*/false, llvm::Align(16));
            scf::YieldOp::create(b, loc);
          });
        scf::YieldOp::create(b, loc);
      });
  gpu::ReturnOp::create(b, loc);
}

void mlir::attn::describeKernel(KernelInfo &info, SpecChain &chain,
                                const TargetInfo &target,
                                std::vector<KernelSideInput> sideInputs) {
  auto qType = cast<RankedTensorType>(chain.score.getQuery().getType());
  auto kType = cast<RankedTensorType>(chain.score.getKey().getType());
  Layout layout = chain.score.getLayout();
  LayoutAxes axes = getLayoutAxes(layout);
  auto staticDim = [](RankedTensorType t, unsigned axis) -> int64_t {
    return t.isDynamicDim(axis) ? -1 : t.getDimSize(axis);
  };
  info.arch = target.getChip().str();
  info.dtype = getKernelDType(qType.getElementType()).str();
  info.layout = layout == Layout::bshd ? "bshd" : "bhsd";
  info.normalize = stringifyNormalizeKind(chain.normalize.getKind()).str();
  info.headDimQK = chain.score.getHeadDim();
  info.headDimV = getHeadDim(chain.aggregate.getValues());
  info.staticHq = staticDim(qType, axes.heads);
  info.staticHkv = staticDim(kType, axes.heads);
  info.staticNq = staticDim(qType, axes.seq);
  info.staticNk = staticDim(kType, axes.seq);
  info.sideInputs = std::move(sideInputs);
  // Which spec arguments the kernel's tensors are, for launchers that take
  // a multi-chain spec's arguments by number.
  auto argNumber = [](Value value) -> int64_t {
    if (!value)
      return -1;
    std::optional<unsigned> number = getSpecArgumentNumber(value);
    return number ? static_cast<int64_t>(*number) : -1;
  };
  info.queryArg = argNumber(chain.score.getQuery());
  info.keyArg = argNumber(chain.score.getKey());
  info.valueArg = argNumber(chain.aggregate.getValues());
  info.initialStateArg = argNumber(chain.aggregate.getInitialState());
}
