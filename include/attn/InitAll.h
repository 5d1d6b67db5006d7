//===- InitAll.h - Register every attn dialect and pass ---------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The one registration point shared by attention-opt, attention-run, the JIT
// and the tests: the attn dialect, the upstream dialects a spec or its
// lowering uses, and every attn pass.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_INITALL_H
#define ATTN_INITALL_H

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace mlir::attn {

/// Adds the attn dialect and every dialect specs and their lowering use.
void registerAllDialects(DialectRegistry &registry);

/// Registers every attn pass and pipeline with the global pass registry.
void registerAllPasses();

/// Loads the dialects a spec may use into `context` (for tools that parse
/// specs without a pass pipeline).
void loadSpecDialects(MLIRContext &context);

} // namespace mlir::attn

#endif // ATTN_INITALL_H
