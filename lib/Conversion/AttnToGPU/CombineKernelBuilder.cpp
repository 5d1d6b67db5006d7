//===- CombineKernelBuilder.cpp - The combine kernel of multi-chain specs -===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A spec whose result is an element-wise arith expression over the outputs
// of its attn.aggregate chains (Based: `o = o_linear + o_window`) runs as one
// kernel per chain and then this combine kernel, which reads each chain's
// output and writes o. It is memory bound: each thread loads one 16-byte
// piece (where Dv allows) of every operand at the same (b, h, row, column),
// evaluates the spec's arith ops on vectors of f32 and stores one piece of o.
// Target-independent: gpu, arith, memref and vector ops only.
//
//===----------------------------------------------------------------------===//

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "EmitterBase.h"
#include "attn/Target/TargetInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::attn;

/// Whether `type` is a tensor (or scalar) of floats or of i1.
static bool hasCombinableElements(Type type) {
  Type element = getElementTypeOrSelf(type);
  return isa<FloatType>(element) || element.isInteger(1);
}

FailureOr<CombineExpression>
mlir::attn::analyzeCombine(Value result, ArrayRef<Value> chainOutputs) {
  CombineExpression expr;
  expr.result = result;
  auto unsupported = [&](Operation *at) {
    return at->emitOpError()
           << "cannot be computed by the combine kernel of a multi-chain "
              "spec: the spec must return an element-wise arith expression "
              "(addf, subf, mulf, divf, negf, maximumf, minimumf, select, "
              "...) over the outputs of its attn.aggregate chains and splat "
              "float constants";
  };
  // Operands before users, each once.
  llvm::SetVector<Operation *> ops;
  llvm::SetVector<Value> leaves;
  struct Item {
    Value value;
    bool expanded;
    Operation *user;
  };
  SmallVector<Item> stack = {{result, false, nullptr}};
  llvm::DenseSet<Value> done;
  while (!stack.empty()) {
    auto [value, expanded, user] = stack.pop_back_val();
    if (done.contains(value))
      continue;
    if (llvm::is_contained(chainOutputs, value)) {
      leaves.insert(value);
      done.insert(value);
      continue;
    }
    Operation *def = value.getDefiningOp();
    if (!def) {
      InFlightDiagnostic diag =
          user ? unsupported(user)
               : emitError(value.getLoc(), "the spec returns an argument");
      diag.attachNote(value.getLoc())
          << "this operand is a function argument; the combine kernel reads "
             "only chain outputs: compute argument-dependent terms inside a "
             "chain (e.g. as a modifier input), or outside the spec";
      return diag;
    }
    if (isa<AggregateOp, KernelOp>(def))
      return def->emitOpError()
             << "result #" << cast<OpResult>(value).getResultNumber()
             << " (lse or state) is used by the result of a multi-chain "
                "spec; the combine kernel reads the chains' outputs o only: "
                "return lse and states from single-chain specs";
    if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
      auto splat = dyn_cast<SplatElementsAttr>(constant.getValue());
      if (!splat || !isa<FloatType>(splat.getElementType()))
        return constant.emitOpError()
               << "is not a splat float constant; the combine kernel of a "
                  "multi-chain spec takes only splat float constants (e.g. "
                  "dense<0.5>)";
      ops.insert(def);
      done.insert(value);
      continue;
    }
    if (def->getDialect() != def->getContext()->getLoadedDialect("arith") ||
        def->getNumResults() != 1 || def->getNumRegions() != 0 ||
        !llvm::all_of(def->getOperandTypes(), hasCombinableElements) ||
        !hasCombinableElements(def->getResult(0).getType()) ||
        !isa<RankedTensorType>(def->getResult(0).getType()))
      return unsupported(def);
    if (expanded) {
      ops.insert(def);
      done.insert(value);
      continue;
    }
    stack.push_back({value, true, user});
    for (Value operand : llvm::reverse(def->getOperands()))
      if (!done.contains(operand))
        stack.push_back({operand, false, def});
  }
  for (Value output : chainOutputs)
    if (!leaves.contains(output))
      return output.getDefiningOp()->emitOpError()
             << "output is not used by the spec's result; the chains of a "
                "multi-chain spec must all contribute to the returned "
                "element-wise expression (remove the unused chain)";
  // Parameter order: the chains' order.
  for (Value output : chainOutputs)
    expr.operands.push_back(output);
  expr.ops.assign(ops.begin(), ops.end());
  return expr;
}

FailureOr<KernelInfo>
mlir::attn::buildCombineKernel(OpBuilder &builder,
                               const CombineExpression &expr,
                               ArrayRef<std::string> operandModules,
                               Layout layout, const TargetInfo &target) {
  Location loc = expr.result.getLoc();
  Operation *resultOp = expr.result.getDefiningOp();
  auto resultType = cast<RankedTensorType>(expr.result.getType());
  Type outElement = resultType.getElementType();
  std::string outDType = getKernelDType(outElement).str();
  if (resultType.getRank() != 4 || outDType.empty() ||
      resultType.isDynamicDim(3))
    return resultOp->emitOpError()
           << "result of type " << resultType
           << " cannot be written by the combine kernel: it needs a rank-4 "
              "bf16, f16 or f32 tensor with a static head dim";
  int64_t dv = resultType.getDimSize(3);

  // The widest element sets the vector: 16 bytes of it per thread, where Dv
  // is whole vectors.
  SmallVector<Type> inElements;
  int64_t widest = outElement.getIntOrFloatBitWidth() / 8;
  for (Value operand : expr.operands) {
    Type element = getElementTypeOrSelf(operand.getType());
    if (getKernelDType(element).empty())
      return operand.getDefiningOp()->emitOpError()
             << "output of element type " << element
             << " cannot be read by the combine kernel (bf16, f16 or f32)";
    inElements.push_back(element);
    widest = std::max<int64_t>(widest, element.getIntOrFloatBitWidth() / 8);
  }
  int64_t width = 16 / widest;
  if (dv % width != 0)
    width = 1;

  OpBuilder::InsertionGuard guard(builder);
  OpBuilder &b = builder;
  int64_t warps = 4;
  int64_t threads = warps * target.getWarpSize();
  size_t numOperands = expr.operands.size();
  SmallVector<Type> params;
  for (Type element : inElements)
    params.push_back(MemRefType::get({ShapedType::kDynamic}, element));
  params.push_back(MemRefType::get({ShapedType::kDynamic}, outElement));
  // B, Hq, Nq, then the (batch, head, seq) strides of each operand and o.
  size_t firstScalar = params.size();
  params.append(3 + 3 * (numOperands + 1), b.getI64Type());
  auto func = gpu::GPUFuncOp::create(b, loc, "attn_combine",
                                     b.getFunctionType(params, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  Block &entry = func.getBody().front();
  b.setInsertionPointToStart(&entry);
  auto c = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto scalar = [&](size_t i) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      entry.getArgument(firstScalar + i));
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, loc, x, y);
  };
  auto mul = [&](Value x, Value y) -> Value {
    return arith::MulIOp::create(b, loc, x, y);
  };

  // Thread t of the grid takes piece t % pieces of row t / pieces.
  int64_t pieces = dv / width;
  Value global =
      add(mul(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x), c(threads)),
          gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  Value row = arith::DivUIOp::create(b, loc, global, c(pieces));
  Value column =
      mul(arith::RemUIOp::create(b, loc, global, c(pieces)), c(width));
  Value batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  Value head = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value inRange =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row, scalar(2));
  auto offset = [&](size_t tensor) {
    size_t s = 3 + 3 * tensor;
    return add(add(mul(batch, scalar(s)), mul(head, scalar(s + 1))),
               add(mul(row, scalar(s + 2)), column));
  };
  // Vectors of `width` f32 (or i1) stand for the spec's tensors.
  auto vectorOf = [&](Type tensorType) -> Type {
    Type element = getElementTypeOrSelf(tensorType);
    return VectorType::get({width},
                           isa<FloatType>(element) ? b.getF32Type() : element);
  };
  auto ifOp = scf::IfOp::create(b, loc, inRange, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  IRMapping mapping;
  for (auto [i, operand] : llvm::enumerate(expr.operands)) {
    auto pieceType = VectorType::get({width}, inElements[i]);
    Value piece = vector::LoadOp::create(
        b, loc, pieceType, entry.getArgument(i), ValueRange{offset(i)},
        /*nontemporal=*/false,
        llvm::Align(width * inElements[i].getIntOrFloatBitWidth() / 8));
    if (!inElements[i].isF32())
      piece = arith::ExtFOp::create(b, loc, vectorOf(operand.getType()), piece);
    mapping.map(operand, piece);
  }
  for (Operation *op : expr.ops) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto splat = cast<SplatElementsAttr>(constant.getValue());
      APFloat value = splat.getSplatValue<APFloat>();
      bool lost;
      value.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      auto type = cast<VectorType>(vectorOf(constant.getType()));
      mapping.map(constant.getResult(),
                  arith::ConstantOp::create(
                      b, loc, DenseElementsAttr::get(type, value)));
      continue;
    }
    // Float widths are all f32 here: extf and truncf forward their operand
    // (o is narrowed once, at the store).
    if (isa<arith::ExtFOp, arith::TruncFOp>(op)) {
      mapping.map(op->getResult(0), mapping.lookup(op->getOperand(0)));
      continue;
    }
    Operation *clone = b.clone(*op, mapping);
    clone->getResult(0).setType(vectorOf(op->getResult(0).getType()));
  }
  Value out = mapping.lookup(expr.result);
  auto outPiece = VectorType::get({width}, outElement);
  if (!outElement.isF32())
    out = arith::TruncFOp::create(b, loc, outPiece, out);
  vector::StoreOp::create(
      b, loc, out, entry.getArgument(numOperands),
      ValueRange{offset(numOperands)}, /*nontemporal=*/false,
      llvm::Align(width * outElement.getIntOrFloatBitWidth() / 8));
  b.setInsertionPointAfter(ifOp);
  gpu::ReturnOp::create(b, loc);

  KernelInfo info;
  info.kernelName = "attn_combine";
  info.moduleName = "attn_combine";
  info.arch = target.getChip().str();
  info.algorithm = "combine";
  info.normalize = "";
  info.dtype = outDType;
  info.headDimV = dv;
  info.blockM = 1;
  info.blockN = width;
  info.warps = warps;
  info.stages = 1;
  auto staticDim = [&](unsigned axis) -> int64_t {
    return resultType.isDynamicDim(axis) ? -1 : resultType.getDimSize(axis);
  };
  LayoutAxes axes = getLayoutAxes(layout);
  // The chains' layout, that of the launch; the kernel itself takes strides.
  info.layout = layout == Layout::bshd ? "bshd" : "bhsd";
  info.staticHq = staticDim(axes.heads);
  info.staticNq = staticDim(axes.seq);
  for (auto [module, element] : llvm::zip_equal(operandModules, inElements))
    info.combineOperands.push_back({module, getKernelDType(element).str()});
  return info;
}
