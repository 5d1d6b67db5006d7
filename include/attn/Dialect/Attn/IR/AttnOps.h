//===- AttnOps.h - attn operations ------------------------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_H
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_H

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "attn/Dialect/Attn/IR/AttnOps.h.inc"

namespace mlir::attn {

/// The position of each axis of a rank-4 q/k/v/o tensor in a layout.
struct LayoutAxes {
  unsigned batch, heads, seq, dim;
};

/// Axis positions for `layout`: BHSD is (0, 1, 2, 3), BSHD (0, 2, 1, 3).
LayoutAxes getLayoutAxes(Layout layout);

/// The ops of one spec chain, from `attn.score` to `attn.aggregate`, in
/// order. `modifiers`, `masks` and `decays` keep their relative order.
struct SpecChain {
  ScoreOp score;
  SmallVector<Operation *> scoreOps; ///< modify/mask/decay ops, in order.
  NormalizeOp normalize;
  AggregateOp aggregate;
};

/// Collects the chain ending in `aggregate`. Fails (with a diagnostic on
/// `aggregate`) if the chain is not rooted in an `attn.score`.
FailureOr<SpecChain> getSpecChain(AggregateOp aggregate);

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_H
