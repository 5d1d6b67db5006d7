//===- AttnDialect.h - The attn dialect -------------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The attn dialect, its enums, attributes and types.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNDIALECT_H
#define ATTN_DIALECT_ATTN_IR_ATTNDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "attn/Dialect/Attn/IR/AttnOpsDialect.h.inc"

#include "attn/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "attn/Dialect/Attn/IR/AttnOpsTypes.h.inc"

namespace mlir::attn {

/// Returns true if `attr` is one of the mask expression attributes accepted
/// by `attn.mask`.
bool isMaskAttr(Attribute attr);

/// Calls `fn` on `mask` and, recursively, on every operand of an
/// `#attn.and` / `#attn.or` in it (pre-order).
void walkMask(Attribute mask, llvm::function_ref<void(Attribute)> fn);

/// Returns true if `mask` contains `#attn.predicate`.
bool maskUsesPredicate(Attribute mask);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_IR_ATTNDIALECT_H
