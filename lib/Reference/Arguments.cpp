//===- Arguments.cpp - Roles, shapes and random values of spec arguments --===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// An argument's role is decided by its first use in program order, so that
// names and expected shapes are stable whatever the use-list order. The
// problem sizes B, Hq, Hkv, Nq, Nk are global to a spec: a hybrid spec
// (Based: linear + sliding-window softmax) combines outputs element-wise, so
// its aggregates must agree on them anyway.
//
//===----------------------------------------------------------------------===//

#include "ArgumentRoles.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <random>

using namespace mlir;
using namespace mlir::attn;
using namespace ::attn::reference;
using namespace ::attn::reference::detail;
using ::attn::ElementKind;
using ::attn::HostTensor;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace attn::reference::detail {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "[";
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

ElementKind getElementKind(Type type) {
  if (type.isF16())
    return ElementKind::F16;
  if (type.isBF16())
    return ElementKind::BF16;
  if (type.isF32())
    return ElementKind::F32;
  if (isa<FloatType>(type))
    return ElementKind::F64;
  if (type.isInteger(1))
    return ElementKind::I1;
  if (type.isUnsignedInteger(8))
    return ElementKind::U8;
  if (type.isInteger(8))
    return ElementKind::I8;
  if (type.isInteger(32) || type.isInteger(16))
    return ElementKind::I32;
  return ElementKind::I64;
}

} // namespace attn::reference::detail

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

static DimSpec sym(Sym s) {
  static const char *const labels[] = {
      "B", "Hq", "Hkv", "Nq", "Nk", "", "B or 1", "Hq or 1", "", "", "?"};
  return {s, 0, labels[static_cast<int>(s)], std::nullopt};
}

static DimSpec staticDim(int64_t value, StringRef label) {
  return {Sym::Static, value, label.str(), std::nullopt};
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
static std::optional<Sym> indexSymbol(Value index, unsigned firstScalar) {
  auto arg = dyn_cast<BlockArgument>(index);
  if (!arg)
    return std::nullopt;
  int pos =
      static_cast<int>(arg.getArgNumber()) - static_cast<int>(firstScalar);
  switch (pos) {
  case 0:
    return Sym::B;
  case 1:
    return Sym::Hq;
  case 2:
  case 3:
    return Sym::Nk;
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
    DimSpec dim = sym(Sym::Free);
    bool conflict = false;
    for (Operation *user : regionArg.getUsers()) {
      auto extract = dyn_cast<tensor::ExtractOp>(user);
      if (!extract)
        continue;
      std::optional<Sym> s =
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
  Layout layout = score.getLayout();
  int64_t dk = score.getHeadDim();
  int64_t f = score.getFeatureDim();
  auto set = [&](Role role, StringRef name, StringRef description,
                 std::vector<DimSpec> dims, bool integer = false) {
    r.role = role;
    r.name = name.str();
    r.description = description.str();
    r.dims = std::move(dims);
    r.integer = integer;
    return r;
  };
  auto regionInput = [&](Role role, StringRef description, Region &region,
                         unsigned firstScalar, unsigned numScalars,
                         unsigned input) {
    std::vector<DimSpec> dims;
    if (!region.empty())
      dims = regionInputDims(
          r.type, region.front().getArgument(numScalars + input), firstScalar);
    else
      dims.assign(r.type.getRank(), sym(Sym::Free));
    set(role, "input" + std::to_string(nextInput++), description,
        std::move(dims), r.type.getElementType().isIntOrIndex());
    r.anyElement = true;
    return r;
  };

  if (auto s = dyn_cast<ScoreOp>(op)) {
    // Operands: query, key, then the optional gate and weights, in order.
    unsigned gatePos = s.getGate() ? 2 : ~0u;
    unsigned weightsPos = s.getGate() ? 3 : 2;
    if (operandNumber == 0)
      return set(Role::Query, "q", "query",
                 inLayout(layout, sym(Sym::B), sym(Sym::Hq), sym(Sym::Nq),
                          staticDim(dk, "Dk")));
    if (operandNumber == 1)
      return set(Role::Key, "k", "key",
                 inLayout(layout, sym(Sym::B), sym(Sym::Hkv), sym(Sym::Nk),
                          staticDim(dk, "Dk")));
    if (operandNumber == gatePos)
      return set(Role::Gate, "gate", "per-channel log-gates",
                 inLayout(layout, sym(Sym::B), sym(Sym::Hq), sym(Sym::Nk),
                          staticDim(f, "F")));
    int64_t fw = r.type.getDimSize(2);
    if (operandNumber == weightsPos)
      return set(Role::QueryWeights, "query_weights", "hedgehog query weights",
                 {sym(Sym::Hq), staticDim(dk, "Dk"), staticDim(fw, "F/2")});
    return set(Role::KeyWeights, "key_weights", "hedgehog key weights",
               {sym(Sym::Hkv), staticDim(dk, "Dk"), staticDim(fw, "F/2")});
  }
  if (auto modify = dyn_cast<ModifyOp>(op))
    return regionInput(Role::ModifierInput, "modifier input", modify.getBody(),
                       /*firstScalar=*/1, /*numScalars=*/5, operandNumber - 1);
  if (auto mask = dyn_cast<MaskOp>(op)) {
    int64_t input = operandNumber - 1;
    std::optional<ArgumentRole> found;
    walkMask(mask.getMask(), [&](Attribute attr) {
      if (found)
        return;
      if (auto doc = dyn_cast<DocumentAttr>(attr);
          doc && doc.getInput() == input)
        found = set(Role::DocumentIds, "ids", "document ids",
                    {sym(Sym::B), sym(Sym::Nk)}, /*integer=*/true);
      if (auto bs = dyn_cast<BlockSparseAttr>(attr);
          bs && bs.getInput() == input)
        found = set(
            Role::BlockLayout, "layout", "block-sparse layout",
            {sym(Sym::BOr1),
             sym(Sym::HqOr1),
             {Sym::QBlocks, bs.getQBlock(),
              "ceil(Nq/" + std::to_string(bs.getQBlock()) + ")", std::nullopt},
             {Sym::KBlocks, bs.getKBlock(),
              "ceil(Nk/" + std::to_string(bs.getKBlock()) + ")", std::nullopt}},
            /*integer=*/true);
    });
    if (found)
      return found;
    return regionInput(Role::PredicateInput, "predicate input",
                       mask.getPredicate(), /*firstScalar=*/0,
                       /*numScalars=*/4, input);
  }
  if (auto decay = dyn_cast<DecayOp>(op)) {
    if (decay.getKind() == DecayKind::exponential)
      return set(Role::Rates, "rates", "exponential decay rates",
                 {sym(Sym::Hq)});
    if (layout == Layout::bhsd)
      return set(Role::LogGates, "log_gates", "gated decay log-gates",
                 {sym(Sym::B), sym(Sym::Hq), sym(Sym::Nk)});
    return set(Role::LogGates, "log_gates", "gated decay log-gates",
               {sym(Sym::B), sym(Sym::Nk), sym(Sym::Hq)});
  }
  if (isa<NormalizeOp>(op))
    return set(Role::Sinks, "sinks", "sink logits", {sym(Sym::Hq)});
  if (auto aggregate = dyn_cast<AggregateOp>(op)) {
    int64_t dv =
        cast<RankedTensorType>(aggregate.getValues().getType()).getDimSize(3);
    if (operandNumber == 1)
      return set(Role::Values, "v", "values",
                 inLayout(layout, sym(Sym::B), sym(Sym::Hkv), sym(Sym::Nk),
                          staticDim(dv, "Dv")));
    return set(
        Role::InitialState, "initial_state", "initial state",
        {sym(Sym::B), sym(Sym::Hq), staticDim(f, "F"), staticDim(dv, "Dv")});
  }
  return std::nullopt;
}

namespace attn::reference::detail {

llvm::Expected<std::vector<ArgumentRole>> analyzeArguments(func::FuncOp spec) {
  if (spec.isExternal())
    return makeError("spec function '" + spec.getSymName() + "' has no body");
  unsigned numArgs = spec.getNumArguments();
  std::vector<std::optional<ArgumentRole>> roles(numArgs);
  int nextInput = 0;
  Block &body = spec.getBody().front();
  for (Operation &op : body) {
    for (OpOperand &operand : op.getOpOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand.get());
      if (!arg || arg.getOwner() != &body || roles[arg.getArgNumber()])
        continue;
      roles[arg.getArgNumber()] =
          roleOfUse(&op, operand.getOperandNumber(), nextInput);
    }
  }

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

int64_t expectedExtent(const DimSpec &dim, int64_t staticExtent,
                       const Sizes &sizes) {
  bool isStatic = !ShapedType::isDynamic(staticExtent);
  switch (dim.sym) {
  case Sym::B:
    return sizes.b;
  case Sym::Hq:
    return sizes.hq;
  case Sym::Hkv:
    return sizes.hkv;
  case Sym::Nq:
    return sizes.nq;
  case Sym::Nk:
    return sizes.nk;
  case Sym::Static:
    return dim.value;
  case Sym::BOr1:
    return isStatic ? staticExtent : sizes.b;
  case Sym::HqOr1:
    return isStatic ? staticExtent : sizes.hq;
  case Sym::QBlocks:
    return (sizes.nq + dim.value - 1) / dim.value;
  case Sym::KBlocks:
    return (sizes.nk + dim.value - 1) / dim.value;
  case Sym::Free:
    if (isStatic)
      return staticExtent;
    if (dim.inferred)
      return expectedExtent(sym(*dim.inferred), staticExtent, sizes);
    return -1;
  }
  return -1;
}

} // namespace attn::reference::detail

//===----------------------------------------------------------------------===//
// Size checks
//===----------------------------------------------------------------------===//

namespace attn::reference::detail {

llvm::Error checkSizes(func::FuncOp spec, const Sizes &sizes,
                       StringRef source) {
  if (sizes.hkv <= 0 || sizes.hq % sizes.hkv != 0)
    return makeError("Hq = " + llvm::Twine(sizes.hq) +
                     " query heads and Hkv = " + llvm::Twine(sizes.hkv) +
                     " key/value heads (from " + source +
                     "): Hq must be a multiple of Hkv (GQA)");
  llvm::Error error = llvm::Error::success();
  spec.walk([&](Operation *op) {
    if (error)
      return WalkResult::interrupt();
    if (auto decay = dyn_cast<DecayOp>(op)) {
      std::optional<ArrayRef<double>> rates = decay.getRates();
      if (rates && static_cast<int64_t>(rates->size()) != sizes.hq)
        error =
            makeError("exponential decay has " + llvm::Twine(rates->size()) +
                      " rates but Hq = " + llvm::Twine(sizes.hq) + " (from " +
                      source + "); give one rate per query head");
    } else if (auto mask = dyn_cast<MaskOp>(op)) {
      walkMask(mask.getMask(), [&](Attribute attr) {
        auto nb = dyn_cast<Neighborhood2DAttr>(attr);
        if (!nb || error || nb.getHeight() * nb.getWidth() == sizes.nk)
          return;
        error = makeError("#attn.neighborhood_2d grid " +
                          llvm::Twine(nb.getHeight()) + "x" +
                          llvm::Twine(nb.getWidth()) + " holds " +
                          llvm::Twine(nb.getHeight() * nb.getWidth()) +
                          " positions but Nk = " + llvm::Twine(sizes.nk) +
                          " (from " + source + ")");
      });
    } else if (auto aggregate = dyn_cast<AggregateOp>(op)) {
      if ((aggregate.getInitialState() || aggregate.getFinalState()) &&
          sizes.nq != sizes.nk)
        error = makeError(
            "recurrent states need Nq = Nk but Nq = " + llvm::Twine(sizes.nq) +
            " and Nk = " + llvm::Twine(sizes.nk) + " (from " + source + ")");
    }
    return WalkResult::advance();
  });
  return error;
}

} // namespace attn::reference::detail

//===----------------------------------------------------------------------===//
// describeArguments / inferArgumentShapes
//===----------------------------------------------------------------------===//

namespace attn::reference {

llvm::Expected<std::vector<ArgumentInfo>> describeArguments(func::FuncOp spec) {
  llvm::Expected<std::vector<ArgumentRole>> roles = analyzeArguments(spec);
  if (!roles)
    return roles.takeError();
  std::vector<ArgumentInfo> infos;
  for (const ArgumentRole &role : *roles) {
    ArgumentInfo info;
    info.name = role.name;
    info.role = role.description;
    info.kind = getElementKind(role.type.getElementType());
    for (int64_t extent : role.type.getShape())
      info.shape.push_back(ShapedType::isDynamic(extent) ? -1 : extent);
    infos.push_back(std::move(info));
  }
  return infos;
}

llvm::Expected<std::vector<std::vector<int64_t>>>
inferArgumentShapes(func::FuncOp spec, const ProblemSize &size) {
  llvm::Expected<std::vector<ArgumentRole>> roles = analyzeArguments(spec);
  if (!roles)
    return roles.takeError();
  Sizes sizes{size.batch, size.qHeads, size.kvHeads, size.qLen, size.kvLen};
  for (int64_t extent : {sizes.b, sizes.hq, sizes.hkv, sizes.nq, sizes.nk})
    if (extent <= 0)
      return makeError(
          "problem sizes must be positive, got B=" + llvm::Twine(sizes.b) +
          " Hq=" + llvm::Twine(sizes.hq) + " Hkv=" + llvm::Twine(sizes.hkv) +
          " Nq=" + llvm::Twine(sizes.nq) + " Nk=" + llvm::Twine(sizes.nk));
  if (llvm::Error error = checkSizes(spec, sizes, "the problem size"))
    return std::move(error);
  std::vector<std::vector<int64_t>> shapes;
  for (const ArgumentRole &role : *roles) {
    std::vector<int64_t> shape;
    for (auto [axis, dim] : llvm::enumerate(role.dims)) {
      int64_t staticExtent = role.type.getDimSize(axis);
      int64_t expected = expectedExtent(dim, staticExtent, sizes);
      if (expected < 0)
        return makeError("cannot infer axis " + llvm::Twine(axis) +
                         " of argument '" + role.name + "' (" +
                         role.description +
                         "): it is dynamic and the region does not index it "
                         "with a plain b, h, i or j; give it a static extent");
      if (!ShapedType::isDynamic(staticExtent) && staticExtent != expected)
        return makeError("argument '" + role.name + "' (" + role.description +
                         ") has static extent " + llvm::Twine(staticExtent) +
                         " on axis " + llvm::Twine(axis) + " (" + dim.label +
                         ") but the problem size gives " +
                         llvm::Twine(expected));
      shape.push_back(expected);
    }
    shapes.push_back(std::move(shape));
  }
  return shapes;
}

} // namespace attn::reference

//===----------------------------------------------------------------------===//
// validateArguments
//===----------------------------------------------------------------------===//

namespace attn::reference::detail {

llvm::Expected<Sizes> validateArguments(func::FuncOp spec,
                                        ArrayRef<HostTensor> args) {
  llvm::Expected<std::vector<ArgumentRole>> rolesOr = analyzeArguments(spec);
  if (!rolesOr)
    return rolesOr.takeError();
  const std::vector<ArgumentRole> &roles = *rolesOr;
  if (args.size() != roles.size()) {
    std::string names;
    for (const ArgumentRole &role : roles)
      names += (names.empty() ? "" : ", ") + role.name;
    return makeError("the spec takes " + llvm::Twine(roles.size()) +
                     " arguments (" + names + ") but " +
                     llvm::Twine(args.size()) + " were given");
  }

  // Rank and element family first: the sizes are read from q and k below.
  for (auto [role, arg] : llvm::zip_equal(roles, args)) {
    std::string expected = role.dimsString();
    if (static_cast<int64_t>(arg.shape.size()) != role.type.getRank())
      return makeError("argument '" + role.name + "' (" + role.description +
                       ") has rank " + llvm::Twine(arg.shape.size()) +
                       " (shape " + arg.shapeString() +
                       ") but the spec expects rank " +
                       llvm::Twine(role.type.getRank()) + " " + expected);
    if (static_cast<int64_t>(arg.data.size()) != arg.getNumElements())
      return makeError("argument '" + role.name + "' holds " +
                       llvm::Twine(arg.data.size()) + " values but its shape " +
                       arg.shapeString() + " needs " +
                       llvm::Twine(arg.getNumElements()));
    bool isInteger =
        arg.kind == ElementKind::I1 || arg.kind == ElementKind::I8 ||
        arg.kind == ElementKind::I32 || arg.kind == ElementKind::I64 ||
        arg.kind == ElementKind::U8;
    bool wantInteger = role.type.getElementType().isIntOrIndex();
    if (isInteger != wantInteger)
      return makeError(
          "argument '" + role.name + "' (" + role.description +
          ") has element type " + getElementKindName(arg.kind) +
          " but the spec expects " +
          (wantInteger ? "an integer" : "a floating-point") + " tensor (" +
          getElementKindName(getElementKind(role.type.getElementType())) + ")");
  }

  // The sizes, from the first query and key arguments.
  Sizes sizes{-1, -1, -1, -1, -1};
  for (auto [role, arg] : llvm::zip_equal(roles, args)) {
    LayoutAxes ax = getLayoutAxes(getRootScore(role.user).getLayout());
    if (role.role == Role::Query && sizes.b < 0) {
      sizes.b = arg.shape[ax.batch];
      sizes.hq = arg.shape[ax.heads];
      sizes.nq = arg.shape[ax.seq];
    } else if (role.role == Role::Key && sizes.hkv < 0) {
      sizes.hkv = arg.shape[ax.heads];
      sizes.nk = arg.shape[ax.seq];
    }
  }
  if (sizes.b < 0 || sizes.hkv < 0)
    return makeError("the spec has no query or key argument");

  for (auto [role, arg] : llvm::zip_equal(roles, args)) {
    std::vector<int64_t> expected;
    bool ok = true;
    for (auto [axis, dim] : llvm::enumerate(role.dims)) {
      int64_t staticExtent = role.type.getDimSize(axis);
      int64_t want = expectedExtent(dim, staticExtent, sizes);
      int64_t have = arg.shape[axis];
      bool broadcast = (dim.sym == Sym::BOr1 || dim.sym == Sym::HqOr1) &&
                       ShapedType::isDynamic(staticExtent) && have == 1;
      if (want >= 0 && have != want && !broadcast)
        ok = false;
      if (!ShapedType::isDynamic(staticExtent) && have != staticExtent)
        ok = false;
      expected.push_back(!ShapedType::isDynamic(staticExtent) ? staticExtent
                         : want >= 0                          ? want
                                                              : have);
    }
    if (!ok) {
      std::string message =
          "argument '" + role.name + "' (" + role.description + ") has shape " +
          arg.shapeString() + " but the spec expects " + shapeString(expected) +
          " (" + role.dimsString() + ")";
      if (role.role == Role::Query)
        message += " as its type " + [&] {
          std::string t;
          llvm::raw_string_ostream os(t);
          os << role.type;
          return t;
        }() + " says";
      return makeError(message);
    }
  }
  if (llvm::Error error = checkSizes(spec, sizes,
                                     "the query and key "
                                     "arguments"))
    return std::move(error);
  return sizes;
}

} // namespace attn::reference::detail

//===----------------------------------------------------------------------===//
// makeRandomInputs
//===----------------------------------------------------------------------===//

namespace attn::reference {

llvm::Expected<std::vector<HostTensor>>
makeRandomInputs(func::FuncOp spec, const ProblemSize &size, uint64_t seed) {
  llvm::Expected<std::vector<std::vector<int64_t>>> shapes =
      inferArgumentShapes(spec, size);
  if (!shapes)
    return shapes.takeError();
  llvm::Expected<std::vector<ArgumentRole>> roles = analyzeArguments(spec);
  if (!roles)
    return roles.takeError();

  std::mt19937_64 rng(seed);
  auto normal = [&](double mean, double stddev) {
    return std::normal_distribution<double>(mean, stddev)(rng);
  };
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  // A small negative log-gate: log(sigmoid(x)), x ~ N(2, 1).
  auto logGate = [&] {
    double x = normal(2.0, 1.0);
    return -std::log1p(std::exp(-x));
  };

  std::vector<HostTensor> inputs;
  for (auto [role, shape] : llvm::zip_equal(*roles, *shapes)) {
    ElementKind kind = getElementKind(role.type.getElementType());
    HostTensor t(kind, shape);
    switch (role.role) {
    case Role::Query:
    case Role::Key:
    case Role::Values:
    case Role::Sinks:
    case Role::InitialState:
      for (double &x : t.data)
        x = normal(0.0, 1.0);
      break;
    case Role::QueryWeights:
    case Role::KeyWeights: {
      double dk = static_cast<double>(shape[1]);
      for (double &x : t.data)
        x = normal(0.0, 1.0 / std::sqrt(dk));
      break;
    }
    case Role::Gate:
    case Role::LogGates:
      for (double &x : t.data)
        x = logGate();
      break;
    case Role::Rates:
      for (double &x : t.data) {
        do
          x = uniform(0.8, 1.0);
        while (x <= 0.8);
      }
      break;
    case Role::DocumentIds: {
      // Sorted ids in [0, 4) per batch row: a few contiguous documents.
      std::uniform_int_distribution<int> id(0, 3);
      for (double &x : t.data)
        x = id(rng);
      for (int64_t b = 0; b < shape[0]; ++b)
        std::sort(t.data.begin() + b * shape[1],
                  t.data.begin() + (b + 1) * shape[1]);
      break;
    }
    case Role::BlockLayout: {
      std::bernoulli_distribution coin(0.5);
      for (double &x : t.data)
        x = coin(rng) ? 1.0 : 0.0;
      // Keep, for every row, the key block holding its own (bottom-right
      // aligned) position, so that no row is empty under a causal mask.
      int64_t qBlock = role.dims[2].value, kBlock = role.dims[3].value;
      int64_t nq = size.qLen, nk = size.kvLen;
      for (int64_t i = 0; i < nq; ++i) {
        int64_t p = i + nk - nq;
        if (p < 0)
          continue;
        for (int64_t b = 0; b < shape[0]; ++b)
          for (int64_t h = 0; h < shape[1]; ++h)
            t.at({b, h, i / qBlock, p / kBlock}) = 1.0;
      }
      break;
    }
    case Role::ModifierInput:
    case Role::PredicateInput:
      if (role.integer) {
        std::uniform_int_distribution<int> value(
            0, kind == ElementKind::I1 ? 1 : 3);
        for (double &x : t.data)
          x = value(rng);
      } else {
        for (double &x : t.data)
          x = uniform(0.5, 1.5);
      }
      break;
    }
    roundTo(t, kind);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

} // namespace attn::reference
