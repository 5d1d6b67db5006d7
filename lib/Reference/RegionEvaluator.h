//===- RegionEvaluator.h - fp64 interpreter for attn regions ----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The bodies of attn.modify and attn.mask predicates are straight-line
// arith/math/tensor.extract code evaluated once per (b, h, p, j): millions of
// times per problem. Walking MLIR ops that often is slow, so a region is
// compiled once into a flat instruction list over numbered slots, then
// interpreted. Floats are computed in fp64 whatever their MLIR type, integers
// and indices in int64.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_REFERENCE_REGIONEVALUATOR_H
#define ATTN_LIB_REFERENCE_REGIONEVALUATOR_H

#include "attn/Support/HostTensor.h"

#include "mlir/IR/Block.h"
#include "llvm/Support/Error.h"

#include <deque>
#include <string>
#include <vector>

namespace attn::reference::detail {

/// A value of the interpreter: floats live in `f`, integers, indices and i1
/// in `i`. Keeping both lets select/yield copy a slot without knowing its
/// type.
struct Slot {
  double f = 0.0;
  int64_t i = 0;
};

/// A compiled attn.modify body or mask predicate.
class CompiledRegion {
public:
  /// Compiles `block`, whose first `numScalarArgs` arguments are scalars and
  /// whose remaining arguments are tensors bound to `tensorInputs` (in
  /// order; the pointees must outlive this object). `what` names the region
  /// in messages ("attn.modify", "attn.mask predicate"). Fails, naming the op,
  /// on an op the interpreter does not know.
  static llvm::Expected<CompiledRegion>
  compile(mlir::Block &block, unsigned numScalarArgs,
          std::vector<const HostTensor *> tensorInputs, llvm::StringRef what);

  /// Evaluates the region on `scalarArgs` (one per scalar block argument).
  /// Returns false on a runtime error (an out-of-bounds tensor.extract),
  /// whose message `takeError` then returns. The yielded value is `result`
  /// (an i1 yield lands in `result.i`).
  bool run(llvm::ArrayRef<Slot> scalarArgs, Slot &result);

  /// The error of the last failing `run`.
  llvm::Error takeError();

private:
  enum class Opcode : uint8_t;
  struct Instruction {
    Opcode opcode;
    /// Result slot.
    int dst = -1;
    /// Operand slots (or, for extract, the tensor number).
    int a = -1, b = -1, c = -1;
    /// A predicate, bit width or index into `extracts`, by opcode.
    int64_t imm = 0;
    /// Constant payload / float rounding target.
    Slot constant;
  };
  /// A tensor.extract: where its indices are and how to name it in errors.
  struct Extract {
    std::vector<int> indexSlots;
    std::string location;
  };

  CompiledRegion() = default;

  std::vector<Instruction> program;
  std::vector<Extract> extracts;
  /// Tensors the region reads: its inputs, then dense constants it defines.
  std::vector<const HostTensor *> tensors;
  std::deque<HostTensor> ownedTensors;
  std::vector<Slot> slots;
  int numScalarArgs = 0;
  int resultSlot = -1;
  std::string error;
};

} // namespace attn::reference::detail

#endif // ATTN_LIB_REFERENCE_REGIONEVALUATOR_H
