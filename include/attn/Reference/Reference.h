//===- Reference.h - The fp64 reference executor ----------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Evaluates any valid spec naively in fp64, straight from docs/semantics.md:
// every (b, h, i, j) weight is formed explicitly. Every GPU kernel is checked
// against it. It also knows which role each function argument plays (q, k,
// v, gates, ids, ...; attn/Analysis/ArgumentRoles.h, the analysis the
// compiler names kernel side inputs with) so it can infer argument shapes
// from a problem size and synthesise random inputs of the right kind.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_REFERENCE_REFERENCE_H
#define ATTN_REFERENCE_REFERENCE_H

#include "attn/Support/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn::reference {

/// The sizes of one problem: the dynamic extents a spec leaves open.
struct ProblemSize {
  int64_t batch = 1;
  int64_t qHeads = 2;
  int64_t kvHeads = 1;
  int64_t qLen = 17;
  int64_t kvLen = 17;
};

/// One function argument of a spec: its name, role and type.
struct ArgumentInfo {
  /// `attn.name` argument attribute if present, else the role name of its
  /// first use ("q", "k", "v", "log_gates", "ids", ...), suffixed when taken
  /// ("v_1"). Generated kernels name their side inputs the same way.
  std::string name;
  /// What the argument is, e.g. "query", "key", "values", "gated decay
  /// log-gates", "document ids", "block-sparse layout", "modifier input".
  std::string role;
  ElementKind kind;
  /// Extents from the type; dynamic ones are -1.
  std::vector<int64_t> shape;
};

/// Describes the arguments of `spec`. Fails if an argument's role cannot be
/// determined (e.g. an argument used by nothing).
llvm::Expected<std::vector<ArgumentInfo>> describeArguments(mlir::func::FuncOp spec);

/// The concrete shape of every argument for `size`: static extents from the
/// types, dynamic ones from the roles. Fails, naming the argument, when a
/// static extent contradicts `size` or an extent cannot be inferred.
llvm::Expected<std::vector<std::vector<int64_t>>>
inferArgumentShapes(mlir::func::FuncOp spec, const ProblemSize &size);

/// Random inputs for `spec` at `size`, drawn from `seed`, each suited to its
/// role: normal q/k/v, sorted segment ids, 0/1 block layouts with the
/// diagonal kept, log-sigmoid gates, rates in (0.8, 1), ... Floating inputs
/// are rounded to their element type.
llvm::Expected<std::vector<HostTensor>>
makeRandomInputs(mlir::func::FuncOp spec, const ProblemSize &size,
                 uint64_t seed);

/// Evaluates `spec` on `args` (one per function argument, in order), in
/// fp64, and returns one tensor per function result (kind F64). Validates
/// every argument's shape and element kind first and fails with a message
/// naming the argument and the expected shape.
llvm::Expected<std::vector<HostTensor>>
evaluate(mlir::func::FuncOp spec, llvm::ArrayRef<HostTensor> args);

} // namespace attn::reference

#endif // ATTN_REFERENCE_REFERENCE_H
