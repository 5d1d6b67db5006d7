//===- SpecBuilder.h - Build common attn specs in C++ -----------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A small builder for the common softmax-family specs, so that C++ callers
// of the JIT need no spec text:
//
//   mlir::MLIRContext context;
//   auto module = attn::jit::SpecBuilder(context)
//                     .setElementType(attn::jit::SpecElementType::BF16)
//                     .setHeadDim(128)
//                     .addCausal()
//                     .addWindow(1024, 0)
//                     .setReturnLse(true)
//                     .build();
//   auto kernel = attn::jit::CompiledKernel::compile(*module, options);
//
// It builds `attn.score` -> `attn.mask` (the masks and-ed together) ->
// `attn.normalize` -> `attn.aggregate` with dynamic B, H and N, the way the
// examples/ specs are written.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_JIT_SPECBUILDER_H
#define ATTN_JIT_SPECBUILDER_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace attn::jit {

enum class SpecElementType { BF16, F16 };
enum class SpecLayout { BHSD, BSHD };
enum class SpecNormalize { Softmax, Sigmoid, Relu, Relu2 };

class SpecBuilder {
public:
  /// Loads the attn dialects into `context`.
  explicit SpecBuilder(mlir::MLIRContext &context);

  SpecBuilder &setName(std::string name);
  SpecBuilder &setElementType(SpecElementType type);
  /// Head dim of q/k and, if given, of v (default: the same).
  SpecBuilder &setHeadDim(int64_t dk, std::optional<int64_t> dv = {});
  SpecBuilder &setLayout(SpecLayout layout);
  /// Score scale; default (none given) 1/sqrt(Dk).
  SpecBuilder &setScale(double scale);
  SpecBuilder &setNormalize(SpecNormalize normalize);
  SpecBuilder &setReturnLse(bool lse);

  /// Masks, and-ed together in the order added.
  SpecBuilder &addCausal();
  SpecBuilder &addWindow(int64_t left, int64_t right);
  SpecBuilder &addSinks(int64_t count);
  SpecBuilder &addMask(mlir::Attribute mask);

  /// A module holding one func.func @<name> spec.
  mlir::OwningOpRef<mlir::ModuleOp> build() const;

private:
  mlir::MLIRContext &context;
  std::string name = "attention";
  SpecElementType elementType = SpecElementType::BF16;
  int64_t dk = 128;
  std::optional<int64_t> dv;
  SpecLayout layout = SpecLayout::BHSD;
  std::optional<double> scale;
  SpecNormalize normalize = SpecNormalize::Softmax;
  bool lse = false;
  llvm::SmallVector<mlir::Attribute> masks;
};

} // namespace attn::jit

#endif // ATTN_JIT_SPECBUILDER_H
