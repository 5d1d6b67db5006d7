//===- ValidateTest.cpp - Tests of launch validation ----------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Validation never dereferences a device pointer, so these tests use made-up
// addresses, spaced far apart so that distinct tensors never overlap unless a
// test means them to.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Tensor.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace attn::runtime;
using ::testing::HasSubstr;

namespace {

/// A made-up device address, 1 GiB apart per slot.
void *fakePointer(int slot, uintptr_t offset = 0) {
  return reinterpret_cast<void *>((uintptr_t(slot) << 30) + offset);
}

/// Sizes in memory order for a logical [B, H, N, D] tensor.
llvm::SmallVector<int64_t, 4> inLayout(Layout layout, int64_t b, int64_t h,
                                       int64_t n, int64_t d) {
  if (layout == Layout::BSHD)
    return {b, n, h, d};
  return {b, h, n, d};
}

/// B = 2, Hq = 8, Hkv = 2, Nq = 37, Nk = 53, Dk = 64, Dv = 32, bf16, all
/// tensors dense and 16-byte aligned.
struct ValidateTest : ::testing::Test {
  static constexpr int64_t B = 2, Hq = 8, Hkv = 2, Nq = 37, Nk = 53, Dk = 64,
                           Dv = 32;

  KernelSignature signature;
  AttentionProblem problem;

  void SetUp() override { build(Layout::BHSD); }

  void build(Layout layout) {
    signature = KernelSignature();
    signature.name = "test_kernel";
    signature.dtype = DType::BF16;
    signature.layout = layout;
    signature.headDimK = Dk;
    signature.headDimV = Dv;
    signature.arch = "sm_90a";

    problem = AttentionProblem();
    problem.layout = layout;
    problem.q = TensorRef::contiguous(fakePointer(1), DType::BF16,
                                      inLayout(layout, B, Hq, Nq, Dk));
    problem.k = TensorRef::contiguous(fakePointer(2), DType::BF16,
                                      inLayout(layout, B, Hkv, Nk, Dk));
    problem.v = TensorRef::contiguous(fakePointer(3), DType::BF16,
                                      inLayout(layout, B, Hkv, Nk, Dv));
    problem.o = TensorRef::contiguous(fakePointer(4), DType::BF16,
                                      inLayout(layout, B, Hq, Nq, Dv));
  }

  /// The message of the validation error, or "" on success.
  std::string errorMessage() {
    if (llvm::Error err = validate(signature, problem))
      return llvm::toString(std::move(err));
    return "";
  }
};

//===----------------------------------------------------------------------===//
// Accepted launches
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, AcceptsDenseBHSD) {
  llvm::Expected<ProblemDims> dims = validateProblem(signature, problem);
  ASSERT_TRUE(bool(dims)) << llvm::toString(dims.takeError());
  EXPECT_EQ(dims->batch, B);
  EXPECT_EQ(dims->queryHeads, Hq);
  EXPECT_EQ(dims->kvHeads, Hkv);
  EXPECT_EQ(dims->queryLength, Nq);
  EXPECT_EQ(dims->keyLength, Nk);
  EXPECT_EQ(dims->headDimK, Dk);
  EXPECT_EQ(dims->headDimV, Dv);
  EXPECT_EQ(dims->featureDim, Dk);
}

TEST_F(ValidateTest, AcceptsDenseBSHD) {
  build(Layout::BSHD);
  llvm::Expected<ProblemDims> dims = validateProblem(signature, problem);
  ASSERT_TRUE(bool(dims)) << llvm::toString(dims.takeError());
  EXPECT_EQ(dims->queryHeads, Hq);
  EXPECT_EQ(dims->kvHeads, Hkv);
  EXPECT_EQ(dims->queryLength, Nq);
  EXPECT_EQ(dims->keyLength, Nk);
}

TEST_F(ValidateTest, AcceptsMultiQueryAndFixedGroupRatio) {
  signature.gqaRatio = Hq / Hkv;
  EXPECT_EQ(errorMessage(), "");
  // MQA: one kv head shared by all query heads.
  problem.k.sizes[1] = problem.v.sizes[1] = 1;
  problem.k =
      TensorRef::contiguous(problem.k.data, DType::BF16, problem.k.sizes);
  problem.v =
      TensorRef::contiguous(problem.v.data, DType::BF16, problem.v.sizes);
  signature.gqaRatio = 0;
  EXPECT_EQ(errorMessage(), "");
}

/// q, k and v as views into one packed [B, N, Hq + 2 Hkv, D] tensor, as a
/// fused qkv projection produces it, in BSHD.
TEST_F(ValidateTest, AcceptsPackedQKVViewsBSHD) {
  build(Layout::BSHD);
  signature.headDimV = Dk;
  const int64_t N = Nk, H = Hq + 2 * Hkv, D = Dk;
  problem.q = TensorRef(fakePointer(1), DType::BF16, {B, N, Hq, D},
                        {N * H * D, H * D, D, 1});
  problem.k = TensorRef(fakePointer(1, Hq * D * 2), DType::BF16, {B, N, Hkv, D},
                        {N * H * D, H * D, D, 1});
  problem.v = TensorRef(fakePointer(1, (Hq + Hkv) * D * 2), DType::BF16,
                        {B, N, Hkv, D}, {N * H * D, H * D, D, 1});
  problem.o = TensorRef::contiguous(fakePointer(4), DType::BF16, {B, N, Hq, D});
  EXPECT_EQ(errorMessage(), "");
}

/// The same packed tensor permuted to BHSD (`qkv.transpose(1, 2)`).
TEST_F(ValidateTest, AcceptsPackedQKVViewsBHSD) {
  signature.headDimV = Dk;
  const int64_t N = Nk, H = Hq + 2 * Hkv, D = Dk;
  problem.q = TensorRef(fakePointer(1), DType::BF16, {B, Hq, N, D},
                        {N * H * D, D, H * D, 1});
  problem.k = TensorRef(fakePointer(1, Hq * D * 2), DType::BF16, {B, Hkv, N, D},
                        {N * H * D, D, H * D, 1});
  problem.v = TensorRef(fakePointer(1, (Hq + Hkv) * D * 2), DType::BF16,
                        {B, Hkv, N, D}, {N * H * D, D, H * D, 1});
  problem.o = TensorRef::contiguous(fakePointer(4), DType::BF16, {B, Hq, N, D});
  EXPECT_EQ(errorMessage(), "");
}

/// k and v broadcast over heads with a zero stride (`k.expand(...)`): inputs
/// may repeat elements.
TEST_F(ValidateTest, AcceptsBroadcastInputs) {
  problem.k.strides[1] = 0;
  problem.v.strides[1] = 0;
  EXPECT_EQ(errorMessage(), "");
}

/// Axes of size 1 may have any stride, as in PyTorch.
TEST_F(ValidateTest, IgnoresStridesOfUnitAxes) {
  problem.q.sizes[0] = problem.k.sizes[0] = problem.v.sizes[0] =
      problem.o.sizes[0] = 1;
  problem.q.strides[0] = 3;
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(ValidateTest, AcceptsLseStatesAndSideInputs) {
  signature.lse = Presence::Required;
  signature.initialState = Presence::Optional;
  signature.finalState = Presence::Optional;
  signature.featureDim = 2 * Dk;
  signature.sideInputs.push_back(
      {"slopes", DType::F32, {ProblemDim::QueryHeads}, true});
  signature.sideInputs.push_back(
      {"segments", DType::I32, {ProblemDim::Batch, DimSize::dynamic()}, true});
  problem.lse = TensorRef::contiguous(fakePointer(5), DType::F32, {B, Hq, Nq});
  problem.initialState =
      TensorRef::contiguous(fakePointer(6), DType::F32, {B, Hq, 2 * Dk, Dv});
  problem.finalState =
      TensorRef::contiguous(fakePointer(7), DType::F32, {B, Hq, 2 * Dk, Dv});
  problem.sideInputs.push_back(
      {"segments",
       TensorRef::contiguous(fakePointer(8), DType::I32, {B, 1000})});
  problem.sideInputs.push_back(
      {"slopes", TensorRef::contiguous(fakePointer(9), DType::F32, {Hq})});
  llvm::Expected<ProblemDims> dims = validateProblem(signature, problem);
  ASSERT_TRUE(bool(dims)) << llvm::toString(dims.takeError());
  EXPECT_EQ(dims->featureDim, 2 * Dk);
}

//===----------------------------------------------------------------------===//
// Pointers, ranks, sizes and strides
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsNullPointer) {
  problem.k.data = nullptr;
  EXPECT_EQ(errorMessage(), "k: null data pointer; pass a device pointer");
}

TEST_F(ValidateTest, RejectsWrongRank) {
  problem.q =
      TensorRef::contiguous(fakePointer(1), DType::BF16, {B * Hq, Nq, Dk});
  EXPECT_EQ(errorMessage(), "q: expected rank 4 [B, Hq, Nq, Dk], got rank 3 "
                            "with sizes [16, 37, 64]");
}

TEST_F(ValidateTest, RejectsWrongRankBSHDNamesAxesInLayoutOrder) {
  build(Layout::BSHD);
  problem.o = TensorRef::contiguous(fakePointer(4), DType::BF16, {B, Nq});
  EXPECT_EQ(errorMessage(), "o: expected rank 4 [B, Nq, Hq, Dv], got rank 2 "
                            "with sizes [2, 37]");
}

TEST_F(ValidateTest, RejectsRankAboveFour) {
  signature.sideInputs.push_back({"table", DType::F32, {1, 1, 1, 1, 1}, true});
  problem.sideInputs.push_back(
      {"table",
       TensorRef::contiguous(fakePointer(8), DType::F32, {1, 1, 1, 1, 1})});
  EXPECT_THAT(errorMessage(),
              HasSubstr("side input 'table': rank 5 (sizes [1, 1, 1, 1, 1]) "
                        "exceeds the largest supported rank 4"));
}

TEST_F(ValidateTest, RejectsStridesNotMatchingSizes) {
  problem.v.strides.pop_back();
  EXPECT_THAT(errorMessage(), HasSubstr("v: 4 sizes [2, 2, 53, 32] but 3 "
                                        "strides"));
}

TEST_F(ValidateTest, RejectsNegativeSizeAndStride) {
  problem.k.sizes[2] = -1;
  EXPECT_THAT(errorMessage(), HasSubstr("k: negative size -1 on axis 2 (Nk)"));
  build(Layout::BHSD);
  problem.k.strides[2] = -64;
  EXPECT_THAT(errorMessage(),
              HasSubstr("k: negative stride -64 on axis 2 (Nk)"));
  EXPECT_THAT(errorMessage(), HasSubstr("call .contiguous()"));
}

TEST_F(ValidateTest, RejectsEmptyLength) {
  problem.q.sizes[2] = problem.o.sizes[2] = 0;
  EXPECT_EQ(errorMessage(), "q: axis 2 (Nq) has size 0 (sizes [2, 8, 0, "
                            "64]); every length must be >= 1");
}

TEST_F(ValidateTest, RejectsOffsetsOverflowing64Bits) {
  problem.q.strides[0] = int64_t(1) << 62;
  EXPECT_THAT(errorMessage(), HasSubstr("q: sizes [2, 8, 37, 64] with "
                                        "strides"));
  EXPECT_THAT(errorMessage(), HasSubstr("overflow 64-bit"));
}

//===----------------------------------------------------------------------===//
// Layout and element types
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsLayoutMismatch) {
  problem.layout = Layout::BSHD;
  EXPECT_EQ(errorMessage(), "layout: test_kernel was built for BHSD but the "
                            "launch gives BSHD; permute the tensors or build "
                            "the kernel for BSHD");
}

TEST_F(ValidateTest, RejectsInputDType) {
  problem.v.dtype = DType::F16;
  EXPECT_EQ(errorMessage(), "v: expected dtype bf16 (the kernel was built for "
                            "it), got f16");
}

TEST_F(ValidateTest, RejectsOutputDType) {
  signature.outputDType = DType::F32;
  EXPECT_EQ(errorMessage(),
            "o: expected dtype f32 (the kernel writes it), got bf16");
}

TEST_F(ValidateTest, RejectsNonF32Lse) {
  signature.lse = Presence::Optional;
  problem.lse = TensorRef::contiguous(fakePointer(5), DType::BF16, {B, Hq, Nq});
  EXPECT_EQ(errorMessage(),
            "lse: expected dtype f32 (it is kept in fp32), got bf16");
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsBatchMismatch) {
  problem.k.sizes[0] = 3;
  EXPECT_EQ(errorMessage(),
            "batch size B differs between q and k: q has batch size B = 2 "
            "(axis 0 (B) of sizes [2, 8, 37, 64]), k has batch size B = 3 "
            "(axis 0 (B) of sizes [3, 2, 53, 64])");
}

TEST_F(ValidateTest, RejectsHeadDimMismatchBetweenQAndK) {
  problem.k.sizes[3] = 128;
  EXPECT_THAT(errorMessage(),
              HasSubstr("head dim Dk differs between q and k: q has head dim "
                        "Dk = 64"));
  EXPECT_THAT(errorMessage(), HasSubstr("k has head dim Dk = 128"));
}

TEST_F(ValidateTest, RejectsKVHeadsMismatch) {
  problem.v.sizes[1] = 4;
  EXPECT_THAT(errorMessage(),
              HasSubstr("key heads Hkv differs between k and v: k has key "
                        "heads Hkv = 2 (axis 1 (Hkv)"));
}

TEST_F(ValidateTest, RejectsKeyLengthMismatchBSHD) {
  build(Layout::BSHD);
  problem.v.sizes[1] = Nk + 1;
  EXPECT_THAT(errorMessage(),
              HasSubstr("key length Nk differs between k and v: k has key "
                        "length Nk = 53 (axis 1 (Nk) of sizes [2, 53, 2, 64]), "
                        "v has key length Nk = 54"));
}

TEST_F(ValidateTest, RejectsQueryHeadsAndLengthMismatchWithOutput) {
  problem.o.sizes[1] = 4;
  EXPECT_THAT(errorMessage(),
              HasSubstr("query heads Hq differs between q and o"));
  build(Layout::BHSD);
  problem.o.sizes[2] = Nq - 1;
  EXPECT_THAT(errorMessage(),
              HasSubstr("query length Nq differs between q and o: q has "
                        "query length Nq = 37"));
}

TEST_F(ValidateTest, RejectsValueHeadDimMismatch) {
  problem.o.sizes[3] = 64;
  EXPECT_THAT(errorMessage(),
              HasSubstr("value head dim Dv differs between v and o: v has "
                        "value head dim Dv = 32"));
}

TEST_F(ValidateTest, RejectsHeadDimsOtherThanTheKernels) {
  signature.headDimK = 128;
  EXPECT_EQ(errorMessage(), "q, k: head dim Dk = 64 (q sizes [2, 8, 37, 64]), "
                            "but test_kernel was built for Dk = 128");
  signature.headDimK = Dk;
  signature.headDimV = 64;
  EXPECT_EQ(errorMessage(), "v, o: head dim Dv = 32 (v sizes [2, 2, 53, 32]), "
                            "but test_kernel was built for Dv = 64");
}

TEST_F(ValidateTest, RejectsIndivisibleGQA) {
  problem.k.sizes[1] = problem.v.sizes[1] = 3;
  EXPECT_EQ(errorMessage(),
            "GQA: query heads Hq = 8 (q) is not a multiple of key/value "
            "heads Hkv = 3 (k, v); query head h reads kv head h / (Hq / "
            "Hkv)");
}

TEST_F(ValidateTest, RejectsOtherGQARatioThanTheKernels) {
  signature.gqaRatio = 1;
  EXPECT_EQ(errorMessage(),
            "GQA: test_kernel was built for Hq / Hkv = 1, but the launch has "
            "Hq = 8, Hkv = 2 (ratio 4); build the kernel for this ratio");
}

TEST_F(ValidateTest, RejectsUnequalLengthsWhereRequired) {
  signature.requireEqualLengths = true;
  EXPECT_EQ(errorMessage(), "q, k: test_kernel requires equal query and key "
                            "lengths, got Nq = 37, Nk = 53");
}

//===----------------------------------------------------------------------===//
// lse and states
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsOptionalTensorsTheKernelDoesNotTake) {
  problem.lse = TensorRef::contiguous(fakePointer(5), DType::F32, {B, Hq, Nq});
  EXPECT_EQ(errorMessage(), "lse: given, but test_kernel takes no lse; drop "
                            "it or build the kernel with it");
}

TEST_F(ValidateTest, RejectsMissingRequiredTensors) {
  signature.finalState = Presence::Required;
  EXPECT_EQ(errorMessage(), "final state: missing; test_kernel requires it");
}

TEST_F(ValidateTest, RejectsLseShape) {
  signature.lse = Presence::Required;
  problem.lse = TensorRef::contiguous(fakePointer(5), DType::F32, {B, Nq, Hq});
  EXPECT_EQ(errorMessage(),
            "lse: expected shape [B=2, Hq=8, Nq=37], got [2, 37, 8]");
}

TEST_F(ValidateTest, RejectsStateShape) {
  signature.initialState = Presence::Optional;
  problem.initialState =
      TensorRef::contiguous(fakePointer(6), DType::F32, {B, Hq, Dv, Dk});
  EXPECT_EQ(errorMessage(), "initial state: expected shape [B=2, Hq=8, F=64, "
                            "Dv=32], got [2, 8, 32, 64]");
}

TEST_F(ValidateTest, RejectsStateRank) {
  signature.finalState = Presence::Optional;
  problem.finalState =
      TensorRef::contiguous(fakePointer(6), DType::F32, {B * Hq, Dk, Dv});
  EXPECT_EQ(errorMessage(), "final state: expected rank 4 [B, Hq, F, Dv], "
                            "got rank 3 with sizes [16, 64, 32]");
}

TEST_F(ValidateTest, InPlaceStateOnlyWhereTheKernelAllowsIt) {
  signature.initialState = Presence::Optional;
  signature.finalState = Presence::Optional;
  TensorRef state =
      TensorRef::contiguous(fakePointer(6), DType::F32, {B, Hq, Dk, Dv});
  problem.initialState = state;
  problem.finalState = state;
  EXPECT_THAT(errorMessage(),
              HasSubstr("final state overlaps initial state in memory"));
  signature.allowInPlaceState = true;
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(ValidateTest, InPlaceStateMustBeTheSameView) {
  signature.initialState = Presence::Optional;
  signature.finalState = Presence::Optional;
  signature.allowInPlaceState = true;
  TensorRef state =
      TensorRef::contiguous(fakePointer(6), DType::F32, {B, Hq, Dk, Dv});
  problem.initialState = state;
  // Shifted by one row: the kernel would read rows another CTA has written.
  state.data = fakePointer(6, Dv * 4);
  problem.finalState = state;
  EXPECT_THAT(errorMessage(),
              HasSubstr("final state overlaps initial state in memory"));
}

TEST_F(ValidateTest, RejectsStateDType) {
  signature.initialState = Presence::Required;
  problem.initialState =
      TensorRef::contiguous(fakePointer(6), DType::BF16, {B, Hq, Dk, Dv});
  EXPECT_EQ(errorMessage(), "initial state: expected dtype f32 (it is kept in "
                            "fp32), got bf16");
}

TEST_F(ValidateTest, RejectsStridedState) {
  signature.finalState = Presence::Required;
  // A [B, Hq, F, Dv] view of a [B, Hq, F, 2 * Dv] buffer: rows are
  // contiguous, but the kernel indexes the state densely.
  problem.finalState = TensorRef(fakePointer(6), DType::F32, {B, Hq, Dk, Dv},
                                 {Hq * Dk * 2 * Dv, Dk * 2 * Dv, 2 * Dv, 1});
  EXPECT_EQ(errorMessage(),
            "final state: the kernel reads it as a dense row-major [B, Hq, "
            "F, Dv] tensor, expected strides [16384, 2048, 32, 1], got "
            "[32768, 4096, 64, 1]; call .contiguous()");
  signature.requireContiguousStates = false;
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(ValidateTest, RejectsMisalignedState) {
  signature.initialState = Presence::Required;
  problem.initialState =
      TensorRef::contiguous(fakePointer(6, 4), DType::F32, {B, Hq, Dk, Dv});
  EXPECT_THAT(errorMessage(),
              HasSubstr("initial state: data pointer 0x180000004 is not "
                        "16-byte aligned"));
}

//===----------------------------------------------------------------------===//
// Side inputs
//===----------------------------------------------------------------------===//

struct SideInputTest : ValidateTest {
  void SetUp() override {
    ValidateTest::SetUp();
    signature.sideInputs.push_back(
        {"bias",
         DType::F32,
         {ProblemDim::QueryHeads, ProblemDim::QueryLength,
          ProblemDim::KeyLength},
         true});
    signature.sideInputs.push_back({"sink", DType::F32, {Hq}, true});
    problem.sideInputs.push_back(
        {"bias",
         TensorRef::contiguous(fakePointer(8), DType::F32, {Hq, Nq, Nk})});
    problem.sideInputs.push_back(
        {"sink", TensorRef::contiguous(fakePointer(9), DType::F32, {Hq})});
  }
};

TEST_F(SideInputTest, Accepted) { EXPECT_EQ(errorMessage(), ""); }

TEST_F(SideInputTest, RejectsMissing) {
  problem.sideInputs.pop_back();
  EXPECT_EQ(errorMessage(), "side input 'sink': missing; test_kernel "
                            "requires a f32 tensor of shape [8]");
}

TEST_F(SideInputTest, RejectsUnknown) {
  problem.sideInputs.push_back(
      {"scale", TensorRef::contiguous(fakePointer(10), DType::F32, {1})});
  EXPECT_EQ(errorMessage(), "side input 'scale': test_kernel takes no such "
                            "input (it takes: bias, sink)");
}

TEST_F(SideInputTest, RejectsDuplicate) {
  problem.sideInputs.push_back(
      {"sink", TensorRef::contiguous(fakePointer(10), DType::F32, {Hq})});
  EXPECT_EQ(errorMessage(), "side input 'sink': given twice");
}

TEST_F(SideInputTest, RejectsDType) {
  problem.sideInputs[1].tensor.dtype = DType::BF16;
  EXPECT_EQ(errorMessage(), "side input 'sink': expected dtype f32 (as the "
                            "kernel declares it), got bf16");
}

TEST_F(SideInputTest, RejectsShapeBoundFromQKV) {
  problem.sideInputs[0].tensor =
      TensorRef::contiguous(fakePointer(8), DType::F32, {Hq, Nk, Nq});
  EXPECT_EQ(errorMessage(), "side input 'bias': expected shape [Hq=8, Nq=37, "
                            "Nk=53], got [8, 53, 37]");
}

TEST_F(SideInputTest, RejectsStaticShape) {
  problem.sideInputs[1].tensor =
      TensorRef::contiguous(fakePointer(9), DType::F32, {Hq, 1});
  EXPECT_EQ(errorMessage(),
            "side input 'sink': expected shape [8], got [8, 1]");
}

TEST_F(SideInputTest, RejectsNonContiguous) {
  TensorRef &bias = problem.sideInputs[0].tensor;
  bias.strides = {Nq * Nk, 1, Nq};
  EXPECT_EQ(errorMessage(), "side input 'bias': the kernel reads it as a "
                            "dense row-major tensor, expected strides [1961, "
                            "53, 1], got [1961, 1, 37]; call .contiguous()");
  signature.sideInputs[0].requireContiguous = false;
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(SideInputTest, RejectsMisalignedElements) {
  problem.sideInputs[1].tensor.data = fakePointer(9, 2);
  EXPECT_THAT(errorMessage(), HasSubstr("side input 'sink': data pointer "
                                        "0x240000002 is not 4-byte aligned "
                                        "(element alignment)"));
}

TEST_F(SideInputTest, RejectsMisalignedWideCopies) {
  // A kernel that copies the input in 16-byte pieces (a per-channel gate).
  signature.sideInputs[1].alignment = 16;
  problem.sideInputs[1].tensor.data = fakePointer(9, 4);
  EXPECT_THAT(errorMessage(), HasSubstr("side input 'sink': data pointer "
                                        "0x240000004 is not 16-byte aligned "
                                        "(the kernel copies it in 16-byte "
                                        "pieces)"));
  problem.sideInputs[1].tensor.data = fakePointer(9, 16);
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(SideInputTest, RejectsOutputAliasingSideInput) {
  problem.sideInputs[1].tensor.data = problem.o.data;
  EXPECT_THAT(errorMessage(),
              HasSubstr("o overlaps side input 'sink' in memory"));
}

//===----------------------------------------------------------------------===//
// Strides and alignment
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsNonContiguousHeadDim) {
  // q.transpose(2, 3) of a [B, Hq, Dk, Nq] tensor.
  problem.q.strides = {Hq * Nq * Dk, Nq * Dk, 1, Nq};
  EXPECT_EQ(errorMessage(), "q: the last axis (Dk) must be contiguous (stride "
                            "1), got stride 37 (strides [18944, 2368, 1, "
                            "37]); call .contiguous()");
}

TEST_F(ValidateTest, RejectsMisalignedBasePointer) {
  problem.v.data = fakePointer(3, 8);
  EXPECT_EQ(errorMessage(),
            "v: data pointer 0xc0000008 is not 16-byte aligned (the kernel's "
            "vectorised loads need it); pass a tensor whose storage starts "
            "at a 16-byte boundary (call .contiguous() to copy it)");
}

TEST_F(ValidateTest, RejectsMisalignedRowStride) {
  // Rows of 68 bf16 (136 bytes): a view that slices 64 of a padded 68.
  problem.k.strides = {Hkv * Nk * 68, Nk * 68, 68, 1};
  EXPECT_THAT(errorMessage(), HasSubstr("k: stride 68 of axis 2 (Nk) is 136 "
                                        "bytes, not a multiple of 16"));
  EXPECT_THAT(errorMessage(), HasSubstr("call .contiguous()"));
  // 72 elements = 144 bytes is fine.
  problem.k.strides = {Hkv * Nk * 72, Nk * 72, 72, 1};
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(ValidateTest, VectorAlignmentIsTheSignatures) {
  problem.v.data = fakePointer(3, 8);
  signature.vectorAlignment = 8;
  EXPECT_EQ(errorMessage(), "");
}

//===----------------------------------------------------------------------===//
// Aliasing
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsOutputAliasingInput) {
  // o written over the second half of q.
  problem.o.data = fakePointer(1, 1024);
  EXPECT_EQ(errorMessage(),
            "o overlaps q in memory (o spans bytes [0x40000400, 0x40009800), "
            "q spans [0x40000000, 0x40012800)); an output must not alias "
            "another argument: write to a fresh tensor");
}

TEST_F(ValidateTest, RejectsOutputsAliasingEachOther) {
  signature.lse = Presence::Optional;
  problem.lse =
      TensorRef::contiguous(fakePointer(4, 64), DType::F32, {B, Hq, Nq});
  EXPECT_THAT(errorMessage(), HasSubstr("o overlaps lse in memory"));
}

TEST_F(ValidateTest, AcceptsAdjacentTensors) {
  // o starts right where q ends.
  problem.o.data = fakePointer(1, B * Hq * Nq * Dk * 2);
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(ValidateTest, RejectsSelfOverlappingOutput) {
  problem.o.strides[1] = 0;
  EXPECT_EQ(errorMessage(),
            "o: sizes [2, 8, 37, 32] with strides [9472, 0, 32, 1] make "
            "distinct elements share memory (axis 1 (Hq) has stride 0), so "
            "the kernel's writes would race; pass a tensor that does not "
            "overlap itself (e.g. from torch.empty)");
}

//===----------------------------------------------------------------------===//
// 32-bit indexing
//===----------------------------------------------------------------------===//

TEST_F(ValidateTest, RejectsOffsetsBeyondInt32) {
  // A k view into a huge cache: batch stride of 2^31 elements.
  problem.k.strides[0] = int64_t(1) << 31;
  problem.o.data = fakePointer(64);
  EXPECT_EQ(errorMessage(),
            "k: the largest element offset is 2147490431 (sizes [2, 2, 53, "
            "64], strides [2147483648, 3392, 64, 1]), beyond the kernel's "
            "32-bit indexing (max 2147483647); split the launch (e.g. the "
            "batch) or build the kernel with 64-bit indexing");
  signature.index32 = false;
  EXPECT_EQ(errorMessage(), "");
}

TEST_F(ValidateTest, RejectsSizesBeyondInt32) {
  // A broadcast side input: offsets fit, the size does not.
  signature.sideInputs.push_back(
      {"scale", DType::F32, {DimSize::dynamic()}, false});
  problem.sideInputs.push_back({"scale", TensorRef(fakePointer(8), DType::F32,
                                                   {int64_t(1) << 31}, {0})});
  EXPECT_EQ(errorMessage(), "side input 'scale': size 2147483648 of axis 0 "
                            "does not fit the kernel's 32-bit indexing (max "
                            "2147483647); split the launch or build the "
                            "kernel with 64-bit indexing");
}

//===----------------------------------------------------------------------===//
// Names
//===----------------------------------------------------------------------===//

TEST(DTypeTest, NamesSizesAndParsing) {
  for (DType dtype : {DType::F16, DType::BF16, DType::F32, DType::I32,
                      DType::I64, DType::I8, DType::U8})
    EXPECT_EQ(parseDType(getDTypeName(dtype)), dtype);
  EXPECT_EQ(parseDType("bool"), DType::U8);
  EXPECT_EQ(parseDType("f64"), std::nullopt);
  EXPECT_EQ(getDTypeSize(DType::BF16), 2);
  EXPECT_EQ(getDTypeSize(DType::I64), 8);
  EXPECT_EQ(getDTypeSize(DType::U8), 1);
}

TEST(TensorRefTest, ContiguousStrides) {
  TensorRef t = TensorRef::contiguous(fakePointer(1), DType::F32, {2, 3, 4});
  EXPECT_EQ(t.strides, (llvm::SmallVector<int64_t, 4>{12, 4, 1}));
  EXPECT_TRUE(t.isContiguous());
  EXPECT_EQ(t.getNumElements(), 24);
  t.strides = {12, 1, 3};
  EXPECT_FALSE(t.isContiguous());
}

} // namespace
