//===- ArgumentRoles.h - What each spec argument is -------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The role of each function argument of a spec (query, gated-decay
// log-gates, document ids, ...), its user-facing name and the shape its role
// demands, as symbols (B, Hq, Nk, ...) and static extents. One analysis for
// every client, so that they can never disagree: the fp64 reference names,
// shapes, validates and synthesises arguments with it, and
// convert-attn-to-gpu names the kernel's side inputs with it, so that a
// caller passes "log_gates" (not "arg3") to both.
//
// An argument's role is decided by its first use in program order, so that
// names are stable whatever the use-list order. Uses inside an attn.kernel
// (after attn-fuse) count as uses of the argument the kernel operand is.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_ANALYSIS_ARGUMENTROLES_H
#define ATTN_ANALYSIS_ARGUMENTROLES_H

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::attn {

/// What a spec argument is.
enum class ArgumentKind {
  Query,
  Key,
  Values,
  /// The per-channel log-gates of attn.score (GLA-style gate).
  Gate,
  QueryWeights,
  KeyWeights,
  /// Exponential decay rates, one per query head.
  Rates,
  /// Gated decay log-gates, one per token.
  LogGates,
  Sinks,
  InitialState,
  DocumentIds,
  BlockLayout,
  ModifierInput,
  PredicateInput,
};

/// What one axis of an argument must be.
enum class DimSymbol {
  B,
  Hq,
  Hkv,
  Nq,
  Nk,
  /// A static extent (head dims, feature dims, ...): `DimSpec::value`.
  Static,
  /// B or 1 (block-sparse layouts broadcast).
  BOr1,
  /// Hq or 1.
  HqOr1,
  /// ceil(Nq / block), ceil(Nk / block) with `block` in `DimSpec::value`.
  QBlocks,
  KBlocks,
  /// Anything (a dynamic extent of a modifier or predicate input).
  Free,
};

/// The extent one axis of an argument must have.
struct DimSpec {
  DimSymbol symbol;
  /// The extent for DimSymbol::Static, the block size for QBlocks/KBlocks.
  int64_t value = 0;
  /// How the axis is written in messages ("B", "Dk", "ceil(Nq/64)", ...).
  std::string label;
  /// For DimSymbol::Free: the symbol the argument is indexed with, if a
  /// plain region argument (b -> B, h -> Hq, i or j -> Nk).
  std::optional<DimSymbol> inferred;

  /// The axis standing for `symbol`, labelled as messages write it; not for
  /// Static, QBlocks or KBlocks, which need a value.
  static DimSpec get(DimSymbol symbol);
};

/// The role, name and expected shape of one function argument.
struct ArgumentRole {
  ArgumentKind kind;
  /// The unique name: `attn.name` if set, else the role name of the first
  /// use ("q", "log_gates", "ids", "input0", ...); a name already taken by
  /// an earlier argument gets a suffix ("v_1").
  std::string name;
  /// "query", "document ids", ...
  std::string description;
  /// The op of the argument's first use, and the attn.score at the root of
  /// its chain.
  Operation *user = nullptr;
  ScoreOp score;
  RankedTensorType type;
  /// The extent of each axis; a static extent in `type` is always honoured
  /// on top of it.
  std::vector<DimSpec> dims;
  /// True if the role takes integers, false if floats.
  bool integer = false;
  /// True if both integer and float element types are accepted.
  bool anyElement = false;

  /// "[B, Hkv, Nk, Dv]".
  std::string dimsString() const;
};

/// Determines the role of every argument of `spec`, in argument order.
/// Fails, saying why, if `spec` has no body or an argument is read by no
/// attn op (its role, and so its shape, is unknown).
llvm::Expected<std::vector<ArgumentRole>>
analyzeArgumentRoles(func::FuncOp spec);

/// The number of the function argument `value` is, looking through the
/// block arguments of enclosing attn.kernel ops; nullopt if `value` is not
/// (a forward of) an argument of its enclosing func.func.
std::optional<unsigned> getSpecArgumentNumber(Value value);

} // namespace mlir::attn

#endif // ATTN_ANALYSIS_ARGUMENTROLES_H
