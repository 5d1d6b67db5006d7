//===- Reference.cpp - The fp64 reference executor ------------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Evaluates a spec the naive way, per (b, h): feature rows and cumulative
// gates are formed once, then the full score, visibility and log-decay
// matrices, then each row is normalised and aggregated. Decays are kept in
// log space so that softmax can fold them into its max-subtracted exponent.
//
//===----------------------------------------------------------------------===//

#include "Arguments.h"
#include "RegionEvaluator.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/Reference/Reference.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <deque>
#include <limits>

using namespace mlir;
using namespace mlir::attn;
using namespace ::attn::reference;
using namespace ::attn::reference::detail;
using ::attn::ElementKind;
using ::attn::HostTensor;

static constexpr double kInf = std::numeric_limits<double>::infinity();

/// Row-major strides of `t`'s axes.
static std::vector<int64_t> getStrides(const HostTensor &t) {
  std::vector<int64_t> strides(t.shape.size(), 1);
  for (int64_t axis = static_cast<int64_t>(t.shape.size()) - 2; axis >= 0;
       --axis)
    strides[axis] = strides[axis + 1] * t.shape[axis + 1];
  return strides;
}

namespace {

/// A rank-4 tensor indexed as (b, h, s, d) whatever its layout; `Elt` is
/// `const double` to read, `double` to write.
template <typename Elt> struct StridedView4 {
  Elt *data = nullptr;
  int64_t sb = 0, sh = 0, ss = 0, sd = 0;

  StridedView4() = default;
  template <typename Tensor>
  StridedView4(Tensor &t, LayoutAxes ax) : data(t.data.data()) {
    std::vector<int64_t> strides = getStrides(t);
    sb = strides[ax.batch];
    sh = strides[ax.heads];
    ss = strides[ax.seq];
    sd = strides[ax.dim];
  }
  Elt &operator()(int64_t b, int64_t h, int64_t s, int64_t d) const {
    return data[b * sb + h * sh + s * ss + d * sd];
  }
};
using View4 = StridedView4<const double>;
using OutView4 = StridedView4<double>;

/// A per-token tensor [B, H, N] (BHSD) or [B, N, H] (BSHD) read as (b, h, t).
struct View3 {
  const double *data = nullptr;
  int64_t sb = 0, sh = 0, st = 0;

  View3() = default;
  View3(const HostTensor &t, Layout layout) {
    std::vector<int64_t> strides = getStrides(t);
    data = t.data.data();
    sb = strides[0];
    sh = strides[layout == Layout::bhsd ? 1 : 2];
    st = strides[layout == Layout::bhsd ? 2 : 1];
  }
  double operator()(int64_t b, int64_t h, int64_t t) const {
    return data[b * sb + h * sh + t * st];
  }
};

} // namespace

static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// NATTEN's rule along one axis (see docs/semantics.md): the key coordinate
/// `key` is visible from `query` on an axis of `length` with `kernel` and
/// `dilation`.
static bool neighborhoodAxis(int64_t query, int64_t key, int64_t length,
                             int64_t kernel, int64_t dilation) {
  if (query % dilation != key % dilation)
    return false;
  int64_t group = query % dilation;
  int64_t groupLength = (length - group + dilation - 1) / dilation;
  int64_t start = std::max<int64_t>(
      0, std::min(query / dilation - kernel / 2, groupLength - kernel));
  int64_t k = key / dilation;
  return start <= k && k < start + kernel;
}

/// Stable log(1 + e^x).
static double softplus(double x) {
  return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

static double sigmoid(double x) {
  if (x >= 0)
    return 1.0 / (1.0 + std::exp(-x));
  double e = std::exp(x);
  return e / (1.0 + e);
}

namespace {

/// Evaluates every aggregate of one spec.
class Evaluator {
public:
  explicit Evaluator(func::FuncOp spec) : spec(spec) {}

  llvm::Expected<std::vector<HostTensor>> run(ArrayRef<HostTensor> args);

private:
  /// The tensor bound to `value`, or an error naming the op that reads it.
  llvm::Expected<const HostTensor *> lookup(Value value, Operation *user);
  llvm::Error evaluateAggregate(AggregateOp aggregate);
  llvm::Error evaluateElementwise(Operation *op);
  HostTensor &bind(Value value, HostTensor tensor);

  func::FuncOp spec;
  llvm::DenseMap<Value, const HostTensor *> values;
  std::deque<HostTensor> results;
};

/// A mask op of the chain with its tensor inputs and compiled predicate.
struct MaskData {
  MaskOp op;
  std::vector<const HostTensor *> inputs;
  std::optional<CompiledRegion> predicate;
};

/// A decay op of the chain with its rates or log-gates input, if any.
struct DecayData {
  DecayOp op;
  const HostTensor *input = nullptr;
};

/// Where a mask is evaluated.
struct MaskPoint {
  int64_t b, h, i, p, j, nk;
};

} // namespace

/// Whether `attr` (part of `mask`'s expression) shows key j to the query at
/// `point`. A failing predicate region leaves its message in `failure`.
static bool isVisible(Attribute attr, MaskData &mask, const MaskPoint &pt,
                      std::string &failure) {
  const int64_t p = pt.p, j = pt.j;
  if (isa<CausalAttr>(attr))
    return j <= p;
  if (auto w = dyn_cast<WindowAttr>(attr))
    return p - w.getLeft() <= j && j <= p + w.getRight();
  if (auto sinks = dyn_cast<SinksAttr>(attr))
    return j < sinks.getCount();
  if (auto bd = dyn_cast<BlockDiagonalAttr>(attr))
    return floorDiv(p, bd.getSize()) == floorDiv(j, bd.getSize());
  if (auto dilated = dyn_cast<DilatedAttr>(attr))
    return (p - j) % dilated.getStride() == 0;
  if (auto prefix = dyn_cast<PrefixAttr>(attr))
    return j < prefix.getLength();
  if (auto doc = dyn_cast<DocumentAttr>(attr)) {
    if (p < 0)
      return false;
    const HostTensor &ids = *mask.inputs[doc.getInput()];
    return ids.data[pt.b * pt.nk + p] == ids.data[pt.b * pt.nk + j];
  }
  if (auto nb = dyn_cast<Neighborhood2DAttr>(attr)) {
    int64_t width = nb.getWidth();
    if (p < 0 || p >= nb.getHeight() * width)
      return false;
    return neighborhoodAxis(p / width, j / width, nb.getHeight(),
                            nb.getKernelH(), nb.getDilationH()) &&
           neighborhoodAxis(p % width, j % width, width, nb.getKernelW(),
                            nb.getDilationW());
  }
  if (auto bs = dyn_cast<BlockSparseAttr>(attr)) {
    // Query blocks count rows i, not aligned positions; size-1 leading axes
    // broadcast.
    const HostTensor &blocks = *mask.inputs[bs.getInput()];
    int64_t lb = blocks.shape[0] == 1 ? 0 : pt.b;
    int64_t lh = blocks.shape[1] == 1 ? 0 : pt.h;
    return blocks.at({lb, lh, pt.i / bs.getQBlock(), j / bs.getKBlock()}) !=
           0.0;
  }
  if (isa<PredicateAttr>(attr)) {
    Slot args[4];
    args[0].i = pt.b;
    args[1].i = pt.h;
    args[2].i = p;
    args[3].i = j;
    Slot result;
    if (!mask.predicate->run(args, result)) {
      if (failure.empty())
        failure = llvm::toString(mask.predicate->takeError());
      return false;
    }
    return result.i != 0;
  }
  if (auto all = dyn_cast<AndAttr>(attr))
    return llvm::all_of(all.getMasks(), [&](Attribute m) {
      return isVisible(m, mask, pt, failure);
    });
  if (auto any = dyn_cast<OrAttr>(attr))
    return llvm::any_of(any.getMasks(), [&](Attribute m) {
      return isVisible(m, mask, pt, failure);
    });
  return false;
}

HostTensor &Evaluator::bind(Value value, HostTensor tensor) {
  HostTensor &stored = results.emplace_back(std::move(tensor));
  values[value] = &stored;
  return stored;
}

llvm::Expected<const HostTensor *> Evaluator::lookup(Value value,
                                                     Operation *user) {
  if (const HostTensor *tensor = values.lookup(value))
    return tensor;
  std::string loc;
  llvm::raw_string_ostream os(loc);
  os << user->getLoc();
  return makeError("the reference cannot evaluate an operand of '" +
                   user->getName().getStringRef() + "' at " + loc +
                   ": it must be a function argument, a dense constant or "
                   "an evaluated result");
}

llvm::Expected<std::vector<HostTensor>>
Evaluator::run(ArrayRef<HostTensor> args) {
  llvm::Expected<Sizes> sizes = validateArguments(spec, args);
  if (!sizes)
    return sizes.takeError();
  for (auto [arg, tensor] : llvm::zip_equal(spec.getArguments(), args))
    values[arg] = &tensor;

  for (Operation &op : spec.getBody().front()) {
    if (isa<ScoreOp, ModifyOp, MaskOp, DecayOp, NormalizeOp>(op))
      continue; // Evaluated as part of their aggregate.
    if (auto aggregate = dyn_cast<AggregateOp>(op)) {
      if (llvm::Error error = evaluateAggregate(aggregate))
        return std::move(error);
      continue;
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      std::vector<HostTensor> outputs;
      for (Value operand : ret.getOperands()) {
        llvm::Expected<const HostTensor *> tensor = lookup(operand, &op);
        if (!tensor)
          return tensor.takeError();
        HostTensor out = **tensor;
        out.kind = ElementKind::F64;
        outputs.push_back(std::move(out));
      }
      return outputs;
    }
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (dense && isa<FloatType>(dense.getElementType())) {
        HostTensor t(ElementKind::F64,
                     std::vector<int64_t>(dense.getType().getShape()));
        int64_t n = 0;
        for (APFloat value : dense.getValues<APFloat>()) {
          bool lost;
          value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                        &lost);
          t.data[n++] = value.convertToDouble();
        }
        bind(constant.getResult(), std::move(t));
        continue;
      }
    }
    // Float casts and negation, element-wise; fp64 throughout, so the
    // casts change nothing.
    if (isa<arith::ExtFOp, arith::TruncFOp, arith::NegFOp>(op)) {
      llvm::Expected<const HostTensor *> in = lookup(op.getOperand(0), &op);
      if (!in)
        return in.takeError();
      HostTensor out = **in;
      out.kind = ElementKind::F64;
      if (isa<arith::NegFOp>(op))
        for (double &x : out.data)
          x = -x;
      bind(op.getResult(0), std::move(out));
      continue;
    }
    if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
            arith::MaximumFOp, arith::MinimumFOp>(op)) {
      if (llvm::Error error = evaluateElementwise(&op))
        return std::move(error);
      continue;
    }
    std::string loc;
    llvm::raw_string_ostream os(loc);
    os << op.getLoc();
    return makeError(
        "the reference cannot evaluate '" + op.getName().getStringRef() +
        "' at " + loc +
        " in a spec body; supported are attn ops, element-wise "
        "arith.addf/subf/mulf/divf/maximumf/minimumf, negf, extf and "
        "truncf on tensors and func.return");
  }
  return makeError("spec function '" + spec.getSymName() +
                   "' has no func.return");
}

llvm::Error Evaluator::evaluateElementwise(Operation *op) {
  llvm::Expected<const HostTensor *> lhs = lookup(op->getOperand(0), op);
  if (!lhs)
    return lhs.takeError();
  llvm::Expected<const HostTensor *> rhs = lookup(op->getOperand(1), op);
  if (!rhs)
    return rhs.takeError();
  if ((*lhs)->shape != (*rhs)->shape)
    return makeError("'" + op->getName().getStringRef() +
                     "' combines tensors of shapes " + (*lhs)->shapeString() +
                     " and " + (*rhs)->shapeString() +
                     "; element-wise ops need equal shapes");
  HostTensor out = **lhs;
  out.kind = ElementKind::F64;
  const std::vector<double> &y = (*rhs)->data;
  for (size_t n = 0; n < out.data.size(); ++n) {
    double &x = out.data[n];
    if (isa<arith::AddFOp>(op))
      x += y[n];
    else if (isa<arith::SubFOp>(op))
      x -= y[n];
    else if (isa<arith::MulFOp>(op))
      x *= y[n];
    else if (isa<arith::DivFOp>(op))
      x /= y[n];
    else if (isa<arith::MaximumFOp>(op))
      x = std::isnan(x) || std::isnan(y[n]) ? NAN : std::max(x, y[n]);
    else
      x = std::isnan(x) || std::isnan(y[n]) ? NAN : std::min(x, y[n]);
  }
  bind(op->getResult(0), std::move(out));
  return llvm::Error::success();
}

/// Computes phi of `dk` values `x` into `out` (F values).
static void applyFeatureMap(FeatureMap map, const double *x, int64_t dk,
                            double *out, const HostTensor *weights,
                            int64_t head) {
  switch (map) {
  case FeatureMap::identity:
    std::copy(x, x + dk, out);
    return;
  case FeatureMap::elu_plus_one:
    for (int64_t d = 0; d < dk; ++d)
      out[d] = x[d] > 0 ? x[d] + 1.0 : std::exp(x[d]);
    return;
  case FeatureMap::relu:
    for (int64_t d = 0; d < dk; ++d)
      out[d] = std::max(x[d], 0.0);
    return;
  case FeatureMap::exp:
    for (int64_t d = 0; d < dk; ++d)
      out[d] = std::exp(x[d]);
    return;
  case FeatureMap::l2norm: {
    double norm = 0;
    for (int64_t d = 0; d < dk; ++d)
      norm += x[d] * x[d];
    norm = std::sqrt(norm);
    for (int64_t d = 0; d < dk; ++d)
      out[d] = norm == 0.0 ? 0.0 : x[d] / norm;
    return;
  }
  case FeatureMap::taylor2: {
    double r = std::pow(static_cast<double>(dk), 0.25);
    double c = 1.0 / (std::sqrt(2.0) * std::sqrt(static_cast<double>(dk)));
    out[0] = 1.0;
    for (int64_t d = 0; d < dk; ++d)
      out[1 + d] = x[d] / r;
    for (int64_t a = 0; a < dk; ++a)
      for (int64_t b = 0; b < dk; ++b)
        out[1 + dk + a * dk + b] = x[a] * x[b] * c;
    return;
  }
  case FeatureMap::hedgehog: {
    // [softmax(x W), softmax(-x W)], W = weights[head] of shape [Dk, F'].
    int64_t fw = weights->shape[2];
    std::vector<double> z(fw, 0.0);
    const double *w = weights->data.data() + head * dk * fw;
    for (int64_t d = 0; d < dk; ++d)
      for (int64_t f = 0; f < fw; ++f)
        z[f] += x[d] * w[d * fw + f];
    for (int sign : {1, -1}) {
      double m = -kInf, sum = 0;
      for (double v : z)
        m = std::max(m, sign * v);
      double *o = out + (sign == 1 ? 0 : fw);
      for (int64_t f = 0; f < fw; ++f)
        sum += o[f] = std::exp(sign * z[f] - m);
      for (int64_t f = 0; f < fw; ++f)
        o[f] /= sum;
    }
    return;
  }
  }
}

llvm::Error Evaluator::evaluateAggregate(AggregateOp aggregate) {
  FailureOr<SpecChain> chainOr = getSpecChain(aggregate);
  if (failed(chainOr))
    return makeError("attn.aggregate is not rooted in an attn.score chain");
  SpecChain &chain = *chainOr;
  ScoreOp score = chain.score;
  NormalizeOp normalize = chain.normalize;
  Layout layout = score.getLayout();
  LayoutAxes ax = getLayoutAxes(layout);

  auto get = [&](Value value, Operation *user) -> const HostTensor * {
    llvm::Expected<const HostTensor *> t = lookup(value, user);
    if (!t) {
      llvm::consumeError(t.takeError());
      return nullptr;
    }
    return *t;
  };
  // Every operand read below is checked here, once.
  SmallVector<Operation *> chainOps = {score};
  llvm::append_range(chainOps, chain.scoreOps);
  chainOps.append({normalize, aggregate});
  for (Operation *op : chainOps)
    for (Value operand : op->getOperands())
      if (isa<RankedTensorType>(operand.getType()))
        if (llvm::Expected<const HostTensor *> t = lookup(operand, op); !t)
          return t.takeError();

  const HostTensor &q = *get(score.getQuery(), score);
  const HostTensor &k = *get(score.getKey(), score);
  const HostTensor &v = *get(aggregate.getValues(), aggregate);
  const int64_t nb = q.shape[ax.batch], hq = q.shape[ax.heads],
                nq = q.shape[ax.seq], dk = q.shape[ax.dim];
  const int64_t hkv = k.shape[ax.heads], nk = k.shape[ax.seq];
  const int64_t dv = v.shape[ax.dim];
  const int64_t group = hq / hkv;
  const FeatureMap featureMap = score.getFeatureMap();
  const HostTensor *queryWeights =
      score.getQueryWeights() ? get(score.getQueryWeights(), score) : nullptr;
  const HostTensor *keyWeights =
      score.getKeyWeights() ? get(score.getKeyWeights(), score) : nullptr;
  const int64_t f = featureMap == FeatureMap::hedgehog
                        ? 2 * queryWeights->shape[2]
                        : score.getFeatureDim();
  const double scale = score.getEffectiveScale();
  const HostTensor *gate =
      score.getGate() ? get(score.getGate(), score) : nullptr;
  const HostTensor *initialState =
      aggregate.getInitialState() ? get(aggregate.getInitialState(), aggregate)
                                  : nullptr;
  const bool wantState = static_cast<bool>(aggregate.getFinalState());
  // Taylor-2 features are 1 + Dk + Dk^2 long; without a gate or a state the
  // score is the closed form 1 + t + t^2/2 of the same inner product.
  const bool explicitPhi =
      featureMap != FeatureMap::taylor2 || gate || initialState || wantState;

  // The chain's modifiers, masks and decays.
  std::vector<CompiledRegion> modifiers;
  std::vector<MaskData> masks;
  std::vector<DecayData> decays;
  for (Operation *op : chain.scoreOps) {
    std::vector<const HostTensor *> inputs;
    for (Value input : op->getOperands().drop_front())
      inputs.push_back(get(input, op));
    if (auto modify = dyn_cast<ModifyOp>(op)) {
      llvm::Expected<CompiledRegion> region = CompiledRegion::compile(
          modify.getBody().front(), 5, inputs, "attn.modify");
      if (!region)
        return region.takeError();
      modifiers.push_back(std::move(*region));
    } else if (auto mask = dyn_cast<MaskOp>(op)) {
      MaskData &data = masks.emplace_back();
      data.op = mask;
      data.inputs = inputs;
      if (!mask.getPredicate().empty()) {
        llvm::Expected<CompiledRegion> region = CompiledRegion::compile(
            mask.getPredicate().front(), 4, inputs, "attn.mask predicate");
        if (!region)
          return region.takeError();
        data.predicate = std::move(*region);
      }
    } else if (auto decay = dyn_cast<DecayOp>(op)) {
      decays.push_back(
          {decay, decay.getInput() ? get(decay.getInput(), op) : nullptr});
    }
  }
  const HostTensor *sinks =
      normalize.getSinks() ? get(normalize.getSinks(), normalize) : nullptr;
  const NormalizeKind kind = normalize.getKind();
  const double bias = normalize.getBiasAttr()
                          ? normalize.getBiasAttr().getValueAsDouble()
                          : 0.0;
  const double power = normalize.getPowerAttr()
                           ? normalize.getPowerAttr().getValueAsDouble()
                           : 1.0;

  // Results.
  std::vector<int64_t> oShape(4);
  oShape[ax.batch] = nb;
  oShape[ax.heads] = hq;
  oShape[ax.seq] = nq;
  oShape[ax.dim] = dv;
  HostTensor out(ElementKind::F64, oShape);
  HostTensor lse(ElementKind::F64, {nb, hq, nq});
  HostTensor finalState(ElementKind::F64, {nb, hq, f, dv});
  View4 qv(q, ax), kv(k, ax), vv(v, ax);
  OutView4 ov(out, ax);
  View4 gv = gate ? View4(*gate, ax) : View4();

  std::string failure;
  std::vector<double> phiQ(explicitPhi ? nq * f : 0),
      phiK(explicitPhi ? nk * f : 0), rowQ(dk), rowK(dk);
  std::vector<double> s(nq * nk), logD(nq * nk);
  std::vector<char> visible(nq * nk);
  std::vector<double> gateSum(gate ? nk * f : 0);
  std::vector<std::vector<double>> decaySums(decays.size());
  std::vector<double> weights(nk);

  for (int64_t b = 0; b < nb; ++b) {
    for (int64_t h = 0; h < hq; ++h) {
      const int64_t kh = h / group;
      // Feature rows.
      if (explicitPhi) {
        for (int64_t i = 0; i < nq; ++i) {
          for (int64_t d = 0; d < dk; ++d)
            rowQ[d] = qv(b, h, i, d);
          applyFeatureMap(featureMap, rowQ.data(), dk, &phiQ[i * f],
                          queryWeights, h);
        }
        for (int64_t j = 0; j < nk; ++j) {
          for (int64_t d = 0; d < dk; ++d)
            rowK[d] = kv(b, kh, j, d);
          applyFeatureMap(featureMap, rowK.data(), dk, &phiK[j * f], keyWeights,
                          kh);
        }
      }
      // Running sums of the per-channel and per-token log-gates.
      if (gate)
        for (int64_t t = 0; t < nk; ++t)
          for (int64_t d = 0; d < f; ++d)
            gateSum[t * f + d] =
                gv(b, h, t, d) + (t > 0 ? gateSum[(t - 1) * f + d] : 0.0);
      for (auto [decay, sums] : llvm::zip_equal(decays, decaySums)) {
        if (decay.op.getKind() != DecayKind::gated)
          continue;
        View3 g(*decay.input, layout);
        sums.assign(nk, 0.0);
        for (int64_t t = 0; t < nk; ++t)
          sums[t] = g(b, h, t) + (t > 0 ? sums[t - 1] : 0.0);
      }
      auto gatedSum = [&](const std::vector<double> &sums, int64_t t) {
        return t < 0 ? 0.0 : sums[t];
      };
      auto channelSum = [&](int64_t t, int64_t d) {
        return t < 0 ? 0.0 : gateSum[t * f + d];
      };
      std::vector<double> logRates(decays.size(), 0.0);
      for (auto [n, decay] : llvm::enumerate(decays))
        if (decay.op.getKind() == DecayKind::exponential)
          logRates[n] = std::log(decay.input ? decay.input->data[h]
                                             : (*decay.op.getRates())[h]);

      for (int64_t i = 0; i < nq; ++i) {
        const int64_t p = i + nk - nq;
        for (int64_t j = 0; j < nk; ++j) {
          const int64_t ij = i * nk + j;
          // Score.
          double dot = 0;
          if (gate) {
            for (int64_t d = 0; d < f; ++d) {
              double gp = channelSum(p, d), gj = channelSum(j, d);
              dot += phiQ[i * f + d] * phiK[j * f + d] *
                     std::exp(j <= p ? gp - gj : gj - gp);
            }
          } else if (explicitPhi) {
            for (int64_t d = 0; d < f; ++d)
              dot += phiQ[i * f + d] * phiK[j * f + d];
          } else { // Taylor-2 closed form.
            double t = 0;
            for (int64_t d = 0; d < dk; ++d)
              t += qv(b, h, i, d) * kv(b, kh, j, d);
            t /= std::sqrt(static_cast<double>(dk));
            dot = 1.0 + t + 0.5 * t * t;
          }
          s[ij] = scale * dot;

          // Mask.
          bool keep = true;
          MaskPoint point{b, h, i, p, j, nk};
          for (MaskData &mask : masks) {
            if (!isVisible(mask.op.getMask(), mask, point, failure)) {
              keep = false;
              break;
            }
          }
          visible[ij] = keep;

          // Decay, in log space.
          double ld = 0;
          for (auto [n, decay] : llvm::enumerate(decays)) {
            if (decay.op.getKind() == DecayKind::exponential) {
              ld += std::abs(p - j) * logRates[n];
            } else {
              double gp = gatedSum(decaySums[n], p),
                     gj = gatedSum(decaySums[n], j);
              ld += j <= p ? gp - gj : gj - gp;
            }
          }
          logD[ij] = ld;

          // Modifiers, only where visible: a hidden entry's score is never
          // used, and bias tables are often only valid inside the mask.
          if (keep && !modifiers.empty()) {
            Slot args[5];
            args[1].i = b;
            args[2].i = h;
            args[3].i = p;
            args[4].i = j;
            for (CompiledRegion &modifier : modifiers) {
              args[0].f = s[ij];
              Slot result;
              if (!modifier.run(args, result)) {
                if (failure.empty())
                  failure = llvm::toString(modifier.takeError());
                break;
              }
              s[ij] = result.f;
            }
          }
          if (!failure.empty())
            return makeError(failure);
        }

        // Normalise row i.
        double denominator = 0;
        double rowLse = -kInf;
        switch (kind) {
        case NormalizeKind::softmax: {
          double m = -kInf;
          for (int64_t j = 0; j < nk; ++j)
            if (visible[i * nk + j])
              m = std::max(m, s[i * nk + j] + logD[i * nk + j]);
          double sink = sinks ? sinks->data[h] : -kInf;
          m = std::max(m, sink);
          for (int64_t j = 0; j < nk; ++j) {
            double x = s[i * nk + j] + logD[i * nk + j];
            weights[j] =
                visible[i * nk + j] && m != -kInf ? std::exp(x - m) : 0.0;
            denominator += weights[j];
          }
          if (m != -kInf && sinks)
            denominator += std::exp(sink - m);
          if (denominator > 0)
            rowLse = m + std::log(denominator);
          break;
        }
        default:
          for (int64_t j = 0; j < nk; ++j) {
            const int64_t ij = i * nk + j;
            double x = s[ij];
            double value;
            switch (kind) {
            case NormalizeKind::sigmoid:
              value = sigmoid(x + bias);
              break;
            case NormalizeKind::softplus_l1:
              value = std::pow(softplus(x), power);
              break;
            case NormalizeKind::relu:
              value = std::max(x, 0.0);
              break;
            case NormalizeKind::relu2:
              value = std::max(x, 0.0) * std::max(x, 0.0);
              break;
            default: // none, sum
              value = x;
              break;
            }
            weights[j] = visible[ij] ? std::exp(logD[ij]) * value : 0.0;
            denominator += weights[j];
          }
          break;
        }
        bool divides = kind == NormalizeKind::softmax ||
                       kind == NormalizeKind::softplus_l1 ||
                       kind == NormalizeKind::sum;
        if (divides) {
          for (int64_t j = 0; j < nk; ++j)
            weights[j] = denominator == 0.0 ? 0.0 : weights[j] / denominator;
        }
        if (aggregate.getLse())
          lse.at({b, h, i}) = rowLse;

        // Aggregate row i.
        for (int64_t e = 0; e < dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < nk; ++j)
            if (weights[j] != 0.0)
              acc += weights[j] * vv(b, kh, j, e);
          ov(b, h, i, e) = acc;
        }
        if (initialState) {
          // The state's contribution, decayed from the start to p.
          for (int64_t d = 0; d < f; ++d) {
            double logA = 0;
            for (auto [n, decay] : llvm::enumerate(decays))
              logA += decay.op.getKind() == DecayKind::exponential
                          ? (p + 1) * logRates[n]
                          : gatedSum(decaySums[n], p);
            if (gate)
              logA += channelSum(p, d);
            double c = scale * phiQ[i * f + d] * std::exp(logA);
            for (int64_t e = 0; e < dv; ++e)
              ov(b, h, i, e) += c * initialState->at({b, h, d, e});
          }
        }
        if (std::optional<OutputNorm> norm = aggregate.getNorm()) {
          double eps = aggregate.getNormEps().convertToDouble();
          double mean = 0, square = 0;
          for (int64_t e = 0; e < dv; ++e) {
            mean += ov(b, h, i, e);
            square += ov(b, h, i, e) * ov(b, h, i, e);
          }
          mean /= dv;
          square /= dv;
          if (*norm == OutputNorm::rms) {
            double r = 1.0 / std::sqrt(square + eps);
            for (int64_t e = 0; e < dv; ++e)
              ov(b, h, i, e) *= r;
          } else {
            double var = 0;
            for (int64_t e = 0; e < dv; ++e)
              var += (ov(b, h, i, e) - mean) * (ov(b, h, i, e) - mean);
            double r = 1.0 / std::sqrt(var / dv + eps);
            for (int64_t e = 0; e < dv; ++e)
              ov(b, h, i, e) = (ov(b, h, i, e) - mean) * r;
          }
        }
      }

      // Final state: S_N[d, :] = Z_d S_0[d, :] + sum_j R_jd phi(k_j)_d v_j.
      if (wantState) {
        const int64_t last = nk - 1;
        for (int64_t d = 0; d < f; ++d) {
          auto logDecayFrom = [&](int64_t j) {
            // Decay over the tokens after j up to the end (j = -1: all).
            double l = 0;
            for (auto [n, decay] : llvm::enumerate(decays))
              l += decay.op.getKind() == DecayKind::exponential
                       ? (last - j) * logRates[n]
                       : gatedSum(decaySums[n], last) -
                             gatedSum(decaySums[n], j);
            if (gate)
              l += channelSum(last, d) - channelSum(j, d);
            return l;
          };
          double z = std::exp(logDecayFrom(-1));
          for (int64_t e = 0; e < dv; ++e)
            finalState.at({b, h, d, e}) =
                initialState ? z * initialState->at({b, h, d, e}) : 0.0;
          for (int64_t j = 0; j < nk; ++j) {
            double c = std::exp(logDecayFrom(j)) * phiK[j * f + d];
            if (c == 0.0)
              continue;
            for (int64_t e = 0; e < dv; ++e)
              finalState.at({b, h, d, e}) += c * vv(b, kh, j, e);
          }
        }
      }
    }
  }

  bind(aggregate.getOutput(), std::move(out));
  if (Value lseValue = aggregate.getLse())
    bind(lseValue, std::move(lse));
  if (Value state = aggregate.getFinalState())
    bind(state, std::move(finalState));
  return llvm::Error::success();
}

namespace attn::reference {
llvm::Expected<std::vector<HostTensor>> evaluate(func::FuncOp spec,
                                                 ArrayRef<HostTensor> args) {
  return Evaluator(spec).run(args);
}
} // namespace attn::reference
