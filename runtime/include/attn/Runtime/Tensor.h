//===- Tensor.h - Device tensor views and launch validation -----*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What the host hands a kernel: views of device tensors (`TensorRef`), one
// attention launch (`AttentionProblem`), what the kernel was built for
// (`KernelSignature`), and `validate`, which checks the first against the
// second before any memory is touched. Nothing here dereferences a device
// pointer, so validation runs (and is tested) on machines without a GPU.
//
// Like the rest of the runtime, this knows nothing of MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_TENSOR_H
#define ATTN_RUNTIME_TENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace attn {
namespace runtime {

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

/// Element types of device tensors. Boolean tensors (masks, flags) are stored
/// one byte per element, as PyTorch does, and use `U8`.
enum class DType : uint8_t { F16, BF16, F32, I32, I64, I8, U8 };

/// Name as in MLIR and NumPy ("f16", "bf16", "f32", "i32", "i64", "i8", "u8").
llvm::StringRef getDTypeName(DType dtype);

/// Size of one element in bytes.
int64_t getDTypeSize(DType dtype);

/// Parses a name given by getDTypeName; also accepts "bool" and "i1" for U8.
std::optional<DType> parseDType(llvm::StringRef name);

//===----------------------------------------------------------------------===//
// TensorRef
//===----------------------------------------------------------------------===//

/// A view of a tensor in device memory: a base pointer, an element type, and
/// sizes and strides counted in elements (not bytes), as PyTorch's
/// `data_ptr()`, `size()` and `stride()` give them. Any strides are allowed,
/// so q, k and v may be views into one packed qkv tensor. The runtime never
/// owns the memory.
struct TensorRef {
  /// The largest rank any tensor of an attention launch has.
  static constexpr unsigned kMaxRank = 4;

  void *data = nullptr;
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, kMaxRank> sizes;
  /// Strides in elements, one per size.
  llvm::SmallVector<int64_t, kMaxRank> strides;

  TensorRef() = default;
  /// A view with explicit strides (in elements).
  TensorRef(void *data, DType dtype, llvm::ArrayRef<int64_t> sizes,
            llvm::ArrayRef<int64_t> strides);

  /// A dense row-major tensor of `sizes` at `data`.
  static TensorRef contiguous(void *data, DType dtype,
                              llvm::ArrayRef<int64_t> sizes);

  /// Row-major strides of a dense tensor of `sizes`.
  static llvm::SmallVector<int64_t, kMaxRank>
  getContiguousStrides(llvm::ArrayRef<int64_t> sizes);

  unsigned getRank() const { return sizes.size(); }
  int64_t getNumElements() const;
  int64_t getElementSize() const { return getDTypeSize(dtype); }
  /// True when the strides are the row-major strides of `sizes` (axes of
  /// size 1 may have any stride, as in PyTorch).
  bool isContiguous() const;
};

//===----------------------------------------------------------------------===//
// One attention launch
//===----------------------------------------------------------------------===//

/// How q, k, v and o lay out their four axes in memory order of the sizes:
/// BHSD is [batch, heads, sequence, head dim], BSHD is [batch, sequence,
/// heads, head dim] (FlashAttention's layout).
enum class Layout : uint8_t { BHSD, BSHD };

/// "BHSD" or "BSHD".
llvm::StringRef getLayoutName(Layout layout);

/// Sizes (or strides) as messages write them: "[2, 16, 1000, 64]".
std::string formatSizes(llvm::ArrayRef<int64_t> sizes);

/// A named extra input of a kernel: bias tables, ALiBi slopes, sink logits,
/// segment ids, gates, feature-map weights, block-sparse layouts...
struct SideInput {
  std::string name;
  TensorRef tensor;
};

/// The tensors of one launch. q, k, v and o are rank 4 in `layout`:
///   q [B, Hq, Nq, Dk], k [B, Hkv, Nk, Dk], v [B, Hkv, Nk, Dv], o [B, Hq, Nq,
///   Dv]
/// (logical order, BHSD; BSHD swaps the two middle axes). The other tensors
/// have the same logical shapes whatever the layout:
///   lse [B, Hq, Nq] f32, initial/final state [B, Hq, F, Dv] f32.
struct AttentionProblem {
  Layout layout = Layout::BHSD;
  TensorRef q, k, v, o;
  /// Log-sum-exp per query row (softmax family), written by the kernel.
  std::optional<TensorRef> lse;
  /// Recurrent state read at the start (linear family); absent means zero.
  std::optional<TensorRef> initialState;
  /// Recurrent state written at the end (linear family).
  std::optional<TensorRef> finalState;
  /// Extra inputs, matched to the kernel's by name.
  llvm::SmallVector<SideInput, 4> sideInputs;
  /// Chunked kernels: the sequence segments whose CTAs run in parallel,
  /// states passed between them (KernelInfo.h); 0 lets the launcher choose
  /// from the device's size. Other kernels take 0 only.
  int64_t segments = 0;
};

//===----------------------------------------------------------------------===//
// What a kernel was built for
//===----------------------------------------------------------------------===//

/// The sizes of a launch that other tensors' shapes may be bound to.
enum class ProblemDim : uint8_t {
  Batch,       ///< B
  QueryHeads,  ///< Hq
  KVHeads,     ///< Hkv
  QueryLength, ///< Nq
  KeyLength,   ///< Nk
  HeadDimK,    ///< Dk
  HeadDimV,    ///< Dv
  FeatureDim,  ///< F, the width of the feature map (state rows)
};

/// "B", "Hq", "Hkv", "Nq", "Nk", "Dk", "Dv", "F".
llvm::StringRef getProblemDimName(ProblemDim dim);

/// One expected size of a side input: a static value, a size bound from
/// q/k/v (`ProblemDim`), or any size (`dynamic()`, what a `-1` from the
/// compiler becomes when it does not know the binding).
class DimSize {
public:
  /// A static size.
  DimSize(int64_t value) : value(value) {}
  /// A size equal to `dim` of the launch.
  DimSize(ProblemDim dim) : value(kBound), dim(dim) {}
  /// Any size >= 0.
  static DimSize dynamic() { return DimSize(kDynamic); }

  bool isStatic() const { return value >= 0; }
  bool isBound() const { return value == kBound; }
  bool isDynamic() const { return value == kDynamic; }
  int64_t getStaticValue() const { return value; }
  ProblemDim getBoundDim() const { return dim; }

private:
  static constexpr int64_t kDynamic = -1;
  static constexpr int64_t kBound = -2;
  int64_t value;
  ProblemDim dim = ProblemDim::Batch;
};

/// A side input as the kernel expects it; the compiler fills these.
struct ArgumentSpec {
  std::string name;
  DType dtype = DType::F32;
  /// Expected sizes in logical order, one per axis.
  llvm::SmallVector<DimSize, TensorRef::kMaxRank> sizes;
  /// The kernel indexes the tensor as dense row-major (it takes no strides).
  bool requireContiguous = true;
  /// The base pointer alignment in bytes the kernel needs (0: the element
  /// size).
  int64_t alignment = 0;
};

/// Whether a kernel takes an optional tensor (lse, states).
enum class Presence : uint8_t {
  None,     ///< the kernel has no such argument: passing one is an error
  Optional, ///< the kernel accepts a null argument
  Required, ///< the launch must pass one
};

/// What a kernel was compiled for: everything `validate` checks a launch
/// against. A plain struct, filled by the compiler next to the binary.
struct KernelSignature {
  /// The kernel's name, used in messages.
  std::string name = "attention kernel";
  /// Element type of q, k and v.
  DType dtype = DType::BF16;
  /// Element type of o; defaults to `dtype`.
  std::optional<DType> outputDType;
  Layout layout = Layout::BHSD;
  /// Static head dims the kernel was built for; 0 accepts any.
  int64_t headDimK = 0;
  int64_t headDimV = 0;
  /// Rows F of the recurrent state [B, Hq, F, Dv]; 0 means F = Dk.
  int64_t featureDim = 0;
  Presence lse = Presence::None;
  Presence initialState = Presence::None;
  Presence finalState = Presence::None;
  /// The kernel reads the initial state before writing the final one, so
  /// the two may be the same buffer (in-place decode).
  bool allowInPlaceState = false;
  /// The kernel indexes the states as dense row-major [B, Hq, F, Dv] (it
  /// takes no strides for them).
  bool requireContiguousStates = true;
  llvm::SmallVector<ArgumentSpec, 4> sideInputs;
  /// Target the binary was built for ("sm_90a", "sm_80", "gfx942").
  std::string arch;

  // Grouping constraints.
  /// If non-zero, Hq / Hkv must equal this (1: no GQA, Hq: MQA).
  int64_t gqaRatio = 0;
  /// The kernel requires Nq == Nk (e.g. a chunked linear-attention prefill).
  bool requireEqualLengths = false;
  /// The kernel computes element offsets in 32 bits, so every tensor's
  /// largest offset must fit in int32.
  bool index32 = true;
  /// Alignment in bytes the kernel's vectorised loads need of the base
  /// pointers and non-unit strides of q, k, v, o and the states.
  int64_t vectorAlignment = 16;
};

/// The sizes of a validated launch.
struct ProblemDims {
  int64_t batch = 0;
  int64_t queryHeads = 0;
  int64_t kvHeads = 0;
  int64_t queryLength = 0;
  int64_t keyLength = 0;
  int64_t headDimK = 0;
  int64_t headDimV = 0;
  int64_t featureDim = 0;

  int64_t get(ProblemDim dim) const;
};

/// Checks `problem` against `signature` without touching device memory:
/// ranks, dtypes, consistent shapes, static head dims, GQA grouping,
/// contiguous head-dim axes, alignment, null pointers, outputs aliasing
/// inputs, 32-bit indexing, non-empty lengths, side inputs and states.
/// Returns the sizes of the launch, or an error naming the tensor, what was
/// expected and what was given.
llvm::Expected<ProblemDims> validateProblem(const KernelSignature &signature,
                                            const AttentionProblem &problem);

/// As validateProblem, for callers that need no sizes.
llvm::Error validate(const KernelSignature &signature,
                     const AttentionProblem &problem);

} // namespace runtime
} // namespace attn

#endif // ATTN_RUNTIME_TENSOR_H
