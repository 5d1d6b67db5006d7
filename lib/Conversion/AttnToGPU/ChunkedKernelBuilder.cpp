//===- ChunkedKernelBuilder.cpp - Linear-time chunked attention -----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Builds the chunked linear-time kernel of a linear-family chain (normalize
// none or sum, mask none or causal; DESIGN §4):
//
//   CTA (value tile vt, head h, batch b), `warps` warps; warp w owns rows
//   [16w, 16w + 16) of each chunk and rows [w Dk/warps, (w+1) Dk/warps) of
//   the state S [Dk x BV] (f32, in accumulator registers for the whole run).
//   Every decay is a per-token log-gate g (ln gamma_h for exponential
//   decays); inside a chunk G is the inclusive running sum of g from the
//   chunk's first token, so that with S the state before the chunk
//     o_i = scale (phi(q_i) exp(G_i) S + sum_{j <= i} exp(G_i - G_j)
//                  <phi(q_i), phi(k_j)> v_j)
//     S  <- exp(G_last) S + sum_j exp(G_last - G_j) phi(k_j)^T v_j
//   Every exponent is <= 0 (log-gates are <= 0), so nothing overflows however
//   strong the decay. `sum` appends a column of ones to V (and so a column z
//   to S): its output column is the denominator.
//   Causal: for each chunk (q, k, v in `stages` buffers, 2 by default,
//   filled by async copies):
//     phi in shared memory;
//     O = (Q S) * scale exp(G_i) + (Q K^T * causal decay * scale) V;
//     S = exp(G_last) S + K~^T V with K~ = K exp(G_last - G_j) scaled in
//     registers; then S (bf16/f16) to the other shared-memory S buffer for
//     the next chunk's Q S, and G of the next chunk (its log-gates loaded
//     during this one) by a warp scan into the other G buffer: one barrier
//     per chunk.
//   No mask (the global form O = phi(Q) (phi(K)^T V)): one pass over the
//   chunks accumulates S, a second computes O = scale Q S.
//   Matrix ops: Q K^T, Q S, A V and K^T V, all through TargetInfo: the
//   warp-level ops on fragments, or (usesWarpgroupChunks) the warpgroup ops
//   on operand tiles, the chunk being the warpgroup's 64 rows. Then the
//   weights A go to a shared tile P, scalar decays scale V (V~ = V
//   exp(G_last - G_j)) instead of K, K^T is K's tile read transposed, and
//   S is held as the warpgroup's C fragments (warp w owns rows 16 w .. of
//   each 64-row block). Per chunk: each thread rewrites the V pieces it
//   copied as V~ before the barrier that publishes the chunk; Q K^T, Q S and
//   K^T V~ are issued together, the weights computed while K^T V~ runs;
//   a second barrier publishes P and the next chunk's G, and A V runs while
//   S is stored.
//
// Per-channel gates (GLA): G_{t,c} is per key channel, so the gate acts
// inside the inner product and no single row factor can carry it. Inside a
// chunk of 16-token blocks J (warp w owns block w), with E_J = G at the last
// row of block J (E_{-1} = 0), each chunk's tiles are rewritten in shared
// memory by one thread per channel (it also runs the scan):
//   Q^_i = phi(q_i) exp(G_i - E_{w(i)-1}),   K~_j = phi(k_j) exp(E_J(j) - G_j)
// and a table T[a][b] = exp(E_a - E_b) per channel. Then every product is a
// plain matrix op on operands scaled by per-channel factors in registers:
//   q_i exp(G_i)          = Q^_i T[w-1][-1]        (the state term)
//   q_i k_j exp(G_i - G_j) = Q^_i T[w-1][J] . K~_j   (key block J)
//   S <- T[3][-1] S + sum_J (K~_J T[3][J])^T V_J  (rows of S are channels)
// Every factor is <= 1 except T[w-1][w] (the warp's own block), which is
// exp(decay across 16 tokens) and is clamped at e^80 so that nothing
// overflows; Q^ and K~ are stored as bf16 (f32's exponent range) for
// 16-bit inputs and as f32 for f32 ones, while the state term reads Q^
// T[w-1][-1] <= q and the shared S in the input type (f16 keeps its
// precision there). Scalar
// decays are folded into G.
//
// Feature maps that widen a row (F != Dk: taylor2, hedgehog): q and k land
// in staging tiles, and after the chunk's barrier phi is written to Q and K
// tiles of F padded to whole state tiles (one buffer: they are rewritten
// only after the next chunk's barrier), behind a second barrier; the state
// has F padded rows. Taylor-2's phi comes from FeatureMap.cpp (one thread
// per row); its intra-chunk scores take the closed form 1 + t + t^2 / 2 of
// t = q.k / sqrt(Dk) from the staging tiles. Hedgehog's phi = [softmax(x
// W), softmax(-x W)] is projected by each warp for its own rows with the
// warp-level matrix ops (W copied to shared memory once per CTA), the
// softmaxes over the quads.
//
// Segments (KernelInfo.h): grid.x also splits the sequence into S segments
// of whole chunks, so that small B Hq still fills the GPU. A second kernel,
// `<name>_segment_states`, launched first, walks each segment from a zero
// state (K^T V only) and leaves its state and total log-decay L in a
// workspace; the CTA of segment s then starts from
//   S_s = exp(L_{s-1}) S_{s-1} + (segment s - 1's state),  S_0 = initial,
// and the global form from the sum of all of them. The initial state goes
// through the workspace too, so that the last segment may overwrite it in
// place with the final one.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "EmitterBase.h"
#include "FeatureMap.h"
#include "ScoreEpilogue.h"
#include "attn/Target/TargetInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::attn;

/// The largest exponent a per-channel gate factor may take: e^80 times an
/// input of magnitude up to e^8 stays inside bf16 / f32 (e^88.7).
static constexpr double kMaxGateExponent = 80.0;

static bool hasCausalMask(SpecChain &chain) {
  return llvm::any_of(chain.scoreOps,
                      [](Operation *op) { return isa<MaskOp>(op); });
}

/// The default plan and the warpgroup path keep the f32 state at this many
/// registers per thread; the kernel refuses more than kMaxStateRegisters.
static constexpr int64_t kStateRegisters = 64;
static constexpr int64_t kMaxStateRegisters = 128;

/// Registers per thread of an f32 state of `rows` x `valueTile` held by
/// `threads` threads.
static int64_t stateRegisters(int64_t rows, int64_t valueTile,
                              int64_t threads) {
  return rows * valueTile / std::max<int64_t>(threads, 1);
}

/// F rounded up to whole 16-row state tiles of every warp: the rows of the
/// state and the k of the products that read phi.
/// Value columns appended for the `sum` denominator: one column of ones,
/// padded to the width of two matrix-op n tiles.
static constexpr int64_t kSumColumns = 16;

static int64_t paddedFeatures(SpecChain &chain, int64_t warps) {
  int64_t rows = 16 * std::max<int64_t>(warps, 1);
  return llvm::divideCeil(chain.score.getFeatureDim(), rows) * rows;
}

/// The measured default plan, before it is fitted to shared memory.
static ChunkedPlan getDefaultChunkedPlan(SpecChain &chain) {
  ChunkedPlan plan;
  int64_t features = paddedFeatures(chain, plan.warps);
  int64_t dv = getHeadDim(chain.aggregate.getValues());
  // The state takes F * valueTile / (32 warps) registers per lane: at most
  // 64 (F = 128 with 64-column tiles; 32 columns at F = 256; 16 for
  // Taylor-2's 273 features of Dk = 16, padded to 320).
  plan.valueTile = 64;
  while (plan.valueTile > 16 &&
         stateRegisters(features, plan.valueTile, 32 * plan.warps) >
             kStateRegisters)
    plan.valueTile /= 2;
  // An output norm is fused where a CTA can hold whole rows of o (Lightning's
  // rms norm: a 128 x 128 state); past that, a kernel of its own normalises
  // the rows after (RetNet's layer norm over Dv = 256).
  if (chain.aggregate.getNorm() &&
      stateRegisters(features, dv, 32 * plan.warps) <= kMaxStateRegisters)
    plan.valueTile = dv;
  plan.valueTile = std::min(plan.valueTile, dv);
  // Chunks of 64 tokens over 4 warps. Measured on the H200 at B4 H16
  // T16384 D128 (docs/perf.md): 128-token chunks over 8 warps run 15-18%
  // slower, 32 value columns (twice the CTAs) 4-19% slower.
  return plan;
}

bool mlir::attn::usesWarpgroupChunks(SpecChain &chain, const ChunkedPlan &plan,
                                     const TargetInfo &target) {
  int64_t dk = chain.score.getHeadDim();
  // The `sum` columns would leave V's tile short of a whole column block.
  bool sum = chain.normalize.getKind() == NormalizeKind::sum;
  // A larger state spills more on the warpgroup path than on the warp-level
  // one: Lightning's rms norm (Dk x Dv = 128 x 128 in one CTA) ran 1.543 ms
  // against 1.349 on the warp-level path, while Mamba2's 128 x 64 ran 0.642
  // against 0.687 (H200, B4 H16 T16384, docs/perf.md).
  if (!plan.warpgroup || plan.warps != TargetInfo::kWarpgroupWarps ||
      target.getWarpSize() != 32)
    return false;
  auto qType = cast<RankedTensorType>(chain.score.getQuery().getType());
  return qType.getElementType().getIntOrFloatBitWidth() == 16 &&
         stateRegisters(dk, plan.valueTile, 32 * plan.warps) <=
             kStateRegisters &&
         plan.chunk == 16 * TargetInfo::kWarpgroupWarps && !sum &&
         !chain.score.getGate() &&
         chain.score.getFeatureMap() == FeatureMap::identity &&
         target.supportsWarpgroupMatrixOps(dk) && dk <= 256 &&
         target.supportsWarpgroupMatrixOps(plan.valueTile) &&
         plan.valueTile <= 256;
}

namespace {

/// The static configuration of one chunked kernel.
struct ChunkedConfig {
  Type elementType;
  int64_t dk = 0, dv = 0;
  /// F, the features of phi (Dk but for taylor2 and hedgehog), and F
  /// padded to whole state tiles: the rows of the state, the k of the
  /// products that read phi(q) and phi(k), the columns of their tiles.
  int64_t features = 0, fk = 0;
  /// The feature map widens a row (F != Dk): q and k land in staging tiles
  /// (stagingOffset, [B chunk][Dk + pad] each, q then k) and phi is written
  /// from them to the Q and K tiles; hedgehog's projections W of the
  /// CTA's query and kv head are [2 Dk][F / 2 + pad] in the element type
  /// at weightsOffset.
  bool widening = false;
  int64_t stagingOffset = 0, weightsOffset = 0;
  /// Buffers of the Q and K tiles the matrix ops read: `buffers`, but one
  /// for phi of a widening map (written behind the barrier after which
  /// every warp is done with the previous chunk).
  int64_t phiBuffers = 2;
  int64_t chunk = 0, valueTile = 0, warps = 0, threads = 0;
  /// Value columns per CTA including the `sum` columns.
  int64_t augTile = 0;
  int64_t stateRowsPerWarp = 0;
  bool causal = false, sum = false, decay = false;
  /// A per-channel gate (GLA) on the score.
  bool channelGate = false;
  /// The gate's element type in memory; the type Q^ and K~ are stored in
  /// (bf16 with a per-channel gate, else the element type).
  Type gateType, operandType;
  FeatureMap map = FeatureMap::identity;
  double scale = 1.0;
  bool hasInitialState = false, hasFinalState = false;
  /// The output norm, fused in the stores of O when a CTA holds whole rows
  /// (`norm`), else applied by a kernel of its own after (`rowNorm`).
  std::optional<OutputNorm> norm, rowNorm;
  double normEps = 1e-6;
  /// Columns of a state row in the segment workspace: every value tile's
  /// augmented columns.
  int64_t workspaceColumns = 0;
  // Shared memory, in bytes.
  int64_t qOffset = 0, kOffset = 0, vOffset = 0, sOffset = 0, gOffset = 0,
          gateOffset = 0, tableOffset = 0, sharedBytes = 0;
  /// Each warp's staging tile of its 16 rows of O (EmitterBase's
  /// StagingTile, `outputBytes` each), or -1: O's pairs stored directly.
  int64_t outputOffset = -1, outputBytes = 0;
  /// The bytes a widening map's own tiles take (phi, staging, W).
  int64_t mapBytes = 0;
  /// 16-token blocks per chunk (a warp each).
  int64_t blocks = 0;
  /// The four products by warpgroup matrix ops (usesWarpgroupChunks): Q, K,
  /// V, S and the intra-chunk weights P [chunk][chunk] are operand tiles
  /// from the first aligned address (pOffset, and with scalar decays the
  /// decayed values V~ = V exp(G_last - G_j) at decayedOffset).
  bool warpgroup = false;
  int64_t pOffset = 0, decayedOffset = 0;
  /// Buffers of each per-chunk tile (Q, K, V, G, V~), and of S
  /// (ChunkedPlan::stateBuffers; the warpgroup path always has `buffers`).
  int64_t buffers = 2, stateBuffers = 2;
  /// Decays are scalar per token (G in gOffset) and no per-channel gate
  /// absorbs them.
  bool scalarDecayOnly() const { return decay && !channelGate; }
  /// Elements per row of the raw gate tile: Dk and 32 bytes, so that the
  /// pieces two threads copy into one row (copyTileByRows) and the next
  /// rows' fall in distinct banks.
  int64_t gatePadding() const {
    return 32 / (gateType.getIntOrFloatBitWidth() / 8);
  }
  int64_t gatePitch() const {
    return (dk + gatePadding()) * (gateType.getIntOrFloatBitWidth() / 8);
  }
};

} // namespace

static FailureOr<ChunkedConfig>
configure(SpecChain &chain, const ChunkedPlan &plan, const TargetInfo &target) {
  AggregateOp agg = chain.aggregate;
  ChunkedConfig cfg;
  NormalizeKind kind = chain.normalize.getKind();
  if (kind != NormalizeKind::none && kind != NormalizeKind::sum)
    return agg.emitOpError()
           << "the chunked linear-time kernel computes normalize none or "
              "sum, not "
           << stringifyNormalizeKind(kind);
  for (Operation *op : chain.scoreOps) {
    if (isa<ModifyOp>(op))
      return op->emitOpError()
             << "makes the score non-bilinear; the chunked kernel cannot "
                "evaluate it (use the quadratic form)";
    if (auto mask = dyn_cast<MaskOp>(op);
        mask && !isa<CausalAttr>(mask.getMask()))
      return op->emitOpError()
             << "the chunked kernel supports no mask or #attn.causal only";
  }
  cfg.causal = hasCausalMask(chain);
  cfg.sum = kind == NormalizeKind::sum;
  cfg.decay = llvm::any_of(chain.scoreOps,
                           [](Operation *op) { return isa<DecayOp>(op); });
  if (cfg.decay && !cfg.causal)
    return agg.emitOpError()
           << "a decay without a causal mask is symmetric (|p - j|), which "
              "the chunked recurrence does not compute; add #attn.causal or "
              "use the quadratic form";
  if (Value gate = chain.score.getGate()) {
    cfg.channelGate = true;
    cfg.gateType = cast<RankedTensorType>(gate.getType()).getElementType();
    if (!cfg.causal)
      return agg.emitOpError()
             << "a per-channel gate without a causal mask is symmetric "
                "(|p - j|), which the chunked recurrence does not compute; "
                "add #attn.causal";
    if (!cfg.gateType.isF32() && !cfg.gateType.isBF16() &&
        !cfg.gateType.isF16())
      return agg.emitOpError()
             << "the per-channel gate's element type " << cfg.gateType
             << " is not supported by the chunked kernel: use f32, bf16 or "
                "f16";
  }
  cfg.map = chain.score.getFeatureMap();
  cfg.widening = !isInPlaceFeatureMap(cfg.map);
  if (cfg.widening && cfg.channelGate)
    return agg.emitOpError()
           << "a per-channel gate with feature map "
           << stringifyFeatureMap(cfg.map)
           << " is not supported by the chunked kernel: the gate's channels "
              "are phi's features, which this map makes wider than q and k; "
              "use a map that keeps the width (identity, elu_plus_one, relu, "
              "exp, l2norm)";

  auto qType = cast<RankedTensorType>(chain.score.getQuery().getType());
  cfg.elementType = qType.getElementType();
  if (!target.supportsMatrixElementType(cfg.elementType))
    return agg.emitOpError()
           << "q/k/v of type " << cfg.elementType
           << " are not supported by the chunked kernel on " << target.getChip()
           << ": it needs bf16, f16 or f32 inputs for the matrix ops";
  cfg.operandType = cfg.channelGate && !cfg.elementType.isF32()
                        ? BFloat16Type::get(agg.getContext())
                        : cfg.elementType;
  cfg.dk = chain.score.getHeadDim();
  cfg.dv = getHeadDim(agg.getValues());
  for (auto [name, d] :
       {std::pair<StringRef, int64_t>{"query/key", cfg.dk}, {"value", cfg.dv}})
    if (d % 16 != 0 || d > 256)
      return agg.emitOpError()
             << name << " head dim " << d
             << " is not supported by the chunked kernel: it must be a "
                "multiple of 16 and at most 256";
  cfg.chunk = plan.chunk;
  cfg.valueTile = plan.valueTile;
  cfg.warps = plan.warps;
  cfg.threads = cfg.warps * target.getWarpSize();
  MatrixOpShape shape = target.getMatrixOpShape();
  if (cfg.warps <= 0 || cfg.chunk != shape.m * cfg.warps)
    return agg.emitOpError()
           << "chunked plan: block_m (the chunk, " << cfg.chunk << ") must be "
           << shape.m << " x warps (" << cfg.warps << ")";
  cfg.features = chain.score.getFeatureDim();
  cfg.fk = cfg.widening ? paddedFeatures(chain, cfg.warps) : cfg.dk;
  // Hedgehog's x W takes pairs of 8-column n tiles of W.
  if (cfg.map == FeatureMap::hedgehog && (cfg.features / 2) % 16 != 0)
    return agg.emitOpError()
           << "the hedgehog weights have F' = " << cfg.features / 2
           << " features; the chunked kernel projects x W with 16-column "
              "matrix-op tiles, so F' must be a multiple of 16";
  if (cfg.chunk % target.getWarpSize() != 0)
    return agg.emitOpError() << "chunked plan: the chunk (" << cfg.chunk
                             << ") must be a multiple of the warp size";
  if (cfg.valueTile <= 0 || cfg.valueTile % 16 != 0 ||
      cfg.dv % cfg.valueTile != 0)
    return agg.emitOpError()
           << "chunked plan: block_n (the value tile, " << cfg.valueTile
           << ") must be a multiple of 16 dividing Dv = " << cfg.dv;
  if (cfg.fk % (cfg.warps * shape.m) != 0)
    return agg.emitOpError()
           << "chunked plan: the " << cfg.fk << " state rows (Dk) must split "
           << "into " << cfg.warps << " warps of multiples of " << shape.m
           << " rows";
  cfg.blocks = cfg.chunk / shape.m;
  if (plan.stages < 2)
    return agg.emitOpError()
           << "chunked plan: stages = " << plan.stages
           << " leaves no buffer for the next chunk's copies; use 2 or more";
  if (cfg.channelGate && cfg.dk > cfg.threads)
    return agg.emitOpError()
           << "the per-channel gate is scanned by one thread per key channel: "
              "Dk = "
           << cfg.dk << " needs at most " << cfg.threads
           << " channels (the plan's warps x " << target.getWarpSize() << ")";
  (cfg.valueTile == cfg.dv ? cfg.norm : cfg.rowNorm) = agg.getNorm();
  cfg.normEps = agg.getNormEps().convertToDouble();
  int64_t stateRegs = stateRegisters(cfg.fk, cfg.valueTile, cfg.threads);
  if (stateRegs > kMaxStateRegisters) {
    InFlightDiagnostic diag = agg.emitOpError()
                              << "the state tile "
                              << (cfg.widening ? "F (padded) x value tile = "
                                               : "Dk x value tile = ")
                              << cfg.fk << " x " << cfg.valueTile << " needs "
                              << stateRegs << " registers per thread; at most "
                              << kMaxStateRegisters << " fit (";
    // The value tile is at least one 16-column k step of the matrix ops.
    if (cfg.valueTile > 16)
      diag << "lower block_n";
    else
      diag << "even 16 value columns are too many: use a feature map of at "
              "most "
           << kMaxStateRegisters * cfg.threads / 16 << " features";
    diag << ")";
    return diag;
  }
  cfg.augTile = cfg.valueTile + (cfg.sum ? kSumColumns : 0);
  cfg.stateRowsPerWarp = cfg.fk / cfg.warps;
  cfg.scale = chain.score.getEffectiveScale();
  cfg.hasInitialState = static_cast<bool>(agg.getInitialState());
  cfg.hasFinalState = static_cast<bool>(agg.getFinalState());

  cfg.workspaceColumns = cfg.dv / cfg.valueTile * cfg.augTile;
  cfg.warpgroup = usesWarpgroupChunks(chain, plan, target);

  // Shared memory: Q and K [B chunk][Dk + pad], V [B chunk][aug + pad],
  // S [B Dk][aug + pad], G [B chunk] f32 (decays): B buffers of each, chunk
  // ch in buffer ch % B, the copies running B - 1 chunks ahead. Warpgroup
  // matrix ops: unpadded operand tiles (the B buffers of Q, K, V and S, then
  // P and B of V~), after up to an alignment's worth of bytes to reach an
  // aligned start. B is the plan's `stages`.
  int64_t eb = cfg.elementType.getIntOrFloatBitWidth() / 8;
  int64_t pad = cfg.warpgroup ? 0 : kRowPad;
  int64_t buffers = plan.stages;
  cfg.buffers = buffers;
  int64_t offset = 0;
  auto take = [&](int64_t bytes) {
    int64_t at = offset;
    offset += (bytes + 15) / 16 * 16;
    return at;
  };
  // Q and K are adjacent (the widening map writes both through one view).
  cfg.phiBuffers = cfg.widening ? 1 : buffers;
  int64_t phiBytes = cfg.phiBuffers * cfg.chunk * (cfg.fk + pad) * eb;
  cfg.qOffset = take(2 * phiBytes);
  cfg.kOffset = cfg.qOffset + phiBytes;
  cfg.vOffset = take(buffers * cfg.chunk * (cfg.augTile + pad) * eb);
  cfg.stateBuffers = cfg.warpgroup ? buffers : plan.stateBuffers;
  cfg.sOffset = take(cfg.stateBuffers * cfg.fk * (cfg.augTile + pad) * eb);
  // The bytes of a widening map's own tiles (phi, staging, W).
  int64_t mapBytes = 0;
  if (cfg.widening) {
    int64_t stagingBytes = 2 * buffers * cfg.chunk * (cfg.dk + pad) * eb;
    cfg.stagingOffset = take(stagingBytes);
    mapBytes = 2 * phiBytes + stagingBytes;
    if (cfg.map == FeatureMap::hedgehog) {
      int64_t weightsBytes = 2 * cfg.dk * (cfg.features / 2 + kRowPad) * eb;
      cfg.weightsOffset = take(weightsBytes);
      mapBytes += weightsBytes;
    }
  }
  if (cfg.warpgroup) {
    cfg.pOffset = take(cfg.chunk * cfg.chunk * eb);
    if (cfg.decay)
      cfg.decayedOffset = take(buffers * cfg.chunk * cfg.augTile * eb);
  }
  cfg.gOffset = cfg.decay ? take(buffers * cfg.chunk * 4) : 0;
  if (cfg.channelGate) {
    // The raw gates [B chunk][Dk] and the factor table [(blocks + 1)^2][Dk]
    // f32.
    cfg.gateOffset = take(buffers * cfg.chunk * cfg.gatePitch());
    cfg.tableOffset = take((cfg.blocks + 1) * (cfg.blocks + 1) * cfg.dk * 4);
  }
  int64_t align = cfg.warpgroup ? target.getOperandTileAlignment() : 0;
  // O leaves through a staging tile per warp where the bytes are there (16
  // rows, padded by 16 bytes a row): whole 16-byte pieces of rows instead
  // of a 32-bit store per pair.
  cfg.outputBytes = 16 * (cfg.valueTile * eb + 16);
  if (offset + cfg.warps * cfg.outputBytes + align <=
      target.getMaxSharedBytes())
    cfg.outputOffset = take(cfg.warps * cfg.outputBytes);
  cfg.sharedBytes = offset + align;
  cfg.mapBytes = mapBytes;
  return cfg;
}

/// Fails, saying what takes the bytes, if `cfg` needs more shared memory
/// than `target` has.
static LogicalResult checkSharedMemory(const ChunkedConfig &cfg,
                                       AggregateOp agg,
                                       const TargetInfo &target) {
  if (cfg.sharedBytes <= target.getMaxSharedBytes())
    return success();
  InFlightDiagnostic diag = agg.emitOpError()
                            << "the chunked plan needs " << cfg.sharedBytes
                            << " bytes of shared memory, more than the "
                            << target.getMaxSharedBytes() << " bytes "
                            << target.getChip()
                            << " allows; lower block_n or block_m";
  // Most of a widening map's bytes do not shrink with block_n.
  if (cfg.widening)
    diag << " (the feature map " << stringifyFeatureMap(cfg.map)
         << " alone takes " << cfg.mapBytes
         << " bytes: phi of F = " << cfg.features << " padded to " << cfg.fk
         << ", the staging tiles of q and k"
         << (cfg.map == FeatureMap::hedgehog ? ", the projections W" : "")
         << "; fewer features or a smaller Dk need less)";
  if (cfg.elementType.isF32())
    diag << "; f32 tiles take twice the bytes of 16-bit ones, so bf16 or "
            "f16 q/k/v need half";
  return diag;
}

ChunkedPlan mlir::attn::chooseChunkedPlan(SpecChain &chain, StringRef chip) {
  ChunkedPlan plan = getDefaultChunkedPlan(chain);
  // Where the default's tiles do not fit in shared memory (f32 ones of
  // Dk >= 128, a per-channel gate's tables, a widening map's tiles in f32),
  // one S buffer (warp-level kernels), then fewer value columns, then
  // shorter chunks (fewer warps) shrink them. A fused output norm keeps
  // whole rows. configure's diagnostics are the builder's to report, not
  // this search's.
  std::string error;
  if (std::unique_ptr<TargetInfo> target = createTargetInfo(chip, error)) {
    ScopedDiagnosticHandler silence(chain.aggregate.getContext(),
                                    [](Diagnostic &) { return success(); });
    int64_t dv = getHeadDim(chain.aggregate.getValues());
    bool fusedNorm = chain.aggregate.getNorm() && plan.valueTile == dv;
    // A smaller plan that configure refuses (a per-channel gate needs a
    // thread per channel) gives way to the last one, whose shared memory
    // error the builder then reports.
    std::optional<ChunkedPlan> previous;
    for (;;) {
      FailureOr<ChunkedConfig> cfg = configure(chain, plan, *target);
      if (failed(cfg)) {
        if (previous)
          plan = *previous;
        break;
      }
      if (cfg->sharedBytes <= target->getMaxSharedBytes())
        break;
      previous = plan;
      plan.fittedToSharedMemory = true;
      if (plan.stateBuffers > 1 && !cfg->warpgroup) {
        plan.stateBuffers = 1;
      } else if (plan.valueTile > 16 && !fusedNorm) {
        plan.valueTile /= 2;
      } else if (plan.warps > 2) {
        plan.warps /= 2;
        plan.chunk = 16 * plan.warps;
      } else {
        break;
      }
    }
  }
  if (DictionaryAttr dict = getPlanOverrides(chain.aggregate).entries) {
    if (auto v = dict.getAs<IntegerAttr>(plan::kBlockM))
      plan.chunk = v.getInt();
    if (auto v = dict.getAs<IntegerAttr>(plan::kBlockN))
      plan.valueTile = v.getInt();
    if (auto v = dict.getAs<IntegerAttr>(plan::kWarps))
      plan.warps = v.getInt();
    if (auto v = dict.getAs<IntegerAttr>(plan::kStages))
      plan.stages = v.getInt();
    if (auto ops = dict.getAs<StringAttr>(plan::kMatrixOps))
      plan.warpgroup = ops.getValue() == plan::kWarpgroup;
  }
  return plan;
}

namespace {

/// Emits one chunked kernel.
class ChunkedEmitter : public EmitterBase {
public:
  ChunkedEmitter(OpBuilder &b, Location loc, SpecChain &chain,
                 const ChunkedConfig &cfg, const TargetInfo &target,
                 ScoreEpilogue &epi)
      : EmitterBase(b, loc, target), chain(chain), cfg(cfg), epi(epi) {}

  KernelInfo emit();

private:
  /// What a kernel of the pair computes (KernelInfo.h, the segment split).
  enum class Role { SegmentStates, Outputs };
  /// The kernels' common signature, and the index of its first i64.
  std::pair<FunctionType, size_t> getKernelType();
  /// Builds kernel `name`: the common signature and prologue, then `role`.
  void emitKernel(StringRef name, Role role);
  /// The state each segment adds from zero, and its total log-decay, into
  /// the workspace; segment 0 also copies the initial state there.
  void emitSegmentStates();
  /// The outputs of the CTA's segment from the state before it.
  void emitOutputs();
  /// The state before the CTA's segment: the initial state and the earlier
  /// segments' workspace states, each decayed by the segments after it.
  /// (Non-causal: the initial state plus every segment's state.)
  SmallVector<Value> combineSegmentStates();
  /// Walks the CTA's chunks adding phi(K)^T V to `state` (decayed); returns
  /// the state and the total log-decay of the chunks.
  std::pair<SmallVector<Value>, Value> walkStates(SmallVector<Value> state);

  Value quadSum(Value v) { return quadReduce(v, /*isMax=*/false); }
  Value exp2(Value x) { return target.exp2(b, loc, x); }

  /// Issues and commits the copies of chunk `chunkIdx` into `stage` (nothing
  /// is read when the chunk is past the end); returns the group token.
  Value issueChunk(Value chunkIdx, Value stage, bool q, bool kv);

  /// The pipeline every chunk loop shares, over the CTA's chunks, reading Q
  /// (`q`) and / or K and V (`kv`) in B = `stages` buffers: before the loop,
  /// the first B - 1 chunks' copies and the first G; at the top of chunk
  /// ch, its landing, the prefetch of chunk ch + B - 1 (and of the next
  /// log-gates) into the buffers of chunk ch - 1, and phi; at its end, the
  /// next chunk's G by a warp scan. One barrier per chunk (two with a
  /// feature map). A step holds chunk ch's buffer (`stage`), the next
  /// chunk's (`other`), and its first token.
  struct ChunkStep {
    Value stage, other, t0;
    SmallVector<Value> nextGates;
    /// Per-channel gate: the chunk's total log-decay of the thread's channel.
    Value channelLogDecay;
  };
  void startChunks(bool q, bool kv);
  /// `landed` (if any) runs once the thread's own copies of the chunk have
  /// landed, before the barrier that publishes them. The log-gates loaded
  /// (decays) are those of chunk ch + `gatesAhead`.
  ChunkStep beginChunk(Value ch, bool q, bool kv,
                       function_ref<void(Value stage)> landed = nullptr,
                       int64_t gatesAhead = 1);
  /// The end of a chunk: the next chunk's G (decays), from the gates loaded
  /// by beginChunk.
  void endChunk(const ChunkStep &step) {
    if (cfg.decay)
      scanGates(step.nextGates, step.other);
  }
  /// Applies phi to the rows of a landed Q or K tile.
  void applyMap(Value tile, Value stage, Value validRows);
  /// Writes phi of the landed staging tiles of Q (`q`) and K (`kv`) in
  /// buffer `stage` to the Q and K tiles (maps that widen a row): Taylor-2
  /// by applyTaylor2FeatureMap, Hedgehog by projectHedgehog.
  void applyWideningMap(Value stage, bool q, bool kv, Value validRows);
  /// Hedgehog: phi = [softmax(x W), softmax(-x W)] of the landed staging
  /// rows of Q (`q`) and K (`kv`) in buffer `stage` into the Q and K tiles,
  /// each warp its own 16 rows: x W by the warp-level matrix ops, the
  /// softmaxes over the quads.
  void projectHedgehog(Value stage, bool q, bool kv, Value validRows);
  /// Hedgehog: W of the CTA's query head and kv head to shared memory, in
  /// the element type, and the Q and K tiles zeroed (their columns past F
  /// are never written).
  void loadMapWeights(Value kvHead);
  /// Per-channel gate: scans the chunk's gates in buffer `stage` (one thread
  /// per channel), rewrites Q (`q`) into Q^ and K (`kv`) into K~ and fills
  /// the factor table; returns the chunk's total log-decay of the thread's
  /// channel (0 in threads past Dk).
  Value prepareChannelGates(Value stage, bool q, bool kv);
  /// T[a][b] = exp(E_a - E_b) of channel `channel`, a and b in [-1, blocks).
  Value loadFactor(Value a, int64_t bIdx, Value channel) {
    Value row = add(mul(add(a, c(1)), c(cfg.blocks + 1)), c(bIdx + 1));
    return memref::LoadOp::create(b, loc, tableSmem, ValueRange{row, channel});
  }
  /// Per lane, the log-gates of the chunk starting at token `t0`.
  SmallVector<Value> loadGates(Value t0);
  /// Warp 0 turns the log-gates into their inclusive running sums in G
  /// buffer `stage`.
  void scanGates(ArrayRef<Value> gates, Value stage);
  /// G_t of the chunk in buffer `stage` (t inside the chunk).
  Value loadG(Value stage, Value t) {
    return memref::LoadOp::create(b, loc, gSmem,
                                  ValueRange{add(mul(stage, c(cfg.chunk)), t)});
  }
  /// The accumulators of Q S (the state in shared-memory buffer `sStage`)
  /// for the warp's rows, plus (causal) S = Q K^T in `scores`.
  /// `whileInFlight` (if any) is emitted after the warpgroup products are
  /// issued and before they are waited for; it returns how many product
  /// groups it issued itself, which stay in flight.
  SmallVector<Value>
  queryProducts(Value stage, Value sStage, SmallVectorImpl<Value> *scores,
                function_ref<int64_t()> whileInFlight = nullptr);
  /// The factors that weigh the chunk in buffer `stage`: `rows` scales the
  /// state term (scale * exp(G_i) per row of the warp, as a fragment),
  /// `scores[nb]` the scores of key fragment nb (scale * exp(G_i - G_j) on
  /// the causal triangle, 0 above it). They read only G: the warpgroup
  /// path computes them while K^T V~ is in flight.
  struct ChunkFactors {
    Value rows;
    SmallVector<Value> scores;
  };
  ChunkFactors chunkFactors(Value stage);
  /// Applies the factors to `acc` (the state term) and returns the
  /// intra-chunk weights A = scale * causal decay * Q K^T of `scores`.
  SmallVector<Value> weighChunk(const ChunkFactors &factors,
                                SmallVectorImpl<Value> &acc,
                                ArrayRef<Value> scores);
  /// Adds the intra-chunk term A V to `acc` (warp-level ops).
  void addIntraChunk(Value stage, SmallVectorImpl<Value> &acc,
                     ArrayRef<Value> weights);
  /// Warpgroup: stores the weights to the P tile.
  void storeChunkWeights(ArrayRef<Value> weights);
  /// Makes this thread's shared-memory writes visible to the other threads
  /// and the warpgroup matrix ops.
  void publishShared() {
    target.fenceSharedForMatrixOps(b, loc);
    target.barrier(b, loc);
  }
  /// Stores the warp's rows of O (the `sum` division and the output norm
  /// applied) for the chunk starting at token `t0`.
  void storeOutput(ArrayRef<Value> acc, Value t0);
  /// The warp's staging tile of O, if the plan has one (outputOffset).
  std::optional<StagingTile> outputTile;
  /// S = decay * S + K^T V for the chunk in buffer `stage`; returns G_last,
  /// the chunk's total log-decay (null without decays).
  Value updateState(SmallVectorImpl<Value> &state, Value stage);
  /// S = decay * S (scalar decays and per-channel gates); returns G_last.
  Value decayState(MutableArrayRef<Value> state, Value stage);
  /// Warpgroup: the shared address of the values the state update reads:
  /// with scalar decays V~ = V exp(G_last - G_j), written here to buffer
  /// `stage` (to be published; the thread rewrites the pieces it copied),
  /// else V itself.
  Value decayedValues(Value stage, Value gLast);
  /// Warpgroup: issues S + K^T (the values at `values`) and returns the
  /// products in flight, one per 64-row block of S.
  SmallVector<Value> issueStateUpdate(ArrayRef<Value> state, Value stage,
                                      Value values);
  /// The shared address of buffer `stage` of a buffered tile at `address`
  /// of `bytes` bytes a buffer.
  Value stageAddress(Value address, Value stage, int64_t bytes) {
    return add(address, mul(stage, c(bytes)));
  }
  /// Bytes of one 16-bit operand tile of `rows` x `cols`.
  int64_t tileBytes(int64_t rows, int64_t cols) const {
    return rows * cols * (cfg.elementType.getIntOrFloatBitWidth() / 8);
  }
  /// Writes the state (narrowed) to shared-memory buffer `sStage` for the
  /// Q S products.
  void writeSharedState(ArrayRef<Value> state, Value sStage);
  /// Reads / writes the CTA's tile of a dense row-major f32 state
  /// [rows, rowLength] at element `base` of `mem`: the warp's rows, `tiles`
  /// n tiles from column `col0` (the other fragments, and the state rows
  /// past `rows`, read as zero).
  SmallVector<Value> loadStateTile(Value mem, Value base, int64_t rowLength,
                                   Value col0, int64_t tiles,
                                   std::optional<int64_t> rows = {});
  void storeStateTile(ArrayRef<Value> state, Value mem, Value base,
                      int64_t rowLength, Value col0, int64_t tiles,
                      std::optional<int64_t> rows = {});
  /// The CTA's state tile of the user's initial / final state (F rows;
  /// the padding rows past them read as zero and are not written).
  SmallVector<Value> loadUserState(Value mem) {
    return loadStateTile(mem, userStateBase(), cfg.dv, valueCol0, valueTiles,
                         cfg.features);
  }
  void storeUserState(ArrayRef<Value> state, Value mem) {
    storeStateTile(state, mem, userStateBase(), cfg.dv, valueCol0, valueTiles,
                   cfg.features);
  }
  /// The CTA's tile of workspace state `slot` (all augmented columns).
  SmallVector<Value> loadWorkspaceState(Value slot) {
    return loadStateTile(wsMem, workspaceStateBase(slot), cfg.workspaceColumns,
                         workspaceCol0, augTiles);
  }
  void storeWorkspaceState(ArrayRef<Value> state, Value slot) {
    storeStateTile(state, wsMem, workspaceStateBase(slot), cfg.workspaceColumns,
                   workspaceCol0, augTiles);
  }
  /// Element offsets: the (batch, head) state of the user's tensors; state
  /// `slot` and the log-decay of segment `segment` in the workspace.
  Value userStateBase() {
    return mul(add(mul(batchIdx, dimsHeads), headIdx),
               c(cfg.features * cfg.dv));
  }
  Value workspaceStateBase(Value slot) {
    Value slots = add(numSegments, c(1));
    return mul(add(mul(add(mul(batchIdx, dimsHeads), headIdx), slots), slot),
               c(cfg.fk * cfg.workspaceColumns));
  }
  /// The log-decay of state row `row` over segment `segment`.
  Value workspaceDecayIndex(Value segment, Value row) {
    Value states = mul(mul(mul(dimsBatch, dimsHeads), add(numSegments, c(1))),
                       c(cfg.fk * cfg.workspaceColumns));
    Value seg =
        add(mul(add(mul(batchIdx, dimsHeads), headIdx), numSegments), segment);
    return add(states, add(mul(seg, c(cfg.fk)), row));
  }
  /// Scales the rows of the state fragments by `factorOf(row)` (row in
  /// [0, F padded), f32).
  void scaleStateRows(MutableArrayRef<Value> state,
                      function_ref<Value(Value row)> factorOf) {
    for (int64_t mt = 0; mt < stateMTiles; ++mt) {
      SmallVector<Value> perHalf;
      for (int64_t h = 0; h < 2; ++h)
        perHalf.push_back(factorOf(add(stateTileRow(mt), rowOf[2 * h])));
      Value factor = rowBroadcast(perHalf);
      for (int64_t nt = 0; nt < augTiles; ++nt)
        state[stateAt(mt, nt)] = mulf(state[stateAt(mt, nt)], factor);
    }
  }
  /// The first row of buffer `stage` of the Q and K tiles the matrix ops
  /// read (one buffer for a widening map's phi).
  Value phiRow0(Value stage) {
    return cfg.phiBuffers == 1 ? c(0) : mul(stage, c(cfg.chunk));
  }
  Value stageOf(Value ch) {
    return arith::RemUIOp::create(b, loc, ch, c(cfg.buffers)).getResult();
  }
  /// Rows of the chunk starting at token t0 that are inside the sequence.
  Value validRowsOf(Value t0) {
    return arith::MinSIOp::create(b, loc, c(cfg.chunk), sub(seqLen, t0))
        .getResult();
  }

  /// Index of the state fragment of m tile `mt`, n tile `nt`.
  int64_t stateAt(int64_t mt, int64_t nt) const { return mt * augTiles + nt; }
  /// The first of the warp's 16 state rows in m tile `mt`: of the warp's
  /// Dk / warps rows (warp-level ops), or of the mt-th 64-row block (the
  /// warpgroup's C layout).
  Value stateTileRow(int64_t mt) {
    if (cfg.warpgroup)
      return add(c(mt * shape.m * cfg.warps), warpRow0);
    return add(stateRow0, c(mt * shape.m));
  }

  SpecChain &chain;
  const ChunkedConfig &cfg;
  ScoreEpilogue &epi;

  MatrixOpShape shape;
  int64_t augTiles = 0, valueTiles = 0, stateMTiles = 0;
  Value batchIdx, headIdx, laneId, warpId, warpRow0, stateRow0;
  Value seqLen, valueCol0, group0, dimsBatch, dimsHeads;
  /// The CTA's value tile and segment, the segment count, the workspace,
  /// the CTA's first and end chunk, and the row past its last token.
  Value valueTileIdx, segmentIdx, numSegments, wsMem, workspaceCol0;
  Value chunkBegin, chunkEnd, rowEnd;
  Value initialMem, finalMem;
  Value qMem, kMem, vMem, oMem;
  Value qBase, kBase, vBase, oBase, qStride, kStride, vStride, oStride;
  /// Q and K as copied (element type) and as the matrix ops read them
  /// (operand type; the same buffers, but for the staging tiles of a map
  /// that widens a row).
  Value qSmemIn, kSmemIn, qSmem, kSmem, vSmem, sSmem, gSmem;
  /// Widening maps: the staging tiles of q and k as one [2 B chunk][Dk +
  /// pad] tile, Q and K as one tile of 16-byte pieces (and, hedgehog, of
  /// element pairs, and flat as 32-bit words), hedgehog's W [2 Dk][F / 2 +
  /// pad].
  Value stagingSmem, phiSmem, phiPairs, phiWordsFlat, weightsSmem;
  /// Per-channel gate: raw gates [2 chunk][Dk], factor table, and the gate
  /// rows of the CTA's (batch, head).
  Value gateSmem, tableSmem, gateMem, gateBase, gateStride;
  /// S viewed with 2-element vectors: 4-byte stores of pairs, lowered with
  /// the shared address space like every memref access (vector.store would
  /// need it in vector-to-llvm).
  Value sVec2;
  /// Warpgroup: the shared addresses of the operand tiles; S and P as
  /// 32-bit words (element pairs); V and V~ as 16-byte pieces.
  Value qAddr, kAddr, vAddr, sAddr, pAddr, decayedAddr;
  Value sWords, pWords, vPieces, decayedPieces;
  /// Per C element: row and column inside a 16 x 8 tile.
  SmallVector<Value> rowOf, colOf;
};

} // namespace

Value ChunkedEmitter::issueChunk(Value chunkIdx, Value stage, bool q, bool kv) {
  Value row0 = mul(chunkIdx, c(cfg.chunk));
  Value dstRow0 = mul(stage, c(cfg.chunk));
  SmallVector<Value> tokens;
  bool tile = cfg.warpgroup;
  if (q)
    copyTile(tokens, qMem, qBase, qStride, row0, rowEnd, Value(), qSmemIn,
             dstRow0, cfg.chunk, cfg.dk, tile);
  if (kv) {
    copyTile(tokens, kMem, kBase, kStride, row0, rowEnd, Value(), kSmemIn,
             dstRow0, cfg.chunk, cfg.dk, tile);
    copyTile(tokens, vMem, vBase, vStride, row0, rowEnd, Value(), vSmem,
             dstRow0, cfg.chunk, cfg.valueTile, tile);
  }
  // The gate tile has twice the pieces of Q per thread: copied by rows, or
  // its 16 addresses per thread spill (408 B at Dk = 128). Q, K and V keep
  // the interleaved copies: by rows they measured 4-8% slower.
  if (cfg.channelGate)
    copyTileByRows(tokens, gateMem, gateBase, gateStride, row0, rowEnd,
                   gateSmem, dstRow0, cfg.chunk, cfg.dk);
  return target.asyncCommit(b, loc, tokens);
}

void ChunkedEmitter::startChunks(bool q, bool kv) {
  if (cfg.decay) {
    scanGates(loadGates(mul(chunkBegin, c(cfg.chunk))), stageOf(chunkBegin));
    // The warpgroup output loop reads G before its first barrier.
    if (cfg.warpgroup)
      target.barrier(b, loc);
  }
  // The first B - 1 chunks, a group each.
  group0 = issueChunk(chunkBegin, stageOf(chunkBegin), q, kv);
  for (int64_t ahead = 1; ahead + 1 < cfg.buffers; ++ahead) {
    Value ch = add(chunkBegin, c(ahead));
    issueChunk(ch, stageOf(ch), q, kv);
  }
}

ChunkedEmitter::ChunkStep
ChunkedEmitter::beginChunk(Value ch, bool q, bool kv,
                           function_ref<void(Value stage)> landed,
                           int64_t gatesAhead) {
  ChunkStep step;
  step.stage = stageOf(ch);
  step.other = stageOf(add(ch, c(1)));
  step.t0 = mul(ch, c(cfg.chunk));
  // Chunk ch has landed (with its S and G) and every warp is done with
  // chunk ch - 1, whose buffers receive chunk ch + 1.
  target.asyncWait(b, loc, group0, cfg.buffers - 2);
  if (landed)
    landed(step.stage);
  if (cfg.warpgroup)
    publishShared();
  else
    target.barrier(b, loc);
  // Chunk ch + B - 1 into the buffer of chunk ch - 1.
  Value ahead = add(ch, c(cfg.buffers - 1));
  issueChunk(ahead, stageOf(ahead), q, kv);
  // The next chunk's log-gates, in flight during this chunk.
  if (cfg.decay)
    step.nextGates = loadGates(add(step.t0, c(gatesAhead * cfg.chunk)));
  if (cfg.map != FeatureMap::identity) {
    Value valid = validRowsOf(step.t0);
    if (cfg.widening) {
      applyWideningMap(step.stage, q, kv, valid);
    } else {
      if (q)
        applyMap(qSmemIn, step.stage, valid);
      if (kv)
        applyMap(kSmemIn, step.stage, valid);
    }
    target.barrier(b, loc);
  }
  if (cfg.channelGate) {
    step.channelLogDecay = prepareChannelGates(step.stage, q, kv);
    target.barrier(b, loc);
  }
  return step;
}

Value ChunkedEmitter::prepareChannelGates(Value stage, bool q, bool kv) {
  Value channel = threadId;
  Value row0 = mul(stage, c(cfg.chunk));
  auto expOf = [&](Value x) { return exp2(mulf(x, f(kLog2E))); };
  // Rewrites element (row, channel) of `in` as `out` (operand type) times
  // exp(x).
  auto rescale = [&](Value in, Value out, Value row, Value x) {
    Value loaded = memref::LoadOp::create(b, loc, in, ValueRange{row, channel});
    Value v = castTo(b.getF32Type(), loaded);
    memref::StoreOp::create(b, loc, castTo(cfg.operandType, mulf(v, expOf(x))),
                            out, ValueRange{row, channel});
  };
  auto body = [&]() -> Value {
    // G of the channel, a running sum from the chunk's first token (plus
    // the scalar decays' G); E[J + 1] = G at the last row of block J.
    Value gc = f(0.0);
    SmallVector<Value> e{f(0.0)};
    for (int64_t blk = 0; blk < cfg.blocks; ++blk) {
      SmallVector<Value> g;
      for (int64_t r = 0; r < shape.m; ++r) {
        int64_t t = blk * shape.m + r;
        Value row = add(row0, c(t));
        Value raw =
            memref::LoadOp::create(b, loc, gateSmem, ValueRange{row, channel});
        if (!cfg.gateType.isF32())
          raw = arith::ExtFOp::create(b, loc, b.getF32Type(), raw);
        gc = addf(gc, raw);
        g.push_back(cfg.decay ? addf(gc, loadG(stage, c(t))) : gc);
        // Q^_i = phi(q_i) exp(G_i - E_{w-1}) <= phi(q_i).
        if (q)
          rescale(qSmemIn, qSmem, row, subf(g.back(), e.back()));
      }
      // K~_j = phi(k_j) exp(E_J - G_j) <= phi(k_j).
      if (kv)
        for (int64_t r = 0; r < shape.m; ++r)
          rescale(kSmemIn, kSmem, add(row0, c(blk * shape.m + r)),
                  subf(g.back(), g[r]));
      e.push_back(g.back());
    }
    // T[a][b] = exp(E_a - E_b); above 1 only for b > a (an earlier block's
    // E over a later one's), clamped so that Q^ T stays finite.
    for (int64_t a = 0; a <= cfg.blocks; ++a)
      for (int64_t bb = 0; bb <= cfg.blocks; ++bb) {
        Value x = arith::MinimumFOp::create(b, loc, subf(e[a], e[bb]),
                                            f(kMaxGateExponent));
        memref::StoreOp::create(
            b, loc, expOf(x), tableSmem,
            ValueRange{c(a * (cfg.blocks + 1) + bb), channel});
      }
    return e.back();
  };
  if (cfg.dk == cfg.threads)
    return body();
  auto ifOp =
      scf::IfOp::create(b, loc, TypeRange{b.getF32Type()},
                        cmpi(arith::CmpIPredicate::ult, channel, c(cfg.dk)),
                        /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, body());
  b.setInsertionPointToStart(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, f(0.0));
  return ifOp.getResult(0);
}

void ChunkedEmitter::applyMap(Value tile, Value stage, Value validRows) {
  applyFeatureMapInShared(b, loc, target, cfg.map, tile,
                          mul(stage, c(cfg.chunk)), cfg.chunk, cfg.dk,
                          validRows, threadId, cfg.threads);
}

void ChunkedEmitter::applyWideningMap(Value stage, bool q, bool kv,
                                      Value validRows) {
  if (cfg.map == FeatureMap::hedgehog)
    return projectHedgehog(stage, q, kv, validRows);
  // K's rows follow Q's buffers in both the staging and the phi tiles.
  Value row0 = mul(stage, c(cfg.chunk));
  Value kRow0 = add(row0, c(cfg.buffers * cfg.chunk));
  SmallVector<Taylor2Job> jobs;
  if (q)
    jobs.push_back({row0, phiRow0(stage)});
  if (kv)
    jobs.push_back({kRow0, add(phiRow0(stage), c(cfg.phiBuffers * cfg.chunk))});
  applyTaylor2FeatureMap(b, loc, stagingSmem, phiSmem, jobs, cfg.chunk, cfg.dk,
                         cfg.fk, validRows, threadId, cfg.threads);
}

void ChunkedEmitter::projectHedgehog(Value stage, bool q, bool kv,
                                     Value validRows) {
  int64_t half = cfg.features / 2;
  int64_t nTiles = half / shape.n;
  int64_t n = target.getCFragmentSize();
  Value inRow = add(mul(stage, c(cfg.chunk)), warpRow0);
  Value outRow0 = add(phiRow0(stage), warpRow0);
  SmallVector<Value> valid;
  for (int64_t h = 0; h < 2; ++h)
    valid.push_back(cmpi(arith::CmpIPredicate::slt, add(warpRow0, rowOf[2 * h]),
                         validRows));
  auto project = [&](Value in, Value outRow, Value wRow0) {
    // y = x W for the warp's 16 rows.
    SmallVector<Value> y(nTiles, zeroFragment());
    for (int64_t kk = 0; kk < cfg.dk / shape.k; ++kk) {
      Value a =
          target.loadAFragment(b, loc, in, inRow, c(kk * shape.k), laneId);
      for (int64_t nd = 0; nd < nTiles; nd += 2) {
        auto [b0, b1] = target.loadBFragmentsFromColumns(
            b, loc, weightsSmem, add(wRow0, c(kk * shape.k)), c(nd * shape.n),
            laneId);
        y[nd] = target.mma(b, loc, a, b0, y[nd]);
        y[nd + 1] = target.mma(b, loc, a, b1, y[nd + 1]);
      }
    }
    // Per row (half h of a fragment: rows g and g + 8), softmax(y) and
    // softmax(-y), each from its own maximum over the quad.
    SmallVector<Value> hi(2), negLo(2);
    for (Value frag : y)
      for (int64_t e = 0; e < n; ++e) {
        int64_t h = target.getCPosition(e)[0];
        Value v = elem(frag, e);
        Value neg = arith::NegFOp::create(b, loc, v);
        hi[h] = hi[h] ? maxf(hi[h], v) : v;
        negLo[h] = negLo[h] ? maxf(negLo[h], neg) : neg;
      }
    for (int64_t h = 0; h < 2; ++h) {
      hi[h] = quadReduce(hi[h], /*isMax=*/true);
      negLo[h] = quadReduce(negLo[h], /*isMax=*/true);
    }
    // One softmax at a time (fewer live registers): exp(y - max y), then
    // exp(-y - max(-y)), both <= 1, so each row's sum is >= 1. Rows past the
    // end become 0. Pairs of adjacent columns are stored as one word:
    // phi[:F'] then phi[F':].
    for (bool negative : {false, true}) {
      SmallVector<Value> vals;
      SmallVector<Value> sums(2, f(0.0));
      for (Value frag : y) {
        SmallVector<Value> ex;
        for (int64_t e = 0; e < n; ++e) {
          int64_t h = target.getCPosition(e)[0];
          Value v = elem(frag, e);
          Value arg = negative ? mulf(addf(v, negLo[h]), f(-kLog2E))
                               : mulf(subf(v, hi[h]), f(kLog2E));
          ex.push_back(exp2(arg));
          sums[h] = addf(sums[h], ex.back());
        }
        vals.push_back(fromElems(ex));
      }
      SmallVector<Value> inverse(2);
      for (int64_t h = 0; h < 2; ++h)
        inverse[h] =
            select(valid[h],
                   arith::DivFOp::create(b, loc, f(1.0),
                                         quadReduce(sums[h], /*isMax=*/false)),
                   f(0.0));
      Value scale = rowBroadcast(inverse);
      int64_t col0 = negative ? half : 0;
      for (int64_t nd = 0; nd < nTiles; ++nd) {
        Value scaled = mulf(vals[nd], scale);
        for (int64_t h = 0; h < 2; ++h) {
          Value col = add(c(col0 + nd * shape.n), colOf[2 * h]);
          memref::StoreOp::create(
              b, loc,
              castTo(cfg.elementType,
                     vector::ExtractOp::create(b, loc, scaled,
                                               ArrayRef<int64_t>{h})),
              phiPairs,
              ValueRange{add(outRow, rowOf[2 * h]),
                         arith::DivUIOp::create(b, loc, col, c(2))});
        }
      }
    }
  };
  if (q)
    project(qSmemIn, outRow0, c(0));
  if (kv)
    project(kSmemIn, add(outRow0, c(cfg.phiBuffers * cfg.chunk)), c(cfg.dk));
}

void ChunkedEmitter::loadMapWeights(Value kvHead) {
  // Rows [0, Dk) of the tile: W[h] of the query head; [Dk, 2 Dk): W[h_kv]
  // of the key head ([H, Dk, F'] row-major in memory), narrowed to the
  // element type, the product's operand type.
  auto [wq, wk] = epi.getFeatureWeights();
  int64_t half = cfg.features / 2;
  int64_t perHead = cfg.dk * half;
  auto loadFrom = [&](const SideInput *w, Value head, Value idx) -> Value {
    Value x = memref::LoadOp::create(
        b, loc, w->memref, ValueRange{add(mul(head, c(perHead)), idx)});
    return castTo(cfg.elementType, x);
  };
  forEachThreadItem(2 * perHead, [&](Value idx) {
    Value isKey = cmpi(arith::CmpIPredicate::uge, idx, c(perHead));
    Value local = arith::RemUIOp::create(b, loc, idx, c(perHead));
    auto ifOp = scf::IfOp::create(
        b, loc, isKey,
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, loadFrom(wk, kvHead, local));
        },
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, loadFrom(wq, headIdx, local));
        });
    Value row = arith::DivUIOp::create(b, loc, idx, c(half));
    Value col = arith::RemUIOp::create(b, loc, idx, c(half));
    memref::StoreOp::create(b, loc, ifOp.getResult(0), weightsSmem,
                            ValueRange{row, col});
  });
  // The Q and K tiles' columns [F, F padded) are never written: zeros.
  int64_t words = cfg.phiBuffers * cfg.chunk * (cfg.fk + kRowPad) *
                  (cfg.elementType.getIntOrFloatBitWidth() / 16);
  Value zero = arith::ConstantIntOp::create(b, loc, 0, 32);
  forEachThreadItem(words, [&](Value idx) {
    memref::StoreOp::create(b, loc, zero, phiWordsFlat, ValueRange{idx});
  });
}

SmallVector<Value> ChunkedEmitter::loadGates(Value t0) {
  SmallVector<Value> gates;
  int64_t perLane = cfg.chunk / target.getWarpSize();
  for (int64_t e = 0; e < perLane; ++e) {
    Value t = add(t0, add(mul(laneId, c(perLane)), c(e)));
    Value inRange = cmpi(arith::CmpIPredicate::slt, t, rowEnd);
    // Tokens past the end (of the segment) have g = 0: they change no
    // running sum.
    auto ifOp = scf::IfOp::create(
        b, loc, inRange,
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc,
                               epi.tokenLogGate(b, loc, batchIdx, headIdx, t));
        },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, f(0.0)); });
    gates.push_back(ifOp.getResult(0));
  }
  return gates;
}

void ChunkedEmitter::scanGates(ArrayRef<Value> gates, Value stage) {
  Value isWarp0 = cmpi(arith::CmpIPredicate::eq, warpId, c(0));
  scf::IfOp::create(b, loc, isWarp0, [&](OpBuilder &, Location) {
    // Lane-local inclusive sums, then an inclusive scan of the lane totals
    // by xor shuffles (prefix and total per butterfly step).
    SmallVector<Value> local;
    Value running = f(0.0);
    for (Value g : gates) {
      running = addf(running, g);
      local.push_back(running);
    }
    Value total = running, prefix = running;
    for (int64_t d = 1; d < target.getWarpSize(); d *= 2) {
      Value other = target.shuffleXor(b, loc, total, d);
      Value takes = cmpi(arith::CmpIPredicate::ne,
                         arith::AndIOp::create(b, loc, laneId, c(d)), c(0));
      prefix = select(takes, addf(prefix, other), prefix);
      total = addf(total, other);
    }
    Value exclusive = subf(prefix, running);
    int64_t perLane = static_cast<int64_t>(gates.size());
    for (int64_t e = 0; e < perLane; ++e)
      memref::StoreOp::create(
          b, loc, addf(exclusive, local[e]), gSmem,
          ValueRange{add(mul(stage, c(cfg.chunk)),
                         add(mul(laneId, c(perLane)), c(e)))});
    scf::YieldOp::create(b, loc);
  });
}

SmallVector<Value>
ChunkedEmitter::queryProducts(Value stage, Value sStage,
                              SmallVectorImpl<Value> *scores,
                              function_ref<int64_t()> whileInFlight) {
  if (cfg.warpgroup) {
    // Q K^T and Q S, both issued before either is waited for.
    int64_t eb = cfg.elementType.getIntOrFloatBitWidth() / 8;
    TargetInfo::OperandTile q{
        stageAddress(qAddr, stage, tileBytes(cfg.chunk, cfg.fk)), cfg.chunk};
    SmallVector<Value> rowBlock{c(0)};
    SmallVector<Value> scoreProducts;
    if (scores)
      scoreProducts = target.issueWarpgroupMatmul(
          b, loc, cfg.elementType, q, rowBlock,
          {stageAddress(kAddr, stage, tileBytes(cfg.chunk, cfg.fk)), cfg.chunk},
          cfg.chunk, cfg.fk, {});
    SmallVector<Value> stateTermProducts = target.issueWarpgroupMatmul(
        b, loc, cfg.elementType, q, rowBlock,
        {add(sAddr, mul(sStage, c(cfg.fk * cfg.augTile * eb))), cfg.fk,
         /*kMajor=*/false},
        cfg.augTile, cfg.fk, {});
    target.warpgroupWait(b, loc, whileInFlight ? whileInFlight() : 0);
    if (scores)
      *scores = std::move(
          target.getWarpgroupFragments(b, loc, scoreProducts, cfg.chunk)[0]);
    return std::move(target.getWarpgroupFragments(b, loc, stateTermProducts,
                                                  cfg.augTile)[0]);
  }
  int64_t keyTiles = cfg.chunk / shape.n;
  SmallVector<Value> acc(augTiles, zeroFragment());
  if (scores)
    scores->assign(keyTiles, zeroFragment());
  // Taylor-2's inner product has a closed form, <phi(q), phi(k)> = 1 + t +
  // t^2 / 2 with t = q.k / sqrt(Dk): the scores from the staging tiles over
  // Dk (1 k step at Dk = 16 instead of 20 over F padded). Rows past the end
  // were copied as zeros, so their scores are finite (and masked).
  bool closedForm = scores && cfg.map == FeatureMap::taylor2;
  if (closedForm) {
    Value qRowIn = add(mul(stage, c(cfg.chunk)), warpRow0);
    Value kRowIn = mul(stage, c(cfg.chunk));
    for (int64_t kk = 0; kk < cfg.dk / shape.k; ++kk) {
      Value a = target.loadAFragment(b, loc, qSmemIn, qRowIn, c(kk * shape.k),
                                     laneId);
      for (int64_t nb = 0; nb < keyTiles; nb += 2) {
        auto [b0, b1] = target.loadBFragmentsFromRows(
            b, loc, kSmemIn, add(kRowIn, c(nb * shape.n)), c(kk * shape.k),
            laneId);
        (*scores)[nb] = target.mma(b, loc, a, b0, (*scores)[nb]);
        (*scores)[nb + 1] = target.mma(b, loc, a, b1, (*scores)[nb + 1]);
      }
    }
    Value invSqrt = vector::BroadcastOp::create(
        b, loc, cType, f(1.0 / std::sqrt(static_cast<double>(cfg.dk))));
    Value half = vector::BroadcastOp::create(b, loc, cType, f(0.5));
    Value one = vector::BroadcastOp::create(b, loc, cType, f(1.0));
    for (Value &sc : *scores) {
      Value t = mulf(sc, invSqrt);
      sc = addf(one, mulf(t, addf(one, mulf(half, t))));
    }
  }
  Value qRow = add(phiRow0(stage), warpRow0);
  Value kRow0 = phiRow0(stage);
  for (int64_t kk = 0; kk < cfg.fk / shape.k; ++kk) {
    Value a =
        target.loadAFragment(b, loc, qSmem, qRow, c(kk * shape.k), laneId);
    // Per-channel gate: Q^ times T[w-1][J] against key block J, times
    // T[w-1][-1] against the state.
    auto scaled = [&](int64_t bIdx, Type resultType) {
      if (!cfg.channelGate)
        return a;
      return target.scaleAFragment(
          b, loc, a, laneId, {},
          [&](Value col) {
            return loadFactor(sub(warpId, c(1)), bIdx,
                              add(c(kk * shape.k), col));
          },
          resultType);
    };
    if (scores && !closedForm) {
      for (int64_t nb = 0; nb < keyTiles; nb += 2) {
        auto [b0, b1] = target.loadBFragmentsFromRows(
            b, loc, kSmem, add(kRow0, c(nb * shape.n)), c(kk * shape.k),
            laneId);
        Value aKeys = scaled(nb * shape.n / shape.m, cfg.operandType);
        (*scores)[nb] = target.mma(b, loc, aKeys, b0, (*scores)[nb]);
        (*scores)[nb + 1] = target.mma(b, loc, aKeys, b1, (*scores)[nb + 1]);
      }
    }
    // q exp(G_i) <= q: in the element type, like the shared S.
    Value aState = scaled(-1, cfg.elementType);
    for (int64_t nd = 0; nd < augTiles; nd += 2) {
      auto [b0, b1] = target.loadBFragmentsFromColumns(
          b, loc, sSmem, add(mul(sStage, c(cfg.fk)), c(kk * shape.k)),
          c(nd * shape.n), laneId);
      acc[nd] = target.mma(b, loc, aState, b0, acc[nd]);
      acc[nd + 1] = target.mma(b, loc, aState, b1, acc[nd + 1]);
    }
  }
  return acc;
}

ChunkedEmitter::ChunkFactors ChunkedEmitter::chunkFactors(Value stage) {
  int64_t n = target.getCFragmentSize();
  ChunkFactors factors;
  // In base 2, a positive scale joins the row's exponent as log2(scale).
  bool foldScale = cfg.scale > 0.0;
  Value log2Scale = f(foldScale ? std::log2(cfg.scale) : 0.0);
  auto scaled = [&](Value x) { return foldScale ? x : mulf(x, f(cfg.scale)); };
  // Row factors of the state term: scale * exp(G_i) = exp2 of the row term
  // G_i log2(e) + log2(scale).
  SmallVector<Value> rowTerm(2), rowFactor(2);
  for (int64_t h = 0; h < 2; ++h) {
    Value i = add(warpRow0, rowOf[2 * h]);
    if (cfg.scalarDecayOnly()) {
      rowTerm[h] = addf(mulf(loadG(stage, i), f(kLog2E)), log2Scale);
      rowFactor[h] = scaled(exp2(rowTerm[h]));
    } else {
      rowFactor[h] = f(cfg.scale);
    }
  }
  factors.rows = rowBroadcast(rowFactor);
  // scale * causal decay, element by element.
  for (int64_t nb = 0; nb < cfg.chunk / shape.n; ++nb) {
    SmallVector<Value> elems;
    // G_j log2(e) of the fragment's two columns.
    SmallVector<Value, 2> colTerm(2);
    for (int64_t e = 0; e < n; ++e) {
      SmallVector<int64_t, 2> pos = target.getCPosition(e);
      Value i = add(warpRow0, rowOf[e]);
      Value j = add(c(nb * shape.n), colOf[e]);
      Value keep = cmpi(arith::CmpIPredicate::sle, j, i);
      if (cfg.scalarDecayOnly()) {
        Value &gj = colTerm[pos[1]];
        if (!gj)
          gj = mulf(loadG(stage, j), f(kLog2E));
        // exp(G_i - G_j) <= 1 on the visible triangle; 0 above it.
        Value diff = select(keep, subf(rowTerm[pos[0]], gj), f(-INFINITY));
        elems.push_back(scaled(exp2(diff)));
      } else {
        elems.push_back(select(keep, f(cfg.scale), f(0.0)));
      }
    }
    factors.scores.push_back(fromElems(elems));
  }
  return factors;
}

SmallVector<Value> ChunkedEmitter::weighChunk(const ChunkFactors &factors,
                                              SmallVectorImpl<Value> &acc,
                                              ArrayRef<Value> scores) {
  for (Value &a : acc)
    a = mulf(a, factors.rows);
  SmallVector<Value> weights;
  for (auto [s, factor] : llvm::zip(scores, factors.scores))
    weights.push_back(mulf(s, factor));
  return weights;
}

void ChunkedEmitter::addIntraChunk(Value stage, SmallVectorImpl<Value> &acc,
                                   ArrayRef<Value> weights) {
  Value vRow0 = mul(stage, c(cfg.chunk));
  for (int64_t kk = 0; kk < cfg.chunk / shape.k; ++kk) {
    Value pA = target.accumulatorsToAFragment(
        b, loc, weights[2 * kk], weights[2 * kk + 1], cfg.elementType);
    for (int64_t nd = 0; nd < augTiles; nd += 2) {
      auto [b0, b1] = target.loadBFragmentsFromColumns(
          b, loc, vSmem, add(vRow0, c(kk * shape.k)), c(nd * shape.n), laneId);
      acc[nd] = target.mma(b, loc, pA, b0, acc[nd]);
      acc[nd + 1] = target.mma(b, loc, pA, b1, acc[nd + 1]);
    }
  }
}

void ChunkedEmitter::storeChunkWeights(ArrayRef<Value> weights) {
  // C elements (h, 0) and (h, 1): row g + 8 h, columns 2 t, 2 t + 1 of the
  // 8 keys of fragment nb.
  for (auto [nb, w] : llvm::enumerate(weights))
    for (int64_t h = 0; h < 2; ++h) {
      Value row = add(warpRow0, rowOf[2 * h]);
      Value at = add(target.getOperandTileOffset(b, loc, row, c(nb * shape.n),
                                                 cfg.chunk, cfg.chunk),
                     colOf[2 * h]);
      memref::StoreOp::create(
          b, loc,
          packPair(vector::ExtractOp::create(b, loc, w, ArrayRef<int64_t>{h})),
          pWords, ValueRange{arith::DivUIOp::create(b, loc, at, c(2))});
    }
}

void ChunkedEmitter::storeOutput(ArrayRef<Value> accIn, Value t0) {
  int64_t n = target.getCFragmentSize();
  SmallVector<Value> o(accIn.begin(), accIn.begin() + valueTiles);
  if (cfg.sum) {
    // The denominator is output column valueTile: element (h, col 0) of
    // n tile valueTiles, summed over the quad (the other columns are 0).
    Value den = accIn[valueTiles];
    SmallVector<Value> factor(2);
    for (int64_t h = 0; h < 2; ++h) {
      Value part = f(0.0);
      for (int64_t e = 0; e < n; ++e)
        if (target.getCPosition(e)[0] == h)
          part = addf(part, elem(den, e));
      Value d = quadSum(part);
      Value nonZero =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, d, f(0.0));
      // A zero denominator gives o = 0, never NaN (docs/semantics.md §6).
      factor[h] =
          select(nonZero, arith::DivFOp::create(b, loc, f(1.0), d), f(0.0));
    }
    Value factorVec = rowBroadcast(factor);
    for (Value &v : o)
      v = mulf(v, factorVec);
  }
  if (cfg.norm)
    applyOutputNorm(o, *cfg.norm, cfg.normEps, cfg.dv);
  if (outputTile) {
    // The warp's pairs to its staging tile, then its rows in 16-byte pieces.
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t nd = 0; nd < valueTiles; ++nd)
        stagePair(
            *outputTile, rowOf[2 * h], add(c(nd * shape.n), colOf[2 * h]),
            vector::ExtractOp::create(b, loc, o[nd], ArrayRef<int64_t>{h}));
    target.warpSync(b, loc);
    copyStagedRows(*outputTile, oMem, oBase, oStride, add(t0, warpRow0), seqLen,
                   laneId, target.getWarpSize());
    target.warpSync(b, loc);
    return;
  }
  for (int64_t h = 0; h < 2; ++h) {
    int64_t e0 = 2 * h;
    Value row = add(t0, add(warpRow0, rowOf[e0]));
    Value inRange = cmpi(arith::CmpIPredicate::slt, row, seqLen);
    scf::IfOp::create(b, loc, inRange, [&](OpBuilder &, Location) {
      Value rowBase = add(oBase, mul(row, oStride));
      for (int64_t nd = 0; nd < valueTiles; ++nd) {
        Value pair =
            vector::ExtractOp::create(b, loc, o[nd], ArrayRef<int64_t>{h});
        Value narrow = castTo(cfg.elementType, pair);
        Value col = add(c(nd * shape.n), colOf[e0]);
        // An even column of a 16-byte aligned row (checked by the
        // runtime): one 32-bit store.
        vector::StoreOp::create(b, loc, narrow, oMem,
                                ValueRange{add(rowBase, col)},
                                /*nontemporal=*/false, llvm::Align(4));
      }
      scf::YieldOp::create(b, loc);
    });
  }
}

Value ChunkedEmitter::decayState(MutableArrayRef<Value> state, Value stage) {
  Value gLast;
  if (cfg.scalarDecayOnly()) {
    gLast = loadG(stage, c(cfg.chunk - 1));
    Value z = exp2(mulf(gLast, f(kLog2E)));
    Value zVec = vector::BroadcastOp::create(b, loc, cType, z);
    for (Value &s : state)
      s = mulf(s, zVec);
  }
  // Per-channel gate: row c of S decays by T[last][-1] = exp(G_last,c).
  Value lastBlock = c(cfg.blocks - 1);
  if (cfg.channelGate)
    scaleStateRows(state,
                   [&](Value row) { return loadFactor(lastBlock, -1, row); });
  return gLast;
}

Value ChunkedEmitter::decayedValues(Value stage, Value gLast) {
  int64_t eb = cfg.elementType.getIntOrFloatBitWidth() / 8;
  Value values = stageAddress(vAddr, stage, tileBytes(cfg.chunk, cfg.augTile));
  if (!cfg.scalarDecayOnly())
    return values;
  // One 16-byte piece of a row at a time: V and V~ are tiles of the same
  // shape, so a piece sits at the same offset in both. The pieces are
  // those the thread copied (copyTile's order), so that it may rewrite them
  // as soon as its own copies landed.
  assert(cfg.augTile == cfg.valueTile && "V~ pieces follow V's copies");
  int64_t per = target.getAsyncCopyBytes() / eb;
  int64_t perRow = cfg.augTile / per;
  int64_t pieces = cfg.chunk * perRow;
  auto pieceType = VectorType::get({per}, cfg.elementType);
  Value stageBase = mul(stage, c(cfg.chunk * cfg.augTile / per));
  forEachThreadItem(pieces, [&](Value piece) {
    Value r = arith::DivUIOp::create(b, loc, piece, c(perRow));
    Value col = mul(arith::RemUIOp::create(b, loc, piece, c(perRow)), c(per));
    Value at =
        add(stageBase,
            arith::DivUIOp::create(b, loc,
                                   target.getOperandTileOffset(
                                       b, loc, r, col, cfg.chunk, cfg.augTile),
                                   c(per)));
    Value v = memref::LoadOp::create(b, loc, vPieces, ValueRange{at});
    // The factor (<= 1) in the element type, V~ by packed multiplies.
    Value factor = arith::TruncFOp::create(
        b, loc, cfg.elementType,
        exp2(mulf(subf(gLast, loadG(stage, r)), f(kLog2E))));
    Value scaled =
        mulf(v, vector::BroadcastOp::create(b, loc, pieceType, factor));
    memref::StoreOp::create(b, loc, scaled, decayedPieces, ValueRange{at});
  });
  return stageAddress(decayedAddr, stage, tileBytes(cfg.chunk, cfg.augTile));
}

SmallVector<Value> ChunkedEmitter::issueStateUpdate(ArrayRef<Value> state,
                                                    Value stage, Value values) {
  // A = K^T: K's tile read transposed, one 64-row block of S per 64 of its
  // columns.
  SmallVector<Value> rowBlocks;
  SmallVector<SmallVector<Value>> acc;
  int64_t blockRows = shape.m * cfg.warps;
  for (int64_t mt = 0; mt < stateMTiles; ++mt) {
    rowBlocks.push_back(c(mt * blockRows));
    acc.emplace_back(state.begin() + stateAt(mt, 0),
                     state.begin() + stateAt(mt, augTiles));
  }
  return target.issueWarpgroupMatmul(
      b, loc, cfg.elementType,
      {stageAddress(kAddr, stage, tileBytes(cfg.chunk, cfg.fk)), cfg.chunk,
       /*kMajor=*/false},
      rowBlocks, {values, cfg.chunk, /*kMajor=*/false}, cfg.augTile, cfg.chunk,
      acc);
}

Value ChunkedEmitter::updateState(SmallVectorImpl<Value> &state, Value stage) {
  Value gLast = decayState(state, stage);
  if (cfg.warpgroup) {
    Value values = decayedValues(stage, gLast);
    if (cfg.scalarDecayOnly())
      publishShared();
    SmallVector<Value> products = issueStateUpdate(state, stage, values);
    target.warpgroupWait(b, loc, 0);
    state.assign(
        flatten(target.getWarpgroupFragments(b, loc, products, cfg.augTile)));
    return gLast;
  }
  Value lastBlock = c(cfg.blocks - 1);
  Value keys = kSmem, keyRow0 = phiRow0(stage);
  Value vRow0 = mul(stage, c(cfg.chunk));
  for (int64_t kk = 0; kk < cfg.chunk / shape.k; ++kk) {
    SmallVector<Value> a;
    for (int64_t mt = 0; mt < stateMTiles; ++mt) {
      Value frag = target.loadAFragmentFromColumns(
          b, loc, keys, add(keyRow0, c(kk * shape.k)), stateTileRow(mt),
          laneId);
      // K~ = K exp(G_last - G_j): A's columns are the chunk's tokens j.
      if (cfg.scalarDecayOnly())
        frag = target.scaleAFragment(b, loc, frag, laneId, {}, [&](Value col) {
          Value g = loadG(stage, add(c(kk * shape.k), col));
          return exp2(mulf(subf(gLast, g), f(kLog2E)));
        });
      // Per-channel gate: K~ of block kk (its A rows are channels) times
      // T[last][kk], back to V's type.
      if (cfg.channelGate)
        frag = target.scaleAFragment(
            b, loc, frag, laneId,
            [&](Value row) {
              return loadFactor(lastBlock, kk * shape.k / shape.m,
                                add(stateTileRow(mt), row));
            },
            {}, cfg.elementType);
      a.push_back(frag);
    }
    for (int64_t nd = 0; nd < augTiles; nd += 2) {
      auto [b0, b1] = target.loadBFragmentsFromColumns(
          b, loc, vSmem, add(vRow0, c(kk * shape.k)), c(nd * shape.n), laneId);
      for (int64_t mt = 0; mt < stateMTiles; ++mt) {
        Value &s0 = state[stateAt(mt, nd)];
        Value &s1 = state[stateAt(mt, nd + 1)];
        s0 = target.mma(b, loc, a[mt], b0, s0);
        s1 = target.mma(b, loc, a[mt], b1, s1);
      }
    }
  }
  return gLast;
}

void ChunkedEmitter::writeSharedState(ArrayRef<Value> state, Value sStage) {
  if (cfg.warpgroup) {
    // S [Dk][aug] as an operand tile (Dk is k of Q S), pairs as words.
    Value base = mul(sStage, c(cfg.fk * cfg.augTile));
    for (int64_t mt = 0; mt < stateMTiles; ++mt)
      for (int64_t nt = 0; nt < augTiles; ++nt)
        for (int64_t h = 0; h < 2; ++h) {
          Value row = add(stateTileRow(mt), rowOf[2 * h]);
          Value at = add(target.getOperandTileOffset(
                             b, loc, row, c(nt * shape.n), cfg.fk, cfg.augTile),
                         colOf[2 * h]);
          memref::StoreOp::create(
              b, loc,
              packPair(vector::ExtractOp::create(b, loc, state[stateAt(mt, nt)],
                                                 ArrayRef<int64_t>{h})),
              sWords,
              ValueRange{arith::DivUIOp::create(b, loc, add(base, at), c(2))});
        }
    return;
  }
  for (int64_t mt = 0; mt < stateMTiles; ++mt)
    for (int64_t nt = 0; nt < augTiles; ++nt)
      for (int64_t h = 0; h < 2; ++h) {
        Value pair = vector::ExtractOp::create(b, loc, state[stateAt(mt, nt)],
                                               ArrayRef<int64_t>{h});
        Value row =
            add(mul(sStage, c(cfg.fk)), add(stateTileRow(mt), rowOf[2 * h]));
        Value col = add(c(nt * shape.n), colOf[2 * h]);
        memref::StoreOp::create(
            b, loc, castTo(cfg.elementType, pair), sVec2,
            ValueRange{row, arith::DivUIOp::create(b, loc, col, c(2))});
      }
}

SmallVector<Value> ChunkedEmitter::loadStateTile(Value mem, Value base,
                                                 int64_t rowLength, Value col0,
                                                 int64_t tiles,
                                                 std::optional<int64_t> rows) {
  SmallVector<Value> state(stateMTiles * augTiles, zeroFragment());
  auto pairType = VectorType::get({2}, b.getF32Type());
  bool guard = rows && *rows < cfg.fk;
  for (int64_t mt = 0; mt < stateMTiles; ++mt)
    for (int64_t nt = 0; nt < tiles; ++nt) {
      Value frag = state[stateAt(mt, nt)];
      for (int64_t h = 0; h < 2; ++h) {
        Value row = add(stateTileRow(mt), rowOf[2 * h]);
        Value col = add(col0, add(c(nt * shape.n), colOf[2 * h]));
        Value at = add(base, add(mul(row, c(rowLength)), col));
        auto load = [&] {
          return vector::LoadOp::create(b, loc, pairType, mem, ValueRange{at})
              .getResult();
        };
        Value pair;
        if (guard) {
          auto ifOp = scf::IfOp::create(
              b, loc, cmpi(arith::CmpIPredicate::ult, row, c(*rows)),
              [&](OpBuilder &, Location) {
                scf::YieldOp::create(b, loc, load());
              },
              [&](OpBuilder &, Location) {
                scf::YieldOp::create(b, loc,
                                     arith::ConstantOp::create(
                                         b, loc,
                                         DenseElementsAttr::get(
                                             pairType, b.getF32FloatAttr(0.0)))
                                         .getResult());
              });
          pair = ifOp.getResult(0);
        } else {
          pair = load();
        }
        frag =
            vector::InsertOp::create(b, loc, pair, frag, ArrayRef<int64_t>{h});
      }
      state[stateAt(mt, nt)] = frag;
    }
  return state;
}

void ChunkedEmitter::storeStateTile(ArrayRef<Value> state, Value mem,
                                    Value base, int64_t rowLength, Value col0,
                                    int64_t tiles,
                                    std::optional<int64_t> rows) {
  bool guard = rows && *rows < cfg.fk;
  for (int64_t mt = 0; mt < stateMTiles; ++mt)
    for (int64_t nt = 0; nt < tiles; ++nt)
      for (int64_t h = 0; h < 2; ++h) {
        Value pair = vector::ExtractOp::create(b, loc, state[stateAt(mt, nt)],
                                               ArrayRef<int64_t>{h});
        Value row = add(stateTileRow(mt), rowOf[2 * h]);
        Value col = add(col0, add(c(nt * shape.n), colOf[2 * h]));
        auto store = [&] {
          vector::StoreOp::create(
              b, loc, pair, mem,
              ValueRange{add(base, add(mul(row, c(rowLength)), col))});
        };
        if (!guard) {
          store();
          continue;
        }
        scf::IfOp::create(b, loc,
                          cmpi(arith::CmpIPredicate::ult, row, c(*rows)),
                          [&](OpBuilder &, Location) {
                            store();
                            scf::YieldOp::create(b, loc);
                          });
      }
}

KernelInfo ChunkedEmitter::emit() {
  cType = target.getCFragmentType(b.getContext());
  elementType = cfg.elementType;
  threads = cfg.threads;
  shape = target.getMatrixOpShape();
  augTiles = cfg.augTile / shape.n;
  valueTiles = cfg.valueTile / shape.n;
  stateMTiles = cfg.stateRowsPerWarp / shape.m;

  KernelInfo info;
  describeKernel(info, chain, target, epi.describeSideInputs());
  info.algorithm = "chunked";
  info.stateKernelName = info.kernelName + "_segment_states";
  emitKernel(info.stateKernelName, Role::SegmentStates);
  emitKernel(info.kernelName, Role::Outputs);
  if (cfg.rowNorm) {
    info.normKernelName = info.kernelName + "_row_norm";
    auto [type, firstScalar] = getKernelType();
    emitRowNormKernel(info.normKernelName, type, firstScalar, cfg.warps,
                      *cfg.rowNorm, cfg.normEps, cfg.dv);
  }
  info.blockM = cfg.chunk;
  info.blockN = cfg.valueTile;
  info.warps = cfg.warps;
  info.stages = cfg.buffers;
  info.sharedBytes = cfg.sharedBytes;
  info.hasInitialState = cfg.hasInitialState;
  info.hasFinalState = cfg.hasFinalState;
  info.featureDim = cfg.hasInitialState || cfg.hasFinalState ? cfg.features : 0;
  info.causal = cfg.causal;
  info.workspaceRows = cfg.fk;
  info.workspaceColumns = cfg.workspaceColumns;
  // The gate's rows are copied in whole async-copy pieces.
  if (const SideInput *gate = epi.getChannelGate())
    info.sideInputs[gate - epi.getSideInputs().data()].alignment =
        target.getAsyncCopyBytes();
  return info;
}

std::pair<FunctionType, size_t> ChunkedEmitter::getKernelType() {
  // Signature (kernel ABI v6, KernelInfo.h); every kernel of the chain takes
  // the same parameters.
  auto flat = [&](Type t) {
    return MemRefType::get({ShapedType::kDynamic}, t);
  };
  SmallVector<Type> params(4, flat(cfg.elementType));
  if (cfg.hasInitialState)
    params.push_back(flat(b.getF32Type()));
  if (cfg.hasFinalState)
    params.push_back(flat(b.getF32Type()));
  for (const SideInput &side : epi.getSideInputs())
    params.push_back(flat(side.memoryElementType));
  params.push_back(flat(b.getF32Type())); // The segment workspace.
  size_t firstScalar = params.size();
  params.append(18, b.getI64Type());
  return {FunctionType::get(b.getContext(), params, {}), firstScalar};
}

void ChunkedEmitter::emitKernel(StringRef name, Role role) {
  auto [type, firstScalar] = getKernelType();
  auto func = gpu::GPUFuncOp::create(b, loc, name, type);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(cfg.threads), 1, 1}));
  Block &entry = func.getBody().front();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&entry);

  qMem = entry.getArgument(0);
  kMem = entry.getArgument(1);
  vMem = entry.getArgument(2);
  oMem = entry.getArgument(3);
  size_t next = 4;
  initialMem = cfg.hasInitialState ? entry.getArgument(next++) : Value();
  finalMem = cfg.hasFinalState ? entry.getArgument(next++) : Value();
  SmallVector<Value> sideMems;
  for (; next + 1 < firstScalar; ++next)
    sideMems.push_back(entry.getArgument(next));
  wsMem = entry.getArgument(next);
  SmallVector<Value> scalars;
  for (size_t i = firstScalar; i < firstScalar + 18; ++i)
    scalars.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                                 entry.getArgument(i)));
  ProblemDims dims{scalars[0], scalars[1], scalars[2], scalars[3], scalars[4]};
  dimsBatch = dims.batch;
  dimsHeads = dims.heads;
  seqLen = dims.keys;
  auto strideOf = [&](int t, int which) { return scalars[5 + 3 * t + which]; };
  numSegments = scalars[17];

  // grid.x = value tile + value tiles * segment.
  Value blockX = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  int64_t numValueTiles = cfg.dv / cfg.valueTile;
  valueTileIdx = arith::RemUIOp::create(b, loc, blockX, c(numValueTiles));
  segmentIdx = arith::DivUIOp::create(b, loc, blockX, c(numValueTiles));
  headIdx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  batchIdx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  threadId = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  laneId = target.getLaneId(b, loc);
  warpId = arith::DivUIOp::create(b, loc, threadId, c(target.getWarpSize()));
  epi.bind(b, loc, sideMems, dims);

  // The CTA's segment: chunks [chunkBegin, chunkEnd) of
  // ceil(chunks / segments) each.
  Value numChunks = arith::CeilDivSIOp::create(b, loc, seqLen, c(cfg.chunk));
  Value perSegment = arith::CeilDivSIOp::create(b, loc, numChunks, numSegments);
  chunkBegin =
      arith::MinSIOp::create(b, loc, mul(segmentIdx, perSegment), numChunks);
  chunkEnd =
      arith::MinSIOp::create(b, loc, add(chunkBegin, perSegment), numChunks);
  rowEnd = arith::MinSIOp::create(b, loc, mul(chunkEnd, c(cfg.chunk)), seqLen);

  Value group = arith::DivUIOp::create(b, loc, dims.heads, dims.kvHeads);
  Value kvHead = arith::DivUIOp::create(b, loc, headIdx, group);
  auto baseOf = [&](int t, Value head) {
    return add(mul(batchIdx, strideOf(t, 0)), mul(head, strideOf(t, 1)));
  };
  valueCol0 = mul(valueTileIdx, c(cfg.valueTile));
  workspaceCol0 = mul(valueTileIdx, c(cfg.augTile));
  qBase = baseOf(0, headIdx);
  kBase = baseOf(1, kvHead);
  vBase = add(baseOf(2, kvHead), valueCol0);
  oBase = add(baseOf(3, headIdx), valueCol0);
  qStride = strideOf(0, 2);
  kStride = strideOf(1, 2);
  vStride = strideOf(2, 2);
  oStride = strideOf(3, 2);
  warpRow0 = mul(warpId, c(shape.m));
  stateRow0 = mul(warpId, c(cfg.stateRowsPerWarp));
  rowOf.clear();
  colOf.clear();
  for (int64_t e = 0; e < target.getCFragmentSize(); ++e) {
    FragmentCoord coord = target.getCCoord(b, loc, laneId, e);
    rowOf.push_back(coord.row);
    colOf.push_back(coord.col);
  }

  // Shared memory.
  Attribute space = target.getSharedMemorySpace(b.getContext());
  Value smem = target.getDynamicSharedMemory(b, loc);
  // Warpgroup operand tiles start at the first aligned address.
  Value start = c(0);
  Value tileAddress;
  if (cfg.warpgroup) {
    start = operandTileStart(smem);
    tileAddress = add(target.getSharedAddress(b, loc, smem), start);
  }
  auto view = [&](int64_t byteOffset, ArrayRef<int64_t> shape, Type t) {
    auto type = MemRefType::get(shape, t, MemRefLayoutAttrInterface(), space);
    return memref::ViewOp::create(b, loc, type, smem, add(start, c(byteOffset)),
                                  ValueRange{});
  };
  if (cfg.outputOffset >= 0)
    outputTile = createStagingTile(
        smem,
        add(start, add(c(cfg.outputOffset), mul(warpId, c(cfg.outputBytes)))),
        16, cfg.valueTile);
  Type et = cfg.elementType;
  int64_t sRows = cfg.stateBuffers * cfg.fk;
  Type ot = cfg.operandType;
  if (cfg.warpgroup) {
    assert(!cfg.sum && ot == et && "usesWarpgroupChunks excludes these");
    Type i32 = b.getI32Type();
    // 16-byte pieces of V (decayedValues).
    int64_t per = target.getAsyncCopyBytes() / (et.getIntOrFloatBitWidth() / 8);
    qSmemIn = qSmem = view(cfg.qOffset, {cfg.buffers * cfg.chunk * cfg.fk}, et);
    kSmemIn = kSmem = view(cfg.kOffset, {cfg.buffers * cfg.chunk * cfg.fk}, et);
    vSmem = view(cfg.vOffset, {cfg.buffers * cfg.chunk * cfg.augTile}, et);
    sWords = view(cfg.sOffset, {cfg.buffers * cfg.fk * cfg.augTile / 2}, i32);
    pWords = view(cfg.pOffset, {cfg.chunk * cfg.chunk / 2}, i32);
    qAddr = add(tileAddress, c(cfg.qOffset));
    kAddr = add(tileAddress, c(cfg.kOffset));
    vAddr = add(tileAddress, c(cfg.vOffset));
    sAddr = add(tileAddress, c(cfg.sOffset));
    pAddr = add(tileAddress, c(cfg.pOffset));
    if (cfg.scalarDecayOnly()) {
      auto pieceType = VectorType::get({per}, et);
      vPieces = view(cfg.vOffset, {cfg.buffers * cfg.chunk * cfg.augTile / per},
                     pieceType);
      decayedPieces =
          view(cfg.decayedOffset, {cfg.buffers * cfg.chunk * cfg.augTile / per},
               pieceType);
      decayedAddr = add(tileAddress, c(cfg.decayedOffset));
    }
    if (cfg.decay)
      gSmem = view(cfg.gOffset, {cfg.buffers * cfg.chunk}, b.getF32Type());
  } else {
    int64_t tileRows = cfg.buffers * cfg.chunk;
    int64_t eb = et.getIntOrFloatBitWidth() / 8;
    if (cfg.widening) {
      // q and k land in the staging tiles; phi goes to Q and K, 16 bytes
      // at a time.
      int64_t stagingBytes = tileRows * (cfg.dk + kRowPad) * eb;
      qSmemIn = view(cfg.stagingOffset, {tileRows, cfg.dk + kRowPad}, et);
      kSmemIn = view(cfg.stagingOffset + stagingBytes,
                     {tileRows, cfg.dk + kRowPad}, et);
      stagingSmem =
          view(cfg.stagingOffset, {2 * tileRows, cfg.dk + kRowPad}, et);
      int64_t per = target.getAsyncCopyBytes() / eb;
      phiSmem = view(cfg.qOffset,
                     {2 * cfg.phiBuffers * cfg.chunk, (cfg.fk + kRowPad) / per},
                     VectorType::get({per}, et));
      if (cfg.map == FeatureMap::hedgehog) {
        int64_t words =
            cfg.phiBuffers * cfg.chunk * (cfg.fk + kRowPad) * eb / 4;
        phiPairs =
            view(cfg.qOffset,
                 {2 * cfg.phiBuffers * cfg.chunk, (cfg.fk + kRowPad) / 2},
                 VectorType::get({2}, et));
        phiWordsFlat = view(cfg.qOffset, {2 * words}, b.getI32Type());
        weightsSmem = view(cfg.weightsOffset,
                           {2 * cfg.dk, cfg.features / 2 + kRowPad}, et);
        loadMapWeights(kvHead);
      }
    } else {
      qSmemIn = view(cfg.qOffset, {tileRows, cfg.dk + kRowPad}, et);
      kSmemIn = view(cfg.kOffset, {tileRows, cfg.dk + kRowPad}, et);
    }
    int64_t phiRows = cfg.phiBuffers * cfg.chunk;
    qSmem = ot == et && !cfg.widening
                ? qSmemIn
                : view(cfg.qOffset, {phiRows, cfg.fk + kRowPad}, ot);
    kSmem = ot == et && !cfg.widening
                ? kSmemIn
                : view(cfg.kOffset, {phiRows, cfg.fk + kRowPad}, ot);
    vSmem =
        view(cfg.vOffset, {cfg.buffers * cfg.chunk, cfg.augTile + kRowPad}, et);
    sSmem = view(cfg.sOffset, {sRows, cfg.augTile + kRowPad}, et);
    sVec2 = view(cfg.sOffset, {sRows, (cfg.augTile + kRowPad) / 2},
                 VectorType::get({2}, et));
    if (cfg.decay)
      gSmem = view(cfg.gOffset, {cfg.buffers * cfg.chunk}, b.getF32Type());
  }
  if (cfg.channelGate) {
    gateSmem = view(cfg.gateOffset,
                    {cfg.buffers * cfg.chunk, cfg.dk + cfg.gatePadding()},
                    cfg.gateType);
    tableSmem =
        view(cfg.tableOffset, {(cfg.blocks + 1) * (cfg.blocks + 1), cfg.dk},
             b.getF32Type());
    // Rows of F = Dk channels: [B, Hq, Nk, F] or (bshd) [B, Nk, Hq, F].
    const SideInput &gate = *epi.getChannelGate();
    gateMem = gate.memref;
    bool bshd = chain.score.getLayout() == Layout::bshd;
    gateStride = bshd ? mul(dimsHeads, c(cfg.dk)) : c(cfg.dk);
    gateBase = bshd ? mul(add(mul(mul(batchIdx, seqLen), dimsHeads), headIdx),
                          c(cfg.dk))
                    : mul(mul(add(mul(batchIdx, dimsHeads), headIdx), seqLen),
                          c(cfg.dk));
  }

  if (cfg.sum) {
    // The denominator's columns of V: 1 in column valueTile, 0 after it, in
    // every buffer; the async copies never touch them.
    int64_t cells = cfg.buffers * cfg.chunk * kSumColumns;
    forEachThreadItem(cells, [&](Value idx) {
      Value r = arith::DivUIOp::create(b, loc, idx, c(kSumColumns));
      Value col = arith::RemUIOp::create(b, loc, idx, c(kSumColumns));
      Value one = arith::ConstantOp::create(b, loc, b.getFloatAttr(et, 1.0));
      Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(et, 0.0));
      Value v = select(cmpi(arith::CmpIPredicate::eq, col, c(0)), one, zero);
      memref::StoreOp::create(b, loc, v, vSmem,
                              ValueRange{r, add(col, c(cfg.valueTile))});
    });
  }

  if (role == Role::SegmentStates)
    emitSegmentStates();
  else
    emitOutputs();
  gpu::ReturnOp::create(b, loc);
}

std::pair<SmallVector<Value>, Value>
ChunkedEmitter::walkStates(SmallVector<Value> state) {
  startChunks(/*q=*/false, /*kv=*/true);
  SmallVector<Value> init(state);
  init.push_back(f(0.0));
  auto loop = scf::ForOp::create(
      b, loc, chunkBegin, chunkEnd, c(1), init,
      [&](OpBuilder &, Location, Value ch, ValueRange iter) {
        SmallVector<Value> st(iter.drop_back());
        Value logDecay = iter.back();
        ChunkStep step = beginChunk(ch, /*q=*/false, /*kv=*/true);
        Value gLast = updateState(st, step.stage);
        if (cfg.channelGate)
          logDecay = addf(logDecay, step.channelLogDecay);
        else if (cfg.decay)
          logDecay = addf(logDecay, gLast);
        endChunk(step);
        st.push_back(logDecay);
        scf::YieldOp::create(b, loc, st);
      });
  SmallVector<Value> results(loop.getResults());
  Value logDecay = results.pop_back_val();
  return {results, logDecay};
}

void ChunkedEmitter::emitSegmentStates() {
  // The output kernel reads the initial state from workspace slot 0 (when
  // there are segments): its last segment may write the final state over
  // the initial one in place.
  if (initialMem) {
    Value first = cmpi(arith::CmpIPredicate::eq, segmentIdx, c(0));
    scf::IfOp::create(b, loc, first, [&](OpBuilder &, Location) {
      storeWorkspaceState(loadUserState(initialMem), c(0));
      scf::YieldOp::create(b, loc);
    });
  }
  // Causal: no segment reads the last segment's state.
  Value needed =
      cfg.causal
          ? cmpi(arith::CmpIPredicate::ult, add(segmentIdx, c(1)), numSegments)
          : arith::ConstantIntOp::create(b, loc, 1, 1).getResult();
  scf::IfOp::create(b, loc, needed, [&](OpBuilder &, Location) {
    auto [state, logDecay] =
        walkStates(SmallVector<Value>(stateMTiles * augTiles, zeroFragment()));
    storeWorkspaceState(state, add(segmentIdx, c(1)));
    if (cfg.decay || cfg.channelGate) {
      // The segment's log-decay per state row: with a per-channel gate,
      // thread c writes row c, its channel's; else every row has the one
      // scalar value, dealt over the threads.
      Value first = cmpi(arith::CmpIPredicate::eq, valueTileIdx, c(0));
      scf::IfOp::create(b, loc, first, [&](OpBuilder &, Location) {
        auto write = [&](Value row) {
          memref::StoreOp::create(
              b, loc, logDecay, wsMem,
              ValueRange{workspaceDecayIndex(segmentIdx, row)});
        };
        if (cfg.channelGate) {
          scf::IfOp::create(
              b, loc, cmpi(arith::CmpIPredicate::ult, threadId, c(cfg.dk)),
              [&](OpBuilder &, Location) {
                write(threadId);
                scf::YieldOp::create(b, loc);
              });
        } else {
          forEachThreadItem(cfg.fk, write);
        }
        scf::YieldOp::create(b, loc);
      });
    }
    scf::YieldOp::create(b, loc);
  });
}

SmallVector<Value> ChunkedEmitter::combineSegmentStates() {
  size_t numState = stateMTiles * augTiles;
  SmallVector<Value> state(numState, zeroFragment());
  if (initialMem) {
    // One segment (causal): no state kernel ran; the initial state is read
    // before the final one is written, by this same CTA.
    Value fromWorkspace =
        cfg.causal ? cmpi(arith::CmpIPredicate::ugt, numSegments, c(1))
                   : arith::ConstantIntOp::create(b, loc, 1, 1).getResult();
    auto ifOp = scf::IfOp::create(
        b, loc, TypeRange(SmallVector<Type>(numState, cType)), fromWorkspace,
        /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      scf::YieldOp::create(b, loc, loadWorkspaceState(c(0)));
      b.setInsertionPointToStart(ifOp.elseBlock());
      scf::YieldOp::create(b, loc, loadUserState(initialMem));
    }
    state.assign(ifOp.getResults().begin(), ifOp.getResults().end());
  }
  // S_s = exp(L_{s-1}) S_{s-1} + (segment s - 1's state), from S_0, the
  // initial state; the global form sums every segment's.
  Value count = cfg.causal ? segmentIdx : numSegments;
  auto loop = scf::ForOp::create(
      b, loc, c(0), count, c(1), state,
      [&](OpBuilder &, Location, Value j, ValueRange iter) {
        SmallVector<Value> st(iter);
        if (cfg.decay || cfg.channelGate)
          scaleStateRows(st, [&](Value row) {
            Value logDecay = memref::LoadOp::create(
                b, loc, wsMem, ValueRange{workspaceDecayIndex(j, row)});
            return exp2(mulf(logDecay, f(kLog2E)));
          });
        SmallVector<Value> segment = loadWorkspaceState(add(j, c(1)));
        for (auto [s, t] : llvm::zip(st, segment))
          s = addf(s, t);
        scf::YieldOp::create(b, loc, st);
      });
  return SmallVector<Value>(loop.getResults());
}

void ChunkedEmitter::emitOutputs() {
  SmallVector<Value> state = combineSegmentStates();
  Value lastSegment =
      cmpi(arith::CmpIPredicate::eq, add(segmentIdx, c(1)), numSegments);
  Value firstSegment = cmpi(arith::CmpIPredicate::eq, segmentIdx, c(0));
  auto storeFinal = [&](ArrayRef<Value> st, Value writer) {
    if (!finalMem)
      return;
    scf::IfOp::create(b, loc, writer, [&](OpBuilder &, Location) {
      storeUserState(st, finalMem);
      scf::YieldOp::create(b, loc);
    });
  };

  if (cfg.causal) {
    // Chunk ch reads S from buffer ch % 2 and writes the next one to the
    // other buffer, like G, so beginChunk's barrier covers it too. With one
    // S buffer, a barrier after every warp's Q S precedes the write.
    bool oneStateBuffer = cfg.stateBuffers == 1;
    writeSharedState(state, oneStateBuffer ? c(0) : stageOf(chunkBegin));
    startChunks(/*q=*/true, /*kv=*/true);
    // The warpgroup loop scans the next chunk's G before its middle
    // barrier: its log-gates are loaded a chunk earlier and carried.
    SmallVector<Value> init(state);
    size_t carriedGates = 0;
    if (cfg.warpgroup && cfg.decay) {
      SmallVector<Value> gates =
          loadGates(mul(add(chunkBegin, c(1)), c(cfg.chunk)));
      carriedGates = gates.size();
      init.append(gates);
    }
    auto loop = scf::ForOp::create(
        b, loc, chunkBegin, chunkEnd, c(1), init,
        [&](OpBuilder &, Location, Value ch, ValueRange iter) {
          SmallVector<Value> st(iter.drop_back(carriedGates));
          SmallVector<Value> gates(iter.take_back(carriedGates));
          if (!cfg.warpgroup) {
            ChunkStep step = beginChunk(ch, /*q=*/true, /*kv=*/true);
            SmallVector<Value> scores;
            SmallVector<Value> acc = queryProducts(
                step.stage, oneStateBuffer ? c(0) : step.stage, &scores);
            SmallVector<Value> weights =
                weighChunk(chunkFactors(step.stage), acc, scores);
            addIntraChunk(step.stage, acc, weights);
            storeOutput(acc, step.t0);
            updateState(st, step.stage);
            if (oneStateBuffer)
              target.barrier(b, loc);
            writeSharedState(st, oneStateBuffer ? c(0) : step.other);
            endChunk(step);
            scf::YieldOp::create(b, loc, st);
            return;
          }
          // Once the chunk landed, the state's decay and (each thread its
          // own pieces) V~; then Q K^T, Q S and K^T V~ are issued at once,
          // and the weights computed while K^T V~ runs. P is published
          // together with the next chunk's G (so that the next V~ precedes
          // the next barrier), and A V issued: S goes to shared memory
          // while it runs, then o is stored.
          SmallVector<Value> scores;
          SmallVector<Value> stateProducts;
          Value values;
          ChunkStep step = beginChunk(
              ch, /*q=*/true, /*kv=*/true,
              [&](Value stage) {
                values = decayedValues(stage, decayState(st, stage));
              },
              /*gatesAhead=*/2);
          SmallVector<Value> acc =
              queryProducts(step.stage, step.stage, &scores, [&] {
                stateProducts = issueStateUpdate(st, step.stage, values);
                return int64_t{1};
              });
          storeChunkWeights(weighChunk(chunkFactors(step.stage), acc, scores));
          if (cfg.decay)
            scanGates(gates, step.other);
          publishShared();
          SmallVector<Value> outProducts = target.issueWarpgroupMatmul(
              b, loc, cfg.elementType, {pAddr, cfg.chunk}, {c(0)},
              {stageAddress(vAddr, step.stage,
                            tileBytes(cfg.chunk, cfg.augTile)),
               cfg.chunk, /*kMajor=*/false},
              cfg.augTile, cfg.chunk, {acc});
          target.warpgroupWait(b, loc, 1);
          st = flatten(
              target.getWarpgroupFragments(b, loc, stateProducts, cfg.augTile));
          writeSharedState(st, step.other);
          target.warpgroupWait(b, loc, 0);
          storeOutput(
              target.getWarpgroupFragments(b, loc, outProducts, cfg.augTile)[0],
              step.t0);
          st.append(step.nextGates);
          scf::YieldOp::create(b, loc, st);
        });
    storeFinal(SmallVector<Value>(loop.getResults().drop_back(carriedGates)),
               lastSegment);
    return;
  }

  // The global form: O = scale phi(Q) S with S the whole sequence's state.
  storeFinal(state, firstSegment);
  writeSharedState(state, c(0));
  startChunks(/*q=*/true, /*kv=*/false);
  scf::ForOp::create(
      b, loc, chunkBegin, chunkEnd, c(1), ValueRange{},
      [&](OpBuilder &, Location, Value ch, ValueRange) {
        ChunkStep step = beginChunk(ch, /*q=*/true, /*kv=*/false);
        SmallVector<Value> acc = queryProducts(step.stage, c(0), nullptr);
        Value scaleVec =
            vector::BroadcastOp::create(b, loc, cType, f(cfg.scale));
        for (Value &a : acc)
          a = mulf(a, scaleVec);
        storeOutput(acc, step.t0);
        endChunk(step);
        scf::YieldOp::create(b, loc);
      });
}

FailureOr<KernelInfo> mlir::attn::buildChunkedKernel(OpBuilder &builder,
                                                     SpecChain &chain,
                                                     const ChunkedPlan &plan,
                                                     const TargetInfo &target) {
  FailureOr<ChunkedConfig> cfg = configure(chain, plan, target);
  if (failed(cfg) || failed(checkSharedMemory(*cfg, chain.aggregate, target)))
    return failure();
  ScoreEpilogue epilogue(chain);
  if (failed(epilogue.collectSideInputs()))
    return failure();
  ChunkedEmitter emitter(builder, chain.aggregate.getLoc(), chain, *cfg, target,
                         epilogue);
  return emitter.emit();
}
