//===- GPUTest.cpp - Generated kernels against the fp64 reference ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The GPU suite of issue 3 §2: every softmax-family example and the matrix
// of head dims (64, 96, 128, 256), f16/bf16, GQA 1/4/8, BHSD/BSHD with q, k,
// v as strided views of one packed buffer, Nq != Nk and lengths 1, 17, 1000,
// 4097, compiled by the JIT for the detected GPU and compared with the fp64
// reference on random inputs: ||out - ref|| / ||ref|| <= 1e-2 (bf16),
// 5e-3 (f16), lse included, fully masked rows exactly 0. Bad launches must
// fail without writing anything. B = 1 and few heads keep it to minutes.
//
// Without a CUDA GPU every test skips, saying why.
//
//===----------------------------------------------------------------------===//

#include "GPUTestUtils.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"

#include "llvm/ADT/StringExtras.h"

#include <cstring>

using namespace attn;
using namespace attn::jit;
using namespace attn::jit::testing;
using attn::runtime::CudaDriver;

namespace {

/// A spec from SpecBuilder, parsed back in `context` (as a user would pass
/// text) so that the reference and the JIT see the same module.
mlir::OwningOpRef<mlir::ModuleOp>
buildSpec(mlir::MLIRContext &context,
          const std::function<void(SpecBuilder &)> &configure) {
  SpecBuilder builder(context);
  configure(builder);
  return builder.build();
}

//===----------------------------------------------------------------------===//
// Examples
//===----------------------------------------------------------------------===//

/// The problem sizes an example's header comment runs it with
/// (`attention-run examples/x.mlir ... --batch 1 --q-heads 2 ...`).
reference::ProblemSize getExampleSize(llvm::StringRef text) {
  reference::ProblemSize size;
  llvm::SmallVector<llvm::StringRef> words;
  llvm::SplitString(text.split("attention-run examples/").second.split("\n\n")
                        .first,
                    words, " \n\\/");
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    int64_t value;
    if (words[i + 1].getAsInteger(10, value))
      continue;
    if (words[i] == "--batch")
      size.batch = value;
    else if (words[i] == "--q-heads")
      size.qHeads = value;
    else if (words[i] == "--kv-heads")
      size.kvHeads = value;
    else if (words[i] == "--q-len")
      size.qLen = value;
    else if (words[i] == "--kv-len")
      size.kvLen = value;
    else if (words[i] == "--len")
      size.qLen = size.kvLen = value;
  }
  return size;
}

class ExampleGPUTest : public ::testing::TestWithParam<const char *> {};

TEST_P(ExampleGPUTest, MatchesReference) {
  REQUIRE_GPU();
  std::optional<std::string> text = readExample(GetParam());
  ASSERT_TRUE(text) << "cannot read example " << GetParam();
  mlir::MLIRContext context;
  mlir::attn::loadSpecDialects(context);
  auto module = mlir::parseSourceString<mlir::ModuleOp>(*text, &context);
  ASSERT_TRUE(module);
  reference::ProblemSize size = getExampleSize(*text);
  runAndCompare(*module, size);
  // Nq != Nk (bottom-right aligned) where the lengths are dynamic.
  mlir::func::FuncOp spec = getSpec(*module);
  auto qType = llvm::cast<mlir::RankedTensorType>(spec.getArgumentTypes()[0]);
  if (qType.isDynamicDim(1) && qType.isDynamicDim(2)) {
    size.qLen = 100;
    size.kvLen = 333;
    runAndCompare(*module, size, {}, /*seed=*/2);
  }
}

INSTANTIATE_TEST_SUITE_P(
    SoftmaxFamily, ExampleGPUTest,
    ::testing::Values("a_shape", "alibi", "block_sparse", "cosine_attention",
                      "dilated", "document_mask", "gqa", "neighborhood_2d",
                      "per_query_temperature", "prefix_lm", "sigmoid",
                      "sink_logits", "sliding_window", "softcap",
                      "softmax_causal", "softmax_dense",
                      "softplus_length_scaled"));

// Document ids need not be sorted: interleaved documents put several ids in
// every key tile (tiles whose id range covers a query's id hold no key of
// it), and a padding id (-1) ends each row. The key-tile id ranges and the
// scans that trim the loop must keep every tile that holds a visible key.
TEST(DocumentGPUTest, UnsortedAndPaddedIds) {
  REQUIRE_GPU();
  for (int64_t d : {64, 128})
    for (const char *mask :
         {"#attn.and<[#attn.causal, #attn.document<input = 0>]>",
          "#attn.document<input = 0>"}) {
      std::string t = "tensor<?x?x?x" + std::to_string(d) + "xbf16>";
      std::string text = "func.func @documents(%q: " + t + ", %k: " + t +
                         ", %v: " + t + ", %ids: tensor<?x?xi32>) -> " + t +
                         " {\n" + "  %s = attn.score %q, %k : " + t + ", " + t +
                         "\n" + "  %m = attn.mask %s, " + mask +
                         " (%ids : tensor<?x?xi32>)\n" +
                         "  %w = attn.normalize %m softmax\n" +
                         "  %o = attn.aggregate %w, %v : " + t + " -> " + t +
                         "\n" + "  return %o : " + t + "\n}\n";
      mlir::MLIRContext context;
      mlir::attn::loadSpecDialects(context);
      auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &context);
      ASSERT_TRUE(module);
      auto interleave = [](std::vector<HostTensor> &inputs) {
        HostTensor &ids = inputs[3];
        int64_t nk = ids.shape[1];
        for (int64_t b = 0; b < ids.shape[0]; ++b)
          for (int64_t j = 0; j < nk; ++j)
            ids.at({b, j}) =
                j >= nk - 100 ? -1 : ((j / 37) * 5 + j % 3 + b) % 4;
      };
      for (auto [nq, nk] :
           {std::pair<int64_t, int64_t>{1000, 1000}, {300, 1000}})
        runAndCompare(*module, {2, 4, 2, nq, nk}, {}, /*seed=*/nq, {},
                      std::nullopt, interleave);
      // A longer row (33 key tiles of 128: more than a warp's width of
      // tiles in each scan step) once; its fp64 reference is the slow part.
      if (d == 128 && std::string(mask).find("causal") != std::string::npos)
        runAndCompare(*module, {1, 2, 1, 4097, 4097}, {}, /*seed=*/3, {},
                      std::nullopt, interleave);
    }
}

//===----------------------------------------------------------------------===//
// The linear family in the quadratic form
//===----------------------------------------------------------------------===//

/// A linear-family spec the chunked form does not take (not chunk-legal, or
/// forced quadratic through attn.plan as the crossover benchmark does).
struct QuadraticLinearCase {
  const char *name;
  const char *text;
};

class QuadraticLinearGPUTest
    : public ::testing::TestWithParam<QuadraticLinearCase> {};

TEST_P(QuadraticLinearGPUTest, MatchesReference) {
  REQUIRE_GPU();
  mlir::MLIRContext context;
  mlir::attn::loadSpecDialects(context);
  auto module =
      mlir::parseSourceString<mlir::ModuleOp>(GetParam().text, &context);
  ASSERT_TRUE(module);
  for (auto [nq, nk] : {std::pair<int64_t, int64_t>{17, 17},
                        {1000, 1000},
                        {100, 333}}) {
    reference::ProblemSize size{1, 2, 1, nq, nk};
    runAndCompare(*module, size, {}, /*seed=*/nk, "quadratic");
  }
}

INSTANTIATE_TEST_SUITE_P(
    LinearFamily, QuadraticLinearGPUTest,
    ::testing::Values(
        // normalize sum under a sliding window: the row sum and O / l.
        QuadraticLinearCase{"elu_sum_window", R"mlir(
func.func @elu_sum_window(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.window<63, 0>
  %w = attn.normalize %m sum
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
})mlir"},
        // normalize none, a two-sided window and phi = relu, f16, D128.
        QuadraticLinearCase{"relu_none_window", R"mlir(
func.func @relu_none_window(%q: tensor<?x?x?x128xf16>, %k: tensor<?x?x?x128xf16>,
                            %v: tensor<?x?x?x128xf16>) -> tensor<?x?x?x128xf16> {
  %s = attn.score %q, %k feature_map relu
      : tensor<?x?x?x128xf16>, tensor<?x?x?x128xf16>
  %m = attn.mask %s, #attn.window<31, 16>
  %w = attn.normalize %m none
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xf16> -> tensor<?x?x?x128xf16>
  return %o : tensor<?x?x?x128xf16>
})mlir"},
        // An exponential decay without a causal mask (symmetric in |p - j|).
        QuadraticLinearCase{"retnet_bidirectional", R"mlir(
func.func @retnet_bidirectional(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x1x?x64xbf16>,
                                %v: tensor<?x1x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x2x?x64xbf16>, tensor<?x1x?x64xbf16>
  %d = attn.decay %s exponential rates [0.96875, 0.984375]
  %w = attn.normalize %d none
  %o = attn.aggregate %w, %v : tensor<?x1x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
})mlir"},
        // Chunk-legal, forced quadratic (the crossover benchmark's form),
        // l2norm feature map and normalize none (sum over signed cosines
        // would be ill-conditioned).
        QuadraticLinearCase{"l2norm_none_forced", R"mlir(
func.func @l2norm_none_forced(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                             %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map l2norm
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o = attn.aggregate %w, %v {attn.plan = {algorithm = "quadratic"}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
})mlir"},
        // Forced quadratic, exp feature map and normalize sum, causal.
        QuadraticLinearCase{"exp_sum_causal_forced", R"mlir(
func.func @exp_sum_causal_forced(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                  %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map exp
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  %o = attn.aggregate %w, %v {attn.plan = {algorithm = "quadratic"}}
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
})mlir"}),
    [](const ::testing::TestParamInfo<QuadraticLinearCase> &info) {
      return std::string(info.param.name);
    });

//===----------------------------------------------------------------------===//
// The matrix
//===----------------------------------------------------------------------===//

struct MatrixCase {
  int64_t headDim;
  SpecElementType type;
  bool causal;
  /// Forces warp-level matrix ops (`matrix_ops = "warp"`), the path of
  /// targets without warpgroup ops, on a GPU that has them.
  bool warpOps = false;
};

class HeadDimGPUTest : public ::testing::TestWithParam<MatrixCase> {};

TEST_P(HeadDimGPUTest, MatchesReference) {
  REQUIRE_GPU();
  MatrixCase c = GetParam();
  mlir::MLIRContext context;
  auto module = buildSpec(context, [&](SpecBuilder &b) {
    b.setHeadDim(c.headDim).setElementType(c.type).setReturnLse(true);
    if (c.causal)
      b.addCausal();
  });
  if (c.warpOps) {
    mlir::Builder builder(&context);
    module->walk([&](mlir::attn::AggregateOp aggregate) {
      aggregate->setAttr(mlir::attn::plan::kSpecAttrName,
                         builder.getDictionaryAttr(builder.getNamedAttr(
                             mlir::attn::plan::kMatrixOps,
                             builder.getStringAttr(mlir::attn::plan::kWarp))));
    });
  }
  for (auto [nq, nk] : {std::pair<int64_t, int64_t>{17, 17}, {1000, 1000}}) {
    reference::ProblemSize size{1, 2, 1, nq, nk};
    runAndCompare(*module, size);
  }
}

std::vector<MatrixCase> getMatrixCases() {
  std::vector<MatrixCase> cases;
  for (int64_t d : {64, 96, 128, 256})
    for (SpecElementType t : {SpecElementType::F16, SpecElementType::BF16})
      for (bool causal : {false, true})
        cases.push_back({d, t, causal});
  for (int64_t d : {64, 128})
    for (bool causal : {false, true})
      cases.push_back({d, SpecElementType::BF16, causal, /*warpOps=*/true});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Matrix, HeadDimGPUTest,
                         ::testing::ValuesIn(getMatrixCases()),
                         [](const ::testing::TestParamInfo<MatrixCase> &info) {
                           return "D" + std::to_string(info.param.headDim) +
                                  (info.param.type == SpecElementType::F16
                                       ? "_f16"
                                       : "_bf16") +
                                  (info.param.causal ? "_causal" : "_dense") +
                                  (info.param.warpOps ? "_warp_ops" : "");
                         });

TEST(GQAGPUTest, Ratios1And4And8WithNqBelowNk) {
  REQUIRE_GPU();
  mlir::MLIRContext context;
  auto module = buildSpec(context, [](SpecBuilder &b) {
    b.setHeadDim(128).addCausal().setReturnLse(true);
  });
  for (int64_t kvHeads : {8, 2, 1}) {
    reference::ProblemSize size{1, 8, kvHeads, 100, 1000};
    runAndCompare(*module, size);
  }
}

TEST(LayoutGPUTest, BSHDAndPackedQKVViews) {
  REQUIRE_GPU();
  for (SpecLayout layout : {SpecLayout::BHSD, SpecLayout::BSHD})
    for (bool packed : {false, true}) {
      mlir::MLIRContext context;
      auto module = buildSpec(context, [&](SpecBuilder &b) {
        b.setHeadDim(128).setLayout(layout).addCausal().setReturnLse(true);
      });
      SCOPED_TRACE(std::string(layout == SpecLayout::BSHD ? "bshd" : "bhsd") +
                   (packed ? " packed qkv" : ""));
      HostRunOptions options;
      options.packedQKV = packed;
      reference::ProblemSize size{2, 4, 2, 1000, 1000};
      runAndCompare(*module, size, options);
    }
}

TEST(LengthGPUTest, OneSeventeenThousandAnd4097) {
  REQUIRE_GPU();
  for (bool causal : {false, true}) {
    mlir::MLIRContext context;
    auto module = buildSpec(context, [&](SpecBuilder &b) {
      b.setHeadDim(128).setReturnLse(true);
      if (causal)
        b.addCausal();
    });
    SCOPED_TRACE(causal ? "causal" : "dense");
    for (auto [nq, nk] : {std::pair<int64_t, int64_t>{1, 1},
                          {1, 17},
                          {17, 1000},
                          {1, 4097},
                          {4097, 4097}}) {
      reference::ProblemSize size{1, 1, 1, nq, nk};
      runAndCompare(*module, size);
    }
  }
}

TEST(MaskedRowsGPUTest, FullyMaskedRowsAreZero) {
  REQUIRE_GPU();
  mlir::MLIRContext context;
  auto module = buildSpec(context, [](SpecBuilder &b) {
    b.setHeadDim(64).addCausal().setReturnLse(true);
  });
  // Nq > Nk, bottom-right aligned: rows i < Nq - Nk see no key.
  reference::ProblemSize size{1, 2, 2, 100, 17};
  std::optional<RunResult> result = runAndCompare(*module, size);
  ASSERT_TRUE(result);
  const HostTensor &o = result->gpu[0], &lse = result->gpu[1];
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 83; ++i) {
      for (int64_t d = 0; d < 64; ++d)
        ASSERT_EQ(o.at({0, h, i, d}), 0.0) << "row " << i;
      ASSERT_TRUE(std::isinf(lse.at({0, h, i})) && lse.at({0, h, i}) < 0)
          << "lse of fully masked row " << i << " is " << lse.at({0, h, i});
    }
}

//===----------------------------------------------------------------------===//
// Bad launches
//===----------------------------------------------------------------------===//

TEST(BadLaunchGPUTest, ErrorsAndNoWrites) {
  REQUIRE_GPU();
  mlir::MLIRContext context;
  auto module = buildSpec(context, [](SpecBuilder &b) {
    b.setHeadDim(64).addCausal().setReturnLse(true);
  });
  auto kernel = CompiledKernel::compile(*module);
  ASSERT_TRUE(bool(kernel)) << llvm::toString(kernel.takeError());
  CudaDriver &driver = *CudaDriver::get();
  ASSERT_FALSE(llvm::errorToBool(driver.makeCurrent(0)));

  using runtime::DType;
  using runtime::TensorRef;
  const int64_t B = 1, H = 2, N = 64, D = 64;
  // Padded so that even the rejected views stay inside the buffers.
  size_t bytes = B * H * N * D * 2 + 256;
  auto alloc = [&]() {
    auto buffer = driver.allocate(bytes);
    EXPECT_TRUE(bool(buffer));
    return std::move(*buffer);
  };
  runtime::DeviceBuffer q = alloc(), k = alloc(), v = alloc(), o = alloc(),
                        lse = alloc();
  ASSERT_FALSE(llvm::errorToBool(driver.memsetD8(q.get(), 0, bytes)));
  ASSERT_FALSE(llvm::errorToBool(driver.memsetD8(k.get(), 0, bytes)));
  ASSERT_FALSE(llvm::errorToBool(driver.memsetD8(v.get(), 0, bytes)));
  ASSERT_FALSE(llvm::errorToBool(driver.memsetD8(o.get(), 0xAB, bytes)));
  ASSERT_FALSE(llvm::errorToBool(driver.memsetD8(lse.get(), 0xAB, bytes)));

  auto good = [&]() {
    runtime::AttentionProblem p;
    p.q = TensorRef::contiguous(q.data(), DType::BF16, {B, H, N, D});
    p.k = TensorRef::contiguous(k.data(), DType::BF16, {B, H, N, D});
    p.v = TensorRef::contiguous(v.data(), DType::BF16, {B, H, N, D});
    p.o = TensorRef::contiguous(o.data(), DType::BF16, {B, H, N, D});
    p.lse = TensorRef::contiguous(lse.data(), DType::F32, {B, H, N});
    return p;
  };
  struct Bad {
    const char *what;
    std::function<void(runtime::AttentionProblem &)> spoil;
  };
  Bad cases[] = {
      {"wrong head dim",
       [&](auto &p) {
         p.k = TensorRef::contiguous(k.data(), DType::BF16, {B, H, N, 32});
       }},
      {"wrong dtype",
       [&](auto &p) {
         p.q = TensorRef::contiguous(q.data(), DType::F16, {B, H, N, D});
       }},
      {"misaligned pointer",
       [&](auto &p) {
         p.q = TensorRef::contiguous(static_cast<char *>(q.data()) + 2,
                                     DType::BF16, {B, H, N, D});
       }},
      {"bad GQA ratio",
       [&](auto &p) {
         p.q = TensorRef::contiguous(q.data(), DType::BF16, {B, 3, N / 2, D});
         p.k = TensorRef::contiguous(k.data(), DType::BF16, {B, 2, N, D});
         p.v = TensorRef::contiguous(v.data(), DType::BF16, {B, 2, N, D});
         p.o = TensorRef::contiguous(o.data(), DType::BF16, {B, 3, N / 2, D});
         p.lse = TensorRef::contiguous(lse.data(), DType::F32, {B, 3, N / 2});
       }},
      {"missing lse", [&](auto &p) { p.lse.reset(); }},
      {"wrong output shape",
       [&](auto &p) {
         p.o = TensorRef::contiguous(o.data(), DType::BF16, {B, H, N - 1, D});
       }},
      {"non-unit head-dim stride",
       [&](auto &p) {
         p.q = TensorRef(q.data(), DType::BF16, {B, H, N, D},
                         {H * N * D, N * D, D, 2});
       }},
  };
  for (Bad &bad : cases) {
    runtime::AttentionProblem problem = good();
    bad.spoil(problem);
    llvm::Error error = (*kernel)->launch(problem);
    EXPECT_TRUE(bool(error)) << bad.what << " was accepted";
    if (error)
      std::printf("[ bad launch ] %s: %s\n", bad.what,
                  llvm::toString(std::move(error)).c_str());
  }
  ASSERT_FALSE(llvm::errorToBool(driver.synchronize()));
  std::vector<uint8_t> host(bytes);
  for (runtime::DeviceBuffer *buffer : {&o, &lse}) {
    ASSERT_FALSE(llvm::errorToBool(buffer->copyToHost(host.data(), bytes)));
    for (uint8_t byte : host)
      ASSERT_EQ(byte, 0xAB) << "a rejected launch wrote memory";
  }
  // And the good one runs.
  runtime::AttentionProblem problem = good();
  EXPECT_FALSE(llvm::errorToBool((*kernel)->launch(problem)));
  EXPECT_FALSE(llvm::errorToBool(driver.synchronize()));
}

//===----------------------------------------------------------------------===//
// Compile times
//===----------------------------------------------------------------------===//

TEST(CompileTimeGPUTest, ColdAndCached) {
  REQUIRE_GPU();
  mlir::MLIRContext context;
  auto module = buildSpec(context, [](SpecBuilder &b) {
    b.setHeadDim(128).addCausal().setName("compile_time_probe");
  });
  JITOptions options;
  options.cacheDir.clear();
  auto cold = CompiledKernel::compile(*module, options);
  ASSERT_TRUE(bool(cold)) << llvm::toString(cold.takeError());
  auto cached = CompiledKernel::compile(*module, options);
  ASSERT_TRUE(bool(cached)) << llvm::toString(cached.takeError());
  std::printf("[ timing ] causal D128 bf16 %s (%s): cold %.1f ms, cached "
              "%.3f ms\n",
              (*cold)->getChip().str().c_str(),
              getBinaryFormatName((*cold)->getFormat()).str().c_str(),
              (*cold)->getCompileTimeMs(), (*cached)->getCompileTimeMs());
}

} // namespace
