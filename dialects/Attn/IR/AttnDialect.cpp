//===- AttnDialect.cpp - The attn dialect ---------------------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "attn/Dialect/Attn/IR/AttnOpsDialect.cpp.inc"

#include "attn/Dialect/Attn/IR/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnOpsTypes.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "attn/Dialect/Attn/IR/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attn/Dialect/Attn/IR/AttnAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "attn/Dialect/Attn/IR/AttnOpsTypes.cpp.inc"
      >();
}

/// `attn.plan` overrides the compiler's plan for one spec chain: a (possibly
/// partial) plan dictionary on its attn.aggregate. Other `attn.*` attributes
/// (e.g. on GPU modules) are left to their producers.
LogicalResult AttnDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() != plan::kSpecAttrName)
    return success();
  if (!isa<AggregateOp>(op))
    return op->emitOpError()
           << plan::kSpecAttrName << " belongs on the attn.aggregate whose "
           << "chain it plans";
  auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
  if (!dict)
    return op->emitOpError() << plan::kSpecAttrName
                             << " must be a dictionary such as {block_m = "
                                "128 : i64, block_n = 64 : i64}, got "
                             << attr.getValue();
  return verifyPlanAttr(dict, /*requireComplete=*/false, [&] {
    return op->emitOpError() << "in " << plan::kSpecAttrName << ": ";
  });
}

//===----------------------------------------------------------------------===//
// Mask attributes
//===----------------------------------------------------------------------===//

bool mlir::attn::isMaskAttr(Attribute attr) {
  return isa<CausalAttr, WindowAttr, SinksAttr, BlockDiagonalAttr, DilatedAttr,
             PrefixAttr, DocumentAttr, Neighborhood2DAttr, BlockSparseAttr,
             PredicateAttr, AndAttr, OrAttr>(attr);
}

void mlir::attn::walkMask(Attribute mask,
                          llvm::function_ref<void(Attribute)> fn) {
  fn(mask);
  ArrayRef<Attribute> operands;
  if (auto andAttr = dyn_cast<AndAttr>(mask))
    operands = andAttr.getMasks();
  else if (auto orAttr = dyn_cast<OrAttr>(mask))
    operands = orAttr.getMasks();
  for (Attribute operand : operands)
    walkMask(operand, fn);
}

bool mlir::attn::maskUsesPredicate(Attribute mask) {
  bool found = false;
  walkMask(mask, [&](Attribute attr) { found |= isa<PredicateAttr>(attr); });
  return found;
}

static LogicalResult
verifyPositive(function_ref<InFlightDiagnostic()> emitError, StringRef attr,
               StringRef param, int64_t value) {
  if (value > 0)
    return success();
  return emitError() << "#attn." << attr << " expects a positive " << param
                     << ", got " << value;
}

static LogicalResult
verifyInputIndex(function_ref<InFlightDiagnostic()> emitError, StringRef attr,
                 int64_t input) {
  if (input >= 0)
    return success();
  return emitError() << "#attn." << attr
                     << " expects 'input' to be the position of one of the "
                        "mask op's tensor inputs (0, 1, ...), got "
                     << input;
}

LogicalResult WindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t left, int64_t right) {
  if (left < 0 || right < 0)
    return emitError() << "#attn.window expects non-negative left and right "
                          "extents, got <"
                       << left << ", " << right
                       << ">; for a causal window use <left, 0>";
  return success();
}

LogicalResult SinksAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t count) {
  return verifyPositive(emitError, "sinks", "count", count);
}

LogicalResult
BlockDiagonalAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                          int64_t size) {
  return verifyPositive(emitError, "block_diagonal", "block size", size);
}

LogicalResult DilatedAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t stride) {
  return verifyPositive(emitError, "dilated", "stride", stride);
}

LogicalResult PrefixAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t length) {
  if (length < 0)
    return emitError() << "#attn.prefix expects a non-negative length, got "
                       << length;
  return success();
}

LogicalResult
DocumentAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     int64_t input) {
  return verifyInputIndex(emitError, "document", input);
}

LogicalResult
Neighborhood2DAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           int64_t kernelH, int64_t kernelW, int64_t height,
                           int64_t width, int64_t dilationH,
                           int64_t dilationW) {
  if (failed(verifyPositive(emitError, "neighborhood_2d", "kernel_h", kernelH)) ||
      failed(verifyPositive(emitError, "neighborhood_2d", "kernel_w", kernelW)) ||
      failed(verifyPositive(emitError, "neighborhood_2d", "height", height)) ||
      failed(verifyPositive(emitError, "neighborhood_2d", "width", width)) ||
      failed(verifyPositive(emitError, "neighborhood_2d", "dilation_h",
                            dilationH)) ||
      failed(verifyPositive(emitError, "neighborhood_2d", "dilation_w",
                            dilationW)))
    return failure();
  // kernel * dilation <= extent, written as a division so that it cannot
  // overflow.
  if (kernelH > height / dilationH || kernelW > width / dilationW)
    return emitError() << "#attn.neighborhood_2d kernel " << kernelH << "x"
                       << kernelW << " with dilation " << dilationH << "x"
                       << dilationW << " does not fit the " << height << "x"
                       << width
                       << " grid; kernel * dilation must not exceed the grid "
                          "along each axis";
  return success();
}

LogicalResult
BlockSparseAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        int64_t input, int64_t qBlock, int64_t kBlock) {
  if (failed(verifyInputIndex(emitError, "block_sparse", input)) ||
      failed(verifyPositive(emitError, "block_sparse", "q_block", qBlock)) ||
      failed(verifyPositive(emitError, "block_sparse", "k_block", kBlock)))
    return failure();
  return success();
}

static LogicalResult
verifyMaskOperands(function_ref<InFlightDiagnostic()> emitError,
                   StringRef name, ArrayRef<Attribute> masks) {
  if (masks.empty())
    return emitError() << "#attn." << name
                       << " expects at least one mask operand";
  for (Attribute mask : masks)
    if (!isMaskAttr(mask))
      return emitError() << "#attn." << name
                         << " operands must be attn mask attributes, got "
                         << mask;
  return success();
}

LogicalResult AndAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              ArrayRef<Attribute> masks) {
  return verifyMaskOperands(emitError, "and", masks);
}

LogicalResult OrAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                             ArrayRef<Attribute> masks) {
  return verifyMaskOperands(emitError, "or", masks);
}
