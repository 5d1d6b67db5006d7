//===- RegionEvaluator.cpp - fp64 interpreter for attn regions ------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Integers of width w > 1 are held sign-extended in int64 and i1 as 0 or 1,
// so that comparisons and index arithmetic need no width; the few ops whose
// meaning depends on the width (unsigned casts, extensions, truncations)
// carry it as an immediate. Integer arithmetic does not wrap at the type's
// width: specs index tensors with it, where overflow would be a bug anyway.
//
//===----------------------------------------------------------------------===//

#include "RegionEvaluator.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace ::attn;
using namespace ::attn::reference::detail;

enum class CompiledRegion::Opcode : uint8_t {
  // Float, binary.
  AddF,
  SubF,
  MulF,
  DivF,
  RemF,
  MaximumF,
  MinimumF,
  MaxNumF,
  MinNumF,
  PowF,
  CopySign,
  Atan2,
  // Float, unary.
  NegF,
  Exp,
  Exp2,
  Expm1,
  Log,
  Log2,
  Log10,
  Log1p,
  Tanh,
  Sinh,
  Cosh,
  Sqrt,
  Rsqrt,
  AbsF,
  Erf,
  Erfc,
  Sin,
  Cos,
  Tan,
  Atan,
  Asin,
  Acos,
  Floor,
  Ceil,
  Round,
  RoundEven,
  TruncF,
  Copy,
  // Float, ternary.
  Fma,
  // Comparisons and select.
  CmpF,
  CmpI,
  Select,
  // Integer.
  AddI,
  SubI,
  MulI,
  DivSI,
  DivUI,
  RemSI,
  RemUI,
  FloorDivSI,
  CeilDivSI,
  AndI,
  OrI,
  XOrI,
  MaxSI,
  MinSI,
  MaxUI,
  MinUI,
  ShLI,
  ShRSI,
  ShRUI,
  AbsI,
  // Casts.
  SignExtend,
  ZeroExtend,
  TruncI,
  SIToFP,
  UIToFP,
  FPToSI,
  FPToUI,
  RoundFloat,
  // Tensors.
  Extract,
};

namespace {
/// Rounding targets of arith.truncf (`imm` of RoundFloat).
enum FloatTarget : int64_t { ToF16, ToBF16, ToF32 };
} // namespace

/// Bit width of an integer or index type (index: 64).
static int64_t getWidth(Type type) {
  if (auto intType = dyn_cast<IntegerType>(type))
    return intType.getWidth();
  return 64;
}

/// Canonical int64 form of an integer of `width` bits: i1 as 0/1, wider
/// ones sign-extended.
static int64_t canonicalize(uint64_t bits, int64_t width) {
  if (width >= 64)
    return static_cast<int64_t>(bits);
  if (width == 1)
    return bits & 1;
  uint64_t mask = (uint64_t(1) << width) - 1;
  uint64_t value = bits & mask;
  if (value >> (width - 1))
    value |= ~mask;
  return static_cast<int64_t>(value);
}

/// The unsigned value of a canonical integer of `width` bits.
static uint64_t asUnsigned(int64_t value, int64_t width) {
  if (width >= 64)
    return static_cast<uint64_t>(value);
  return static_cast<uint64_t>(value) & ((uint64_t(1) << width) - 1);
}

static std::string locationString(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getLoc();
  return text;
}

llvm::Expected<CompiledRegion>
CompiledRegion::compile(Block &block, unsigned numScalarArgs,
                        std::vector<const HostTensor *> tensorInputs,
                        StringRef what) {
  CompiledRegion region;
  region.numScalarArgs = numScalarArgs;
  region.tensors = std::move(tensorInputs);
  llvm::DenseMap<Value, int> slotOf, tensorOf;
  int numSlots = 0;
  for (unsigned i = 0; i < numScalarArgs; ++i)
    slotOf[block.getArgument(i)] = numSlots++;
  for (unsigned i = numScalarArgs; i < block.getNumArguments(); ++i)
    tensorOf[block.getArgument(i)] = i - numScalarArgs;

  auto unsupported = [&](Operation *op, StringRef why) {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the reference cannot evaluate '" + op->getName().getStringRef() +
            "' at " + locationString(op) + " in " + what + ": " + why);
  };

  for (Operation &opRef : block) {
    Operation *op = &opRef;
    if (auto yield = dyn_cast<mlir::attn::YieldOp>(op)) {
      region.resultSlot = slotOf.lookup(yield.getValue());
      break;
    }
    if (op->getNumResults() != 1)
      return unsupported(op, "only single-result ops are supported");
    Value result = op->getResult(0);

    // Dense tensor constants become tensors tensor.extract can read.
    if (auto constant = dyn_cast<arith::ConstantOp>(op);
        constant && isa<RankedTensorType>(result.getType())) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense)
        return unsupported(op, "only dense tensor constants are supported");
      auto type = cast<RankedTensorType>(result.getType());
      HostTensor &tensor = region.ownedTensors.emplace_back(
          ElementKind::F64, std::vector<int64_t>(type.getShape()));
      if (isa<FloatType>(type.getElementType())) {
        int64_t n = 0;
        for (APFloat value : dense.getValues<APFloat>()) {
          bool lost;
          value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                        &lost);
          tensor.data[n++] = value.convertToDouble();
        }
      } else {
        int64_t width = getWidth(type.getElementType()), n = 0;
        for (APInt value : dense.getValues<APInt>())
          tensor.data[n++] =
              static_cast<double>(canonicalize(value.getZExtValue(), width));
      }
      tensorOf[result] = region.tensors.size();
      region.tensors.push_back(&tensor);
      continue;
    }

    if (!result.getType().isIntOrIndexOrFloat())
      return unsupported(op, "only scalar results are supported");
    for (Value operand : op->getOperands())
      if (!slotOf.count(operand) && !tensorOf.count(operand))
        return unsupported(op, "an operand is not defined in the region");

    Instruction inst;
    inst.dst = numSlots;
    auto operand = [&](unsigned i) { return slotOf.lookup(op->getOperand(i)); };
    auto setOperands = [&]() {
      if (op->getNumOperands() > 0)
        inst.a = operand(0);
      if (op->getNumOperands() > 1)
        inst.b = operand(1);
      if (op->getNumOperands() > 2)
        inst.c = operand(2);
    };
    auto addSite = [&](std::vector<int> indexSlots) {
      inst.imm = region.extracts.size();
      region.extracts.push_back({std::move(indexSlots), locationString(op)});
    };
    auto opcodeOf = [&]() -> std::optional<Opcode> {
      using O = Opcode;
      return llvm::TypeSwitch<Operation *, std::optional<Opcode>>(op)
          .Case([](arith::AddFOp) { return O::AddF; })
          .Case([](arith::SubFOp) { return O::SubF; })
          .Case([](arith::MulFOp) { return O::MulF; })
          .Case([](arith::DivFOp) { return O::DivF; })
          .Case([](arith::RemFOp) { return O::RemF; })
          .Case([](arith::MaximumFOp) { return O::MaximumF; })
          .Case([](arith::MinimumFOp) { return O::MinimumF; })
          .Case([](arith::MaxNumFOp) { return O::MaxNumF; })
          .Case([](arith::MinNumFOp) { return O::MinNumF; })
          .Case([](math::PowFOp) { return O::PowF; })
          .Case([](math::CopySignOp) { return O::CopySign; })
          .Case([](math::Atan2Op) { return O::Atan2; })
          .Case([](arith::NegFOp) { return O::NegF; })
          .Case([](math::ExpOp) { return O::Exp; })
          .Case([](math::Exp2Op) { return O::Exp2; })
          .Case([](math::ExpM1Op) { return O::Expm1; })
          .Case([](math::LogOp) { return O::Log; })
          .Case([](math::Log2Op) { return O::Log2; })
          .Case([](math::Log10Op) { return O::Log10; })
          .Case([](math::Log1pOp) { return O::Log1p; })
          .Case([](math::TanhOp) { return O::Tanh; })
          .Case([](math::SinhOp) { return O::Sinh; })
          .Case([](math::CoshOp) { return O::Cosh; })
          .Case([](math::SqrtOp) { return O::Sqrt; })
          .Case([](math::RsqrtOp) { return O::Rsqrt; })
          .Case([](math::AbsFOp) { return O::AbsF; })
          .Case([](math::ErfOp) { return O::Erf; })
          .Case([](math::ErfcOp) { return O::Erfc; })
          .Case([](math::SinOp) { return O::Sin; })
          .Case([](math::CosOp) { return O::Cos; })
          .Case([](math::TanOp) { return O::Tan; })
          .Case([](math::AtanOp) { return O::Atan; })
          .Case([](math::AsinOp) { return O::Asin; })
          .Case([](math::AcosOp) { return O::Acos; })
          .Case([](math::FloorOp) { return O::Floor; })
          .Case([](math::CeilOp) { return O::Ceil; })
          .Case([](math::RoundOp) { return O::Round; })
          .Case([](math::RoundEvenOp) { return O::RoundEven; })
          .Case([](math::TruncOp) { return O::TruncF; })
          .Case([](math::FmaOp) { return O::Fma; })
          .Case([](arith::CmpFOp) { return O::CmpF; })
          .Case([](arith::CmpIOp) { return O::CmpI; })
          .Case([](arith::SelectOp) { return O::Select; })
          .Case([](arith::AddIOp) { return O::AddI; })
          .Case([](arith::SubIOp) { return O::SubI; })
          .Case([](arith::MulIOp) { return O::MulI; })
          .Case([](arith::DivSIOp) { return O::DivSI; })
          .Case([](arith::DivUIOp) { return O::DivUI; })
          .Case([](arith::RemSIOp) { return O::RemSI; })
          .Case([](arith::RemUIOp) { return O::RemUI; })
          .Case([](arith::FloorDivSIOp) { return O::FloorDivSI; })
          .Case([](arith::CeilDivSIOp) { return O::CeilDivSI; })
          .Case([](arith::AndIOp) { return O::AndI; })
          .Case([](arith::OrIOp) { return O::OrI; })
          .Case([](arith::XOrIOp) { return O::XOrI; })
          .Case([](arith::MaxSIOp) { return O::MaxSI; })
          .Case([](arith::MinSIOp) { return O::MinSI; })
          .Case([](arith::MaxUIOp) { return O::MaxUI; })
          .Case([](arith::MinUIOp) { return O::MinUI; })
          .Case([](arith::ShLIOp) { return O::ShLI; })
          .Case([](arith::ShRSIOp) { return O::ShRSI; })
          .Case([](arith::ShRUIOp) { return O::ShRUI; })
          .Case([](math::AbsIOp) { return O::AbsI; })
          .Case<arith::IndexCastOp, arith::ExtSIOp>(
              [](auto) { return O::SignExtend; })
          .Case<arith::IndexCastUIOp, arith::ExtUIOp>(
              [](auto) { return O::ZeroExtend; })
          .Case([](arith::TruncIOp) { return O::TruncI; })
          .Case([](arith::SIToFPOp) { return O::SIToFP; })
          .Case([](arith::UIToFPOp) { return O::UIToFP; })
          .Case([](arith::FPToSIOp) { return O::FPToSI; })
          .Case([](arith::FPToUIOp) { return O::FPToUI; })
          .Case([](arith::ExtFOp) { return O::Copy; })
          .Case([](arith::TruncFOp) { return O::RoundFloat; })
          .Case([](tensor::ExtractOp) { return O::Extract; })
          .Default([](Operation *) { return std::nullopt; });
    };

    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      inst.opcode = Opcode::Copy;
      inst.a = -1;
      if (auto f = dyn_cast<FloatAttr>(constant.getValue()))
        inst.constant.f = f.getValueAsDouble();
      else if (auto i = dyn_cast<IntegerAttr>(constant.getValue()))
        inst.constant.i = canonicalize(i.getValue().getZExtValue(),
                                       getWidth(result.getType()));
      else
        return unsupported(op, "unsupported constant attribute");
    } else {
      std::optional<Opcode> opcode = opcodeOf();
      if (!opcode)
        return unsupported(op, "supported are arith and math ops on scalars "
                               "and tensor.extract");
      inst.opcode = *opcode;
      if (*opcode != Opcode::Extract)
        setOperands();
      switch (*opcode) {
      case Opcode::CmpF:
        inst.imm = static_cast<int64_t>(cast<arith::CmpFOp>(op).getPredicate());
        break;
      case Opcode::CmpI:
        inst.imm = static_cast<int64_t>(cast<arith::CmpIOp>(op).getPredicate());
        inst.constant.i = getWidth(op->getOperand(0).getType());
        break;
      case Opcode::SignExtend:
      case Opcode::ZeroExtend:
      case Opcode::UIToFP:
      case Opcode::SIToFP:
      case Opcode::DivUI:
      case Opcode::RemUI:
      case Opcode::MaxUI:
      case Opcode::MinUI:
      case Opcode::ShRUI:
        inst.imm = getWidth(op->getOperand(0).getType());
        break;
      case Opcode::TruncI:
      case Opcode::FPToSI:
      case Opcode::FPToUI:
      case Opcode::ShLI:
        inst.imm = getWidth(result.getType());
        break;
      case Opcode::RoundFloat: {
        Type type = result.getType();
        if (type.isF16())
          inst.imm = ToF16;
        else if (type.isBF16())
          inst.imm = ToBF16;
        else if (type.isF32())
          inst.imm = ToF32;
        else
          inst.opcode = Opcode::Copy; // No narrower float is modelled.
        break;
      }
      case Opcode::DivSI:
      case Opcode::RemSI:
      case Opcode::FloorDivSI:
      case Opcode::CeilDivSI:
        addSite({}); // For the division-by-zero message.
        break;
      case Opcode::Extract: {
        auto extract = cast<tensor::ExtractOp>(op);
        if (!tensorOf.count(extract.getTensor()))
          return unsupported(op, "the tensor must be a region argument or a "
                                 "dense constant");
        inst.a = tensorOf.lookup(extract.getTensor());
        std::vector<int> indexSlots;
        for (Value index : extract.getIndices())
          indexSlots.push_back(slotOf.lookup(index));
        addSite(std::move(indexSlots));
        break;
      }
      default:
        break;
      }
    }
    region.program.push_back(inst);
    slotOf[result] = numSlots++;
  }
  if (region.resultSlot < 0)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   what + " region has no attn.yield");
  region.slots.resize(numSlots);
  return region;
}

static bool compareF(arith::CmpFPredicate predicate, double a, double b) {
  using P = arith::CmpFPredicate;
  bool unordered = std::isnan(a) || std::isnan(b);
  switch (predicate) {
  case P::AlwaysFalse:
    return false;
  case P::OEQ:
    return !unordered && a == b;
  case P::OGT:
    return !unordered && a > b;
  case P::OGE:
    return !unordered && a >= b;
  case P::OLT:
    return !unordered && a < b;
  case P::OLE:
    return !unordered && a <= b;
  case P::ONE:
    return !unordered && a != b;
  case P::ORD:
    return !unordered;
  case P::UEQ:
    return unordered || a == b;
  case P::UGT:
    return unordered || a > b;
  case P::UGE:
    return unordered || a >= b;
  case P::ULT:
    return unordered || a < b;
  case P::ULE:
    return unordered || a <= b;
  case P::UNE:
    return unordered || a != b;
  case P::UNO:
    return unordered;
  case P::AlwaysTrue:
    return true;
  }
  return false;
}

static bool compareI(arith::CmpIPredicate predicate, int64_t a, int64_t b,
                     int64_t width) {
  using P = arith::CmpIPredicate;
  uint64_t ua = asUnsigned(a, width), ub = asUnsigned(b, width);
  switch (predicate) {
  case P::eq:
    return a == b;
  case P::ne:
    return a != b;
  case P::slt:
    return a < b;
  case P::sle:
    return a <= b;
  case P::sgt:
    return a > b;
  case P::sge:
    return a >= b;
  case P::ult:
    return ua < ub;
  case P::ule:
    return ua <= ub;
  case P::ugt:
    return ua > ub;
  case P::uge:
    return ua >= ub;
  }
  return false;
}

static int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t ceilDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) == (b < 0))) ? q + 1 : q;
}

bool CompiledRegion::run(llvm::ArrayRef<Slot> scalarArgs, Slot &result) {
  Slot *s = slots.data();
  for (int i = 0; i < numScalarArgs; ++i)
    s[i] = scalarArgs[i];
  for (const Instruction &inst : program) {
    Slot &d = s[inst.dst];
    const Slot &a = inst.a >= 0 ? s[inst.a] : inst.constant;
    const Slot &b = inst.b >= 0 ? s[inst.b] : inst.constant;
    const Slot &c = inst.c >= 0 ? s[inst.c] : inst.constant;
    double x = a.f, y = b.f;
    int64_t m = a.i, n = b.i;
    switch (inst.opcode) {
    case Opcode::AddF:
      d.f = x + y;
      break;
    case Opcode::SubF:
      d.f = x - y;
      break;
    case Opcode::MulF:
      d.f = x * y;
      break;
    case Opcode::DivF:
      d.f = x / y;
      break;
    case Opcode::RemF:
      d.f = std::fmod(x, y);
      break;
    case Opcode::MaximumF:
      d.f = (std::isnan(x) || std::isnan(y)) ? NAN : std::fmax(x, y);
      break;
    case Opcode::MinimumF:
      d.f = (std::isnan(x) || std::isnan(y)) ? NAN : std::fmin(x, y);
      break;
    case Opcode::MaxNumF:
      d.f = std::fmax(x, y);
      break;
    case Opcode::MinNumF:
      d.f = std::fmin(x, y);
      break;
    case Opcode::PowF:
      d.f = std::pow(x, y);
      break;
    case Opcode::CopySign:
      d.f = std::copysign(x, y);
      break;
    case Opcode::Atan2:
      d.f = std::atan2(x, y);
      break;
    case Opcode::NegF:
      d.f = -x;
      break;
    case Opcode::Exp:
      d.f = std::exp(x);
      break;
    case Opcode::Exp2:
      d.f = std::exp2(x);
      break;
    case Opcode::Expm1:
      d.f = std::expm1(x);
      break;
    case Opcode::Log:
      d.f = std::log(x);
      break;
    case Opcode::Log2:
      d.f = std::log2(x);
      break;
    case Opcode::Log10:
      d.f = std::log10(x);
      break;
    case Opcode::Log1p:
      d.f = std::log1p(x);
      break;
    case Opcode::Tanh:
      d.f = std::tanh(x);
      break;
    case Opcode::Sinh:
      d.f = std::sinh(x);
      break;
    case Opcode::Cosh:
      d.f = std::cosh(x);
      break;
    case Opcode::Sqrt:
      d.f = std::sqrt(x);
      break;
    case Opcode::Rsqrt:
      d.f = 1.0 / std::sqrt(x);
      break;
    case Opcode::AbsF:
      d.f = std::fabs(x);
      break;
    case Opcode::Erf:
      d.f = std::erf(x);
      break;
    case Opcode::Erfc:
      d.f = std::erfc(x);
      break;
    case Opcode::Sin:
      d.f = std::sin(x);
      break;
    case Opcode::Cos:
      d.f = std::cos(x);
      break;
    case Opcode::Tan:
      d.f = std::tan(x);
      break;
    case Opcode::Atan:
      d.f = std::atan(x);
      break;
    case Opcode::Asin:
      d.f = std::asin(x);
      break;
    case Opcode::Acos:
      d.f = std::acos(x);
      break;
    case Opcode::Floor:
      d.f = std::floor(x);
      break;
    case Opcode::Ceil:
      d.f = std::ceil(x);
      break;
    case Opcode::Round:
      d.f = std::round(x);
      break;
    case Opcode::RoundEven:
      d.f = std::nearbyint(x);
      break;
    case Opcode::TruncF:
      d.f = std::trunc(x);
      break;
    case Opcode::Copy:
      d = a;
      break;
    case Opcode::Fma:
      d.f = std::fma(x, y, c.f);
      break;
    case Opcode::CmpF:
      d.i = compareF(static_cast<arith::CmpFPredicate>(inst.imm), x, y);
      break;
    case Opcode::CmpI:
      d.i = compareI(static_cast<arith::CmpIPredicate>(inst.imm), m, n,
                     inst.constant.i);
      break;
    case Opcode::Select:
      d = a.i ? b : c;
      break;
    case Opcode::AddI:
      d.i = m + n;
      break;
    case Opcode::SubI:
      d.i = m - n;
      break;
    case Opcode::MulI:
      d.i = m * n;
      break;
    case Opcode::DivSI:
    case Opcode::RemSI:
    case Opcode::FloorDivSI:
    case Opcode::CeilDivSI:
      if (n == 0) {
        error = "integer division by zero at " + extracts[inst.imm].location;
        return false;
      }
      d.i = inst.opcode == Opcode::DivSI        ? m / n
            : inst.opcode == Opcode::RemSI      ? m % n
            : inst.opcode == Opcode::FloorDivSI ? floorDiv(m, n)
                                                : ceilDiv(m, n);
      break;
    case Opcode::DivUI:
    case Opcode::RemUI: {
      uint64_t um = asUnsigned(m, inst.imm), un = asUnsigned(n, inst.imm);
      if (un == 0) {
        error = "unsigned integer division by zero in a region";
        return false;
      }
      d.i = canonicalize(inst.opcode == Opcode::DivUI ? um / un : um % un,
                         inst.imm);
      break;
    }
    case Opcode::AndI:
      d.i = m & n;
      break;
    case Opcode::OrI:
      d.i = m | n;
      break;
    case Opcode::XOrI:
      d.i = m ^ n;
      break;
    case Opcode::MaxSI:
      d.i = std::max(m, n);
      break;
    case Opcode::MinSI:
      d.i = std::min(m, n);
      break;
    case Opcode::MaxUI:
      d.i = asUnsigned(m, inst.imm) >= asUnsigned(n, inst.imm) ? m : n;
      break;
    case Opcode::MinUI:
      d.i = asUnsigned(m, inst.imm) <= asUnsigned(n, inst.imm) ? m : n;
      break;
    case Opcode::ShLI:
      d.i = n >= 64 || n < 0
                ? 0
                : canonicalize(static_cast<uint64_t>(m) << n, inst.imm);
      break;
    case Opcode::ShRSI:
      d.i = m >> std::clamp<int64_t>(n, 0, 63);
      break;
    case Opcode::ShRUI:
      d.i = n >= 64 || n < 0
                ? 0
                : canonicalize(asUnsigned(m, inst.imm) >> n, inst.imm);
      break;
    case Opcode::AbsI:
      d.i = m < 0 ? -m : m;
      break;
    case Opcode::SignExtend:
      // i1 is held as 0/1; as a signed value true is -1.
      d.i = inst.imm == 1 ? -m : m;
      break;
    case Opcode::ZeroExtend:
      d.i = static_cast<int64_t>(asUnsigned(m, inst.imm));
      break;
    case Opcode::TruncI:
      d.i = canonicalize(static_cast<uint64_t>(m), inst.imm);
      break;
    case Opcode::SIToFP:
      d.f = static_cast<double>(inst.imm == 1 ? -m : m);
      break;
    case Opcode::UIToFP:
      d.f = static_cast<double>(asUnsigned(m, inst.imm));
      break;
    case Opcode::FPToSI:
    case Opcode::FPToUI:
      d.i = std::isfinite(x)
                ? canonicalize(static_cast<uint64_t>(static_cast<int64_t>(x)),
                               inst.imm)
                : 0;
      break;
    case Opcode::RoundFloat:
      d.f = inst.imm == ToF16    ? roundToF16(x)
            : inst.imm == ToBF16 ? roundToBF16(x)
                                 : static_cast<double>(static_cast<float>(x));
      break;
    case Opcode::Extract: {
      const Extract &site = extracts[inst.imm];
      const HostTensor &tensor = *tensors[inst.a];
      int64_t linear = 0;
      for (size_t axis = 0; axis < site.indexSlots.size(); ++axis) {
        int64_t index = s[site.indexSlots[axis]].i;
        if (index < 0 || index >= tensor.shape[axis]) {
          std::string indices;
          llvm::raw_string_ostream os(indices);
          os << "[";
          llvm::interleaveComma(site.indexSlots, os,
                                [&](int slot) { os << s[slot].i; });
          os << "]";
          error = "tensor.extract at " + site.location + " reads index " +
                  indices + ", out of bounds of its tensor of shape " +
                  tensor.shapeString();
          return false;
        }
        linear = linear * tensor.shape[axis] + index;
      }
      double value = tensor.data[linear];
      d.f = value;
      d.i = static_cast<int64_t>(value);
      break;
    }
    }
  }
  result = s[resultSlot];
  return true;
}

llvm::Error CompiledRegion::takeError() {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
}
