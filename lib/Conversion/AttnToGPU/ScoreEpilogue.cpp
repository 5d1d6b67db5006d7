//===- ScoreEpilogue.cpp - Per-element score pipeline in a kernel ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Modifiers, decays and masks of docs/semantics.md §3-5, emitted as scalar
// arith/math/memref ops for one element of the score tile. The kernel builder
// calls this for every accumulator element it holds; masks only on partial
// tiles.
//
//===----------------------------------------------------------------------===//

#include "ScoreEpilogue.h"

#include "attn/Analysis/ArgumentRoles.h"
#include "attn/Target/TargetInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

/// Whether the device classifies `leaf` per tile from its input (document
/// ids, block-sparse layouts), rather than treating it as partial.
static bool isClassifiedLeaf(Attribute leaf) {
  return isa<DocumentAttr, BlockSparseAttr>(leaf);
}

static Value cIdx(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

static Value cF32(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

/// Converts a loaded float to f32.
static Value toF32(OpBuilder &b, Location loc, Value v) {
  auto type = cast<FloatType>(v.getType());
  if (type.isF32())
    return v;
  if (type.getWidth() < 32)
    return arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  return arith::TruncFOp::create(b, loc, b.getF32Type(), v);
}

//===----------------------------------------------------------------------===//
// Side inputs
//===----------------------------------------------------------------------===//

/// The problem dim an index block argument ranges over, or "".
static std::string dimOfIndexArg(Value index, Block &block,
                                 unsigned firstIndexArg) {
  auto arg = dyn_cast<BlockArgument>(index);
  if (!arg || arg.getOwner() != &block)
    return "";
  static const char *names[] = {"B", "Hq", "Nk", "Nk"}; // b, h, p, j
  int64_t n = static_cast<int64_t>(arg.getArgNumber()) - firstIndexArg;
  if (n < 0 || n > 3)
    return "";
  return names[n];
}

/// The extents of tensor input `n` of a modifier or predicate region (block
/// argument `firstIndexArg + 4 + n`): static sizes, or the problem dim of the
/// block argument that indexes a dimension directly. Only dims after the
/// first matter for linearisation, so the first may stay unknown ("?").
static FailureOr<SmallVector<std::string>>
inferRegionInputDims(Operation *op, unsigned n, Value input, Block &block,
                     unsigned firstIndexArg) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<std::string> dims;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      dims.push_back(std::to_string(type.getDimSize(d)));
      continue;
    }
    std::string inferred;
    for (Operation *user : block.getArgument(firstIndexArg + 4 + n).getUsers()) {
      auto extract = dyn_cast<tensor::ExtractOp>(user);
      if (!extract)
        continue;
      std::string dim =
          dimOfIndexArg(extract.getIndices()[d], block, firstIndexArg);
      if (!dim.empty() && (inferred.empty() || inferred == dim))
        inferred = dim;
    }
    if (inferred.empty() && d > 0)
      return op->emitOpError()
             << "input " << n << ": cannot infer the extent of dynamic "
             << "dimension " << d << " for the GPU kernel (index it "
             << "directly by %b, %h, %i or %j, or give it a static size)";
    dims.push_back(inferred.empty() ? "?" : inferred);
  }
  return dims;
}

LogicalResult ScoreEpilogue::collectSideInputs() {
  auto add = [&](Value v, SmallVector<std::string> dims) {
    if (lookup(v))
      return;
    SideInput side;
    side.specValue = v;
    Type elementType = cast<RankedTensorType>(v.getType()).getElementType();
    side.memoryElementType =
        elementType.isInteger(1) ? IntegerType::get(v.getContext(), 8)
                                 : elementType;
    side.dims = std::move(dims);
    sideInputs.push_back(std::move(side));
  };
  auto addRegionInputs = [&](Operation *op, ValueRange inputs, Region &region,
                             unsigned firstIndexArg) -> LogicalResult {
    for (auto [n, input] : llvm::enumerate(inputs)) {
      FailureOr<SmallVector<std::string>> dims = inferRegionInputDims(
          op, n, input, region.front(), firstIndexArg);
      if (failed(dims))
        return failure();
      add(input, std::move(*dims));
    }
    return success();
  };

  // The per-channel gate [B, Hq, Nk, F] (bshd: [B, Nk, Hq, F]); kernels
  // that read it copy whole rows of F channels.
  if (Value gate = chain.score.getGate()) {
    std::string channels = std::to_string(
        cast<RankedTensorType>(gate.getType()).getDimSize(3));
    add(gate, chain.score.getLayout() == Layout::bshd
                  ? SmallVector<std::string>{"B", "Nk", "Hq", channels}
                  : SmallVector<std::string>{"B", "Hq", "Nk", channels});
  }
  // Hedgehog's projections [Hq, Dk, F'] and [Hkv, Dk, F'].
  if (Value wq = chain.score.getQueryWeights()) {
    auto type = cast<RankedTensorType>(wq.getType());
    std::string dk = std::to_string(type.getDimSize(1));
    std::string features = std::to_string(type.getDimSize(2));
    add(wq, {"Hq", dk, features});
    add(chain.score.getKeyWeights(), {"Hkv", dk, features});
  }
  for (Operation *op : chain.scoreOps) {
    if (auto modify = dyn_cast<ModifyOp>(op)) {
      if (failed(addRegionInputs(op, modify.getInputs(), modify.getBody(),
                                 /*firstIndexArg=*/1)))
        return failure();
    } else if (auto maskOp = dyn_cast<MaskOp>(op)) {
      maskOps.push_back(maskOp);
      // Inputs named by data-dependent leaves have fixed shapes.
      DenseMap<int64_t, SmallVector<std::string>> named;
      std::function<void(Attribute)> walk = [&](Attribute m) {
        if (auto doc = dyn_cast<DocumentAttr>(m))
          named[doc.getInput()] = {"B", "Nk"};
        else if (auto bs = dyn_cast<BlockSparseAttr>(m)) {
          auto type = cast<RankedTensorType>(
              maskOp.getInputs()[bs.getInput()].getType());
          auto broadcast = [&](int64_t d, StringRef full) -> std::string {
            return type.getDimSize(d) == 1 ? "1" : full.str();
          };
          named[bs.getInput()] = {
              broadcast(0, "B"), broadcast(1, "Hq"),
              "ceil(Nq/" + std::to_string(bs.getQBlock()) + ")",
              "ceil(Nk/" + std::to_string(bs.getKBlock()) + ")"};
        } else if (auto a = dyn_cast<AndAttr>(m)) {
          llvm::for_each(a.getMasks(), walk);
        } else if (auto o = dyn_cast<OrAttr>(m)) {
          llvm::for_each(o.getMasks(), walk);
        }
      };
      walk(maskOp.getMask());
      for (auto [n, input] : llvm::enumerate(maskOp.getInputs())) {
        auto it = named.find(n);
        if (it != named.end()) {
          add(input, it->second);
          continue;
        }
        if (maskOp.getPredicate().empty())
          continue;
        // A predicate region input.
        FailureOr<SmallVector<std::string>> dims = inferRegionInputDims(
            maskOp, n, input, maskOp.getPredicate().front(),
            /*firstIndexArg=*/0);
        if (failed(dims))
          return failure();
        add(input, std::move(*dims));
      }
    } else if (auto decay = dyn_cast<DecayOp>(op)) {
      Value input = decay.getInput();
      if (!input)
        continue;
      if (decay.getKind() == DecayKind::gated)
        add(input, chain.score.getLayout() == Layout::bshd
                       ? SmallVector<std::string>{"B", "Nk", "Hq"}
                       : SmallVector<std::string>{"B", "Hq", "Nk"});
      else
        add(input, {"Hq"});
    }
  }
  if (Value sinks = chain.normalize.getSinks())
    add(sinks, {"Hq"});
  return success();
}

static std::string dtypeName(Type t) {
  if (t.isBF16())
    return "bf16";
  if (auto i = dyn_cast<IntegerType>(t))
    return "i" + std::to_string(i.getWidth());
  if (auto f = dyn_cast<FloatType>(t))
    return "f" + std::to_string(f.getWidth());
  return "?";
}

std::vector<KernelSideInput> ScoreEpilogue::describeSideInputs() const {
  // Callers pass side inputs by the names the reference gives the spec's
  // arguments ("log_gates", "ids", attn.name, suffixed when taken): one
  // analysis names both. "argN" only where it cannot tell.
  std::optional<std::vector<ArgumentRole>> roles;
  if (auto spec = chain.aggregate->getParentOfType<func::FuncOp>()) {
    llvm::Expected<std::vector<ArgumentRole>> analyzed =
        analyzeArgumentRoles(spec);
    if (analyzed)
      roles = std::move(*analyzed);
    else
      llvm::consumeError(analyzed.takeError());
  }
  std::vector<KernelSideInput> out;
  for (const SideInput &side : sideInputs) {
    KernelSideInput k;
    Type elementType =
        cast<RankedTensorType>(side.specValue.getType()).getElementType();
    k.dtype = dtypeName(elementType);
    k.shape.assign(side.dims.begin(), side.dims.end());
    // The spec's argument, also through the block arguments of attn.kernel.
    if (std::optional<unsigned> argNumber =
            getSpecArgumentNumber(side.specValue)) {
      k.argNumber = *argNumber;
      k.name = roles ? (*roles)[*argNumber].name
                     : "arg" + std::to_string(*argNumber);
    } else if (auto arg = dyn_cast<BlockArgument>(side.specValue)) {
      k.argNumber = arg.getArgNumber();
      k.name = "arg" + std::to_string(arg.getArgNumber());
    } else {
      k.name = "side" + std::to_string(out.size());
    }
    out.push_back(std::move(k));
  }
  return out;
}

void ScoreEpilogue::bind(OpBuilder &b, Location loc, ArrayRef<Value> memrefs,
                         const ProblemDims &problem) {
  dims = problem;
  for (auto [side, memref] : llvm::zip(sideInputs, memrefs)) {
    side.memref = memref;
    side.extents.clear();
    for (StringRef d : side.dims) {
      int64_t n;
      Value v;
      if (!d.getAsInteger(10, n))
        v = cIdx(b, loc, n);
      else if (d == "B")
        v = dims.batch;
      else if (d == "Hq")
        v = dims.heads;
      else if (d == "Hkv")
        v = dims.kvHeads;
      else if (d == "Nq")
        v = dims.queries;
      else if (d == "Nk")
        v = dims.keys;
      else if (d.consume_front("ceil(")) {
        // ceil(Nq/64) or ceil(Nk/64).
        Value base = d.starts_with("Nq") ? dims.queries : dims.keys;
        int64_t block = 1;
        d.drop_front(3).take_until([](char c) { return c == ')'; })
            .getAsInteger(10, block);
        v = arith::CeilDivSIOp::create(b, loc, base, cIdx(b, loc, block));
      } else {
        v = cIdx(b, loc, 1); // "?": the leading dim, never used.
      }
      side.extents.push_back(v);
    }
  }
}

const SideInput *ScoreEpilogue::lookup(Value specValue) const {
  for (const SideInput &side : sideInputs)
    if (side.specValue == specValue)
      return &side;
  return nullptr;
}

Value ScoreEpilogue::loadSide(OpBuilder &b, Location loc,
                              const SideInput &side,
                              ValueRange indices) const {
  Value linear = indices.front();
  for (size_t d = 1; d < indices.size(); ++d)
    linear = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, linear, side.extents[d]),
        indices[d]);
  return memref::LoadOp::create(b, loc, side.memref, ValueRange{linear});
}

//===----------------------------------------------------------------------===//
// Modifiers and predicate regions
//===----------------------------------------------------------------------===//

Value ScoreEpilogue::cloneRegion(OpBuilder &b, Location loc, Region &region,
                                 ArrayRef<Value> leadingArgs,
                                 ValueRange inputs) const {
  Block &block = region.front();
  IRMapping mapping;
  for (auto [arg, value] : llvm::zip(block.getArguments(), leadingArgs))
    mapping.map(arg, value);
  for (Operation &op : block.without_terminator()) {
    if (auto extract = dyn_cast<tensor::ExtractOp>(op)) {
      auto arg = cast<BlockArgument>(extract.getTensor());
      const SideInput *side =
          lookup(inputs[arg.getArgNumber() - leadingArgs.size()]);
      SmallVector<Value> indices = llvm::map_to_vector(
          extract.getIndices(), [&](Value v) { return mapping.lookup(v); });
      Value loaded = loadSide(b, loc, *side, indices);
      if (extract.getType().isInteger(1))
        loaded = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                       loaded,
                                       arith::ConstantIntOp::create(
                                           b, loc, loaded.getType(), 0));
      mapping.map(extract.getResult(), loaded);
      continue;
    }
    b.clone(op, mapping);
  }
  return mapping.lookup(block.getTerminator()->getOperand(0));
}

bool ScoreEpilogue::hasModifiers() const {
  return llvm::any_of(chain.scoreOps,
                      [](Operation *op) { return isa<ModifyOp>(op); });
}

bool ScoreEpilogue::hasDecay() const {
  return llvm::any_of(chain.scoreOps,
                      [](Operation *op) { return isa<DecayOp>(op); });
}

Value ScoreEpilogue::applyModifiers(OpBuilder &b, Location loc, Value s,
                                    Value batch, Value head, Value pos,
                                    Value key) const {
  for (Operation *op : chain.scoreOps)
    if (auto modify = dyn_cast<ModifyOp>(op))
      s = cloneRegion(b, loc, modify.getBody(), {s, batch, head, pos, key},
                      modify.getInputs());
  return s;
}

Value ScoreEpilogue::logDecay(OpBuilder &b, Location loc, Value head,
                              Value pos, Value key) const {
  Value total;
  for (Operation *op : chain.scoreOps) {
    auto decay = dyn_cast<DecayOp>(op);
    if (!decay)
      continue;
    // Exponential: |p - j| * ln(gamma_h) (gated decays are refused earlier).
    Value logRate;
    if (Value input = decay.getInput()) {
      logRate = math::LogOp::create(
          b, loc, toF32(b, loc, loadSide(b, loc, *lookup(input), {head})));
    } else {
      ArrayRef<double> rates = *decay.getRates();
      logRate = cF32(b, loc, std::log(rates.front()));
      for (size_t h = 1; h < rates.size(); ++h) {
        Value isH = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          head, cIdx(b, loc, h));
        logRate = arith::SelectOp::create(
            b, loc, isH, cF32(b, loc, std::log(rates[h])), logRate);
      }
    }
    Value diff = arith::SubIOp::create(b, loc, pos, key);
    Value dist = math::AbsIOp::create(
        b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), diff));
    Value distF = arith::SIToFPOp::create(b, loc, b.getF32Type(), dist);
    Value term = arith::MulFOp::create(b, loc, distF, logRate);
    total = total ? arith::AddFOp::create(b, loc, total, term) : term;
  }
  return total;
}

Value ScoreEpilogue::tokenLogGate(OpBuilder &b, Location loc, Value batch,
                                  Value head, Value token) const {
  Value total;
  for (Operation *op : chain.scoreOps) {
    auto decay = dyn_cast<DecayOp>(op);
    if (!decay)
      continue;
    Value term;
    if (decay.getKind() == DecayKind::gated) {
      const SideInput &side = *lookup(decay.getInput());
      term = toF32(b, loc,
                   chain.score.getLayout() == Layout::bshd
                       ? loadSide(b, loc, side, {batch, token, head})
                       : loadSide(b, loc, side, {batch, head, token}));
    } else if (Value input = decay.getInput()) {
      term = math::LogOp::create(
          b, loc, toF32(b, loc, loadSide(b, loc, *lookup(input), {head})));
    } else {
      ArrayRef<double> rates = *decay.getRates();
      term = cF32(b, loc, std::log(rates.front()));
      for (size_t h = 1; h < rates.size(); ++h) {
        Value isH = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          head, cIdx(b, loc, h));
        term = arith::SelectOp::create(
            b, loc, isH, cF32(b, loc, std::log(rates[h])), term);
      }
    }
    total = total ? arith::AddFOp::create(b, loc, total, term) : term;
  }
  return total;
}

Value ScoreEpilogue::sinkLogit(OpBuilder &b, Location loc, Value head) const {
  Value sinks = chain.normalize.getSinks();
  if (!sinks)
    return nullptr;
  return toF32(b, loc, loadSide(b, loc, *lookup(sinks), {head}));
}

//===----------------------------------------------------------------------===//
// Masks
//===----------------------------------------------------------------------===//

Attribute ScoreEpilogue::getCombinedMask() const {
  if (maskOps.empty())
    return nullptr;
  MaskOp front = maskOps.front();
  if (maskOps.size() == 1)
    return front.getMask();
  SmallVector<Attribute> masks = llvm::map_to_vector(
      maskOps, [](MaskOp op) -> Attribute { return op.getMask(); });
  return AndAttr::get(front.getContext(), masks);
}

Value ScoreEpilogue::visible(OpBuilder &b, Location loc, Value batch,
                             Value head, Value row, Value pos, Value key,
                             ArrayRef<Value> leafValues) const {
  Value all;
  unsigned leaf = 0;
  for (MaskOp op : maskOps) {
    Value v = maskValue(b, loc, op.getMask(), op, batch, head, row, pos, key,
                        leafValues, leaf);
    all = all ? arith::AndIOp::create(b, loc, all, v) : v;
  }
  return all;
}

Value ScoreEpilogue::maskValue(OpBuilder &b, Location loc, Attribute m,
                               MaskOp maskOp, Value batch, Value head,
                               Value row, Value pos, Value key,
                               ArrayRef<Value> leafValues,
                               unsigned &leaf) const {
  if (isClassifiedLeaf(m)) {
    unsigned index = leaf++;
    if (!leafValues.empty())
      return leafValues[index];
  }
  IRBuildContext ctx{b, loc};
  IRInt p{pos, &ctx}, j{key, &ctx};
  using tile::land;
  if (isa<CausalAttr>(m))
    return (j <= p).value;
  if (auto w = dyn_cast<WindowAttr>(m))
    return land(p - w.getLeft() <= j, j <= p + w.getRight()).value;
  if (auto s = dyn_cast<SinksAttr>(m))
    return (j < s.getCount()).value;
  if (auto pr = dyn_cast<PrefixAttr>(m))
    return (j < pr.getLength()).value;
  if (auto bd = dyn_cast<BlockDiagonalAttr>(m))
    return (tile::floorDiv(p, bd.getSize()) == tile::floorDiv(j, bd.getSize()))
        .value;
  if (auto d = dyn_cast<DilatedAttr>(m)) {
    IRInt diff = p - j;
    IRInt rem = diff.bin<arith::RemSIOp>(diff.lift(d.getStride()));
    return (rem == rem.lift(0)).value;
  }
  if (auto doc = dyn_cast<DocumentAttr>(m)) {
    const SideInput *side = lookup(maskOp.getInputs()[doc.getInput()]);
    IRInt clamped = tile::tmax(p, p.lift(0));
    Value idQ = loadSide(b, loc, *side, {batch, clamped.value});
    Value idK = loadSide(b, loc, *side, {batch, key});
    Value same =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, idQ, idK);
    return arith::AndIOp::create(b, loc, same, (p >= 0).value);
  }
  if (auto bs = dyn_cast<BlockSparseAttr>(m)) {
    const SideInput *side = lookup(maskOp.getInputs()[bs.getInput()]);
    Value zero = cIdx(b, loc, 0);
    Value bi = side->dims[0] == "1" ? zero : batch;
    Value hi = side->dims[1] == "1" ? zero : head;
    Value qb = arith::DivSIOp::create(b, loc, row, cIdx(b, loc, bs.getQBlock()));
    Value kb = arith::DivSIOp::create(b, loc, key, cIdx(b, loc, bs.getKBlock()));
    Value entry = loadSide(b, loc, *side, {bi, hi, qb, kb});
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ne, entry,
        arith::ConstantIntOp::create(b, loc, entry.getType(), 0));
  }
  if (auto n = dyn_cast<Neighborhood2DAttr>(m)) {
    int64_t width = n.getWidth(), extent = n.getHeight() * width;
    IRInt pc = tile::tmin(tile::tmax(p, p.lift(0)), p.lift(extent - 1));
    auto axis = [&](IRInt c, IRInt c2, int64_t len, int64_t k, int64_t dil) {
      IRInt g = c.bin<arith::RemSIOp>(c.lift(dil));
      IRInt lg = (c.lift(len + dil - 1) - g) / dil;
      IRInt ci = c / dil;
      IRInt start =
          tile::tmax(c.lift(0), tile::tmin(ci - k / 2, lg - k));
      IRInt c2i = c2 / dil;
      IRBool sameGroup = c2.bin<arith::RemSIOp>(c.lift(dil)) == g;
      return land(sameGroup, land(start <= c2i, c2i < start + k));
    };
    IRBool rows = axis(pc / width, j / width, n.getHeight(), n.getKernelH(),
                       n.getDilationH());
    IRBool cols = axis(pc.bin<arith::RemSIOp>(pc.lift(width)),
                       j.bin<arith::RemSIOp>(j.lift(width)), width,
                       n.getKernelW(), n.getDilationW());
    return land(land(rows, cols), land(p >= 0, p < extent)).value;
  }
  if (isa<PredicateAttr>(m))
    return cloneRegion(b, loc, maskOp.getPredicate(), {batch, head, pos, key},
                       maskOp.getInputs());
  if (auto a = dyn_cast<AndAttr>(m)) {
    Value all;
    for (Attribute sub : a.getMasks()) {
      Value v = maskValue(b, loc, sub, maskOp, batch, head, row, pos, key,
                          leafValues, leaf);
      all = all ? arith::AndIOp::create(b, loc, all, v) : v;
    }
    return all;
  }
  auto o = cast<OrAttr>(m);
  Value any;
  for (Attribute sub : o.getMasks()) {
    Value v = maskValue(b, loc, sub, maskOp, batch, head, row, pos, key,
                        leafValues, leaf);
    any = any ? arith::OrIOp::create(b, loc, any, v) : v;
  }
  return any;
}

//===----------------------------------------------------------------------===//
// Tile classification
//===----------------------------------------------------------------------===//

/// Calls `fn(leaf, maskOp)` for every leaf of `m`.
static void forEachLeaf(Attribute m, MaskOp op,
                        function_ref<void(Attribute, MaskOp)> fn) {
  if (auto a = dyn_cast<AndAttr>(m)) {
    for (Attribute sub : a.getMasks())
      forEachLeaf(sub, op, fn);
    return;
  }
  if (auto o = dyn_cast<OrAttr>(m)) {
    for (Attribute sub : o.getMasks())
      forEachLeaf(sub, op, fn);
    return;
  }
  fn(m, op);
}

bool ScoreEpilogue::hasDataDependentMask() const {
  return getNumClassifiedLeaves() != 0;
}

std::pair<Value, Value> ScoreEpilogue::idRange(OpBuilder &b, Location loc,
                                               const SideInput &side,
                                               Value batch, Value lo, Value hi,
                                               int64_t maxLen) const {
  Type t = side.memoryElementType;
  unsigned width = t.getIntOrFloatBitWidth();
  Value big = arith::ConstantIntOp::create(
      b, loc, t, static_cast<int64_t>(APInt::getSignedMaxValue(width)
                                          .getSExtValue()));
  Value small = arith::ConstantIntOp::create(
      b, loc, t, APInt::getSignedMinValue(width).getSExtValue());
  Value mn = big, mx = small;
  int64_t warp = target->getWarpSize();
  for (int64_t k = 0; k * warp < maxLen; ++k) {
    Value idx = arith::AddIOp::create(
        b, loc, lo, arith::AddIOp::create(b, loc, laneId, cIdx(b, loc, k * warp)));
    Value valid = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, idx, hi),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, idx,
                              cIdx(b, loc, 0)));
    Value safe = arith::SelectOp::create(b, loc, valid, idx, cIdx(b, loc, 0));
    Value id = loadSide(b, loc, side, {batch, safe});
    mn = arith::MinSIOp::create(
        b, loc, mn, arith::SelectOp::create(b, loc, valid, id, big));
    mx = arith::MaxSIOp::create(
        b, loc, mx, arith::SelectOp::create(b, loc, valid, id, small));
  }
  return {target->warpReduceInt(b, loc, mn, /*isMax=*/false),
          target->warpReduceInt(b, loc, mx, /*isMax=*/true)};
}

void ScoreEpilogue::prepareQueryTile(OpBuilder &b, Location loc,
                                     const TargetInfo &t, Value lane,
                                     Value batch, Value p0, Value p1,
                                     int64_t maxQueries) {
  target = &t;
  laneId = lane;
  Value zero = cIdx(b, loc, 0);
  queryPositionsValid =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, p0, zero);
  Value lo = arith::MaxSIOp::create(b, loc, p0, zero);
  for (MaskOp op : maskOps)
    forEachLeaf(op.getMask(), op, [&](Attribute leaf, MaskOp maskOp) {
      auto doc = dyn_cast<DocumentAttr>(leaf);
      if (!doc)
        return;
      const SideInput *side = lookup(maskOp.getInputs()[doc.getInput()]);
      if (!side->memoryElementType.isInteger(32) || queryIdRange.count(side->memref))
        return;
      queryIdRange[side->memref] =
          idRange(b, loc, *side, batch, lo, p1, maxQueries);
    });
}

SmallVector<Value> ScoreEpilogue::getKeyRangeInputs() const {
  SmallVector<Value> inputs;
  for (MaskOp op : maskOps)
    forEachLeaf(op.getMask(), op, [&](Attribute leaf, MaskOp maskOp) {
      auto doc = dyn_cast<DocumentAttr>(leaf);
      if (!doc)
        return;
      Value ids = maskOp.getInputs()[doc.getInput()];
      if (getElementTypeOrSelf(ids.getType()).isInteger(32) &&
          !llvm::is_contained(inputs, ids))
        inputs.push_back(ids);
    });
  return inputs;
}

/// The index of the first word of key tile `tile`'s range in table `table`.
static Value keyRangeWord(OpBuilder &b, Location loc, int64_t table,
                          Value batches, Value batch, Value tiles, Value tile) {
  auto mul = [&](Value x, Value y) {
    return arith::MulIOp::create(b, loc, x, y).getResult();
  };
  auto add = [&](Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  };
  Value row = add(mul(cIdx(b, loc, table), batches), batch);
  return mul(add(mul(row, tiles), tile), cIdx(b, loc, 2));
}

void ScoreEpilogue::writeKeyRanges(OpBuilder &b, Location loc,
                                   const TargetInfo &t, Value lane, Value batch,
                                   Value tile, Value keyTiles, int64_t blockN,
                                   Value workspace) {
  target = &t;
  laneId = lane;
  Value j0 = arith::MulIOp::create(b, loc, tile, cIdx(b, loc, blockN));
  Value j1 = arith::SubIOp::create(
      b, loc,
      arith::MinSIOp::create(
          b, loc, arith::AddIOp::create(b, loc, j0, cIdx(b, loc, blockN)),
          dims.keys),
      cIdx(b, loc, 1));
  Value isLeader = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane,
                                         cIdx(b, loc, 0));
  for (auto [table, ids] : llvm::enumerate(getKeyRangeInputs())) {
    auto [mn, mx] = idRange(b, loc, *lookup(ids), batch, j0, j1, blockN);
    Value word = keyRangeWord(b, loc, table, dims.batch, batch, keyTiles, tile);
    scf::IfOp::create(b, loc, isLeader, [&](OpBuilder &b, Location loc) {
      memref::StoreOp::create(b, loc, mn, workspace, ValueRange{word});
      memref::StoreOp::create(
          b, loc, mx, workspace,
          ValueRange{arith::AddIOp::create(b, loc, word, cIdx(b, loc, 1))});
      scf::YieldOp::create(b, loc);
    });
  }
}

void ScoreEpilogue::bindKeyRanges(Value workspace, Value keyTiles,
                                  int64_t blockN) {
  keyRangeWorkspace = workspace;
  keyRangeTiles = keyTiles;
  keyRangeBlock = blockN;
  keyRangeInputs = getKeyRangeInputs();
}

IRInt ScoreEpilogue::classifyDataDependent(Attribute leaf, MaskOp maskOp,
                                           const TileBounds<IRInt> &t,
                                           Value batch, Value head) const {
  if (auto doc = dyn_cast<DocumentAttr>(leaf)) {
    Value ids = maskOp.getInputs()[doc.getInput()];
    const SideInput *side = lookup(ids);
    auto it = queryIdRange.find(side->memref);
    if (it == queryIdRange.end() || !keyRangeWorkspace)
      return t.p0.lift(static_cast<int64_t>(TileClass::Partial));
    OpBuilder &b = t.p0.ctx->builder;
    Location loc = t.p0.ctx->loc;
    // The tile's [min, max] from its table: two words the lanes of a warp
    // share, not blockN ids reduced over the warp.
    int64_t table = llvm::find(keyRangeInputs, ids) - keyRangeInputs.begin();
    Value tile =
        arith::DivUIOp::create(b, loc, t.j0.value, cIdx(b, loc, keyRangeBlock));
    Value word =
        keyRangeWord(b, loc, table, dims.batch, batch, keyRangeTiles, tile);
    Value kMin =
        memref::LoadOp::create(b, loc, keyRangeWorkspace, ValueRange{word});
    Value kMax = memref::LoadOp::create(
        b, loc, keyRangeWorkspace,
        ValueRange{arith::AddIOp::create(b, loc, word, cIdx(b, loc, 1))});
    auto wrap = [&](Value v) { return IRInt{v, t.p0.ctx}; };
    return classifyDocumentTile(wrap(it->second.first),
                                wrap(it->second.second), wrap(kMin),
                                wrap(kMax),
                                IRBool{queryPositionsValid, t.p0.ctx}, t.p0);
  }
  auto bs = dyn_cast<BlockSparseAttr>(leaf);
  if (!bs)
    return t.p0.lift(static_cast<int64_t>(TileClass::Partial));
  // Scan the layout blocks the tile covers: skip if none is set, full if all
  // are.
  OpBuilder &b = t.p0.ctx->builder;
  Location loc = t.p0.ctx->loc;
  const SideInput *side = lookup(maskOp.getInputs()[bs.getInput()]);
  Value zero = cIdx(b, loc, 0), one = cIdx(b, loc, 1);
  Value bi = side->dims[0] == "1" ? zero : batch;
  Value hi = side->dims[1] == "1" ? zero : head;
  IRInt qb0 = t.i0 / bs.getQBlock(), qb1 = t.i1 / bs.getQBlock() + 1;
  IRInt kb0 = t.j0 / bs.getKBlock(), kb1 = t.j1 / bs.getKBlock() + 1;
  Value trueV = arith::ConstantIntOp::create(b, loc, 1, 1);
  Value falseV = arith::ConstantIntOp::create(b, loc, 0, 1);
  auto outer = scf::ForOp::create(
      b, loc, qb0.value, qb1.value, one, ValueRange{falseV, trueV},
      [&](OpBuilder &b, Location loc, Value qb, ValueRange acc) {
        auto inner = scf::ForOp::create(
            b, loc, kb0.value, kb1.value, one, acc,
            [&](OpBuilder &b, Location loc, Value kb, ValueRange acc) {
              Value entry = loadSide(b, loc, *side, {bi, hi, qb, kb});
              Value set = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::ne, entry,
                  arith::ConstantIntOp::create(b, loc, entry.getType(), 0));
              Value any = arith::OrIOp::create(b, loc, acc[0], set);
              Value all = arith::AndIOp::create(b, loc, acc[1], set);
              scf::YieldOp::create(b, loc, ValueRange{any, all});
            });
        scf::YieldOp::create(b, loc, inner.getResults());
      });
  IRBool any{outer.getResult(0), t.p0.ctx}, all{outer.getResult(1), t.p0.ctx};
  return classifyBlockSparseTile(any, all, t.p0);
}

unsigned ScoreEpilogue::getNumClassifiedLeaves() const {
  unsigned n = 0;
  for (MaskOp op : maskOps)
    forEachLeaf(op.getMask(), op,
                [&](Attribute leaf, MaskOp) { n += isClassifiedLeaf(leaf); });
  return n;
}

IRInt ScoreEpilogue::classifyTile(const TileBounds<IRInt> &t, Value batch,
                                  Value head,
                                  SmallVectorImpl<Value> *leafClasses) const {
  IRInt c = t.p0.lift(static_cast<int64_t>(TileClass::Full));
  for (MaskOp op : maskOps) {
    DataDependentClassifier<IRInt> hook = [&](Attribute leaf,
                                              const TileBounds<IRInt> &tb) {
      IRInt leafClass = classifyDataDependent(leaf, op, tb, batch, head);
      if (leafClasses && isClassifiedLeaf(leaf))
        leafClasses->push_back(leafClass.value);
      return leafClass;
    };
    c = tile::tmin(c, attn::classifyTile<IRInt>(op.getMask(), t, hook));
  }
  return c;
}

std::pair<IRInt, IRInt> ScoreEpilogue::visibleKeys(IRInt p0, IRInt p1,
                                                   IRInt nk) const {
  std::pair<IRInt, IRInt> r = {p0.lift(0), nk};
  for (MaskOp op : maskOps) {
    auto [lo, hi] = visibleKeyHull<IRInt>(op.getMask(), p0, p1, nk);
    r = {tile::tmax(r.first, lo), tile::tmin(r.second, hi)};
  }
  return r;
}
