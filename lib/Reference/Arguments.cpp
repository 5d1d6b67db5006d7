//===- Arguments.cpp - Shapes and random values of spec arguments ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Each argument's role, name and symbolic shape come from the analysis the
// compiler shares (attn/Analysis/ArgumentRoles.h); here they meet concrete
// sizes and values. The problem sizes B, Hq, Hkv, Nq, Nk are global to a spec:
// a hybrid spec (Based: linear + sliding-window softmax) combines outputs
// element-wise, so its aggregates must agree on them anyway.
//
//===----------------------------------------------------------------------===//

#include "Arguments.h"

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

namespace attn::reference::detail {

int64_t expectedExtent(const DimSpec &dim, int64_t staticExtent,
                       const Sizes &sizes) {
  bool isStatic = !ShapedType::isDynamic(staticExtent);
  switch (dim.symbol) {
  case DimSymbol::B:
    return sizes.b;
  case DimSymbol::Hq:
    return sizes.hq;
  case DimSymbol::Hkv:
    return sizes.hkv;
  case DimSymbol::Nq:
    return sizes.nq;
  case DimSymbol::Nk:
    return sizes.nk;
  case DimSymbol::Static:
    return dim.value;
  case DimSymbol::BOr1:
    return isStatic ? staticExtent : sizes.b;
  case DimSymbol::HqOr1:
    return isStatic ? staticExtent : sizes.hq;
  case DimSymbol::QBlocks:
    return (sizes.nq + dim.value - 1) / dim.value;
  case DimSymbol::KBlocks:
    return (sizes.nk + dim.value - 1) / dim.value;
  case DimSymbol::Free:
    if (isStatic)
      return staticExtent;
    if (dim.inferred)
      return expectedExtent(DimSpec::get(*dim.inferred), staticExtent, sizes);
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
  llvm::Expected<std::vector<ArgumentRole>> roles = analyzeArgumentRoles(spec);
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
  llvm::Expected<std::vector<ArgumentRole>> roles = analyzeArgumentRoles(spec);
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
  llvm::Expected<std::vector<ArgumentRole>> rolesOr =
      analyzeArgumentRoles(spec);
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
    LayoutAxes ax = getLayoutAxes(ScoreOp(role.score).getLayout());
    if (role.kind == ArgumentKind::Query && sizes.b < 0) {
      sizes.b = arg.shape[ax.batch];
      sizes.hq = arg.shape[ax.heads];
      sizes.nq = arg.shape[ax.seq];
    } else if (role.kind == ArgumentKind::Key && sizes.hkv < 0) {
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
      bool broadcast =
          (dim.symbol == DimSymbol::BOr1 || dim.symbol == DimSymbol::HqOr1) &&
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
      if (role.kind == ArgumentKind::Query)
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
  llvm::Expected<std::vector<ArgumentRole>> roles = analyzeArgumentRoles(spec);
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
    switch (role.kind) {
    case ArgumentKind::Query:
    case ArgumentKind::Key:
    case ArgumentKind::Values:
    case ArgumentKind::Sinks:
    case ArgumentKind::InitialState:
      for (double &x : t.data)
        x = normal(0.0, 1.0);
      break;
    case ArgumentKind::QueryWeights:
    case ArgumentKind::KeyWeights: {
      double dk = static_cast<double>(shape[1]);
      for (double &x : t.data)
        x = normal(0.0, 1.0 / std::sqrt(dk));
      break;
    }
    case ArgumentKind::Gate:
    case ArgumentKind::LogGates:
      for (double &x : t.data)
        x = logGate();
      break;
    case ArgumentKind::Rates:
      for (double &x : t.data) {
        do
          x = uniform(0.8, 1.0);
        while (x <= 0.8);
      }
      break;
    case ArgumentKind::DocumentIds: {
      // Sorted ids in [0, 4) per batch row: a few contiguous documents.
      std::uniform_int_distribution<int> id(0, 3);
      for (double &x : t.data)
        x = id(rng);
      for (int64_t b = 0; b < shape[0]; ++b)
        std::sort(t.data.begin() + b * shape[1],
                  t.data.begin() + (b + 1) * shape[1]);
      break;
    }
    case ArgumentKind::BlockLayout: {
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
    case ArgumentKind::ModifierInput:
    case ArgumentKind::PredicateInput:
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
