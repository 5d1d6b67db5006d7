//===- Arguments.h - Shapes and validation of spec arguments ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What the reference adds to the argument-role analysis
// (attn/Analysis/ArgumentRoles.h): the problem sizes the shape symbols stand
// for, the checks of given arguments against them, and error helpers.
// Shared by describeArguments, inferArgumentShapes, makeRandomInputs and the
// argument validation of evaluate, so that the four can never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_REFERENCE_ARGUMENTS_H
#define ATTN_LIB_REFERENCE_ARGUMENTS_H

#include "attn/Analysis/ArgumentRoles.h"
#include "attn/Reference/Reference.h"

namespace attn::reference::detail {

/// The problem sizes the symbols stand for.
struct Sizes {
  int64_t b, hq, hkv, nq, nk;
};

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
int64_t expectedExtent(const mlir::attn::DimSpec &dim, int64_t staticExtent,
                       const Sizes &sizes);

/// The element kind an MLIR element type maps to.
ElementKind getElementKind(mlir::Type type);

/// "[1, 2, 3]".
std::string shapeString(llvm::ArrayRef<int64_t> shape);

/// An llvm::Error with `message`.
llvm::Error makeError(const llvm::Twine &message);

} // namespace attn::reference::detail

#endif // ATTN_LIB_REFERENCE_ARGUMENTS_H
