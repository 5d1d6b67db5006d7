//===- LaunchTest.cpp - Kernel ABI v1 parameter packing -------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Launch.h"

#include "gtest/gtest.h"

using namespace attn::runtime;

namespace {

/// A fake, 16-byte aligned device address (never dereferenced).
void *fakePointer(uintptr_t base) { return reinterpret_cast<void *>(base); }

KernelInfo makeInfo() {
  KernelInfo info;
  info.dtype = "bf16";
  info.layout = "bshd";
  info.headDimQK = info.headDimV = 64;
  info.blockM = 128;
  info.warps = 4;
  info.sharedBytes = 65536;
  info.hasLse = true;
  info.sideInputs.push_back({"slopes", "f32", {"Hq"}, 3});
  return info;
}

AttentionProblem makeProblem(int64_t hq = 8, int64_t hkv = 2) {
  const int64_t b = 2, nq = 300, nk = 500, d = 64;
  AttentionProblem problem;
  problem.layout = Layout::BSHD;
  problem.q = TensorRef::contiguous(fakePointer(0x100000), DType::BF16,
                                    {b, nq, hq, d});
  problem.k = TensorRef::contiguous(fakePointer(0x200000), DType::BF16,
                                    {b, nk, hkv, d});
  problem.v = TensorRef::contiguous(fakePointer(0x300000), DType::BF16,
                                    {b, nk, hkv, d});
  problem.o = TensorRef::contiguous(fakePointer(0x400000), DType::BF16,
                                    {b, nq, hq, d});
  problem.lse = TensorRef::contiguous(fakePointer(0x500000), DType::F32,
                                      {b, hq, nq});
  problem.sideInputs.push_back(
      {"slopes", TensorRef::contiguous(fakePointer(0x600000), DType::F32,
                                       {hq})});
  return problem;
}

TEST(LaunchTest, PacksABIv1) {
  auto packed = packLaunch(makeInfo(), makeProblem());
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  // 4 tensors + lse + 1 side input, 5 values each, then 5 sizes and 12
  // strides.
  ASSERT_EQ(packed->values.size(), 6u * 5 + 5 + 12);
  EXPECT_EQ(packed->values[0], 0x100000u);
  EXPECT_EQ(packed->values[1], 0x100000u);
  EXPECT_EQ(packed->values[2], 0u);
  EXPECT_EQ(packed->values[3], uint64_t(2 * 300 * 8 * 64));
  EXPECT_EQ(packed->values[4], 1u);
  EXPECT_EQ(packed->values[25], 0x600000u); // the side input
  const uint64_t *scalars = packed->values.data() + 30;
  EXPECT_EQ(scalars[0], 2u);   // B
  EXPECT_EQ(scalars[1], 8u);   // Hq
  EXPECT_EQ(scalars[2], 2u);   // Hkv
  EXPECT_EQ(scalars[3], 300u); // Nq
  EXPECT_EQ(scalars[4], 500u); // Nk
  // q strides (batch, head, seq) of a BSHD tensor [2, 300, 8, 64].
  EXPECT_EQ(scalars[5], uint64_t(300 * 8 * 64));
  EXPECT_EQ(scalars[6], 64u);
  EXPECT_EQ(scalars[7], uint64_t(8 * 64));
  // k strides of [2, 500, 2, 64].
  EXPECT_EQ(scalars[8], uint64_t(500 * 2 * 64));
  EXPECT_EQ(scalars[9], 64u);
  EXPECT_EQ(scalars[10], uint64_t(2 * 64));
  EXPECT_EQ(packed->grid, (Dim3{3, 8, 2}));
  EXPECT_EQ(packed->block, (Dim3{128, 1, 1}));
  EXPECT_EQ(packed->sharedBytes, 65536u);
  EXPECT_EQ(packed->getParamPointers().size(), packed->values.size());
}

TEST(LaunchTest, RejectsMismatches) {
  KernelInfo info = makeInfo();
  auto expectError = [&](AttentionProblem problem, const char *what) {
    auto packed = packLaunch(info, problem);
    ASSERT_FALSE(bool(packed)) << what << " was accepted";
    std::string message = llvm::toString(packed.takeError());
    EXPECT_FALSE(message.empty());
  };
  AttentionProblem p = makeProblem();
  p.q.dtype = DType::F16;
  expectError(p, "f16 q");
  p = makeProblem();
  p.sideInputs.clear();
  expectError(p, "missing side input");
  p = makeProblem();
  p.sideInputs[0].tensor.sizes = {4};
  p.sideInputs[0].tensor.strides = {1};
  expectError(p, "side input of the wrong extent");
  p = makeProblem();
  p.lse.reset();
  expectError(p, "missing lse");
  p = makeProblem();
  p.k.data = fakePointer(0x200002);
  expectError(p, "misaligned k");
  expectError(makeProblem(6, 4), "Hq not a multiple of Hkv");
  info.staticHq = 4;
  expectError(makeProblem(), "Hq differing from the static Hq");
}

TEST(LaunchTest, EvaluatesExtents) {
  ProblemDims dims;
  dims.queryLength = 1000;
  dims.queryHeads = 8;
  EXPECT_EQ(evaluateExtent("ceil(Nq/64)", dims), 16);
  EXPECT_EQ(evaluateExtent("Nq/64", dims), 15);
  EXPECT_EQ(evaluateExtent("Hq", dims), 8);
  EXPECT_EQ(evaluateExtent("7", dims), 7);
  EXPECT_EQ(evaluateExtent("sqrt(Nq)", dims), std::nullopt);
}

TEST(LaunchTest, SignatureFromKernelInfo) {
  auto signature = getKernelSignature(makeInfo());
  ASSERT_TRUE(bool(signature)) << llvm::toString(signature.takeError());
  EXPECT_EQ(signature->dtype, DType::BF16);
  EXPECT_EQ(signature->layout, Layout::BSHD);
  EXPECT_EQ(signature->lse, Presence::Required);
  ASSERT_EQ(signature->sideInputs.size(), 1u);
  EXPECT_TRUE(signature->sideInputs[0].sizes[0].isBound());
  KernelInfo bad = makeInfo();
  bad.abiVersion = 2;
  auto rejected = getKernelSignature(bad);
  ASSERT_FALSE(bool(rejected));
  EXPECT_NE(llvm::toString(rejected.takeError()).find("ABI"),
            std::string::npos);
}

} // namespace
