//===- MultiChainGPUTest.cpp - Specs of several chains on the GPU ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Specs whose result combines several attn.aggregate chains, run on the GPU
// through CompiledKernel::launch(SpecProblem) (each chain's kernel, then the
// generated combine kernel) and checked against the fp64 reference: Based
// (a causal Taylor-2 linear chain plus a window softmax chain, summed) at
// lengths 1, 17, 1000 and 4099, with GQA, BHSD and BSHD; and 0.5 * o1 - o2
// over two softmax chains with an f32 result. Skips visibly without a GPU.
//
//===----------------------------------------------------------------------===//

#include "GPUTestUtils.h"

#include "llvm/Support/FormatVariadic.h"

using namespace attn;
using namespace attn::jit;
using namespace attn::jit::testing;

namespace {

/// examples/based.mlir, with both chains in BSHD if `bshd`.
std::optional<std::string> basedSpec(bool bshd) {
  std::optional<std::string> text = readExample("based");
  if (!text || !bshd)
    return text;
  auto replace = [&](llvm::StringRef from, llvm::StringRef to) {
    size_t at = text->find(from.str());
    EXPECT_NE(at, std::string::npos) << from.str();
    if (at != std::string::npos)
      text->replace(at, from.size(), to.str());
  };
  replace("feature_map taylor2\n", "feature_map taylor2 layout bshd\n");
  replace("attn.score %q, %k :", "attn.score %q, %k layout bshd :");
  return text;
}

/// Runs Based at `size` and checks it against the reference; the spec has
/// its three kernels.
void checkBased(bool bshd, const reference::ProblemSize &size) {
  std::optional<std::string> text = basedSpec(bshd);
  ASSERT_TRUE(text) << "cannot read example based";
  ParsedSpec spec = parseSpec(*text);
  ASSERT_TRUE(spec.module);
  SCOPED_TRACE(llvm::formatv("based {0} B{1} Hq{2} Hkv{3} N{4}",
                             bshd ? "BSHD" : "BHSD", size.batch, size.qHeads,
                             size.kvHeads, size.qLen)
                   .str());
  std::optional<RunResult> result =
      runAndCompare(*spec.module, size, {}, /*seed=*/size.qLen);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->gpu.size(), 1u);
  // Not all zeros: both chains contribute.
  double norm = 0;
  for (double x : result->gpu[0].data)
    norm += x * x;
  EXPECT_GT(norm, 0);
}

TEST(MultiChainGPUTest, BasedMatchesReference) {
  REQUIRE_GPU();
  for (int64_t n : {1, 17, 1000, 4099})
    checkBased(/*bshd=*/false, {1, 4, 2, n, n});
}

TEST(MultiChainGPUTest, BasedBSHDAndBatches) {
  REQUIRE_GPU();
  for (int64_t n : {17, 1000})
    checkBased(/*bshd=*/true, {2, 4, 2, n, n});
  // No GQA, two batches, BHSD.
  checkBased(/*bshd=*/false, {2, 2, 2, 333, 333});
}

/// 0.5 * o1 - o2 over a full and a causal softmax chain (own q, k; shared
/// v), with an f32 result: the combine kernel reads two bf16 temporaries
/// (no chain writes o) in pieces of 4 and evaluates the constant, mulf and
/// subf in f32.
TEST(MultiChainGPUTest, ScaledDifferenceOfTwoSoftmaxChains) {
  REQUIRE_GPU();
  const int64_t b = 2, hq = 4, hkv = 2, n = 333, d = 64;
  std::string q = llvm::formatv("tensor<{0}x{1}x{2}x{3}xbf16>", b, hq, n, d);
  std::string kv = llvm::formatv("tensor<{0}x{1}x{2}x{3}xbf16>", b, hkv, n, d);
  std::string of = llvm::formatv("tensor<{0}x{1}x{2}x{3}xf32>", b, hq, n, d);
  std::string text = llvm::formatv(
      R"(func.func @difference(%q1: {0}, %k1: {1}, %q2: {0}, %k2: {1},
                              %v: {1}) -> {2} {
  %s1 = attn.score %q1, %k1 : {0}, {1}
  %w1 = attn.normalize %s1 softmax
  %o1 = attn.aggregate %w1, %v : {1} -> {0}
  %s2 = attn.score %q2, %k2 : {0}, {1}
  %m2 = attn.mask %s2, #attn.causal
  %w2 = attn.normalize %m2 softmax
  %o2 = attn.aggregate %w2, %v : {1} -> {0}
  %half = arith.constant dense<0.5> : {2}
  %o1f = arith.extf %o1 : {0} to {2}
  %o2f = arith.extf %o2 : {0} to {2}
  %scaled = arith.mulf %half, %o1f : {2}
  %o = arith.subf %scaled, %o2f : {2}
  return %o : {2}
}
)",
      q, kv, of);
  SCOPED_TRACE(text);
  ParsedSpec spec = parseSpec(text);
  ASSERT_TRUE(spec.module);
  auto kernel = CompiledKernel::compile(*spec.module);
  ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  ASSERT_EQ((*kernel)->getKernels().size(), 3u);
  const KernelInfo &combine = (*kernel)->getKernels()[2].info;
  EXPECT_EQ(combine.algorithm, "combine");
  EXPECT_EQ(combine.dtype, "f32");
  EXPECT_EQ(combine.blockN, 4);
  std::optional<RunResult> result =
      runAndCompare(*spec.module, {b, hq, hkv, n, n});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->gpu.size(), 1u);
  // o comes back in the spec's result type.
  EXPECT_EQ(result->gpu[0].kind, ElementKind::F32);
}

} // namespace
