//===- ArgumentRoles.h - What each spec argument is -------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The role of each function argument of a spec (query, gate, document ids,
// ...) and the shape its role demands, as symbols (B, Hq, Nk, ...) and
// static extents. Shared by describeArguments, inferArgumentShapes,
// makeRandomInputs and the argument validation of evaluate, so that the
// four can never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_REFERENCE_ARGUMENTROLES_H
#define ATTN_LIB_REFERENCE_ARGUMENTROLES_H

#include "attn/Reference/Reference.h"

#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace attn::reference::detail {

enum class Role {
  Query,
  Key,
  Values,
  Gate,
  QueryWeights,
  KeyWeights,
  Rates,
  LogGates,
  Sinks,
  InitialState,
  DocumentIds,
  BlockLayout,
  ModifierInput,
  PredicateInput,
};

/// What one axis of an argument must be.
enum class Sym {
  B,
  Hq,
  Hkv,
  Nq,
  Nk,
  /// A static extent (head dims, feature dims, ...): `StaticDim::value`.
  Static,
  /// B or 1 (block-sparse layouts broadcast).
  BOr1,
  /// Hq or 1.
  HqOr1,
  /// ceil(Nq / block), ceil(Nk / block) with `block` in `StaticDim::value`.
  QBlocks,
  KBlocks,
  /// Anything (a dynamic extent of a modifier or predicate input).
  Free,
};

struct DimSpec {
  Sym sym;
  /// The extent for Sym::Static, the block size for QBlocks/KBlocks.
  int64_t value = 0;
  /// How the axis is written in messages ("B", "Dk", "ceil(Nq/64)", ...).
  std::string label;
  /// For Sym::Free: the symbol the argument is indexed with, if simple.
  std::optional<Sym> inferred;
};

/// The role and expected shape of one function argument.
struct ArgumentRole {
  Role role;
  /// The unique name (attn.name or role name, suffixed if taken).
  std::string name;
  /// "query", "document ids", ...
  std::string description;
  /// The op of the argument's first use.
  mlir::Operation *user = nullptr;
  mlir::RankedTensorType type;
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

/// The problem sizes the symbols stand for.
struct Sizes {
  int64_t b, hq, hkv, nq, nk;
};

/// Determines the role of every argument of `spec`, in argument order.
llvm::Expected<std::vector<ArgumentRole>>
analyzeArguments(mlir::func::FuncOp spec);

/// Checks what the spec itself demands of the sizes beyond argument shapes
/// (GQA divisibility, rate counts, grid sizes, Nq = Nk for states).
llvm::Error checkSizes(mlir::func::FuncOp spec, const Sizes &sizes,
                       llvm::StringRef source);

/// Checks `args` against the roles of `spec`'s arguments and returns the
/// sizes they agree on.
llvm::Expected<Sizes> validateArguments(mlir::func::FuncOp spec,
                                        llvm::ArrayRef<HostTensor> args);

/// The expected extent of `dim` at `sizes` (type's static extent wins),
/// or -1 for an unconstrained axis.
int64_t expectedExtent(const DimSpec &dim, int64_t staticExtent,
                       const Sizes &sizes);

/// The element kind an MLIR element type maps to.
ElementKind getElementKind(mlir::Type type);

/// "[1, 2, 3]".
std::string shapeString(llvm::ArrayRef<int64_t> shape);

/// An llvm::Error with `message`.
llvm::Error makeError(const llvm::Twine &message);

} // namespace attn::reference::detail

#endif // ATTN_LIB_REFERENCE_ARGUMENTROLES_H
