//===- KernelBuilder.cpp - FlashAttention-2 style kernel skeleton ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Builds the forward kernel of a spec chain in the quadratic tiled form
// (DESIGN §4): the softmax family, and the linear family (normalize none and
// sum) where the chunked form is not legal or not chosen:
//
//   CTA (query tile qt, head h, batch b), `warps` warps, each owning
//   blockM / warps query rows as 16-row matrix-op tiles.
//   Q tile -> shared (async copies, zero-filled past Nq) [-> phi(Q) in
//   place] -> A fragments.
//   for key tile t in [first, last) (the classifier's hull):
//     prefetch K/V of tile t+1 into the other buffer (skipped tiles and
//     tiles past the hull are never read from global memory);
//     if classify(t) != skip:
//       [phi(K) in place, rows past Nk zeroed;]
//       S = Q K^T (matrix ops, B fragments from K rows);
//       per element: scale, modifiers, decay; on partial tiles only the mask
//       and the key bound;
//       online softmax with exp2 (row max over a quad by shuffles), or the
//       weights of sigmoid / softplus / relu / none / sum (w = s' D);
//       O += P V (P reused from accumulators as A fragments, V fragments by
//       transposed loads; with warpgroup matrix ops, P is written to a
//       shared operand tile and V is read from its own, transposed).
//   epilogue: O / l (sinks in the denominator; softplus_l1 and sum divide by
//   their row sums, a zero sum giving 0), optional rms/layer norm, stores of
//   O and lse.
//
// Everything target specific goes through TargetInfo.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "FeatureMap.h"
#include "EmitterBase.h"
#include "ScoreEpilogue.h"
#include "attn/Target/TargetInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;


//===----------------------------------------------------------------------===//
// Plans and legality
//===----------------------------------------------------------------------===//

KernelPlan mlir::attn::choosePlan(SpecChain &chain, StringRef chip) {
  KernelPlan plan;
  int64_t d = std::max(chain.score.getHeadDim(),
                       getHeadDim(chain.aggregate.getValues()));
  // d = 128: 128 x 64 with Q reloaded from shared memory (the register
  // budget of FlashAttention-2); keeping Q in registers as well spills.
  if (d > 64)
    plan.qInRegisters = false;
  if (d > 128) {
    // 256: the O accumulators alone take 128 registers per 16 rows.
    plan.blockM = 64;
    plan.blockN = 32;
  }
  bool userWarps = false, userBlockN = false;
  if (DictionaryAttr dict = getPlanOverrides(chain.aggregate).entries) {
    auto get = [&](StringRef name, int64_t &field) {
      if (auto v = dict.getAs<IntegerAttr>(name))
        field = v.getInt();
    };
    get(plan::kBlockM, plan.blockM);
    get(plan::kBlockN, plan.blockN);
    get(plan::kWarps, plan.warps);
    get(plan::kStages, plan.stages);
    userWarps = dict.contains(plan::kWarps);
    userBlockN = dict.contains(plan::kBlockN);
    if (auto ops = dict.getAs<StringAttr>(plan::kMatrixOps))
      plan.warpgroupScores = ops.getValue() == plan::kWarpgroup;
  }
  // With warpgroup scores, two warpgroups of 64 query rows each (as
  // FlashAttention-3's consumers) over 128-key tiles: one warpgroup over 128
  // rows holds 192 accumulators per thread at d = 128 and spills. On the
  // H200 (B4 H16 S4096 D128 bf16, docs/perf.md) this was 1.456 / 0.873 ms
  // dense / causal, against 1.609 / 0.900 with 4 warps and 1.492 / 1.005
  // with 8 warps over 64-key tiles.
  std::string error;
  std::unique_ptr<TargetInfo> target = createTargetInfo(chip, error);
  // Score modifiers and decays are per-element code unrolled over the key
  // tile: at 128 keys softcap's cold compile passed 1 s (1.09 s, mostly
  // ptxas), and ALiBi ran faster over 64 keys (1.054 vs 1.090 ms).
  bool perElementCode = llvm::any_of(
      chain.scoreOps, [](Operation *op) { return isa<ModifyOp, DecayOp>(op); });
  if (!userWarps && target && plan.blockM % 128 == 0) {
    KernelPlan wide = plan;
    wide.warps = 8;
    if (usesWarpgroupScores(chain, wide, *target)) {
      plan.warps = 8;
      if (!userBlockN && !perElementCode)
        plan.blockN = 128;
    }
  }
  return plan;
}

bool mlir::attn::usesWarpgroupScores(SpecChain &chain, const KernelPlan &plan,
                                     const TargetInfo &target) {
  return plan.warpgroupScores &&
         target.supportsWarpgroupMatrixOps(chain.score.getHeadDim()) &&
         plan.warps % TargetInfo::kWarpgroupWarps == 0 &&
         target.getWarpSize() == 32 && plan.blockN % 8 == 0 &&
         plan.blockN <= 256 &&
         chain.score.getFeatureMap() == FeatureMap::identity;
}

bool mlir::attn::usesWarpgroupValues(SpecChain &chain, const KernelPlan &plan,
                                     const TargetInfo &target) {
  int64_t dv = getHeadDim(chain.aggregate.getValues());
  return usesWarpgroupScores(chain, plan, target) &&
         target.supportsWarpgroupMatrixOps(plan.blockN) &&
         target.supportsWarpgroupMatrixOps(dv) && dv <= 256;
}

/// Shared memory of the quadratic kernel: Q [blockM][dk], K [stages
/// blockN][dk], V [stages blockN][dv] and, with warpgroup values, P
/// [blockM][blockN]. Rows are padded for ldmatrix, except in the operand
/// tiles of the warpgroup matrix ops (Q and K with `operandScores`, V and P
/// with `operandValues`), whose alignment `align` the kernel reaches at run
/// time. The epilogue reuses the start as O's staging tile (EmitterBase),
/// [blockM][dv] padded by 16 bytes a row.
static int64_t sharedBytesOf(const KernelPlan &plan, int64_t dk, int64_t dv,
                             int64_t elementBytes, bool operandScores,
                             bool operandValues, int64_t align) {
  int64_t qkCols = operandScores ? dk : dk + kRowPad;
  int64_t vCols = operandValues ? dv : dv + kRowPad;
  int64_t pElements = operandValues ? plan.blockM * plan.blockN : 0;
  int64_t tiles = elementBytes *
                  (plan.blockM * qkCols + plan.stages * plan.blockN * qkCols +
                   plan.stages * plan.blockN * vCols + pElements);
  int64_t staging = plan.blockM * (dv * elementBytes + 16);
  return std::max(tiles, staging) + (operandScores ? align : 0);
}

LogicalResult mlir::attn::checkSupported(SpecChain &chain,
                                         const KernelPlan &plan,
                                         const TargetInfo &target) {
  AggregateOp agg = chain.aggregate;
  if (agg.getInitialState() || agg.getFinalState())
    return agg.emitOpError()
           << "recurrent states need the chunked form; the quadratic kernel "
              "does not compute them";
  Type elementType =
      cast<RankedTensorType>(chain.score.getQuery().getType()).getElementType();
  if (elementType.isF32() && target.supportsMatrixElementType(elementType))
    return agg.emitOpError()
           << "q/k/v of type f32 are not supported by the quadratic kernel: "
              "it takes bf16 or f16 inputs (only the chunked linear-time "
              "kernel has an f32 path); convert q, k and v to bf16 or f16";
  if (!target.supportsMatrixElementType(elementType))
    return agg.emitOpError()
           << "q/k/v of type " << elementType
           << " are not supported on the tensor-core path: it needs bf16 or "
              "f16 inputs (mma.sync m16n8k16 with f32 accumulation)";
  for (auto [name, d] : {std::pair<StringRef, int64_t>{
                             "query/key", chain.score.getHeadDim()},
                         {"value", getHeadDim(agg.getValues())}}) {
    if (d > 256)
      return agg.emitOpError()
             << name << " head dim " << d
             << " exceeds the limit of 256 of the tensor-core path";
    if (d % 16 != 0)
      return agg.emitOpError()
             << name << " head dim " << d
             << " is not a multiple of 16, the k of the m16n8k16 matrix op";
  }
  FeatureMap map = chain.score.getFeatureMap();
  if (!isInPlaceFeatureMap(map))
    return agg.emitOpError()
           << "feature map " << stringifyFeatureMap(map)
           << " changes the feature width ("
           << (map == FeatureMap::taylor2 ? "F = 1 + Dk + Dk^2" : "F = 2F'")
           << "), which the quadratic kernel does not compute; the chunked "
              "kernel does, for a causal or no mask with normalize none or "
              "sum";
  if (chain.score.getGate())
    return agg.emitOpError()
           << "the per-channel gate is not supported by the quadratic kernel "
              "(the chunked form computes it, with a causal mask and "
              "normalize none or sum)";
  for (Operation *op : chain.scoreOps)
    if (auto decay = dyn_cast<DecayOp>(op))
      if (decay.getKind() == DecayKind::gated)
        return decay.emitOpError()
               << "gated decay is not supported by the quadratic kernel yet "
                  "(it needs a prefix sum of the log-gates); use exponential, "
                  "or a causal mask with normalize none or sum for the "
                  "chunked form";
  MatrixOpShape shape = target.getMatrixOpShape();
  if (plan.warps <= 0 || plan.blockM <= 0 ||
      plan.blockM % (shape.m * plan.warps) != 0)
    return agg.emitOpError()
           << "plan block_m = " << plan.blockM << " must be a positive "
           << "multiple of " << shape.m << " x warps (" << plan.warps << ")";
  if (plan.blockN <= 0 || plan.blockN % 16 != 0)
    return agg.emitOpError() << "plan block_n = " << plan.blockN
                             << " must be a positive multiple of 16";
  if (plan.stages != 2)
    return agg.emitOpError()
           << "plan stages = " << plan.stages
           << " is not supported (the kernel double-buffers: stages = 2)";
  int64_t bytes =
      sharedBytesOf(plan, chain.score.getHeadDim(), getHeadDim(agg.getValues()),
                    elementType.getIntOrFloatBitWidth() / 8,
                    usesWarpgroupScores(chain, plan, target),
                    usesWarpgroupValues(chain, plan, target),
                    target.getOperandTileAlignment());
  if (bytes > target.getMaxSharedBytes())
    return agg.emitOpError()
           << "the plan needs " << bytes << " bytes of shared memory, more "
           << "than the " << target.getMaxSharedBytes() << " bytes "
           << target.getChip() << " allows; lower block_m or block_n";
  return success();
}

//===----------------------------------------------------------------------===//
// The kernel
//===----------------------------------------------------------------------===//

namespace {

/// Emits one kernel; holds the values shared by its parts.
class KernelEmitter : public EmitterBase {
public:
  KernelEmitter(OpBuilder &b, Location loc, SpecChain &chain,
                const KernelPlan &plan, const TargetInfo &target,
                ScoreEpilogue &epilogue)
      : EmitterBase(b, loc, target), chain(chain), plan(plan), epi(epilogue) {}

  FailureOr<KernelInfo> emit();
  /// The key-range kernel (KernelInfo.h) of `funcType`, whose arguments are
  /// the main kernel's: the workspace at `workspaceArg`, the scalars from
  /// `firstScalar`.
  void emitKeyRangesKernel(FunctionType funcType, size_t workspaceArg,
                           size_t firstScalar);

private:
  /// S = Q K^T for the warp's row tiles, from K buffer `stage`.
  SmallVector<SmallVector<Value>> computeScores(Value kRow0);
  /// The per-element score pipeline; `masked` adds the mask and bounds,
  /// with `leafValues` as in ScoreEpilogue::visible.
  SmallVector<SmallVector<Value>>
  processScores(ArrayRef<SmallVector<Value>> s, Value j0, bool masked,
                ArrayRef<Value> leafValues = {});

  SpecChain &chain;
  const KernelPlan &plan;
  ScoreEpilogue &epi;

  /// Weighs the scores `s` of key tile `t` of class `cls`: the mask on
  /// partial tiles and the tile past Nk, then the online softmax (m and l in
  /// `state` updated) or the weights of the other normalisations (their row
  /// sums in `state`). Given the tile's `leafClasses`
  /// (ScoreEpilogue::classifyTile), classified leaves that are skip or full on
  /// the tile are not evaluated per element. Returns the weights P per row tile
  /// and n tile, and per row tile the factor O must be scaled by (null: none).
  std::pair<SmallVector<SmallVector<Value>>, SmallVector<Value>>
  weighTile(ArrayRef<SmallVector<Value>> s, Value t, Value cls,
            ArrayRef<Value> leafClasses, MutableArrayRef<Value> state);
  /// P as pairs of elements of the input type in 32-bit words, and their
  /// stores to P's operand tile (each thread its own words; a 16-byte piece
  /// of the tile is contiguous).
  SmallVector<Value> packWeights(ArrayRef<SmallVector<Value>> probs);
  void storeWeights(ArrayRef<Value> words);
  /// The key loop over [first, last) when both products use warpgroup matrix
  /// ops, software pipelined (see the definition). `init` holds O, m and l;
  /// `class0` is the class of the first tile followed by its leaf classes
  /// (`classify`'s), its K copies in flight behind the group `group`.
  /// Returns O, m and l.
  SmallVector<Value> emitPipelinedLoop(
      Value first, Value last, ArrayRef<Value> init, ArrayRef<Value> class0,
      Value group,
      function_ref<IRInt(Value, SmallVectorImpl<Value> *)> classify,
      function_ref<void(SmallVectorImpl<Value> &, bool, Value, Value, Value)>
          loadTile);

  /// The first row (in the CTA's tile) of the warp's row tile `rt`.
  Value tileRow(int64_t rt);
  /// The first row of each of the warpgroup's row blocks (one per row tile).
  SmallVector<Value> warpgroupRowBlocks();

  // Static configuration.
  int64_t dk = 0, dv = 0, rowTiles = 0, oTiles = 0;
  /// Where m and l start in the loop state (after the O accumulators).
  size_t mAt = 0, lAt = 0;
  /// Whether S = Q K^T uses warpgroup matrix ops (Q and K are then operand
  /// tiles at the shared addresses qAddr and kAddr, and warp w's row tile rt
  /// is rows 16 (warps rt + w) .., so that each warpgroup's 4 warps hold 64
  /// consecutive rows).
  bool warpgroup = false;
  /// Whether O += P V uses them too (V and P are then operand tiles at
  /// vAddr and pAddr).
  bool warpgroupValues = false;
  NormalizeKind kind = NormalizeKind::softmax;
  bool foldScale = false;
  double scale = 1.0;

  // Values of the entry block.
  Value batchIdx, headIdx, laneId, warpId, warpRow0;
  Value numQueries, numKeys, offset, i0;
  Value qMem, kMem, vMem, oMem, lseMem;
  Value qBase, kBase, vBase, oBase, qStride, kStride, vStride, oStride;
  Value qSmem, kSmem, vSmem, pSmem, qAddr, kAddr, vAddr, pAddr;
  ProblemDims dims;
  /// Per row tile and C element: the query row (absolute) and its position.
  SmallVector<SmallVector<Value>> rowOf, posOf;
  /// Per C element: the column inside an 8-wide n tile.
  SmallVector<Value> colOf;
  /// Q A fragments [row tile][k step].
  SmallVector<SmallVector<Value>> qFrags;
};

} // namespace

Value KernelEmitter::tileRow(int64_t rt) {
  MatrixOpShape shape = target.getMatrixOpShape();
  if (warpgroup)
    return add(mul(warpId, c(shape.m)), c(rt * shape.m * plan.warps));
  return add(warpRow0, c(rt * shape.m));
}

SmallVector<Value> KernelEmitter::warpgroupRowBlocks() {
  // Warpgroup g's row tile rt: rows 64 g + 16 warps rt ...
  MatrixOpShape shape = target.getMatrixOpShape();
  int64_t groupWarps = TargetInfo::kWarpgroupWarps;
  Value group = arith::DivUIOp::create(b, loc, warpId, c(groupWarps));
  SmallVector<Value> rowBlocks;
  for (int64_t rt = 0; rt < rowTiles; ++rt)
    rowBlocks.push_back(
        add(mul(group, c(groupWarps * shape.m)), c(rt * shape.m * plan.warps)));
  return rowBlocks;
}

SmallVector<SmallVector<Value>> KernelEmitter::computeScores(Value kRow0) {
  MatrixOpShape shape = target.getMatrixOpShape();
  if (warpgroup) {
    int64_t eb = elementType.getIntOrFloatBitWidth() / 8;
    SmallVector<Value> rowBlocks = warpgroupRowBlocks();
    return target.warpgroupMatmul(
        b, loc, elementType, {qAddr, plan.blockM}, rowBlocks,
        {add(kAddr, mul(kRow0, c(dk * eb))), plan.blockN}, plan.blockN, dk, {});
  }
  int64_t nTiles = plan.blockN / shape.n;
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(cType, b.getF32FloatAttr(0.0)));
  SmallVector<SmallVector<Value>> s(rowTiles, SmallVector<Value>(nTiles, zero));
  for (int64_t kk = 0; kk < dk / shape.k; ++kk) {
    SmallVector<Value> a(rowTiles);
    for (int64_t rt = 0; rt < rowTiles; ++rt)
      a[rt] = plan.qInRegisters
                  ? qFrags[rt][kk]
                  : target.loadAFragment(b, loc, qSmem, tileRow(rt),
                                         c(kk * shape.k), laneId);
    for (int64_t nb = 0; nb < nTiles; nb += 2) {
      auto [b0, b1] = target.loadBFragmentsFromRows(
          b, loc, kSmem, add(kRow0, c(nb * shape.n)), c(kk * shape.k), laneId);
      for (int64_t rt = 0; rt < rowTiles; ++rt) {
        s[rt][nb] = target.mma(b, loc, a[rt], b0, s[rt][nb]);
        s[rt][nb + 1] = target.mma(b, loc, a[rt], b1, s[rt][nb + 1]);
      }
    }
  }
  return s;
}

SmallVector<SmallVector<Value>>
KernelEmitter::processScores(ArrayRef<SmallVector<Value>> s, Value j0,
                             bool masked, ArrayRef<Value> leafValues) {
  MatrixOpShape shape = target.getMatrixOpShape();
  int64_t n = target.getCFragmentSize();
  bool softmax = kind == NormalizeKind::softmax;
  Value negInf = f(-INFINITY), zeroF = f(0.0);
  SmallVector<SmallVector<Value>> out(rowTiles);
  for (int64_t rt = 0; rt < rowTiles; ++rt) {
    for (auto [nb, frag] : llvm::enumerate(s[rt])) {
      SmallVector<Value> elems;
      Value colBase = add(j0, c(nb * shape.n));
      for (int64_t e = 0; e < n; ++e) {
        Value x = elem(frag, e);
        bool needIndices = masked || !foldScale;
        Value j = needIndices ? add(colBase, colOf[e]) : Value();
        Value pos = needIndices ? posOf[rt][e] : Value();
        Value y;
        if (foldScale) {
          // Raw scores: the scale (with log2 e) is applied in the exp2's
          // FFMA, the running max in scaled units (the scale is positive).
          y = x;
        } else {
          y = mulf(x, f(scale));
          y = epi.applyModifiers(b, loc, y, batchIdx, headIdx, pos, j);
          Value logD = epi.logDecay(b, loc, headIdx, pos, j);
          if (softmax) {
            if (logD)
              y = addf(y, logD);
            y = mulf(y, f(kLog2E));
          } else {
            // Weights of the normalisations without a running maximum.
            Value w;
            switch (kind) {
            case NormalizeKind::sigmoid: {
              double bias = 0.0;
              if (auto a = chain.normalize.getBias())
                bias = a->convertToDouble();
              Value z = addf(y, f(bias));
              // e^-z as the target's fast 2^(-z log2 e).
              Value ez = target.exp2(b, loc, mulf(z, f(-kLog2E)));
              w = arith::DivFOp::create(b, loc, f(1.0), addf(f(1.0), ez));
              break;
            }
            case NormalizeKind::softplus_l1: {
              // softplus(y) = max(y, 0) + log1p(exp(-|y|)), then ^power.
              Value absY = math::AbsFOp::create(b, loc, y);
              Value tail = math::Log1pOp::create(
                  b, loc, target.exp2(b, loc, mulf(absY, f(-kLog2E))));
              w = addf(maxf(y, zeroF), tail);
              double power = 1.0;
              if (auto a = chain.normalize.getPower())
                power = a->convertToDouble();
              if (power == 2.0)
                w = mulf(w, w);
              else if (power != 1.0)
                w = math::PowFOp::create(b, loc, w, f(power));
              break;
            }
            case NormalizeKind::relu:
              w = maxf(y, zeroF);
              break;
            case NormalizeKind::none:
            case NormalizeKind::sum:
              // Linear attention: the score itself (sum divides by the row
              // sum in the epilogue).
              w = y;
              break;
            default: { // relu2
              Value r = maxf(y, zeroF);
              w = mulf(r, r);
              break;
            }
            }
            if (logD)
              w = mulf(w, math::ExpOp::create(b, loc, logD));
            y = w;
          }
        }
        if (masked) {
          Value keep = cmpi(arith::CmpIPredicate::slt, j, numKeys);
          if (epi.hasMask())
            keep = arith::AndIOp::create(b, loc, keep,
                                         epi.visible(b, loc, batchIdx, headIdx,
                                                     rowOf[rt][e], pos, j,
                                                     leafValues));
          y = select(keep, y, softmax ? negInf : zeroF);
        }
        elems.push_back(y);
      }
      out[rt].push_back(fromElems(elems));
    }
  }
  return out;
}

std::pair<SmallVector<SmallVector<Value>>, SmallVector<Value>>
KernelEmitter::weighTile(ArrayRef<SmallVector<Value>> s, Value t, Value cls,
                         ArrayRef<Value> leafClasses,
                         MutableArrayRef<Value> state) {
  MatrixOpShape shape = target.getMatrixOpShape();
  int64_t n = target.getCFragmentSize();
  bool softmax = kind == NormalizeKind::softmax;
  // The mask is evaluated on partial tiles only (and the key bound on the
  // tile past Nk).
  Value j0 = mul(t, c(plan.blockN));
  Value pastEnd =
      cmpi(arith::CmpIPredicate::sgt, add(j0, c(plan.blockN)), numKeys);
  Value needMask = arith::OrIOp::create(
      b, loc, cmpi(arith::CmpIPredicate::eq, cls, c(1)), pastEnd);
  auto maskIf = scf::IfOp::create(
      b, loc, needMask,
      [&](OpBuilder &, Location) {
        auto masked = [&](ArrayRef<Value> leafValues) {
          scf::YieldOp::create(b, loc,
                               flatten(processScores(s, j0, true, leafValues)));
        };
        if (leafClasses.empty())
          return masked({});
        // Each classified leaf per element only if one is partial here.
        Value anyPartial;
        SmallVector<Value> leafValues;
        for (Value leaf : leafClasses) {
          Value partial = cmpi(arith::CmpIPredicate::eq, leaf, c(1));
          anyPartial = anyPartial
                           ? arith::OrIOp::create(b, loc, anyPartial, partial)
                           : partial;
          leafValues.push_back(cmpi(arith::CmpIPredicate::eq, leaf, c(2)));
        }
        auto leafIf = scf::IfOp::create(
            b, loc, anyPartial, [&](OpBuilder &, Location) { masked({}); },
            [&](OpBuilder &, Location) { masked(leafValues); });
        scf::YieldOp::create(b, loc, leafIf.getResults());
      },
      [&](OpBuilder &, Location) {
        scf::YieldOp::create(b, loc, flatten(processScores(s, j0, false)));
      });
  int64_t nTiles = plan.blockN / shape.n;
  SmallVector<Value> alphas(rowTiles);
  SmallVector<SmallVector<Value>> probs(rowTiles);
  for (int64_t rt = 0; rt < rowTiles; ++rt) {
    SmallVector<Value> ys(maskIf.getResults().begin() + rt * nTiles,
                          maskIf.getResults().begin() + (rt + 1) * nTiles);
    if (!softmax) {
      probs[rt] = ys;
      if (kind == NormalizeKind::softplus_l1 || kind == NormalizeKind::sum) {
        for (int64_t h = 0; h < 2; ++h) {
          Value sum = state[lAt + 2 * rt + h];
          for (Value y : ys)
            for (int64_t e = 0; e < n; ++e)
              if (target.getCPosition(e)[0] == h)
                sum = addf(sum, elem(y, e));
          state[lAt + 2 * rt + h] = sum;
        }
      }
      continue;
    }
    // Online softmax per row half h (rows g and g + 8).
    SmallVector<Value> mUse(2), alpha(2);
    for (int64_t h = 0; h < 2; ++h) {
      Value mx = f(-INFINITY);
      for (Value y : ys)
        for (int64_t e = 0; e < n; ++e)
          if (target.getCPosition(e)[0] == h)
            mx = maxf(mx, elem(y, e));
      mx = quadReduce(mx, /*isMax=*/true);
      if (foldScale)
        mx = mulf(mx, f(scale * kLog2E));
      Value mOld = state[mAt + 2 * rt + h];
      Value mNew = maxf(mOld, mx);
      Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          mNew, f(-INFINITY));
      mUse[h] = select(isInf, f(0.0), mNew);
      alpha[h] = target.exp2(b, loc, subf(mOld, mUse[h]));
      state[mAt + 2 * rt + h] = mNew;
    }
    SmallVector<Value> negMUse(2);
    for (int64_t h = 0; h < 2; ++h)
      negMUse[h] = arith::NegFOp::create(b, loc, mUse[h]);
    SmallVector<Value> sums = {f(0.0), f(0.0)};
    for (Value y : ys) {
      SmallVector<Value> ps;
      for (int64_t e = 0; e < n; ++e) {
        int64_t h = target.getCPosition(e)[0];
        // x * c - m as one FFMA (contractable mul + add;
        // math.fma would become a libdevice call).
        Value arg = subf(elem(y, e), mUse[h]);
        if (foldScale) {
          auto contract = arith::FastMathFlagsAttr::get(
              b.getContext(), arith::FastMathFlags::contract);
          Value prod = arith::MulFOp::create(b, loc, elem(y, e),
                                             f(scale * kLog2E), contract);
          arg = arith::AddFOp::create(b, loc, prod, negMUse[h], contract);
        }
        Value pe = target.exp2(b, loc, arg);
        sums[h] = addf(sums[h], pe);
        ps.push_back(pe);
      }
      probs[rt].push_back(fromElems(ps));
    }
    SmallVector<Value> scaleElems;
    for (int64_t e = 0; e < n; ++e)
      scaleElems.push_back(alpha[target.getCPosition(e)[0]]);
    Value alphaVec = fromElems(scaleElems);
    for (int64_t h = 0; h < 2; ++h)
      state[lAt + 2 * rt + h] =
          addf(mulf(state[lAt + 2 * rt + h], alpha[h]), sums[h]);
    alphas[rt] = alphaVec;
  }
  return {probs, alphas};
}

SmallVector<Value>
KernelEmitter::packWeights(ArrayRef<SmallVector<Value>> probs) {
  SmallVector<Value> words;
  for (ArrayRef<Value> row : probs)
    for (Value frag : row)
      for (int64_t h = 0; h < 2; ++h)
        words.push_back(packPair(
            vector::ExtractOp::create(b, loc, frag, ArrayRef<int64_t>{h})));
  return words;
}

void KernelEmitter::storeWeights(ArrayRef<Value> words) {
  MatrixOpShape shape = target.getMatrixOpShape();
  int64_t nTiles = plan.blockN / shape.n;
  for (int64_t rt = 0; rt < rowTiles; ++rt)
    for (int64_t nb = 0; nb < nTiles; ++nb)
      for (int64_t h = 0; h < 2; ++h) {
        // C elements (h, 0) and (h, 1): row g + 8 h, columns 2 t, 2 t + 1.
        int64_t e0 = 2 * h;
        Value row = add(tileRow(rt), target.getCCoord(b, loc, laneId, e0).row);
        Value at = add(target.getOperandTileOffset(b, loc, row, c(nb * shape.n),
                                                   plan.blockM, plan.blockN),
                       colOf[e0]);
        memref::StoreOp::create(
            b, loc, words[(rt * nTiles + nb) * 2 + h], pSmem,
            ValueRange{arith::DivUIOp::create(b, loc, at, c(2))});
      }
}

// The key loop when both products use warpgroup matrix ops, pipelined as
// FlashAttention-3's intra-warpgroup overlap. Iteration t:
//   wait for the copies of V(t) and K(t+1); one barrier publishes them and
//   P(t) (stored at the end of iteration t - 1), and frees the buffers of
//   K(t) (its product was waited for) and V(t-1);
//   copies of K(t+2) and V(t+1) into those buffers;
//   S(t+1) = Q K(t+1)^T, then O += P(t) V(t), both left in flight;
//   once S(t+1) is done, the weights of tile t+1: their exponentials overlap
//   P V on the matrix unit;
//   once P V is done, O scaled by the new running maximum, and P(t+1) to
//   shared memory.
// The loop starts at first - 1 (no P V yet) and an epilogue issues the last
// P V. The products are issued unconditionally, so that no value in flight
// crosses a branch: the copies of a skipped tile (and of tiles past the end)
// fill zeros, and its P is stored as zeros, so its P V adds 0.
SmallVector<Value> KernelEmitter::emitPipelinedLoop(
    Value first, Value last, ArrayRef<Value> init, ArrayRef<Value> class0,
    Value group, function_ref<IRInt(Value, SmallVectorImpl<Value> *)> classify,
    function_ref<void(SmallVectorImpl<Value> &, bool, Value, Value, Value)>
        loadTile) {
  MatrixOpShape shape = target.getMatrixOpShape();
  int64_t eb = elementType.getIntOrFloatBitWidth() / 8;
  int64_t nTiles = plan.blockN / shape.n;
  int64_t words = rowTiles * nTiles * 2;
  bool softmax = kind == NormalizeKind::softmax;
  size_t oCount = rowTiles * oTiles;
  auto stageOf = [&](Value t) {
    return arith::RemUIOp::create(b, loc, add(sub(t, first), c(2)), c(2))
        .getResult();
  };
  auto kept = [&](Value cls) {
    return cmpi(arith::CmpIPredicate::ne, cls, c(0));
  };
  // A tile's class then its leaf classes, all skip past the end.
  auto classOf = [&](Value t) {
    if (!epi.hasMask())
      return SmallVector<Value>{c(2)};
    SmallVector<Value> leaves;
    SmallVector<Value> info = {classify(t, &leaves).value};
    info.append(leaves);
    Value inRange = cmpi(arith::CmpIPredicate::slt, t, last);
    for (Value &v : info)
      v = select(inRange, v, c(0));
    return info;
  };
  auto maskClass = [&](Value cls) { return epi.hasMask() ? cls : Value(); };
  SmallVector<Value> rowBlocks = warpgroupRowBlocks();

  // The copies in flight and the stores of P, published.
  auto publish = [&] {
    target.asyncWait(b, loc, group, 0);
    target.fenceSharedForMatrixOps(b, loc);
    target.barrier(b, loc);
  };
  // Products in flight are read (even copied) only after their wait.
  auto issueScores = [&](Value t) {
    Value kAt = add(kAddr, mul(stageOf(t), c(plan.blockN * dk * eb)));
    return target.issueWarpgroupMatmul(b, loc, elementType,
                                       {qAddr, plan.blockM}, rowBlocks,
                                       {kAt, plan.blockN}, plan.blockN, dk, {});
  };
  auto issueValues = [&](Value t, ArrayRef<Value> oFlat) {
    SmallVector<SmallVector<Value>> o(rowTiles);
    for (int64_t rt = 0; rt < rowTiles; ++rt)
      o[rt].assign(oFlat.begin() + rt * oTiles,
                   oFlat.begin() + (rt + 1) * oTiles);
    Value vAt = add(vAddr, mul(stageOf(t), c(plan.blockN * dv * eb)));
    return target.issueWarpgroupMatmul(
        b, loc, elementType, {pAddr, plan.blockM}, rowBlocks,
        {vAt, plan.blockN, /*kMajor=*/false}, dv, plan.blockN, o);
  };
  // The weights of tile t from its finished scores `sf`, if it is not
  // skipped: P as words (zeros if skipped), the O factors (softmax), then m
  // and l.
  auto weigh = [&](ArrayRef<SmallVector<Value>> sf, Value t,
                   ArrayRef<Value> info, ArrayRef<Value> state) {
    Value cls = info.front();
    Value weighed = arith::AndIOp::create(
        b, loc, cmpi(arith::CmpIPredicate::slt, t, last), kept(cls));
    auto wIf = scf::IfOp::create(
        b, loc, weighed,
        [&](OpBuilder &, Location) {
          SmallVector<Value> ml(state);
          auto [probs, alphas] = weighTile(sf, t, cls, info.drop_front(), ml);
          SmallVector<Value> r = packWeights(probs);
          if (softmax)
            r.append(alphas.begin(), alphas.end());
          r.append(ml.begin() + mAt, ml.end());
          scf::YieldOp::create(b, loc, r);
        },
        [&](OpBuilder &, Location) {
          SmallVector<Value> r(words,
                               arith::ConstantIntOp::create(b, loc, 0, 32));
          if (softmax)
            r.append(rowTiles, arith::ConstantOp::create(
                                   b, loc,
                                   DenseElementsAttr::get(
                                       cType, b.getF32FloatAttr(1.0))));
          r.append(state.begin() + mAt, state.end());
          scf::YieldOp::create(b, loc, r);
        });
    return SmallVector<Value>(wIf.getResults());
  };
  // O scaled by the factors of `w` (P V done), then m and l from `w`.
  auto nextState = [&](ArrayRef<Value> oFlat, ArrayRef<Value> w) {
    SmallVector<Value> next;
    for (int64_t rt = 0; rt < rowTiles; ++rt)
      for (int64_t nd = 0; nd < oTiles; ++nd) {
        Value o = oFlat[rt * oTiles + nd];
        next.push_back(softmax ? mulf(o, w[words + rt]) : o);
      }
    ArrayRef<Value> ml = w.drop_front(words + (softmax ? rowTiles : 0));
    next.append(ml.begin(), ml.end());
    return next;
  };

  // Prologue: the loop starts at first - 1, whose P V adds 0 x 0 (P stored
  // as zeros, V's second buffer filled with zeros by disabled copies), so that
  // the weights are emitted once.
  SmallVector<Value> tokens;
  loadTile(tokens, /*isKey=*/false, sub(first, c(1)), c(1), c(0));
  target.asyncCommit(b, loc, tokens);
  storeWeights(
      SmallVector<Value>(words, arith::ConstantIntOp::create(b, loc, 0, 32)));
  SmallVector<Value> loopInit(init.begin(), init.end());
  loopInit.append(class0.begin(), class0.end());
  size_t infoSize = class0.size();

  auto loop = scf::ForOp::create(
      b, loc, sub(first, c(1)), sub(last, c(1)), c(1), loopInit,
      [&](OpBuilder &, Location, Value t, ValueRange args) {
        SmallVector<Value> state(args.drop_back(infoSize));
        SmallVector<Value> infoNext(args.take_back(infoSize));
        publish();
        Value t1 = add(t, c(1)), t2 = add(t, c(2));
        // (Issuing the products before these copies measured 3-7% slower.)
        SmallVector<Value> info2 = classOf(t2);
        SmallVector<Value> tokens;
        loadTile(tokens, /*isKey=*/true, t2, stageOf(t),
                 maskClass(info2.front()));
        loadTile(tokens, /*isKey=*/false, t1, stageOf(t1),
                 maskClass(infoNext.front()));
        target.asyncCommit(b, loc, tokens);
        SmallVector<Value> sProducts = issueScores(t1);
        SmallVector<Value> oProducts =
            issueValues(t, ArrayRef<Value>(state).take_front(oCount));
        // S(t+1) is done; P V stays in flight.
        target.warpgroupWait(b, loc, 1);
        SmallVector<Value> w =
            weigh(target.getWarpgroupFragments(b, loc, sProducts, plan.blockN),
                  t1, infoNext, state);
        target.warpgroupWait(b, loc, 0);
        SmallVector<Value> next = nextState(
            flatten(target.getWarpgroupFragments(b, loc, oProducts, dv)), w);
        storeWeights(ArrayRef<Value>(w).take_front(words));
        next.append(info2);
        scf::YieldOp::create(b, loc, next);
      });
  SmallVector<Value> state(loop.getResults().drop_back(infoSize));

  // Epilogue: P(last-1) V(last-1).
  auto tail = scf::IfOp::create(
      b, loc, cmpi(arith::CmpIPredicate::slt, first, last),
      [&](OpBuilder &, Location) {
        publish();
        SmallVector<Value> products = issueValues(
            sub(last, c(1)), ArrayRef<Value>(state).take_front(oCount));
        target.warpgroupWait(b, loc, 0);
        scf::YieldOp::create(
            b, loc,
            flatten(target.getWarpgroupFragments(b, loc, products, dv)));
      },
      [&](OpBuilder &, Location) {
        scf::YieldOp::create(b, loc, ArrayRef<Value>(state).take_front(oCount));
      });
  SmallVector<Value> result(tail.getResults());
  result.append(state.begin() + oCount, state.end());
  return result;
}

FailureOr<KernelInfo> KernelEmitter::emit() {
  MLIRContext *ctx = b.getContext();
  AggregateOp agg = chain.aggregate;
  auto qType = cast<RankedTensorType>(chain.score.getQuery().getType());
  elementType = qType.getElementType();
  cType = target.getCFragmentType(ctx);
  dk = chain.score.getHeadDim();
  dv = getHeadDim(agg.getValues());
  threads = plan.warps * target.getWarpSize();
  MatrixOpShape shape = target.getMatrixOpShape();
  rowTiles = plan.blockM / (shape.m * plan.warps);
  warpgroup = usesWarpgroupScores(chain, plan, target);
  warpgroupValues = usesWarpgroupValues(chain, plan, target);
  kind = chain.normalize.getKind();
  scale = chain.score.getEffectiveScale();
  foldScale = kind == NormalizeKind::softmax && !epi.hasModifiers() &&
              !epi.hasDecay() && scale > 0.0;
  bool hasLse = static_cast<bool>(agg.getLse());

  // Signature (kernel ABI v6, KernelInfo.h).
  Type idx = b.getIndexType();
  auto flat = [&](Type t) {
    return MemRefType::get({ShapedType::kDynamic}, t);
  };
  SmallVector<Type> params(4, flat(elementType));
  if (hasLse)
    params.push_back(flat(b.getF32Type()));
  for (const SideInput &side : epi.getSideInputs())
    params.push_back(flat(side.memoryElementType));
  size_t workspaceArg = params.size();
  bool keyRanges = !epi.getKeyRangeInputs().empty();
  if (keyRanges)
    params.push_back(flat(b.getI32Type()));
  size_t firstScalar = params.size();
  params.append(17, b.getI64Type());
  auto funcType = FunctionType::get(ctx, params, {});
  if (keyRanges)
    emitKeyRangesKernel(funcType, workspaceArg, firstScalar);
  auto func = gpu::GPUFuncOp::create(b, loc, "attn_fwd", funcType);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  Block &entry = func.getBody().front();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&entry);

  qMem = entry.getArgument(0);
  kMem = entry.getArgument(1);
  vMem = entry.getArgument(2);
  oMem = entry.getArgument(3);
  if (hasLse)
    lseMem = entry.getArgument(4);
  SmallVector<Value> sideMems;
  for (size_t i = hasLse ? 5 : 4; i < workspaceArg; ++i)
    sideMems.push_back(entry.getArgument(i));
  SmallVector<Value> scalars;
  for (size_t i = firstScalar; i < firstScalar + 17; ++i)
    scalars.push_back(arith::IndexCastOp::create(b, loc, idx,
                                                 entry.getArgument(i)));
  dims = {scalars[0], scalars[1], scalars[2], scalars[3], scalars[4]};
  numQueries = dims.queries;
  numKeys = dims.keys;
  auto strideOf = [&](int t, int which) { return scalars[5 + 3 * t + which]; };

  // Masked kernels take the query tiles in reverse order: under causal-like
  // masks the last tiles are the heaviest, and starting them first shortens
  // the tail of the grid.
  Value qTile = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  if (epi.hasMask())
    qTile = arith::SubIOp::create(
        b, loc,
        arith::SubIOp::create(
            b, loc, gpu::GridDimOp::create(b, loc, gpu::Dimension::x), c(1)),
        qTile);
  headIdx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  batchIdx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  threadId = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  laneId = target.getLaneId(b, loc);
  warpId = arith::DivUIOp::create(b, loc, threadId, c(target.getWarpSize()));
  epi.bind(b, loc, sideMems, dims);
  if (keyRanges)
    epi.bindKeyRanges(
        entry.getArgument(workspaceArg),
        arith::CeilDivSIOp::create(b, loc, numKeys, c(plan.blockN)),
        plan.blockN);

  Value group = arith::DivUIOp::create(b, loc, dims.heads, dims.kvHeads);
  Value kvHead = arith::DivUIOp::create(b, loc, headIdx, group);
  auto baseOf = [&](int t, Value head) {
    return add(mul(batchIdx, strideOf(t, 0)), mul(head, strideOf(t, 1)));
  };
  qBase = baseOf(0, headIdx);
  kBase = baseOf(1, kvHead);
  vBase = baseOf(2, kvHead);
  oBase = baseOf(3, headIdx);
  qStride = strideOf(0, 2);
  kStride = strideOf(1, 2);
  vStride = strideOf(2, 2);
  oStride = strideOf(3, 2);

  i0 = mul(qTile, c(plan.blockM));
  offset = arith::SubIOp::create(b, loc, numKeys, numQueries);
  Value rowsValid = arith::MinSIOp::create(
      b, loc, c(plan.blockM), arith::SubIOp::create(b, loc, numQueries, i0));
  IRBuildContext irCtx{b, loc};
  IRInt p0{add(i0, offset), &irCtx};
  IRInt p1 = p0 + IRInt{rowsValid, &irCtx} - 1;
  IRInt nk{numKeys, &irCtx};
  IRInt iLo{i0, &irCtx};
  IRInt iHi = iLo + IRInt{rowsValid, &irCtx} - 1;

  // Shared memory: Q [blockM][dk + pad], K [2 blockN][dk + pad], V [2
  // blockN][dv + pad]; with warpgroup scores Q and K are unpadded operand
  // tiles (K: one per stage) from the first aligned address, and with
  // warpgroup values so are V (one per stage) and P [blockM][blockN].
  int64_t eb = elementType.getIntOrFloatBitWidth() / 8;
  Attribute space = target.getSharedMemorySpace(ctx);
  Value smem = target.getDynamicSharedMemory(b, loc);
  Value start = c(0);
  if (warpgroup) {
    start = operandTileStart(smem);
    qAddr = add(target.getSharedAddress(b, loc, smem), start);
  }
  auto view = [&](int64_t byteOffset, ArrayRef<int64_t> shape) {
    auto type =
        MemRefType::get(shape, elementType, MemRefLayoutAttrInterface(), space);
    return memref::ViewOp::create(b, loc, type, smem, add(start, c(byteOffset)),
                                  ValueRange{});
  };
  int64_t qkCols = warpgroup ? dk : dk + kRowPad;
  int64_t qBytes = plan.blockM * qkCols * eb;
  int64_t kBytes = 2 * plan.blockN * qkCols * eb;
  if (warpgroup) {
    qSmem = view(0, {plan.blockM * dk});
    kSmem = view(qBytes, {2 * plan.blockN * dk});
    kAddr = add(qAddr, c(qBytes));
  } else {
    qSmem = view(0, {plan.blockM, qkCols});
    kSmem = view(qBytes, {2 * plan.blockN, qkCols});
  }
  int64_t vBytes = 2 * plan.blockN * dv * eb;
  if (warpgroupValues) {
    vSmem = view(qBytes + kBytes, {2 * plan.blockN * dv});
    vAddr = add(qAddr, c(qBytes + kBytes));
    // P in 32-bit words (pairs of elements).
    pSmem = memref::ViewOp::create(
        b, loc,
        MemRefType::get({plan.blockM * plan.blockN / 2}, b.getI32Type(),
                        MemRefLayoutAttrInterface(), space),
        smem, add(start, c(qBytes + kBytes + vBytes)), ValueRange{});
    pAddr = add(vAddr, c(vBytes));
  } else {
    vSmem = view(qBytes + kBytes, {2 * plan.blockN, dv + kRowPad});
  }
  int64_t sharedBytes =
      sharedBytesOf(plan, dk, dv, eb, warpgroup, warpgroupValues,
                    target.getOperandTileAlignment());

  // Q's copies go first: their latency overlaps the mask preparation and
  // the key-range scans below.
  SmallVector<Value> tokens;
  copyTile(tokens, qMem, qBase, qStride, i0, numQueries, Value(), qSmem, c(0),
           plan.blockM, dk, warpgroup);
  Value group0 = target.asyncCommit(b, loc, tokens);

  if (epi.hasDataDependentMask())
    epi.prepareQueryTile(b, loc, target, laneId, batchIdx, p0.value, p1.value,
                         plan.blockM);

  // The key tiles [first, last) of the hull of visible keys.
  Value first = c(0);
  Value last = arith::CeilDivSIOp::create(b, loc, numKeys, c(plan.blockN));
  if (epi.hasMask()) {
    auto [lo, hi] = epi.visibleKeys(p0, p1, nk);
    lo = tile::tmax(lo, lo.lift(0));
    hi = tile::tmin(hi, nk);
    IRBool nonEmpty = hi > lo;
    first = tile::select(nonEmpty, lo / plan.blockN, lo.lift(0)).value;
    last = tile::select(
               nonEmpty,
               IRInt{arith::CeilDivSIOp::create(b, loc, hi.value,
                                                c(plan.blockN)),
                     &irCtx},
               lo.lift(0))
               .value;
  }

  // Per-lane fragment coordinates.
  int64_t n = target.getCFragmentSize();
  warpRow0 = mul(warpId, c(rowTiles * shape.m));
  rowOf.assign(rowTiles, {});
  posOf.assign(rowTiles, {});
  colOf.clear();
  for (int64_t e = 0; e < n; ++e)
    colOf.push_back(target.getCCoord(b, loc, laneId, e).col);
  for (int64_t rt = 0; rt < rowTiles; ++rt)
    for (int64_t e = 0; e < n; ++e) {
      Value r =
          add(add(i0, tileRow(rt)), target.getCCoord(b, loc, laneId, e).row);
      rowOf[rt].push_back(r);
      posOf[rt].push_back(add(r, offset));
    }

  // A key tile is loaded only if it is inside the range and not skipped.
  auto classify = [&](Value t, SmallVectorImpl<Value> *leaves = nullptr) {
    IRInt j0{mul(t, c(plan.blockN)), &irCtx};
    IRInt j1 = tile::tmin(j0 + plan.blockN, nk) - 1;
    return epi.classifyTile({iLo, iHi, p0, p1, j0, j1, nk}, batchIdx, headIdx,
                            leaves);
  };
  if (epi.hasDataDependentMask()) {
    // Trim skipped key tiles off both ends of the range (a document's
    // earlier documents, empty layout rows): a scan of cheap classifications
    // instead of loop trips with barriers. A classification reads the
    // tile's document id range (two words) or layout blocks and involves no
    // other lane, so each lane classifies a tile of its own: a step covers
    // a warp's width of tiles, found by a ballot.
    Type idx = b.getIndexType();
    int64_t width = target.getWarpSize();
    // Walks the tile edges from `start` towards `end` (dir +1: from the
    // front, edge e opening tile e; dir -1: from the back, edge e closing
    // tile e - 1) and returns the first edge whose tile is not skipped, or
    // `end` when every tile is.
    auto scan = [&](Value start, Value end, int64_t dir) {
      auto before =
          dir > 0 ? arith::CmpIPredicate::slt : arith::CmpIPredicate::sgt;
      auto tileOf = [&](Value edge) {
        return dir > 0 ? edge : sub(edge, c(1));
      };
      auto loop = scf::WhileOp::create(
          b, loc, TypeRange{idx, idx}, ValueRange{start, end},
          [&](OpBuilder &, Location, ValueRange args) {
            Value go = arith::AndIOp::create(
                b, loc, cmpi(before, args[0], end),
                cmpi(arith::CmpIPredicate::eq, args[1], end));
            scf::ConditionOp::create(b, loc, go, args);
          },
          [&](OpBuilder &, Location, ValueRange args) {
            Value edge = dir > 0 ? add(args[0], laneId) : sub(args[0], laneId);
            Value inRange = cmpi(before, edge, end);
            Value tile =
                select(inRange, tileOf(edge), tileOf(sub(end, c(dir))));
            Value kept = arith::AndIOp::create(
                b, loc, inRange,
                cmpi(arith::CmpIPredicate::ne, classify(tile).value, c(0)));
            Value lanes = target.warpBallot(b, loc, kept);
            // The nearest kept edge: the lowest lane whose tile is kept.
            Value nearest = arith::IndexCastUIOp::create(
                b, loc, idx, math::CountTrailingZerosOp::create(b, loc, lanes));
            Value at = dir > 0 ? add(args[0], nearest) : sub(args[0], nearest);
            Value any = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::ne, lanes,
                arith::ConstantIntOp::create(b, loc, 0, 32));
            scf::YieldOp::create(
                b, loc,
                ValueRange{add(args[0], c(dir * width)), select(any, at, end)});
          });
      return loop.getResult(1);
    };
    first = scan(first, last, 1);
    // Past the first kept tile, unless all are skipped and first == last.
    last = scan(last, first, -1);
  }
  // K and V of a tile are two async groups (committed here, their group
  // tokens appended to kTokens / vTokens), so that S = Q K^T starts as soon
  // as K has landed while V is still in flight. `cls` is the tile's class
  // (null without masks).
  // Predicated copies throughout: an unpredicated branch for whole tiles
  // measured 8% slower (more live values, spills 16 -> 48 B).
  auto loadTile = [&](SmallVectorImpl<Value> &tokens, bool isKey, Value t,
                      Value stage, Value cls) {
    Value enable = cmpi(arith::CmpIPredicate::slt, t, last);
    if (cls)
      enable = arith::AndIOp::create(b, loc, enable,
                                     cmpi(arith::CmpIPredicate::ne, cls, c(0)));
    Value row0 = mul(t, c(plan.blockN));
    Value dstRow0 = mul(stage, c(plan.blockN));
    if (isKey)
      copyTile(tokens, kMem, kBase, kStride, row0, numKeys, enable, kSmem,
               dstRow0, plan.blockN, dk, warpgroup);
    else
      copyTile(tokens, vMem, vBase, vStride, row0, numKeys, enable, vSmem,
               dstRow0, plan.blockN, dv, warpgroupValues);
  };
  auto loadKV = [&](SmallVectorImpl<Value> &kTokens,
                    SmallVectorImpl<Value> &vTokens, Value t, Value stage,
                    Value cls) {
    SmallVector<Value> k, v;
    loadTile(k, /*isKey=*/true, t, stage, cls);
    loadTile(v, /*isKey=*/false, t, stage, cls);
    kTokens.push_back(target.asyncCommit(b, loc, k));
    vTokens.push_back(target.asyncCommit(b, loc, v));
  };

  // Prologue: the first K tile in one group, the first V tile in the next.
  // Groups: Q, K(first), V(first) (the pipelined loop issues V(first)).
  SmallVector<Value> kTokens0, vTokens0;
  SmallVector<Value> leaves0;
  Value cls0 = epi.hasMask()
                   ? classify(first, warpgroupValues ? &leaves0 : nullptr).value
                   : Value();
  if (warpgroupValues)
    loadTile(kTokens0, /*isKey=*/true, first, c(0), cls0);
  else
    loadKV(kTokens0, vTokens0, first, c(0), cls0);
  qFrags.assign(rowTiles, {});
  // phi(Q) in place once Q has landed (K(first) and V(first) may still be
  // in flight); padded rows stay 0.
  FeatureMap featureMap = chain.score.getFeatureMap();
  bool mapQK = featureMap != FeatureMap::identity;
  if (mapQK) {
    target.asyncWait(b, loc, group0, 2);
    target.barrier(b, loc);
    applyFeatureMapInShared(b, loc, target, featureMap, qSmem, c(0),
                            plan.blockM, dk, rowsValid, threadId, threads);
    target.barrier(b, loc);
  }
  if (plan.qInRegisters && !warpgroup) {
    if (!mapQK) {
      target.asyncWait(b, loc, group0, 1);
      target.barrier(b, loc);
    }
    for (int64_t rt = 0; rt < rowTiles; ++rt)
      for (int64_t kk = 0; kk < dk / shape.k; ++kk)
        qFrags[rt].push_back(target.loadAFragment(
            b, loc, qSmem, add(warpRow0, c(rt * shape.m)), c(kk * shape.k),
            laneId));
  }

  // Loop state: O accumulators, then per row (two per row tile) m and l.
  oTiles = dv / shape.n;
  bool softmax = kind == NormalizeKind::softmax;
  Value zeroC = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(cType, b.getF32FloatAttr(0.0)));
  SmallVector<Value> init(rowTiles * oTiles, zeroC);
  for (int64_t i = 0; i < 2 * rowTiles; ++i)
    init.push_back(f(-INFINITY));
  for (int64_t i = 0; i < 2 * rowTiles; ++i)
    init.push_back(f(0.0));
  mAt = rowTiles * oTiles;
  lAt = mAt + 2 * rowTiles;
  SmallVector<Value> result;
  if (warpgroupValues) {
    SmallVector<Value> class0 = {cls0 ? cls0 : c(2)};
    class0.append(leaves0);
    result = emitPipelinedLoop(first, last, init, class0, group0, classify,
                               loadTile);
  } else {
    // Last: the class of the current key tile, classified once (when its
    // copies are issued, one iteration ahead).
    init.push_back(cls0 ? cls0 : c(2));

    auto loop = scf::ForOp::create(
        b, loc, first, last, c(1), init,
        [&](OpBuilder &, Location, Value t, ValueRange stateAll) {
          ValueRange state = stateAll.drop_back();
          Value cls = stateAll.back();
          Value stage = arith::RemUIOp::create(
              b, loc, arith::SubIOp::create(b, loc, t, first), c(2));
          Value other = arith::SubIOp::create(b, loc, c(1), stage);
          // Wait for K(t) (V(t) may stay in flight); after the barrier every
          // warp is done with tile t - 1, whose buffer receives tile t + 1:
          // groups K(t+1), V(t+1). Two barriers per tile.
          target.asyncWait(b, loc, group0, 1);
          if (warpgroup)
            target.fenceSharedForMatrixOps(b, loc);
          target.barrier(b, loc);
          Value tNext = add(t, c(1));
          Value nextCls = c(2);
          if (epi.hasMask())
            nextCls = select(cmpi(arith::CmpIPredicate::slt, tNext, last),
                             classify(tNext).value, c(0));
          SmallVector<Value> nextK, nextV;
          loadKV(nextK, nextV, tNext, other, epi.hasMask() ? nextCls : Value());
          Value vGroup = nextV.front();

          Value j0 = mul(t, c(plan.blockN));
          Value notSkip = cmpi(arith::CmpIPredicate::ne, cls, c(0));
          auto computeIf = scf::IfOp::create(
              b, loc, notSkip,
              [&](OpBuilder &, Location) {
                Value kRow0 = mul(stage, c(plan.blockN));
                if (mapQK) {
                  // phi(K(t)) in place (its buffer is not read before the
                  // barrier); keys past Nk become 0, and the tail tile, being
                  // past the end, is masked.
                  applyFeatureMapInShared(
                      b, loc, target, featureMap, kSmem, kRow0, plan.blockN, dk,
                      arith::SubIOp::create(b, loc, numKeys, j0), threadId,
                      threads);
                  target.barrier(b, loc);
                }
                SmallVector<SmallVector<Value>> s = computeScores(kRow0);
                SmallVector<Value> newState(state.begin(), state.end());
                auto [probs, alphas] = weighTile(s, t, cls, {}, newState);
                for (int64_t rt = 0; rt < rowTiles; ++rt)
                  if (alphas[rt])
                    for (int64_t nd = 0; nd < oTiles; ++nd)
                      newState[rt * oTiles + nd] =
                          mulf(newState[rt * oTiles + nd], alphas[rt]);
                // O += P V, once V(t) has landed.
                target.asyncWait(b, loc, vGroup, 2);
                target.barrier(b, loc);
                for (int64_t kk = 0; kk < plan.blockN / shape.k; ++kk) {
                  SmallVector<Value> pA;
                  for (int64_t rt = 0; rt < rowTiles; ++rt)
                    pA.push_back(target.accumulatorsToAFragment(
                        b, loc, probs[rt][2 * kk], probs[rt][2 * kk + 1],
                        elementType));
                  for (int64_t nd = 0; nd < oTiles; nd += 2) {
                    auto [b0, b1] = target.loadBFragmentsFromColumns(
                        b, loc, vSmem, add(kRow0, c(kk * shape.k)),
                        c(nd * shape.n), laneId);
                    for (int64_t rt = 0; rt < rowTiles; ++rt) {
                      Value &o0 = newState[rt * oTiles + nd];
                      Value &o1 = newState[rt * oTiles + nd + 1];
                      o0 = target.mma(b, loc, pA[rt], b0, o0);
                      o1 = target.mma(b, loc, pA[rt], b1, o1);
                    }
                  }
                }
                scf::YieldOp::create(b, loc, newState);
              },
              [&](OpBuilder &, Location) {
                scf::YieldOp::create(b, loc, state);
              });
          SmallVector<Value> yields(computeIf.getResults());
          yields.push_back(nextCls);
          scf::YieldOp::create(b, loc, yields);
        });
    result = SmallVector<Value>(loop.getResults().drop_back());
  }

  // Epilogue: normalise, optional output norm, store O and lse.
  std::optional<OutputNorm> norm = agg.getNorm();
  double eps = agg.getNormEps().convertToDouble();
  Value sink = epi.sinkLogit(b, loc, headIdx);
  Value lane4 = arith::RemUIOp::create(b, loc, laneId, c(4));
  Value isLeader = cmpi(arith::CmpIPredicate::eq, lane4, c(0));
  // O leaves through a staging tile at the start of shared memory, once
  // every warp is done with the tiles there and no copy is in flight.
  StagingTile staging = createStagingTile(smem, start, plan.blockM, dv);
  target.asyncWait(b, loc, group0, 0);
  target.barrier(b, loc);
  for (int64_t rt = 0; rt < rowTiles; ++rt) {
    SmallVector<Value> factor(2), lse(2);
    for (int64_t h = 0; h < 2; ++h) {
      Value l = result[lAt + 2 * rt + h];
      Value zero = f(0.0);
      bool rowSum =
          kind == NormalizeKind::softplus_l1 || kind == NormalizeKind::sum;
      if (softmax || rowSum)
        l = quadReduce(l, /*isMax=*/false);
      if (!softmax) {
        // A zero denominator (all keys masked, or a sum that cancels) gives
        // o = 0, never NaN; sum's may be negative.
        factor[h] = rowSum
                        ? select(arith::CmpFOp::create(
                                     b, loc, arith::CmpFPredicate::ONE, l, zero),
                                 arith::DivFOp::create(b, loc, f(1.0), l), zero)
                        : f(1.0);
        continue;
      }
      Value m = result[mAt + 2 * rt + h];
      Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m,
                                          f(-INFINITY));
      Value mUse = select(isInf, zero, m);
      Value rescale = f(1.0);
      if (sink) {
        // Z = l 2^mUse + 2^s, computed at the larger of the two exponents.
        Value s2 = mulf(sink, f(kLog2E));
        Value mf = maxf(mUse, s2);
        rescale = target.exp2(b, loc, subf(mUse, mf));
        l = addf(mulf(l, rescale), target.exp2(b, loc, subf(s2, mf)));
        mUse = mf;
      }
      Value positive =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, l, zero);
      factor[h] = select(positive, arith::DivFOp::create(b, loc, rescale, l),
                         zero);
      if (hasLse) {
        Value log2l = math::Log2Op::create(b, loc, l);
        lse[h] = select(positive, mulf(addf(mUse, log2l), f(kLn2)),
                        f(-INFINITY));
      }
    }
    SmallVector<Value> fe;
    for (int64_t e = 0; e < n; ++e)
      fe.push_back(factor[target.getCPosition(e)[0]]);
    Value factorVec = fromElems(fe);
    SmallVector<Value> o;
    for (int64_t nd = 0; nd < oTiles; ++nd)
      o.push_back(mulf(result[rt * oTiles + nd], factorVec));

    if (norm)
      applyOutputNorm(o, *norm, eps, dv);

    // Each lane stages pairs of adjacent columns of its two rows.
    for (int64_t h = 0; h < 2; ++h) {
      int64_t e0 = h * 2; // C elements (h, 0) and (h, 1).
      Value row = rowOf[rt][e0];
      for (int64_t nd = 0; nd < oTiles; ++nd)
        stagePair(
            staging, sub(row, i0), add(c(nd * shape.n), colOf[e0]),
            vector::ExtractOp::create(b, loc, o[nd], ArrayRef<int64_t>{h}));
      if (!hasLse)
        continue;
      Value stores = arith::AndIOp::create(
          b, loc, cmpi(arith::CmpIPredicate::slt, row, numQueries), isLeader);
      scf::IfOp::create(b, loc, stores, [&](OpBuilder &, Location) {
        Value at =
            add(mul(add(mul(batchIdx, dims.heads), headIdx), numQueries), row);
        memref::StoreOp::create(b, loc, lse[h], lseMem, ValueRange{at});
        scf::YieldOp::create(b, loc);
      });
    }
  }
  target.barrier(b, loc);
  copyStagedRows(staging, oMem, oBase, oStride, i0, numQueries);
  gpu::ReturnOp::create(b, loc);

  KernelInfo info;
  describeKernel(info, chain, target, epi.describeSideInputs());
  info.blockM = plan.blockM;
  info.blockN = plan.blockN;
  info.warps = plan.warps;
  info.stages = plan.stages;
  info.sharedBytes = sharedBytes;
  info.hasLse = hasLse;
  if (keyRanges) {
    info.keyRangesKernelName = "attn_fwd_key_ranges";
    info.keyRangeTables = epi.getKeyRangeInputs().size();
  }
  return info;
}

void KernelEmitter::emitKeyRangesKernel(FunctionType funcType,
                                        size_t workspaceArg,
                                        size_t firstScalar) {
  OpBuilder::InsertionGuard guard(b);
  auto func = gpu::GPUFuncOp::create(b, loc, "attn_fwd_key_ranges", funcType);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  SmallVector<Value> scalars;
  for (size_t i = firstScalar; i < firstScalar + 5; ++i)
    scalars.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                 entry.getArgument(i)));
  ProblemDims problem = {scalars[0], scalars[1], scalars[2], scalars[3],
                         scalars[4]};
  size_t firstSide = chain.aggregate.getLse() ? 5 : 4;
  SmallVector<Value> sideMems;
  for (size_t i = firstSide; i < workspaceArg; ++i)
    sideMems.push_back(entry.getArgument(i));
  epi.bind(b, loc, sideMems, problem);
  // A warp per key tile of batch blockIdx.z, striding over the grid.
  Value lane = target.getLaneId(b, loc);
  Value warp = arith::DivUIOp::create(
      b, loc, gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x),
      c(target.getWarpSize()));
  Value tiles =
      arith::CeilDivSIOp::create(b, loc, problem.keys, c(plan.blockN));
  Value start =
      add(mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x), c(plan.warps)),
          warp);
  Value step =
      mul(gpu::GridDimOp::create(b, loc, gpu::Dimension::x), c(plan.warps));
  Value batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  scf::ForOp::create(b, loc, start, tiles, step, ValueRange{},
                     [&](OpBuilder &, Location, Value tile, ValueRange) {
                       epi.writeKeyRanges(b, loc, target, lane, batch, tile,
                                          tiles, plan.blockN,
                                          entry.getArgument(workspaceArg));
                       scf::YieldOp::create(b, loc);
                     });
  gpu::ReturnOp::create(b, loc);
}

FailureOr<KernelInfo> mlir::attn::buildAttentionKernel(
    OpBuilder &builder, SpecChain &chain, const KernelPlan &plan,
    const TargetInfo &target) {
  if (failed(checkSupported(chain, plan, target)))
    return failure();
  ScoreEpilogue epilogue(chain);
  if (failed(epilogue.collectSideInputs()))
    return failure();
  KernelEmitter emitter(builder, chain.aggregate.getLoc(), chain, plan, target,
                        epilogue);
  return emitter.emit();
}
