//===- Validate.cpp - Checking a launch against a kernel signature --------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Every check runs on sizes, strides and pointer values only: nothing here
// reads device memory. Checks run from the cheapest and most basic (null
// pointers, ranks, dtypes) to the ones that assume those hold (shapes, then
// strides and alignment, then aliasing and 32-bit indexing), and the first
// failure is reported, naming the tensor, what was expected and what was
// given.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Tensor.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>

using namespace attn::runtime;
using llvm::ArrayRef;
using llvm::Error;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// DType, TensorRef, names
//===----------------------------------------------------------------------===//

StringRef attn::runtime::getDTypeName(DType dtype) {
  switch (dtype) {
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::F32:
    return "f32";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  case DType::I8:
    return "i8";
  case DType::U8:
    return "u8";
  }
  llvm_unreachable("unknown DType");
}

int64_t attn::runtime::getDTypeSize(DType dtype) {
  switch (dtype) {
  case DType::I8:
  case DType::U8:
    return 1;
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::I64:
    return 8;
  }
  llvm_unreachable("unknown DType");
}

std::optional<DType> attn::runtime::parseDType(StringRef name) {
  return llvm::StringSwitch<std::optional<DType>>(name)
      .Case("f16", DType::F16)
      .Case("bf16", DType::BF16)
      .Case("f32", DType::F32)
      .Case("i32", DType::I32)
      .Case("i64", DType::I64)
      .Case("i8", DType::I8)
      .Case("u8", DType::U8)
      .Case("bool", DType::U8)
      .Case("i1", DType::U8)
      .Default(std::nullopt);
}

StringRef attn::runtime::getLayoutName(Layout layout) {
  return layout == Layout::BHSD ? "BHSD" : "BSHD";
}

StringRef attn::runtime::getProblemDimName(ProblemDim dim) {
  switch (dim) {
  case ProblemDim::Batch:
    return "B";
  case ProblemDim::QueryHeads:
    return "Hq";
  case ProblemDim::KVHeads:
    return "Hkv";
  case ProblemDim::QueryLength:
    return "Nq";
  case ProblemDim::KeyLength:
    return "Nk";
  case ProblemDim::HeadDimK:
    return "Dk";
  case ProblemDim::HeadDimV:
    return "Dv";
  case ProblemDim::FeatureDim:
    return "F";
  }
  llvm_unreachable("unknown ProblemDim");
}

int64_t ProblemDims::get(ProblemDim dim) const {
  switch (dim) {
  case ProblemDim::Batch:
    return batch;
  case ProblemDim::QueryHeads:
    return queryHeads;
  case ProblemDim::KVHeads:
    return kvHeads;
  case ProblemDim::QueryLength:
    return queryLength;
  case ProblemDim::KeyLength:
    return keyLength;
  case ProblemDim::HeadDimK:
    return headDimK;
  case ProblemDim::HeadDimV:
    return headDimV;
  case ProblemDim::FeatureDim:
    return featureDim;
  }
  llvm_unreachable("unknown ProblemDim");
}

TensorRef::TensorRef(void *data, DType dtype, ArrayRef<int64_t> sizes,
                     ArrayRef<int64_t> strides)
    : data(data), dtype(dtype), sizes(sizes), strides(strides) {}

llvm::SmallVector<int64_t, TensorRef::kMaxRank>
TensorRef::getContiguousStrides(ArrayRef<int64_t> sizes) {
  llvm::SmallVector<int64_t, kMaxRank> strides(sizes.size(), 1);
  for (int i = static_cast<int>(sizes.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<int64_t>(sizes[i + 1], 1);
  return strides;
}

TensorRef TensorRef::contiguous(void *data, DType dtype,
                                ArrayRef<int64_t> sizes) {
  return TensorRef(data, dtype, sizes, getContiguousStrides(sizes));
}

int64_t TensorRef::getNumElements() const {
  int64_t n = 1;
  for (int64_t size : sizes)
    n *= size;
  return n;
}

bool TensorRef::isContiguous() const {
  if (strides.size() != sizes.size())
    return false;
  auto expected = getContiguousStrides(sizes);
  for (unsigned i = 0; i < sizes.size(); ++i)
    if (sizes[i] != 1 && strides[i] != expected[i])
      return false;
  return true;
}

std::string attn::runtime::formatSizes(ArrayRef<int64_t> sizes) {
  return "[" +
         llvm::join(llvm::map_range(
                        sizes, [](int64_t v) { return std::to_string(v); }),
                    ", ") +
         "]";
}

//===----------------------------------------------------------------------===//
// Validation
//===----------------------------------------------------------------------===//

namespace {

Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string formatPointer(const void *pointer) {
  return llvm::formatv("{0:x}", reinterpret_cast<uintptr_t>(pointer)).str();
}

/// One tensor of the launch under check, with the names of its axes in
/// memory order and the byte range its elements span.
struct Operand {
  StringRef name;
  const TensorRef *ref = nullptr;
  /// Names of the axes, e.g. {"B", "Nq", "Hq", "Dk"} for q in BSHD; empty
  /// for side inputs.
  llvm::SmallVector<StringRef, 4> axisNames;
  /// Largest element offset; -1 for an empty tensor.
  int64_t maxOffset = -1;
  /// Byte range [begin, end) the elements span (empty for empty tensors).
  uint64_t begin = 0, end = 0;

  std::string axisName(unsigned axis) const {
    if (axis < axisNames.size())
      return llvm::formatv("axis {0} ({1})", axis, axisNames[axis]).str();
    return llvm::formatv("axis {0}", axis).str();
  }
  std::string shapeDescription() const {
    return axisNames.empty() ? std::string()
                             : " [" + llvm::join(axisNames, ", ") + "]";
  }
};

/// Checks what holds for any tensor (a non-null pointer, as many strides as
/// sizes, non-negative sizes and strides, rank at most 4, offsets that fit
/// in 64 bits) and fills in its byte range.
Error checkBasics(Operand &op) {
  const TensorRef &t = *op.ref;
  if (!t.data)
    return fail(op.name + ": null data pointer; pass a device pointer");
  if (t.strides.size() != t.sizes.size())
    return fail(llvm::formatv("{0}: {1} sizes {2} but {3} strides {4}; give "
                              "one stride per axis",
                              op.name, t.sizes.size(), formatSizes(t.sizes),
                              t.strides.size(), formatSizes(t.strides)));
  if (t.getRank() > TensorRef::kMaxRank)
    return fail(llvm::formatv("{0}: rank {1} (sizes {2}) exceeds the "
                              "largest supported rank {3}",
                              op.name, t.getRank(), formatSizes(t.sizes),
                              TensorRef::kMaxRank));
  for (unsigned i = 0; i < t.getRank(); ++i) {
    if (t.sizes[i] < 0)
      return fail(llvm::formatv("{0}: negative size {1} on {2} (sizes {3})",
                                op.name, t.sizes[i], op.axisName(i),
                                formatSizes(t.sizes)));
    if (t.strides[i] < 0)
      return fail(llvm::formatv("{0}: negative stride {1} on {2} (strides "
                                "{3}) is not supported; call .contiguous()",
                                op.name, t.strides[i], op.axisName(i),
                                formatSizes(t.strides)));
  }
  if (llvm::is_contained(t.sizes, 0))
    return Error::success();
  int64_t maxOffset = 0;
  for (unsigned i = 0; i < t.getRank(); ++i) {
    int64_t extent;
    if (llvm::MulOverflow(t.sizes[i] - 1, t.strides[i], extent) ||
        llvm::AddOverflow(maxOffset, extent, maxOffset))
      return fail(llvm::formatv("{0}: sizes {1} with strides {2} overflow "
                                "64-bit offsets",
                                op.name, formatSizes(t.sizes),
                                formatSizes(t.strides)));
  }
  int64_t bytes;
  if (llvm::MulOverflow(maxOffset + 1, t.getElementSize(), bytes))
    return fail(llvm::formatv("{0}: sizes {1} with strides {2} overflow "
                              "64-bit byte offsets",
                              op.name, formatSizes(t.sizes),
                              formatSizes(t.strides)));
  op.maxOffset = maxOffset;
  op.begin = reinterpret_cast<uintptr_t>(t.data);
  op.end = op.begin + static_cast<uint64_t>(bytes);
  return Error::success();
}

Error checkRank(const Operand &op, unsigned rank) {
  const TensorRef &t = *op.ref;
  if (t.getRank() == rank)
    return Error::success();
  return fail(llvm::formatv("{0}: expected rank {1}{2}, got rank {3} with "
                            "sizes {4}",
                            op.name, rank, op.shapeDescription(), t.getRank(),
                            formatSizes(t.sizes)));
}

Error checkDType(const Operand &op, DType expected, StringRef why) {
  DType actual = op.ref->dtype;
  if (actual == expected)
    return Error::success();
  return fail(llvm::formatv("{0}: expected dtype {1} ({2}), got {3}", op.name,
                            getDTypeName(expected), why, getDTypeName(actual)));
}

/// Checks that every axis of `op` has at least one element.
Error checkNonEmpty(const Operand &op) {
  const TensorRef &t = *op.ref;
  for (unsigned i = 0; i < t.getRank(); ++i)
    if (t.sizes[i] < 1)
      return fail(llvm::formatv("{0}: {1} has size {2} (sizes {3}); every "
                                "length must be >= 1",
                                op.name, op.axisName(i), t.sizes[i],
                                formatSizes(t.sizes)));
  return Error::success();
}

/// Checks that size `dim` agrees between two tensors.
Error checkSameSize(StringRef what, const Operand &a, unsigned axisA,
                    const Operand &b, unsigned axisB) {
  int64_t sa = a.ref->sizes[axisA], sb = b.ref->sizes[axisB];
  if (sa == sb)
    return Error::success();
  return fail(llvm::formatv(
      "{0} differs between {1} and {2}: {1} has {0} = {3} ({4} of sizes "
      "{5}), {2} has {0} = {6} ({7} of sizes {8})",
      what, a.name, b.name, sa, a.axisName(axisA), formatSizes(a.ref->sizes),
      sb, b.axisName(axisB), formatSizes(b.ref->sizes)));
}

/// Checks the exact shape of a tensor whose shape follows from the problem
/// (lse, states), `expectedNames` naming each expected size.
Error checkShape(const Operand &op, ArrayRef<int64_t> expected,
                 ArrayRef<StringRef> expectedNames) {
  if (op.ref->sizes == expected)
    return Error::success();
  llvm::SmallVector<std::string, 4> parts;
  for (auto [name, size] : llvm::zip_equal(expectedNames, expected))
    parts.push_back(llvm::formatv("{0}={1}", name, size).str());
  return fail(llvm::formatv("{0}: expected shape [{1}], got {2}", op.name,
                            llvm::join(parts, ", "),
                            formatSizes(op.ref->sizes)));
}

/// Checks the unit stride of the last (head-dim or Dv) axis.
Error checkLastAxisContiguous(const Operand &op) {
  const TensorRef &t = *op.ref;
  unsigned last = t.getRank() - 1;
  if (t.sizes[last] == 1 || t.strides[last] == 1)
    return Error::success();
  return fail(llvm::formatv("{0}: the last axis ({1}) must be contiguous "
                            "(stride 1), got stride {2} (strides {3}); call "
                            ".contiguous()",
                            op.name,
                            last < op.axisNames.size() ? op.axisNames[last]
                                                       : StringRef("head dim"),
                            t.strides[last], formatSizes(t.strides)));
}

/// Checks that the base pointer and every stride (in bytes) of an axis with
/// more than one element are multiples of `alignment`.
Error checkAlignment(const Operand &op, int64_t alignment, StringRef why) {
  const TensorRef &t = *op.ref;
  uintptr_t address = reinterpret_cast<uintptr_t>(t.data);
  if (address % alignment != 0)
    return fail(llvm::formatv(
        "{0}: data pointer {1} is not {2}-byte aligned ({3}); pass a tensor "
        "whose storage starts at a {2}-byte boundary (call .contiguous() "
        "to copy it)",
        op.name, formatPointer(t.data), alignment, why));
  int64_t elementSize = t.getElementSize();
  // Innermost first: a misaligned row stride is the usual root cause.
  for (unsigned i = t.getRank(); i-- > 0;) {
    if (t.sizes[i] == 1 || t.strides[i] == 1)
      continue;
    int64_t bytes = t.strides[i] * elementSize;
    if (bytes % alignment != 0)
      return fail(llvm::formatv(
          "{0}: stride {1} of {2} is {3} bytes, not a multiple of {4} "
          "({5}); call .contiguous(), or pad the head dim so that rows "
          "are {4}-byte aligned",
          op.name, t.strides[i], op.axisName(i), bytes, alignment, why));
  }
  return Error::success();
}

/// Checks that no two distinct elements of an output share memory (a zero
/// stride or interleaved axes), so that the kernel's writes cannot race.
Error checkNoSelfOverlap(const Operand &op) {
  const TensorRef &t = *op.ref;
  if (op.maxOffset < 0)
    return Error::success();
  llvm::SmallVector<unsigned, 4> axes;
  for (unsigned i = 0; i < t.getRank(); ++i)
    if (t.sizes[i] > 1)
      axes.push_back(i);
  llvm::stable_sort(axes, [&](unsigned a, unsigned b) {
    return t.strides[a] < t.strides[b];
  });
  // Sorted by stride, each axis must step past everything the smaller ones
  // reach; this is the usual sufficient test (PyTorch's
  // is_non_overlapping_and_dense without the density).
  int64_t reach = 0;
  for (unsigned axis : axes) {
    if (t.strides[axis] <= reach)
      return fail(llvm::formatv(
          "{0}: sizes {1} with strides {2} make distinct elements share "
          "memory ({3} has stride {4}), so the kernel's writes would race; "
          "pass a tensor that does not overlap itself (e.g. from "
          "torch.empty)",
          op.name, formatSizes(t.sizes), formatSizes(t.strides),
          op.axisName(axis), t.strides[axis]));
    reach += t.strides[axis] * (t.sizes[axis] - 1);
  }
  return Error::success();
}

Error checkDisjoint(const Operand &output, const Operand &other) {
  if (output.maxOffset < 0 || other.maxOffset < 0)
    return Error::success();
  if (output.end <= other.begin || other.end <= output.begin)
    return Error::success();
  return fail(llvm::formatv(
      "{0} overlaps {1} in memory ({0} spans bytes [{2}, {3}), {1} spans "
      "[{4}, {5})); an output must not alias another argument: write to a "
      "fresh tensor",
      output.name, other.name, formatPointer((void *)output.begin),
      formatPointer((void *)output.end), formatPointer((void *)other.begin),
      formatPointer((void *)other.end)));
}

/// Checks that a kernel indexing in 32 bits reaches every element.
Error checkIndex32(const Operand &op) {
  const TensorRef &t = *op.ref;
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  for (unsigned i = 0; i < t.getRank(); ++i)
    if (t.sizes[i] > kMax)
      return fail(llvm::formatv("{0}: size {1} of {2} does not fit the "
                                "kernel's 32-bit indexing (max {3}); split "
                                "the launch or build the kernel with 64-bit "
                                "indexing",
                                op.name, t.sizes[i], op.axisName(i), kMax));
  if (op.maxOffset > kMax)
    return fail(llvm::formatv(
        "{0}: the largest element offset is {1} (sizes {2}, strides {3}), "
        "beyond the kernel's 32-bit indexing (max {4}); split the launch "
        "(e.g. the batch) or build the kernel with 64-bit indexing",
        op.name, op.maxOffset, formatSizes(t.sizes), formatSizes(t.strides),
        kMax));
  return Error::success();
}

Error checkPresence(StringRef name, Presence presence, bool given,
                    StringRef kernelName) {
  if (given && presence == Presence::None)
    return fail(llvm::formatv("{0}: given, but {1} takes no {0}; drop it or "
                              "build the kernel with it",
                              name, kernelName));
  if (!given && presence == Presence::Required)
    return fail(
        llvm::formatv("{0}: missing; {1} requires it", name, kernelName));
  return Error::success();
}

std::string describeExpected(const ArgumentSpec &spec,
                             const ProblemDims &dims) {
  llvm::SmallVector<std::string, 4> parts;
  for (const DimSize &size : spec.sizes) {
    if (size.isStatic())
      parts.push_back(std::to_string(size.getStaticValue()));
    else if (size.isBound())
      parts.push_back(llvm::formatv("{0}={1}",
                                    getProblemDimName(size.getBoundDim()),
                                    dims.get(size.getBoundDim()))
                          .str());
    else
      parts.push_back("?");
  }
  return "[" + llvm::join(parts, ", ") + "]";
}

Error checkSideInput(const Operand &op, const ArgumentSpec &spec,
                     const ProblemDims &dims) {
  const TensorRef &t = *op.ref;
  if (Error err = checkDType(op, spec.dtype, "as the kernel declares it"))
    return err;
  bool matches = t.getRank() == spec.sizes.size();
  for (unsigned i = 0; matches && i < t.getRank(); ++i) {
    const DimSize &size = spec.sizes[i];
    if (size.isStatic())
      matches = t.sizes[i] == size.getStaticValue();
    else if (size.isBound())
      matches = t.sizes[i] == dims.get(size.getBoundDim());
  }
  if (!matches)
    return fail(llvm::formatv("{0}: expected shape {1}, got {2}", op.name,
                              describeExpected(spec, dims),
                              formatSizes(t.sizes)));
  if (spec.requireContiguous && !t.isContiguous())
    return fail(llvm::formatv(
        "{0}: the kernel reads it as a dense row-major "
        "tensor, expected strides {1}, got {2}; call "
        ".contiguous()",
        op.name, formatSizes(TensorRef::getContiguousStrides(t.sizes)),
        formatSizes(t.strides)));
  return Error::success();
}

} // namespace

llvm::Expected<ProblemDims>
attn::runtime::validateProblem(const KernelSignature &sig,
                               const AttentionProblem &problem) {
  bool bshd = problem.layout == Layout::BSHD;
  // Memory-order positions of the head and sequence axes.
  unsigned hAxis = bshd ? 2 : 1, nAxis = bshd ? 1 : 2;
  auto makeOperand = [&](StringRef name, const TensorRef &ref, StringRef heads,
                         StringRef length, StringRef headDim) {
    Operand op;
    op.name = name;
    op.ref = &ref;
    op.axisNames = {"B", bshd ? length : heads, bshd ? heads : length, headDim};
    return op;
  };
  Operand q = makeOperand("q", problem.q, "Hq", "Nq", "Dk");
  Operand k = makeOperand("k", problem.k, "Hkv", "Nk", "Dk");
  Operand v = makeOperand("v", problem.v, "Hkv", "Nk", "Dv");
  Operand o = makeOperand("o", problem.o, "Hq", "Nq", "Dv");
  std::optional<Operand> lse, initialState, finalState;
  if (problem.lse)
    lse = Operand{"lse", &*problem.lse, {"B", "Hq", "Nq"}};
  if (problem.initialState)
    initialState = Operand{
        "initial state", &*problem.initialState, {"B", "Hq", "F", "Dv"}};
  if (problem.finalState)
    finalState =
        Operand{"final state", &*problem.finalState, {"B", "Hq", "F", "Dv"}};
  llvm::SmallVector<Operand, 4> sides;
  llvm::SmallVector<std::string, 4> sideNames;
  sideNames.reserve(problem.sideInputs.size());
  for (const SideInput &side : problem.sideInputs)
    sideNames.push_back("side input '" + side.name + "'");
  for (auto [side, name] : llvm::zip_equal(problem.sideInputs, sideNames))
    sides.push_back(Operand{name, &side.tensor, {}});

  // Which optional arguments the kernel takes.
  if (Error err = checkPresence("lse", sig.lse, lse.has_value(), sig.name))
    return std::move(err);
  if (Error err = checkPresence("initial state", sig.initialState,
                                initialState.has_value(), sig.name))
    return std::move(err);
  if (Error err = checkPresence("final state", sig.finalState,
                                finalState.has_value(), sig.name))
    return std::move(err);

  // Basics of every tensor: pointers, ranks, sizes and strides well formed.
  llvm::SmallVector<Operand *, 12> all = {&q, &k, &v, &o};
  for (std::optional<Operand> *opt : {&lse, &initialState, &finalState})
    if (*opt)
      all.push_back(&**opt);
  for (Operand &side : sides)
    all.push_back(&side);
  for (Operand *op : all)
    if (Error err = checkBasics(*op))
      return std::move(err);
  for (Operand *op : {&q, &k, &v, &o})
    if (Error err = checkRank(*op, 4))
      return std::move(err);
  if (lse)
    if (Error err = checkRank(*lse, 3))
      return std::move(err);
  for (std::optional<Operand> *state : {&initialState, &finalState})
    if (*state)
      if (Error err = checkRank(**state, 4))
        return std::move(err);

  // Layout: the kernel was compiled for one.
  if (problem.layout != sig.layout)
    return fail(llvm::formatv("layout: {0} was built for {1} but the launch "
                              "gives {2}; permute the tensors or build the "
                              "kernel for {2}",
                              sig.name, getLayoutName(sig.layout),
                              getLayoutName(problem.layout)));

  // Element types.
  for (Operand *op : {&q, &k, &v})
    if (Error err = checkDType(*op, sig.dtype, "the kernel was built for it"))
      return std::move(err);
  if (Error err = checkDType(o, sig.outputDType.value_or(sig.dtype),
                             "the kernel writes it"))
    return std::move(err);
  for (std::optional<Operand> *opt : {&lse, &initialState, &finalState})
    if (*opt)
      if (Error err = checkDType(**opt, DType::F32, "it is kept in fp32"))
        return std::move(err);

  // Sizes of q, k, v and o.
  for (Operand *op : {&q, &k, &v, &o})
    if (Error err = checkNonEmpty(*op))
      return std::move(err);
  struct SameSize {
    StringRef what;
    const Operand &a;
    unsigned axisA;
    const Operand &b;
    unsigned axisB;
  };
  const SameSize sameSizes[] = {
      {"batch size B", q, 0, k, 0},
      {"batch size B", q, 0, v, 0},
      {"batch size B", q, 0, o, 0},
      {"head dim Dk", q, 3, k, 3},
      {"key heads Hkv", k, hAxis, v, hAxis},
      {"key length Nk", k, nAxis, v, nAxis},
      {"query heads Hq", q, hAxis, o, hAxis},
      {"query length Nq", q, nAxis, o, nAxis},
      {"value head dim Dv", v, 3, o, 3},
  };
  for (const SameSize &same : sameSizes)
    if (Error err =
            checkSameSize(same.what, same.a, same.axisA, same.b, same.axisB))
      return std::move(err);

  ProblemDims dims;
  dims.batch = problem.q.sizes[0];
  dims.queryHeads = problem.q.sizes[hAxis];
  dims.kvHeads = problem.k.sizes[hAxis];
  dims.queryLength = problem.q.sizes[nAxis];
  dims.keyLength = problem.k.sizes[nAxis];
  dims.headDimK = problem.q.sizes[3];
  dims.headDimV = problem.v.sizes[3];
  dims.featureDim = sig.featureDim > 0 ? sig.featureDim : dims.headDimK;

  if (sig.headDimK > 0 && dims.headDimK != sig.headDimK)
    return fail(llvm::formatv("q, k: head dim Dk = {0} (q sizes {1}), but "
                              "{2} was built for Dk = {3}",
                              dims.headDimK, formatSizes(problem.q.sizes),
                              sig.name, sig.headDimK));
  if (sig.headDimV > 0 && dims.headDimV != sig.headDimV)
    return fail(llvm::formatv("v, o: head dim Dv = {0} (v sizes {1}), but "
                              "{2} was built for Dv = {3}",
                              dims.headDimV, formatSizes(problem.v.sizes),
                              sig.name, sig.headDimV));

  // Grouping of query heads onto key/value heads.
  if (dims.queryHeads % dims.kvHeads != 0)
    return fail(llvm::formatv(
        "GQA: query heads Hq = {0} (q) is not a multiple of key/value heads "
        "Hkv = {1} (k, v); query head h reads kv head h / (Hq / Hkv)",
        dims.queryHeads, dims.kvHeads));
  if (sig.gqaRatio > 0 && dims.queryHeads / dims.kvHeads != sig.gqaRatio)
    return fail(llvm::formatv(
        "GQA: {0} was built for Hq / Hkv = {1}, but the launch has Hq = {2}, "
        "Hkv = {3} (ratio {4}); build the kernel for this ratio",
        sig.name, sig.gqaRatio, dims.queryHeads, dims.kvHeads,
        dims.queryHeads / dims.kvHeads));
  if (sig.requireEqualLengths && dims.queryLength != dims.keyLength)
    return fail(llvm::formatv("q, k: {0} requires equal query and key "
                              "lengths, got Nq = {1}, Nk = {2}",
                              sig.name, dims.queryLength, dims.keyLength));

  // Shapes that follow from the problem.
  if (lse)
    if (Error err =
            checkShape(*lse, {dims.batch, dims.queryHeads, dims.queryLength},
                       {"B", "Hq", "Nq"}))
      return std::move(err);
  for (std::optional<Operand> *state : {&initialState, &finalState})
    if (*state)
      if (Error err = checkShape(
              **state,
              {dims.batch, dims.queryHeads, dims.featureDim, dims.headDimV},
              {"B", "Hq", "F", "Dv"}))
        return std::move(err);

  // Side inputs, matched by name.
  llvm::StringMap<const ArgumentSpec *> specs;
  for (const ArgumentSpec &spec : sig.sideInputs)
    specs[spec.name] = &spec;
  llvm::StringMap<unsigned> seen;
  for (auto [index, side] : llvm::enumerate(problem.sideInputs)) {
    if (!seen.try_emplace(side.name, index).second)
      return fail(llvm::formatv("side input '{0}': given twice", side.name));
    auto it = specs.find(side.name);
    if (it == specs.end()) {
      auto names = llvm::map_range(
          sig.sideInputs, [](const ArgumentSpec &s) { return s.name; });
      return fail(llvm::formatv(
          "side input '{0}': {1} takes no such input (it takes: {2})",
          side.name, sig.name,
          sig.sideInputs.empty() ? std::string("none")
                                 : llvm::join(names, ", ")));
    }
    if (Error err = checkSideInput(sides[index], *it->second, dims))
      return std::move(err);
  }
  for (const ArgumentSpec &spec : sig.sideInputs)
    if (!seen.count(spec.name))
      return fail(llvm::formatv("side input '{0}': missing; {1} requires a "
                                "{2} tensor of shape {3}",
                                spec.name, sig.name, getDTypeName(spec.dtype),
                                describeExpected(spec, dims)));

  // The states are indexed as dense [B, Hq, F, Dv] when the kernel takes
  // no strides for them.
  if (sig.requireContiguousStates)
    for (std::optional<Operand> *state : {&initialState, &finalState})
      if (*state && !(*state)->ref->isContiguous())
        return fail(llvm::formatv(
            "{0}: the kernel reads it as a dense row-major [B, Hq, F, Dv] "
            "tensor, expected strides {1}, got {2}; call .contiguous()",
            (*state)->name,
            formatSizes(TensorRef::getContiguousStrides((*state)->ref->sizes)),
            formatSizes((*state)->ref->strides)));

  // Strides and alignment. The kernel loads rows of q, k, v (and states)
  // with wide vector loads.
  llvm::SmallVector<Operand *, 6> vectorised = {&q, &k, &v, &o};
  for (std::optional<Operand> *state : {&initialState, &finalState})
    if (*state)
      vectorised.push_back(&**state);
  for (Operand *op : vectorised)
    if (Error err = checkLastAxisContiguous(*op))
      return std::move(err);
  if (sig.vectorAlignment > 1)
    for (Operand *op : vectorised)
      if (Error err = checkAlignment(*op, sig.vectorAlignment,
                                     "the kernel's vectorised loads need it"))
        return std::move(err);
  if (lse)
    if (Error err = checkAlignment(*lse, lse->ref->getElementSize(),
                                   "element alignment"))
      return std::move(err);
  for (auto [side, input] : llvm::zip_equal(sides, problem.sideInputs)) {
    // Every side input was matched to its spec above.
    int64_t wide = specs.lookup(input.name)->alignment;
    int64_t element = side.ref->getElementSize();
    std::string why =
        wide > element
            ? llvm::formatv("the kernel copies it in {0}-byte pieces", wide)
                  .str()
            : std::string("element alignment");
    if (Error err = checkAlignment(side, std::max(wide, element), why))
      return std::move(err);
  }

  // Outputs: not overlapping themselves, inputs or each other.
  llvm::SmallVector<Operand *, 3> outputs = {&o};
  if (lse)
    outputs.push_back(&*lse);
  if (finalState)
    outputs.push_back(&*finalState);
  for (Operand *out : outputs)
    if (Error err = checkNoSelfOverlap(*out))
      return std::move(err);
  llvm::SmallVector<Operand *, 8> inputs = {&q, &k, &v};
  if (initialState)
    inputs.push_back(&*initialState);
  for (Operand &side : sides)
    inputs.push_back(&side);
  // An in-place state update passes the same view as both states.
  bool inPlaceState = sig.allowInPlaceState && initialState && finalState &&
                      initialState->ref->data == finalState->ref->data &&
                      initialState->ref->sizes == finalState->ref->sizes &&
                      initialState->ref->strides == finalState->ref->strides;
  for (auto [i, out] : llvm::enumerate(outputs)) {
    for (Operand *in : inputs) {
      if (inPlaceState && out == &*finalState && in == &*initialState)
        continue;
      if (Error err = checkDisjoint(*out, *in))
        return std::move(err);
    }
    for (Operand *other : ArrayRef<Operand *>(outputs).drop_front(i + 1))
      if (Error err = checkDisjoint(*out, *other))
        return std::move(err);
  }

  if (sig.index32)
    for (Operand *op : all)
      if (Error err = checkIndex32(*op))
        return std::move(err);

  return dims;
}

Error attn::runtime::validate(const KernelSignature &signature,
                              const AttentionProblem &problem) {
  return validateProblem(signature, problem).takeError();
}
