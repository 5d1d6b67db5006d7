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

namespace mlir::attn {
struct SpecChain;
} // namespace mlir::attn

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

/// The keys of a plan dictionary (`attn.kernel`'s `plan`, or `attn.plan` on
/// an `attn.aggregate` to override the compiler's choice).
namespace plan {
inline constexpr llvm::StringLiteral kAlgorithm = "algorithm";
inline constexpr llvm::StringLiteral kBlockM = "block_m";
inline constexpr llvm::StringLiteral kBlockN = "block_n";
inline constexpr llvm::StringLiteral kWarps = "warps";
inline constexpr llvm::StringLiteral kStages = "stages";
/// Optional: "warpgroup" (the default: warpgroup matrix ops for S = Q K^T
/// where the target has them) or "warp" (warp-level matrix ops only).
inline constexpr llvm::StringLiteral kMatrixOps = "matrix_ops";
inline constexpr llvm::StringLiteral kWarpgroup = "warpgroup";
inline constexpr llvm::StringLiteral kWarp = "warp";
/// The values of `algorithm`.
inline constexpr llvm::StringLiteral kQuadratic = "quadratic";
inline constexpr llvm::StringLiteral kChunked = "chunked";
/// The discardable attribute through which a spec gives its own plan.
inline constexpr llvm::StringLiteral kSpecAttrName = "attn.plan";
} // namespace plan

/// Checks a plan dictionary: only known keys; `algorithm` a string
/// "quadratic" or "chunked"; `block_m`, `block_n`, `warps`, `stages`
/// integers with warps in {1, 2, 4, 8}, block_m a positive multiple of
/// 16 * warps (one m16 MMA row block per warp), block_n a positive multiple
/// of 16, stages in [1, 8]; `matrix_ops` (optional) "warpgroup" or "warp".
/// With `requireComplete`, every key but `matrix_ops` must be present;
/// otherwise the cross-key check runs only when both keys are.
LogicalResult verifyPlanAttr(DictionaryAttr plan, bool requireComplete,
                             llvm::function_ref<InFlightDiagnostic()> emitError);

/// The plan entries that govern the kernel of `aggregate` and where they
/// come from: the `plan` of the attn.kernel around it when set (attn-plan's
/// choice, or one written by hand), else the spec's `attn.plan` on the
/// aggregate, else null. Code generation reads its plan from here, so that a
/// kernel is built with the plan attn-plan recorded and explained.
struct PlanOverrides {
  DictionaryAttr entries;
  /// "attn.kernel's plan" or "attn.plan", for diagnostics.
  StringRef source;
};
PlanOverrides getPlanOverrides(Operation *aggregate);

/// The mask classes recorded in `attn.kernel`'s `mask_classes`.
namespace mask_class {
inline constexpr llvm::StringLiteral kStatic = "static";
inline constexpr llvm::StringLiteral kDevice = "device";
inline constexpr llvm::StringLiteral kElementwise = "elementwise";
} // namespace mask_class

} // namespace mlir::attn

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_H
