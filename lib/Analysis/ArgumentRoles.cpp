//===- ArgumentRoles.cpp - What each spec argument is ---------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// One table, roleOfUse, maps a use of an argument by an attn op to its role,
// name and expected shape; analyzeArgumentRoles applies it to each
// argument's first use and makes the names unique.
//
//===----------------------------------------------------------------------===//

#include "attn/Analysis/ArgumentRoles.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// The role table
//===----------------------------------------------------------------------===//

std::string ArgumentRole::dimsString() const {
  std::string text = "[";
  for (const DimSpec &dim : dims) {
    if (text.size() > 1)
      text += ", ";
    text += dim.label;
  }
  return text + "]";
}

/// The attn.score at the root of the chain `op` belongs to.
static ScoreOp getRootScore(Operation *op) {
  if (auto aggregate = dyn_cast<AggregateOp>(op))
    op = aggregate.getNormalizeOp();
  while (op) {
    if (auto score = dyn_cast<ScoreOp>(op))
      return score;
    if (!isa<ModifyOp, MaskOp, DecayOp, NormalizeOp>(op))
      return {};
    op = op->getOperand(0).getDefiningOp();
  }
  return {};
}

DimSpec DimSpec::get(DimSymbol s) {
  static const char *const labels[] = {
      "B", "Hq", "Hkv", "Nq", "Nk", "", "B or 1", "Hq or 1", "", "", "?"};
  return {s, 0, labels[static_cast<int>(s)], std::nullopt};
}

/// Short for DimSpec::get in the role table below.
static DimSpec sym(DimSymbol s) { return DimSpec::get(s); }

static DimSpec staticDim(int64_t value, StringRef label) {
  return {DimSymbol::Static, value, label.str(), std::nullopt};
}

/// A rank-4 shape in `layout` from its batch, heads, sequence and last axes.
static std::vector<DimSpec> inLayout(Layout layout, DimSpec batch,
                                     DimSpec heads, DimSpec seq, DimSpec last) {
  LayoutAxes ax = getLayoutAxes(layout);
  std::vector<DimSpec> dims(4);
  dims[ax.batch] = batch;
  dims[ax.heads] = heads;
  dims[ax.seq] = seq;
  dims[ax.dim] = last;
  return dims;
}

/// The symbol a region indexes a tensor axis with, if it is a plain region
/// argument: b -> B, h -> Hq, i or j -> Nk (aligned positions span [0, Nk)).
static std::optional<DimSymbol> indexSymbol(Value index, unsigned firstScalar) {
  auto arg = dyn_cast<BlockArgument>(index);
  if (!arg)
    return std::nullopt;
  int pos =
      static_cast<int>(arg.getArgNumber()) - static_cast<int>(firstScalar);
  switch (pos) {
  case 0:
    return DimSymbol::B;
  case 1:
    return DimSymbol::Hq;
  case 2:
  case 3:
    return DimSymbol::Nk;
  default:
    return std::nullopt;
  }
}

/// Dims of a modifier / predicate input: its type's, dynamic ones inferred
/// from the tensor.extract ops reading region argument `regionArg`.
static std::vector<DimSpec> regionInputDims(RankedTensorType type,
                                            BlockArgument regionArg,
                                            unsigned firstScalar) {
  std::vector<DimSpec> dims;
  for (int64_t axis = 0; axis < type.getRank(); ++axis) {
    if (!type.isDynamicDim(axis)) {
      dims.push_back(staticDim(type.getDimSize(axis),
                               std::to_string(type.getDimSize(axis))));
      continue;
    }
    DimSpec dim = sym(DimSymbol::Free);
    bool conflict = false;
    for (Operation *user : regionArg.getUsers()) {
      auto extract = dyn_cast<tensor::ExtractOp>(user);
      if (!extract)
        continue;
      std::optional<DimSymbol> s =
          indexSymbol(extract.getIndices()[axis], firstScalar);
      if (!s || (dim.inferred && *dim.inferred != *s))
        conflict = true;
      else
        dim.inferred = s;
    }
    if (conflict)
      dim.inferred.reset();
    dims.push_back(dim);
  }
  return dims;
}

/// The role of operand `operandNumber` of `op`, if `op` is an attn op.
static std::optional<ArgumentRole>
roleOfUse(Operation *op, unsigned operandNumber, int &nextInput) {
  ArgumentRole r;
  r.user = op;
  r.type = dyn_cast<RankedTensorType>(op->getOperand(operandNumber).getType());
  if (!r.type)
    return std::nullopt;
  ScoreOp score = getRootScore(op);
  if (!score)
    return std::nullopt;
  r.score = score;
  Layout layout = score.getLayout();
  int64_t dk = score.getHeadDim();
  int64_t f = score.getFeatureDim();
  auto set = [&](ArgumentKind kind, StringRef name, StringRef description,
                 std::vector<DimSpec> dims, bool integer = false) {
    r.kind = kind;
    r.name = name.str();
    r.description = description.str();
    r.dims = std::move(dims);
    r.integer = integer;
    return r;
  };
  auto regionInput = [&](ArgumentKind kind, StringRef description,
                         Region &region, unsigned firstScalar,
                         unsigned numScalars, unsigned input) {
    std::vector<DimSpec> dims;
    if (!region.empty())
      dims = regionInputDims(
          r.type, region.front().getArgument(numScalars + input), firstScalar);
    else
      dims.assign(r.type.getRank(), sym(DimSymbol::Free));
    set(kind, "input" + std::to_string(nextInput++), description,
        std::move(dims), r.type.getElementType().isIntOrIndex());
    r.anyElement = true;
    return r;
  };

  if (auto s = dyn_cast<ScoreOp>(op)) {
    // Operands: query, key, then the optional gate and weights, in order.
    unsigned gatePos = s.getGate() ? 2 : ~0u;
    unsigned weightsPos = s.getGate() ? 3 : 2;
    if (operandNumber == 0)
      return set(ArgumentKind::Query, "q", "query",
                 inLayout(layout, sym(DimSymbol::B), sym(DimSymbol::Hq),
                          sym(DimSymbol::Nq), staticDim(dk, "Dk")));
    if (operandNumber == 1)
      return set(ArgumentKind::Key, "k", "key",
                 inLayout(layout, sym(DimSymbol::B), sym(DimSymbol::Hkv),
                          sym(DimSymbol::Nk), staticDim(dk, "Dk")));
    if (operandNumber == gatePos)
      return set(ArgumentKind::Gate, "gate", "per-channel log-gates",
                 inLayout(layout, sym(DimSymbol::B), sym(DimSymbol::Hq),
                          sym(DimSymbol::Nk), staticDim(f, "F")));
    int64_t fw = r.type.getDimSize(2);
    if (operandNumber == weightsPos)
      return set(
          ArgumentKind::QueryWeights, "query_weights", "hedgehog query weights",
          {sym(DimSymbol::Hq), staticDim(dk, "Dk"), staticDim(fw, "F/2")});
    return set(
        ArgumentKind::KeyWeights, "key_weights", "hedgehog key weights",
        {sym(DimSymbol::Hkv), staticDim(dk, "Dk"), staticDim(fw, "F/2")});
  }
  if (auto modify = dyn_cast<ModifyOp>(op))
    return regionInput(ArgumentKind::ModifierInput, "modifier input",
                       modify.getBody(),
                       /*firstScalar=*/1, /*numScalars=*/5, operandNumber - 1);
  if (auto mask = dyn_cast<MaskOp>(op)) {
    int64_t input = operandNumber - 1;
    std::optional<ArgumentRole> found;
    walkMask(mask.getMask(), [&](Attribute attr) {
      if (found)
        return;
      if (auto doc = dyn_cast<DocumentAttr>(attr);
          doc && doc.getInput() == input)
        found = set(ArgumentKind::DocumentIds, "ids", "document ids",
                    {sym(DimSymbol::B), sym(DimSymbol::Nk)}, /*integer=*/true);
      if (auto bs = dyn_cast<BlockSparseAttr>(attr);
          bs && bs.getInput() == input)
        found = set(
            ArgumentKind::BlockLayout, "layout", "block-sparse layout",
            {sym(DimSymbol::BOr1),
             sym(DimSymbol::HqOr1),
             {DimSymbol::QBlocks, bs.getQBlock(),
              "ceil(Nq/" + std::to_string(bs.getQBlock()) + ")", std::nullopt},
             {DimSymbol::KBlocks, bs.getKBlock(),
              "ceil(Nk/" + std::to_string(bs.getKBlock()) + ")", std::nullopt}},
            /*integer=*/true);
    });
    if (found)
      return found;
    return regionInput(ArgumentKind::PredicateInput, "predicate input",
                       mask.getPredicate(), /*firstScalar=*/0,
                       /*numScalars=*/4, input);
  }
  if (auto decay = dyn_cast<DecayOp>(op)) {
    if (decay.getKind() == DecayKind::exponential)
      return set(ArgumentKind::Rates, "rates", "exponential decay rates",
                 {sym(DimSymbol::Hq)});
    if (layout == Layout::bhsd)
      return set(ArgumentKind::LogGates, "log_gates", "gated decay log-gates",
                 {sym(DimSymbol::B), sym(DimSymbol::Hq), sym(DimSymbol::Nk)});
    return set(ArgumentKind::LogGates, "log_gates", "gated decay log-gates",
               {sym(DimSymbol::B), sym(DimSymbol::Nk), sym(DimSymbol::Hq)});
  }
  if (isa<NormalizeOp>(op))
    return set(ArgumentKind::Sinks, "sinks", "sink logits",
               {sym(DimSymbol::Hq)});
  if (auto aggregate = dyn_cast<AggregateOp>(op)) {
    int64_t dv =
        cast<RankedTensorType>(aggregate.getValues().getType()).getDimSize(3);
    if (operandNumber == 1)
      return set(ArgumentKind::Values, "v", "values",
                 inLayout(layout, sym(DimSymbol::B), sym(DimSymbol::Hkv),
                          sym(DimSymbol::Nk), staticDim(dv, "Dv")));
    return set(ArgumentKind::InitialState, "initial_state", "initial state",
               {sym(DimSymbol::B), sym(DimSymbol::Hq), staticDim(f, "F"),
                staticDim(dv, "Dv")});
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// analyzeArgumentRoles
//===----------------------------------------------------------------------===//

std::optional<unsigned> mlir::attn::getSpecArgumentNumber(Value value) {
  while (auto arg = dyn_cast<BlockArgument>(value)) {
    Block *block = arg.getOwner();
    Operation *parent = block->getParentOp();
    if (auto kernel = dyn_cast_or_null<KernelOp>(parent)) {
      value = kernel.getInputs()[arg.getArgNumber()];
      continue;
    }
    if (isa_and_nonnull<func::FuncOp>(parent) && block->isEntryBlock())
      return arg.getArgNumber();
    return std::nullopt;
  }
  return std::nullopt;
}

/// Records, for every argument of the spec not yet given a role, the role
/// of its first use among `block`'s ops, looking into attn.kernel bodies in
/// place of the kernel's own operands.
static void assignRoles(Block &block,
                        std::vector<std::optional<ArgumentRole>> &roles,
                        int &nextInput) {
  for (Operation &op : block) {
    if (auto kernel = dyn_cast<KernelOp>(op)) {
      if (!kernel.getBody().empty())
        assignRoles(kernel.getBody().front(), roles, nextInput);
      continue;
    }
    for (OpOperand &operand : op.getOpOperands()) {
      std::optional<unsigned> arg = getSpecArgumentNumber(operand.get());
      if (!arg || roles[*arg])
        continue;
      roles[*arg] = roleOfUse(&op, operand.getOperandNumber(), nextInput);
    }
  }
}

llvm::Expected<std::vector<ArgumentRole>>
mlir::attn::analyzeArgumentRoles(func::FuncOp spec) {
  auto makeError = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
  if (spec.isExternal())
    return makeError("spec function '" + spec.getSymName() + "' has no body");
  unsigned numArgs = spec.getNumArguments();
  std::vector<std::optional<ArgumentRole>> roles(numArgs);
  int nextInput = 0;
  assignRoles(spec.getBody().front(), roles, nextInput);

  std::vector<ArgumentRole> result;
  llvm::StringSet<> taken;
  for (unsigned i = 0; i < numArgs; ++i) {
    if (!roles[i])
      return makeError("argument " + llvm::Twine(i) + " of '" +
                       spec.getSymName() +
                       "' is not read by any attn op, so its role (and "
                       "shape) is unknown");
    ArgumentRole &role = *roles[i];
    if (auto name = spec.getArgAttrOfType<StringAttr>(i, "attn.name"))
      role.name = name.getValue().str();
    std::string unique = role.name;
    for (int suffix = 1; taken.contains(unique); ++suffix)
      unique = role.name + "_" + std::to_string(suffix);
    role.name = unique;
    taken.insert(unique);
    result.push_back(std::move(role));
  }
  return result;
}
