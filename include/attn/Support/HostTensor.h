//===- HostTensor.h - Dense host tensors and .npy files ---------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A dense, row-major host tensor holding fp64 values together with the
// element type it stands for, and reading/writing NumPy `.npy` files. No MLIR
// dependency: the runtime side of the project may use it too.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_SUPPORT_HOSTTENSOR_H
#define ATTN_SUPPORT_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attn {

/// Element types a tensor of a spec, or a `.npy` file, may hold.
enum class ElementKind { F16, BF16, F32, F64, I1, I8, I32, I64, U8 };

/// Name as in MLIR ("f16", "bf16", "i32", ...).
llvm::StringRef getElementKindName(ElementKind kind);

/// A dense row-major tensor. Values are held in fp64 whatever `kind` says;
/// `kind` records what they stand for (and how a .npy file stores them).
struct HostTensor {
  ElementKind kind = ElementKind::F64;
  std::vector<int64_t> shape;
  std::vector<double> data;

  HostTensor() = default;
  HostTensor(ElementKind kind, std::vector<int64_t> shape);

  int64_t getNumElements() const;
  /// Row-major linear index of `indices` (no bounds check).
  int64_t linearIndex(llvm::ArrayRef<int64_t> indices) const;
  double &at(llvm::ArrayRef<int64_t> indices) {
    return data[linearIndex(indices)];
  }
  double at(llvm::ArrayRef<int64_t> indices) const {
    return data[linearIndex(indices)];
  }
  /// "[2, 3, 4]".
  std::string shapeString() const;
};

/// Rounds `value` to the nearest bf16 / f16 (round to nearest even).
double roundToBF16(double value);
double roundToF16(double value);

/// Rounds every value of `tensor` to the precision of `kind` (bf16, f16,
/// f32, integers truncate toward zero) and sets `tensor.kind`.
void roundTo(HostTensor &tensor, ElementKind kind);

/// Reads a `.npy` file (format 1.0-3.0, C order; dtypes <f2, <f4, <f8, |b1,
/// |i1, |u1, <i4, <i8). Errors name the file and what is wrong with it.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path);

/// Writes `tensor` as a `.npy` file of dtype `storeAs` (F16, F32, F64, I1,
/// I8, I32, I64 or U8; BF16 is stored as F32).
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor,
                     ElementKind storeAs);

} // namespace attn

#endif // ATTN_SUPPORT_HOSTTENSOR_H
