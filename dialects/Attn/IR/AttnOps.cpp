//===- AttnOps.cpp - attn operations: verification and helpers ------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Verifiers check everything a spec can get wrong before any analysis runs:
// ranks, element types, static head dims, GQA divisibility, side-input
// shapes, region signatures and which primitive combinations are legal.
// Every message says what is wrong and how to fix it.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Custom assembly
//===----------------------------------------------------------------------===//

/// Parses attn.aggregate's result types: the output's, then the optional
/// `, lse type` and `, state type`. (Two optional groups that both start with
/// `,` cannot be told apart by the declarative format, which made
/// `, state type` alone unparsable.)
static ParseResult parseAggregateResults(OpAsmParser &parser, Type &outputType,
                                         Type &lseType, Type &stateType) {
  if (parser.parseType(outputType))
    return failure();
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    Type *slot = nullptr;
    if (succeeded(parser.parseOptionalKeyword("lse")))
      slot = &lseType;
    else if (succeeded(parser.parseOptionalKeyword("state")))
      slot = &stateType;
    else
      return parser.emitError(loc, "expected 'lse' or 'state'");
    if (*slot)
      return parser.emitError(loc, "result given twice");
    if (slot == &lseType && stateType)
      return parser.emitError(loc, "'lse' must come before 'state'");
    if (parser.parseType(*slot))
      return failure();
  }
  return success();
}

static void printAggregateResults(OpAsmPrinter &printer, Operation *,
                                  Type outputType, Type lseType,
                                  Type stateType) {
  printer << outputType;
  if (lseType)
    printer << ", lse " << lseType;
  if (stateType)
    printer << ", state " << stateType;
}

/// Parses attn.decay's `[g0, g1, ...]` rates.
static ParseResult parseRates(OpAsmParser &parser, DenseF64ArrayAttr &rates) {
  SmallVector<double> values;
  if (parser.parseCommaSeparatedList(OpAsmParser::Delimiter::Square, [&] {
        return parser.parseFloat(values.emplace_back());
      }))
    return failure();
  rates = DenseF64ArrayAttr::get(parser.getContext(), values);
  return success();
}

/// Prints the rates exactly (DenseF64ArrayAttr's own printer rounds them to
/// 7 significant digits, so 1 - 2^-12 would not survive a round trip).
static void printRates(OpAsmPrinter &printer, Operation *,
                       DenseF64ArrayAttr rates) {
  printer << '[';
  llvm::interleaveComma(rates.asArrayRef(), printer, [&](double rate) {
    printer.printFloat(llvm::APFloat(rate));
  });
  printer << ']';
}

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

LayoutAxes mlir::attn::getLayoutAxes(Layout layout) {
  if (layout == Layout::bshd)
    return {0, 2, 1, 3};
  return {0, 1, 2, 3};
}

/// True if two (possibly dynamic) extents may be equal.
static bool compatible(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string dimStr(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

static bool isAttnFloat(Type t) { return t.isF16() || t.isBF16() || t.isF32(); }

/// Checks a rank-4 q/k/v/o tensor: f16/bf16/f32 elements and a static head
/// dim.
static LogicalResult verifyHeadTensor(Operation *op, StringRef role,
                                      RankedTensorType type) {
  if (type.getRank() != 4)
    return op->emitOpError()
           << role << " must be a rank-4 tensor [B, H, N, D] (BHSD) or "
           << "[B, N, H, D] (BSHD), got " << type;
  if (!isAttnFloat(type.getElementType()))
    return op->emitOpError() << role
                             << " must have f16, bf16 or f32 elements, got "
                             << type.getElementType();
  if (type.isDynamicDim(3)) {
    // Printed through a stream: a Type streamed into a diagnostic is quoted.
    std::string example;
    llvm::raw_string_ostream os(example);
    os << "tensor<?x?x?x128x" << type.getElementType() << ">";
    return op->emitOpError()
           << role << " must have a static head dim (last axis), got " << type
           << "; write e.g. " << example;
  }
  if (type.getDimSize(3) == 0)
    return op->emitOpError() << role << " must have a non-zero head dim, got "
                             << type;
  return success();
}

/// Checks that `type`'s extent `axis` may equal `expected`.
static LogicalResult expectDim(Operation *op, StringRef role,
                               RankedTensorType type, unsigned axis,
                               int64_t expected, StringRef what) {
  if (compatible(type.getDimSize(axis), expected))
    return success();
  return op->emitOpError() << role << " axis " << axis << " (" << what
                           << ") is " << type.getDimSize(axis)
                           << " but must be " << expected << " to match "
                           << "the rest of the spec";
}

/// Walks a scores value back to the attn.score at its root; null if the
/// chain is broken (a block argument or a foreign op). Verifiers run before
/// dominance is checked and not necessarily in program order, so the chain
/// may hold not-yet-verified ops (no operands) or even a cycle of forward
/// references: both end the walk instead of crashing or looping.
static ScoreOp getRootScore(Value scores) {
  llvm::SmallPtrSet<Operation *, 8> visited;
  while (Operation *def = scores.getDefiningOp()) {
    if (auto score = dyn_cast<ScoreOp>(def))
      return score;
    if (!isa<ModifyOp, MaskOp, DecayOp>(def) || def->getNumOperands() == 0 ||
        !visited.insert(def).second)
      return {};
    scores = def->getOperand(0);
  }
  return {};
}

/// Finds the attn.score at the root of `scores` and makes sure it is valid
/// before its shapes are read: the score may not have been verified yet when
/// `op` is (forward references, isolated ops verified out of order).
static FailureOr<ScoreOp> getVerifiedRootScore(Operation *op, Value scores) {
  ScoreOp score = getRootScore(scores);
  if (!score)
    return op->emitOpError()
           << "scores must come from a chain rooted in attn.score within the "
              "same function; !attn.scores values cannot be passed in";
  if (failed(score->getName().verifyInvariants(score)))
    return failure(); // The score reported what is wrong with it.
  return score;
}

static LogicalResult verifyScoresOperand(Operation *op, Value scores) {
  return getVerifiedRootScore(op, scores);
}

/// The extents of q/k as (B, Hq, Nq, Hkv, Nk) for a score op.
struct ScoreShape {
  int64_t batch, qHeads, qLen, kvHeads, kLen, headDim;
  Layout layout;
};

static ScoreShape getScoreShape(ScoreOp score) {
  auto q = cast<RankedTensorType>(score.getQuery().getType());
  auto k = cast<RankedTensorType>(score.getKey().getType());
  LayoutAxes ax = getLayoutAxes(score.getLayout());
  return {q.getDimSize(ax.batch), q.getDimSize(ax.heads),
          q.getDimSize(ax.seq),   k.getDimSize(ax.heads),
          k.getDimSize(ax.seq),   q.getDimSize(ax.dim),
          score.getLayout()};
}

/// Checks a per-token tensor [B, H, N] (BHSD) or [B, N, H] (BSHD) with H the
/// query heads and N the key length.
static LogicalResult verifyPerToken(Operation *op, StringRef role, Type type,
                                    const ScoreShape &shape) {
  auto t = dyn_cast<RankedTensorType>(type);
  StringRef expect = shape.layout == Layout::bhsd ? "[B, Hq, Nk]" : "[B, Nk, Hq]";
  if (!t || t.getRank() != 3 || !isa<FloatType>(t.getElementType()))
    return op->emitOpError() << role << " must be a rank-3 float tensor "
                             << expect << ", got " << type;
  unsigned headAxis = shape.layout == Layout::bhsd ? 1 : 2;
  unsigned seqAxis = shape.layout == Layout::bhsd ? 2 : 1;
  if (!compatible(t.getDimSize(0), shape.batch) ||
      !compatible(t.getDimSize(headAxis), shape.qHeads) ||
      !compatible(t.getDimSize(seqAxis), shape.kLen))
    return op->emitOpError()
           << role << " " << type << " does not match " << expect
           << " with B=" << dimStr(shape.batch) << ", Hq=" << dimStr(shape.qHeads)
           << ", Nk=" << dimStr(shape.kLen);
  return success();
}

/// Checks a per-head vector [Hq] of floats.
static LogicalResult verifyPerHead(Operation *op, StringRef role, Type type,
                                   const ScoreShape &shape) {
  auto t = dyn_cast<RankedTensorType>(type);
  if (!t || t.getRank() != 1 || !isa<FloatType>(t.getElementType()))
    return op->emitOpError() << role
                             << " must be a rank-1 float tensor [Hq], got "
                             << type;
  if (!compatible(t.getDimSize(0), shape.qHeads))
    return op->emitOpError() << role << " has " << t.getDimSize(0)
                             << " entries but the spec has "
                             << shape.qHeads << " query heads";
  return success();
}

/// Checks that `region` has one block taking `expected` arguments and ending
/// in attn.yield of `yieldType`, and that its ops have no side effects.
static LogicalResult verifyBodyRegion(Operation *op, Region &region,
                                      StringRef signature,
                                      TypeRange expected, Type yieldType) {
  if (!region.hasOneBlock())
    return op->emitOpError() << "expects a region with one block";
  Block &block = region.front();
  if (block.getArgumentTypes() != expected) {
    std::string types;
    llvm::raw_string_ostream os(types);
    llvm::interleaveComma(expected, os);
    return op->emitOpError()
           << "region must take " << signature << ", i.e. (" << types
           << "), got " << block.getNumArguments() << " arguments";
  }
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError() << "region must end in attn.yield";
  if (yield.getValue().getType() != yieldType)
    return op->emitOpError() << "region must yield " << yieldType << ", got "
                             << yield.getValue().getType();
  for (Operation &inner : block.without_terminator()) {
    if (!isMemoryEffectFree(&inner))
      return inner.emitOpError()
             << "has side effects; attn regions may only compute values "
                "(arith, math, tensor.extract)";
    if (inner.getNumRegions() != 0)
      return inner.emitOpError()
             << "has regions; attn regions must be straight-line code (use "
                "arith.select instead of control flow)";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ScoreOp
//===----------------------------------------------------------------------===//

int64_t ScoreOp::getHeadDim() {
  return cast<RankedTensorType>(getQuery().getType()).getDimSize(3);
}

double ScoreOp::getEffectiveScale() {
  if (FloatAttr scale = getScaleAttr())
    return scale.getValueAsDouble();
  return 1.0 / std::sqrt(static_cast<double>(getHeadDim()));
}

int64_t ScoreOp::getFeatureDim() {
  int64_t d = getHeadDim();
  switch (getFeatureMap()) {
  case FeatureMap::taylor2:
    return 1 + d + d * d;
  case FeatureMap::hedgehog:
    if (!getQueryWeights())
      return ShapedType::kDynamic;
    return 2 * cast<RankedTensorType>(getQueryWeights().getType()).getDimSize(2);
  default:
    return d;
  }
}

LogicalResult ScoreOp::verify() {
  auto q = cast<RankedTensorType>(getQuery().getType());
  auto k = cast<RankedTensorType>(getKey().getType());
  if (failed(verifyHeadTensor(*this, "query", q)) ||
      failed(verifyHeadTensor(*this, "key", k)))
    return failure();
  if (q.getElementType() != k.getElementType())
    return emitOpError() << "query and key must have the same element type, "
                         << "got " << q.getElementType() << " and "
                         << k.getElementType();
  ScoreShape shape = getScoreShape(*this);
  if (k.getDimSize(3) != shape.headDim)
    return emitOpError() << "query head dim " << shape.headDim
                         << " differs from key head dim " << k.getDimSize(3)
                         << "; q and k must share Dk";
  LayoutAxes ax = getLayoutAxes(getLayout());
  if (!compatible(k.getDimSize(ax.batch), shape.batch))
    return emitOpError() << "query batch " << shape.batch
                         << " differs from key batch " << k.getDimSize(ax.batch);
  if (!ShapedType::isDynamic(shape.qHeads) &&
      !ShapedType::isDynamic(shape.kvHeads) &&
      (shape.kvHeads == 0 || shape.qHeads % shape.kvHeads != 0))
    return emitOpError() << "query heads (" << shape.qHeads
                         << ") must be a multiple of key/value heads ("
                         << shape.kvHeads
                         << ") for grouped-query attention; with layout "
                         << stringifyLayout(getLayout())
                         << " the heads are axis " << ax.heads
                         << " (is the layout right?)";
  // Taylor-2 has 1 + Dk + Dk^2 features; keep that (and the states and
  // gates sized by it) far from int64 overflow.
  if (getFeatureMap() == FeatureMap::taylor2 && shape.headDim > 4096)
    return emitOpError() << "the taylor2 feature map has 1 + Dk + Dk^2 "
                            "features; Dk = "
                         << shape.headDim
                         << " is too large (project q and k to at most 4096, "
                            "Based uses 16)";
  if (FloatAttr scaleAttr = getScaleAttr()) {
    double scale = scaleAttr.getValueAsDouble();
    if (!std::isfinite(scale) || scale == 0.0)
      return emitOpError() << "scale must be finite and non-zero, got "
                           << scale;
  }

  bool hedgehog = getFeatureMap() == FeatureMap::hedgehog;
  if (hedgehog != static_cast<bool>(getQueryWeights()))
    return emitOpError()
           << (hedgehog ? "the hedgehog feature map needs its weights: add "
                          "`weights(%wq, %wk : tensor<HqxDkxF>, "
                          "tensor<HkvxDkxF>)`"
                        : "feature-map weights are only used by the hedgehog "
                          "feature map; remove `weights(...)` or use "
                          "`feature_map hedgehog`");
  if (hedgehog) {
    auto wq = cast<RankedTensorType>(getQueryWeights().getType());
    auto wk = cast<RankedTensorType>(getKeyWeights().getType());
    for (auto [role, w, heads] :
         {std::make_tuple("query weights", wq, shape.qHeads),
          std::make_tuple("key weights", wk, shape.kvHeads)}) {
      if (w.getRank() != 3 || !isa<FloatType>(w.getElementType()))
        return emitOpError() << role
                             << " must be a rank-3 float tensor [H, Dk, F], "
                                "got "
                             << w;
      if (!compatible(w.getDimSize(0), heads) ||
          !compatible(w.getDimSize(1), shape.headDim) ||
          w.isDynamicDim(2))
        return emitOpError() << role << " " << w << " must be [" << dimStr(heads)
                             << ", " << shape.headDim
                             << ", F] with a static feature count F";
    }
    if (wq.getDimSize(2) != wk.getDimSize(2))
      return emitOpError() << "query and key hedgehog weights must have the "
                              "same feature count, got "
                           << wq.getDimSize(2) << " and " << wk.getDimSize(2);
  }

  if (Value gate = getGate()) {
    auto g = dyn_cast<RankedTensorType>(gate.getType());
    int64_t f = getFeatureDim();
    if (!g || g.getRank() != 4 || !isa<FloatType>(g.getElementType()))
      return emitOpError() << "per-channel gate must be a rank-4 float tensor "
                              "shaped like the keys with Hq heads, got "
                           << gate.getType();
    if (!compatible(g.getDimSize(ax.batch), shape.batch) ||
        !compatible(g.getDimSize(ax.heads), shape.qHeads) ||
        !compatible(g.getDimSize(ax.seq), shape.kLen) ||
        g.getDimSize(3) != f)
      return emitOpError() << "per-channel gate " << gate.getType()
                           << " must be "
                           << (getLayout() == Layout::bhsd ? "[B, Hq, Nk, F]"
                                                           : "[B, Nk, Hq, F]")
                           << " with F = " << f
                           << " (the feature dim of phi(k))";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ModifyOp
//===----------------------------------------------------------------------===//

LogicalResult ModifyOp::verify() {
  return verifyScoresOperand(*this, getScores());
}

LogicalResult ModifyOp::verifyRegions() {
  Builder b(getContext());
  SmallVector<Type> expected = {b.getF32Type(), b.getIndexType(),
                                b.getIndexType(), b.getIndexType(),
                                b.getIndexType()};
  llvm::append_range(expected, getInputs().getTypes());
  return verifyBodyRegion(*this, getBody(),
                          "(score: f32, b, h, i, j: index, inputs...)",
                          expected, b.getF32Type());
}

//===----------------------------------------------------------------------===//
// MaskOp
//===----------------------------------------------------------------------===//

LogicalResult MaskOp::verify() {
  if (failed(verifyScoresOperand(*this, getScores())))
    return failure();
  ScoreOp score = getRootScore(getScores());
  ScoreShape shape = getScoreShape(score);
  unsigned numInputs = getInputs().size();
  LogicalResult result = success();
  auto inputType = [&](int64_t index, StringRef attr) -> RankedTensorType {
    if (index >= numInputs) {
      emitOpError() << "#attn." << attr << " reads input " << index
                    << " but the op has " << numInputs
                    << " tensor input(s); pass it as `(%x : type)` after the "
                       "mask";
      result = failure();
      return {};
    }
    return cast<RankedTensorType>(getInputs()[index].getType());
  };
  walkMask(getMask(), [&](Attribute attr) {
    if (failed(result))
      return;
    if (auto doc = dyn_cast<DocumentAttr>(attr)) {
      RankedTensorType t = inputType(doc.getInput(), "document");
      if (!t)
        return;
      if (t.getRank() != 2 || !t.getElementType().isSignlessInteger() ||
          !compatible(t.getDimSize(0), shape.batch) ||
          !compatible(t.getDimSize(1), shape.kLen)) {
        emitOpError() << "#attn.document segment ids must be an integer "
                         "tensor [B, Nk] (one id per position), got "
                      << t;
        result = failure();
      }
    } else if (auto bs = dyn_cast<BlockSparseAttr>(attr)) {
      RankedTensorType t = inputType(bs.getInput(), "block_sparse");
      if (!t)
        return;
      if (t.getRank() != 4 || !t.getElementType().isSignlessInteger()) {
        emitOpError() << "#attn.block_sparse layout must be an integer (or "
                         "i1) tensor [B or 1, Hq or 1, ceil(Nq/q_block), "
                         "ceil(Nk/k_block)], got "
                      << t;
        result = failure();
      }
    } else if (auto nb = dyn_cast<Neighborhood2DAttr>(attr)) {
      // Compared by division: height * width may overflow.
      if (!ShapedType::isDynamic(shape.kLen) &&
          (shape.kLen % nb.getWidth() != 0 ||
           shape.kLen / nb.getWidth() != nb.getHeight())) {
        emitOpError() << "#attn.neighborhood_2d grid " << nb.getHeight()
                      << "x" << nb.getWidth()
                      << " does not hold as many positions as the keys ("
                      << shape.kLen << "); height * width must equal Nk";
        result = failure();
      }
    }
  });
  if (failed(result))
    return failure();
  bool usesPredicate = maskUsesPredicate(getMask());
  if (usesPredicate && getPredicate().empty())
    return emitOpError() << "mask uses #attn.predicate but the op has no "
                            "predicate region; add `{ ^bb0(%b: index, %h: "
                            "index, %i: index, %j: index): ... attn.yield "
                            "%keep : i1 }`";
  if (!usesPredicate && !getPredicate().empty())
    return emitOpError() << "the op has a predicate region but its mask does "
                            "not use it; add #attn.predicate to the mask "
                            "expression";
  return success();
}

LogicalResult MaskOp::verifyRegions() {
  if (getPredicate().empty())
    return success();
  Builder b(getContext());
  SmallVector<Type> expected(4, b.getIndexType());
  llvm::append_range(expected, getInputs().getTypes());
  return verifyBodyRegion(*this, getPredicate(),
                          "(b, h, i, j: index, inputs...)", expected,
                          b.getI1Type());
}

//===----------------------------------------------------------------------===//
// DecayOp
//===----------------------------------------------------------------------===//

LogicalResult DecayOp::verify() {
  if (failed(verifyScoresOperand(*this, getScores())))
    return failure();
  ScoreShape shape = getScoreShape(getRootScore(getScores()));
  switch (getKind()) {
  case DecayKind::exponential: {
    if (static_cast<bool>(getInput()) == static_cast<bool>(getRates()))
      return emitOpError() << "exponential decay needs its per-head rates "
                              "either as `rates [g0, g1, ...]` or as an input "
                              "`(%rates : tensor<Hqxf32>)`, not "
                           << (getInput() ? "both" : "neither");
    if (Value input = getInput())
      return verifyPerHead(*this, "exponential decay rates", input.getType(),
                           shape);
    ArrayRef<double> rates = *getRates();
    if (!ShapedType::isDynamic(shape.qHeads) &&
        static_cast<int64_t>(rates.size()) != shape.qHeads)
      return emitOpError() << "exponential decay has " << rates.size()
                           << " rates but the spec has " << shape.qHeads
                           << " query heads; give one rate per query head";
    for (double rate : rates)
      if (!(rate > 0.0 && rate <= 1.0))
        return emitOpError() << "exponential decay rates must lie in (0, 1], "
                                "got "
                             << rate;
    return success();
  }
  case DecayKind::gated:
    if (!getInput())
      return emitOpError() << "gated decay needs its per-token log-gates as "
                              "an input `(%g : tensor<...xf32>)`";
    if (getRates())
      return emitOpError() << "`rates` belongs to exponential decay; gated "
                              "decay reads its log-gates from the input";
    return verifyPerToken(*this, "gated decay log-gates",
                          getInput().getType(), shape);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// NormalizeOp
//===----------------------------------------------------------------------===//

LogicalResult NormalizeOp::verify() {
  if (failed(verifyScoresOperand(*this, getScores())))
    return failure();
  ScoreShape shape = getScoreShape(getRootScore(getScores()));
  NormalizeKind kind = getKind();
  StringRef name = stringifyNormalizeKind(kind);
  if (getSinks()) {
    if (kind != NormalizeKind::softmax)
      return emitOpError() << "sink logits only apply to softmax, not "
                           << name;
    if (failed(verifyPerHead(*this, "sink logits", getSinks().getType(),
                             shape)))
      return failure();
  }
  if (getBias() && kind != NormalizeKind::sigmoid)
    return emitOpError() << "`bias` only applies to sigmoid, not " << name;
  if (FloatAttr powerAttr = getPowerAttr()) {
    double power = powerAttr.getValueAsDouble();
    if (kind != NormalizeKind::softplus_l1)
      return emitOpError() << "`power` only applies to softplus_l1, not "
                           << name;
    if (!(power > 0.0) || !std::isfinite(power))
      return emitOpError() << "`power` must be positive and finite, got "
                           << power;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AggregateOp
//===----------------------------------------------------------------------===//

FailureOr<SpecChain> mlir::attn::getSpecChain(AggregateOp aggregate) {
  SpecChain chain;
  chain.aggregate = aggregate;
  chain.normalize = aggregate.getWeights().getDefiningOp<NormalizeOp>();
  if (!chain.normalize)
    return aggregate.emitOpError()
           << "weights must come from attn.normalize in the same function";
  Value scores = chain.normalize.getScores();
  while (Operation *def = scores.getDefiningOp()) {
    if (auto score = dyn_cast<ScoreOp>(def)) {
      chain.score = score;
      break;
    }
    if (!isa<ModifyOp, MaskOp, DecayOp>(def))
      break;
    chain.scoreOps.push_back(def);
    scores = def->getOperand(0);
  }
  if (!chain.score)
    return aggregate.emitOpError()
           << "weights must come from a chain rooted in attn.score";
  std::reverse(chain.scoreOps.begin(), chain.scoreOps.end());
  return chain;
}

ScoreOp AggregateOp::getScoreOp() {
  FailureOr<SpecChain> chain = getSpecChain(*this);
  return succeeded(chain) ? chain->score : ScoreOp();
}

NormalizeOp AggregateOp::getNormalizeOp() {
  return getWeights().getDefiningOp<NormalizeOp>();
}

LogicalResult AggregateOp::verify() {
  auto normalize = getWeights().getDefiningOp<NormalizeOp>();
  if (!normalize)
    return emitOpError()
           << "weights must come from attn.normalize in the same function";
  // The normalize op (and through it the score) may not be verified yet.
  if (failed(normalize->getName().verifyInvariants(normalize)))
    return failure(); // attn.normalize reported what is wrong with it.
  ScoreOp score = getRootScore(normalize.getScores());
  ScoreShape shape = getScoreShape(score);
  LayoutAxes ax = getLayoutAxes(shape.layout);
  auto q = cast<RankedTensorType>(score.getQuery().getType());
  auto v = cast<RankedTensorType>(getValues().getType());
  if (failed(verifyHeadTensor(*this, "values", v)))
    return failure();
  if (v.getElementType() != q.getElementType())
    return emitOpError() << "values must have the element type of the "
                            "queries and keys ("
                         << q.getElementType() << "), got "
                         << v.getElementType();
  if (failed(expectDim(*this, "values", v, ax.batch, shape.batch, "batch")) ||
      failed(expectDim(*this, "values", v, ax.heads, shape.kvHeads,
                       "key/value heads")) ||
      failed(expectDim(*this, "values", v, ax.seq, shape.kLen, "key length")))
    return failure();
  int64_t dv = v.getDimSize(3);

  auto o = dyn_cast<RankedTensorType>(getOutput().getType());
  if (!o || o.getRank() != 4 || o.getElementType() != v.getElementType())
    return emitOpError() << "output must be a rank-4 tensor of the values' "
                            "element type "
                         << v.getElementType() << ", got "
                         << getOutput().getType();
  if (failed(expectDim(*this, "output", o, ax.batch, shape.batch, "batch")) ||
      failed(expectDim(*this, "output", o, ax.heads, shape.qHeads,
                       "query heads")) ||
      failed(expectDim(*this, "output", o, ax.seq, shape.qLen,
                       "query length")) ||
      failed(expectDim(*this, "output", o, 3, dv, "value head dim")))
    return failure();

  NormalizeKind kind = normalize.getKind();
  if (Value lse = getLse()) {
    if (kind != NormalizeKind::softmax)
      return emitOpError() << "log-sum-exp is only defined for softmax, not "
                           << stringifyNormalizeKind(kind)
                           << "; drop the `lse` result";
    auto t = cast<RankedTensorType>(lse.getType());
    if (t.getRank() != 3 || !t.getElementType().isF32() ||
        !compatible(t.getDimSize(0), shape.batch) ||
        !compatible(t.getDimSize(1), shape.qHeads) ||
        !compatible(t.getDimSize(2), shape.qLen))
      return emitOpError() << "log-sum-exp must be an f32 tensor [B, Hq, Nq] "
                              "(in every layout), got "
                           << t;
  }

  if (getInitialState() || getFinalState()) {
    if (kind != NormalizeKind::none)
      return emitOpError()
             << "recurrent states are defined for linear attention with "
                "`normalize none`, not "
             << stringifyNormalizeKind(kind);
    // A while loop on purpose: built with GCC, the former `for (...;
    // Operation *def = ...; current = def->getOperand(0))` read `def`
    // uninitialised in the increment and crashed on every spec with states.
    Value current = normalize.getScores();
    while (Operation *def = current.getDefiningOp()) {
      if (isa<ScoreOp>(def))
        break;
      current = def->getOperand(0);
      if (isa<ModifyOp>(def))
        return emitOpError() << "recurrent states need a bilinear score; the "
                                "attn.modify in the chain prevents it";
      if (auto mask = dyn_cast<MaskOp>(def)) {
        // The mask op may not be verified yet; let it report a missing mask.
        if (!mask.getMaskAttr()) {
          (void)mask->getName().verifyInvariants(mask);
          return failure();
        }
        if (!isa<CausalAttr>(mask.getMask()))
          return mask.emitOpError()
                 << "recurrent states allow only a causal mask, got "
                 << mask.getMask();
      }
    }
    if (!compatible(shape.qLen, shape.kLen))
      return emitOpError() << "recurrent states need as many queries as keys "
                              "(Nq = Nk)";
    int64_t f = score.getFeatureDim();
    for (auto [role, value] : {std::make_pair("initial state", getInitialState()),
                               std::make_pair("final state", getFinalState())}) {
      if (!value)
        continue;
      auto t = cast<RankedTensorType>(value.getType());
      if (t.getRank() != 4 || !t.getElementType().isF32() ||
          !compatible(t.getDimSize(0), shape.batch) ||
          !compatible(t.getDimSize(1), shape.qHeads) ||
          t.getDimSize(2) != f || t.getDimSize(3) != dv)
        return emitOpError() << role << " must be an f32 tensor [B, Hq, F, Dv]"
                             << " = [" << dimStr(shape.batch) << ", "
                             << dimStr(shape.qHeads) << ", " << f << ", " << dv
                             << "], got " << t;
    }
  }
  if (!(getNormEps().convertToDouble() > 0.0))
    return emitOpError() << "norm_eps must be positive";
  return success();
}

//===----------------------------------------------------------------------===//
// KernelOp
//===----------------------------------------------------------------------===//

PlanOverrides mlir::attn::getPlanOverrides(Operation *aggregate) {
  if (auto kernel = aggregate->getParentOfType<KernelOp>())
    if (DictionaryAttr plan = kernel.getPlanAttr())
      return {plan, "attn.kernel's plan"};
  return {aggregate->getAttrOfType<DictionaryAttr>(plan::kSpecAttrName),
          plan::kSpecAttrName};
}

LogicalResult mlir::attn::verifyPlanAttr(
    DictionaryAttr plan, bool requireComplete,
    function_ref<InFlightDiagnostic()> emitError) {
  std::optional<int64_t> warps, blockM;
  for (NamedAttribute entry : plan) {
    StringRef key = entry.getName().getValue();
    if (key == plan::kAlgorithm) {
      auto algorithm = dyn_cast<StringAttr>(entry.getValue());
      if (!algorithm || (algorithm.getValue() != plan::kQuadratic &&
                         algorithm.getValue() != plan::kChunked))
        return emitError() << "plan algorithm must be \"quadratic\" or "
                              "\"chunked\", got "
                           << entry.getValue();
      continue;
    }
    if (key == plan::kMatrixOps) {
      auto ops = dyn_cast<StringAttr>(entry.getValue());
      if (!ops ||
          (ops.getValue() != plan::kWarpgroup && ops.getValue() != plan::kWarp))
        return emitError() << "plan matrix_ops must be \"warpgroup\" or "
                              "\"warp\", got "
                           << entry.getValue();
      continue;
    }
    if (key != plan::kBlockM && key != plan::kBlockN && key != plan::kWarps &&
        key != plan::kStages)
      return emitError() << "plan has unknown key '" << key
                         << "'; expected algorithm, block_m, block_n, warps, "
                            "stages or matrix_ops";
    auto intAttr = dyn_cast<IntegerAttr>(entry.getValue());
    if (!intAttr || !intAttr.getType().isSignlessInteger())
      return emitError() << "plan " << key << " must be an integer (e.g. "
                         << key << " = 64 : i64), got " << entry.getValue();
    int64_t value = intAttr.getInt();
    if (key == plan::kWarps) {
      if (value != 1 && value != 2 && value != 4 && value != 8)
        return emitError() << "plan warps = " << value
                           << " is not supported; use 1, 2, 4 or 8";
      warps = value;
    } else if (key == plan::kBlockM) {
      if (value <= 0 || value % 16 != 0)
        return emitError() << "plan block_m = " << value
                           << " must be a positive multiple of 16";
      blockM = value;
    } else if (key == plan::kBlockN) {
      if (value <= 0 || value % 16 != 0)
        return emitError() << "plan block_n = " << value
                           << " must be a positive multiple of 16";
    } else if (value < 1 || value > 8) {
      return emitError() << "plan stages = " << value
                         << " must lie in [1, 8]";
    }
  }
  if (warps && blockM && *blockM % (16 * *warps) != 0)
    return emitError() << "plan block_m = " << *blockM
                       << " must be a multiple of 16 * warps = "
                       << 16 * *warps << " (16 query rows per warp)";
  if (requireComplete)
    for (StringRef key : {plan::kAlgorithm, plan::kBlockM, plan::kBlockN,
                          plan::kWarps, plan::kStages})
      if (!plan.contains(key))
        return emitError() << "plan lacks '" << key
                           << "'; a kernel's plan gives algorithm, block_m, "
                              "block_n, warps and stages";
  return success();
}

AggregateOp KernelOp::getAggregate() {
  if (getBody().empty())
    return {};
  auto ret = dyn_cast<ReturnOp>(getBody().front().getTerminator());
  if (!ret || ret.getValues().empty())
    return {};
  return ret.getValues().front().getDefiningOp<AggregateOp>();
}

FailureOr<SpecChain> KernelOp::getSpecChain() {
  AggregateOp aggregate = getAggregate();
  if (!aggregate)
    return emitOpError() << "body must return the results of an "
                            "attn.aggregate";
  return mlir::attn::getSpecChain(aggregate);
}

LogicalResult KernelOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getArgumentTypes() != getInputs().getTypes())
    return emitOpError() << "region must take one argument per operand, of "
                            "the same types ("
                         << getInputs().size() << " operands, "
                         << body.getNumArguments() << " arguments)";
  auto ret = dyn_cast<ReturnOp>(body.getTerminator());
  if (!ret)
    return emitOpError() << "region must end in attn.return";
  AggregateOp aggregate;
  for (Operation &op : body.without_terminator()) {
    if (!isa<AggregateOp>(op))
      continue;
    if (aggregate)
      return emitOpError() << "must hold exactly one attn.aggregate; fuse "
                              "each chain into its own attn.kernel";
    aggregate = cast<AggregateOp>(op);
  }
  if (!aggregate)
    return emitOpError() << "must hold the attn.aggregate of a spec chain";
  if (!llvm::equal(ret.getValues(), aggregate->getResults()))
    return emitOpError() << "attn.return must return exactly the "
                            "attn.aggregate's results, in order";
  if (ret.getValues().getTypes() != getResultTypes())
    return emitOpError() << "result types must be the attn.aggregate's";
  if (DictionaryAttr planAttr = getPlanAttr())
    if (failed(verifyPlanAttr(planAttr, /*requireComplete=*/true,
                              [&] { return emitOpError(); })))
      return failure();
  if (ArrayAttr classes = getMaskClassesAttr())
    for (Attribute cls : classes) {
      StringRef name = cast<StringAttr>(cls).getValue();
      if (name != mask_class::kStatic && name != mask_class::kDevice &&
          name != mask_class::kElementwise)
        return emitOpError() << "mask class \"" << name
                             << "\" is not one of \"static\", \"device\", "
                                "\"elementwise\"";
    }
  return success();
}
