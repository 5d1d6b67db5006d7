//===- ArgumentsTest.cpp - Argument roles, validation and errors ----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

#include <algorithm>
#include <chrono>
#include <cmath>

using namespace attn;
using namespace attn::reference;
using namespace attn::reference::testing;

namespace {

using ArgumentsTest = ReferenceTest;

/// ALiBi with document masking and sinks over dynamic shapes: most roles in
/// one spec.
const char *kAlibiDocumentSpec = R"mlir(
  func.func @f(%q: tensor<?x?x?x4xbf16>, %k: tensor<?x?x?x4xbf16>,
               %v: tensor<?x?x?x4xbf16>, %slopes: tensor<?xf32>,
               %ids: tensor<?x?xi32>, %z: tensor<?xf32> {attn.name = "sink"})
      -> tensor<?x?x?x4xbf16> {
    %s = attn.score %q, %k : tensor<?x?x?x4xbf16>, tensor<?x?x?x4xbf16>
    %a = attn.modify %s (%slopes : tensor<?xf32>) {
    ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index,
         %t: tensor<?xf32>):
      %m = tensor.extract %t[%h] : tensor<?xf32>
      %y = arith.subf %x, %m : f32
      attn.yield %y : f32
    }
    %m = attn.mask %a, #attn.and<[#attn.causal, #attn.document<input = 0>]>
        (%ids : tensor<?x?xi32>)
    %w = attn.normalize %m softmax sinks(%z : tensor<?xf32>)
    %o = attn.aggregate %w, %v : tensor<?x?x?x4xbf16> -> tensor<?x?x?x4xbf16>
    return %o : tensor<?x?x?x4xbf16>
  })mlir";

TEST_F(ArgumentsTest, DescribeNamesAndRoles) {
  mlir::func::FuncOp spec = parse(kAlibiDocumentSpec);
  ASSERT_TRUE(spec);
  llvm::Expected<std::vector<ArgumentInfo>> infos = describeArguments(spec);
  ASSERT_TRUE(static_cast<bool>(infos)) << llvm::toString(infos.takeError());
  ASSERT_EQ(infos->size(), 6u);
  std::vector<std::string> names, roles;
  for (const ArgumentInfo &info : *infos) {
    names.push_back(info.name);
    roles.push_back(info.role);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"q", "k", "v", "input0", "ids", "sink"}));
  EXPECT_EQ(roles, (std::vector<std::string>{"query", "key", "values",
                                             "modifier input", "document ids",
                                             "sink logits"}));
  EXPECT_EQ((*infos)[0].kind, ElementKind::BF16);
  EXPECT_EQ((*infos)[4].kind, ElementKind::I32);
  EXPECT_EQ((*infos)[0].shape, (std::vector<int64_t>{-1, -1, -1, 4}));
}

TEST_F(ArgumentsTest, DuplicateNamesGetSuffixes) {
  // Two value tensors (a hybrid spec): the second is "v_1".
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>, %v2: tensor<1x1x2x1xf32>)
        -> tensor<1x1x2x1xf32> {
      %s = attn.score %q, %k : tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32>
      %w = attn.normalize %s softmax
      %o1 = attn.aggregate %w, %v : tensor<1x1x2x1xf32> -> tensor<1x1x2x1xf32>
      %o2 = attn.aggregate %w, %v2 : tensor<1x1x2x1xf32> -> tensor<1x1x2x1xf32>
      %o = arith.subf %o1, %o2 : tensor<1x1x2x1xf32>
      return %o : tensor<1x1x2x1xf32>
    })mlir";
  mlir::func::FuncOp spec = parse(source);
  ASSERT_TRUE(spec);
  llvm::Expected<std::vector<ArgumentInfo>> infos = describeArguments(spec);
  ASSERT_TRUE(static_cast<bool>(infos)) << llvm::toString(infos.takeError());
  ASSERT_EQ(infos->size(), 4u);
  EXPECT_EQ((*infos)[3].name, "v_1");
  // And o1 - o2 = softmax-weighted (v - v2): here v - v2 = 1 everywhere.
  std::vector<HostTensor> r =
      run(source,
          {makeTensor({1, 1, 2, 1}, {1, 2}), makeTensor({1, 1, 2, 1}, {3, 4}),
           makeTensor({1, 1, 2, 1}, {5, 6}), makeTensor({1, 1, 2, 1}, {4, 5})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1.0, 1e-12);
  EXPECT_NEAR(r[0].data[1], 1.0, 1e-12);
}

TEST_F(ArgumentsTest, UnusedArgumentIsAnError) {
  mlir::func::FuncOp spec = parse(R"mlir(
    func.func @f(%q: tensor<1x1x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>, %extra: tensor<3xf32>)
        -> tensor<1x1x2x1xf32> {
      %s = attn.score %q, %k : tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32>
      %w = attn.normalize %s softmax
      %o = attn.aggregate %w, %v : tensor<1x1x2x1xf32> -> tensor<1x1x2x1xf32>
      return %o : tensor<1x1x2x1xf32>
    })mlir");
  ASSERT_TRUE(spec);
  llvm::Expected<std::vector<ArgumentInfo>> infos = describeArguments(spec);
  ASSERT_FALSE(static_cast<bool>(infos));
  EXPECT_NE(llvm::toString(infos.takeError()).find("argument 3"),
            std::string::npos);
}

TEST_F(ArgumentsTest, InferShapes) {
  mlir::func::FuncOp spec = parse(kAlibiDocumentSpec);
  ASSERT_TRUE(spec);
  ProblemSize size{2, 4, 2, 3, 5};
  llvm::Expected<std::vector<std::vector<int64_t>>> shapes =
      inferArgumentShapes(spec, size);
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  using S = std::vector<int64_t>;
  EXPECT_EQ(*shapes, (std::vector<S>{S{2, 4, 3, 4}, S{2, 2, 5, 4},
                                     S{2, 2, 5, 4}, S{4}, S{2, 5}, S{4}}));
}

TEST_F(ArgumentsTest, InferShapesBshdAndStaticConflicts) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<?x?x3x8xf16>, %k: tensor<?x?x?x8xf16>,
                 %v: tensor<?x?x?x16xf16>, %lg: tensor<?x?x?xf32>,
                 %s0: tensor<?x?x8x16xf32>)
        -> tensor<?x?x3x16xf16> {
      %s = attn.score %q, %k layout bshd : tensor<?x?x3x8xf16>, tensor<?x?x?x8xf16>
      %m = attn.mask %s, #attn.causal
      %d = attn.decay %m gated(%lg : tensor<?x?x?xf32>)
      %w = attn.normalize %d none
      %o = attn.aggregate %w, %v initial_state(%s0 : tensor<?x?x8x16xf32>)
          : tensor<?x?x?x16xf16> -> tensor<?x?x3x16xf16>
      return %o : tensor<?x?x3x16xf16>
    })mlir";
  mlir::func::FuncOp spec = parse(source);
  ASSERT_TRUE(spec);
  // bshd: q [B, Nq, H, D]; log-gates [B, Nk, Hq]; states [B, Hq, F, Dv].
  llvm::Expected<std::vector<std::vector<int64_t>>> shapes =
      inferArgumentShapes(spec, ProblemSize{1, 5, 5, 4, 4});
  ASSERT_FALSE(static_cast<bool>(shapes));
  EXPECT_NE(llvm::toString(shapes.takeError())
                .find("argument 'q' (query) has static extent 3 on axis 2 "
                      "(Hq) but the problem size gives 5"),
            std::string::npos);
  shapes = inferArgumentShapes(spec, ProblemSize{1, 3, 3, 4, 4});
  ASSERT_TRUE(static_cast<bool>(shapes)) << llvm::toString(shapes.takeError());
  using S = std::vector<int64_t>;
  EXPECT_EQ(*shapes,
            (std::vector<S>{S{1, 4, 3, 8}, S{1, 4, 3, 8}, S{1, 4, 3, 16},
                            S{1, 4, 3}, S{1, 3, 8, 16}}));
  // States need Nq = Nk.
  shapes = inferArgumentShapes(spec, ProblemSize{1, 3, 3, 4, 6});
  ASSERT_FALSE(static_cast<bool>(shapes));
  EXPECT_NE(llvm::toString(shapes.takeError()).find("Nq = Nk"),
            std::string::npos);
}

TEST_F(ArgumentsTest, RandomInputsSuitTheirRoles) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<?x?x?x4xbf16>, %k: tensor<?x?x?x4xbf16>,
                 %v: tensor<?x?x?x4xbf16>, %ids: tensor<?x?xi32>,
                 %l: tensor<1x?x?x?xi8>, %r: tensor<?xf32>)
        -> tensor<?x?x?x4xbf16> {
      %s = attn.score %q, %k : tensor<?x?x?x4xbf16>, tensor<?x?x?x4xbf16>
      %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>,
          #attn.block_sparse<input = 1, q_block = 4, k_block = 8>]>
          (%ids, %l : tensor<?x?xi32>, tensor<1x?x?x?xi8>)
      %d = attn.decay %m exponential(%r : tensor<?xf32>)
      %w = attn.normalize %d softmax
      %o = attn.aggregate %w, %v : tensor<?x?x?x4xbf16> -> tensor<?x?x?x4xbf16>
      return %o : tensor<?x?x?x4xbf16>
    })mlir";
  mlir::func::FuncOp spec = parse(source);
  ASSERT_TRUE(spec);
  ProblemSize size{2, 2, 1, 13, 29};
  llvm::Expected<std::vector<HostTensor>> inputs =
      makeRandomInputs(spec, size, 42);
  ASSERT_TRUE(static_cast<bool>(inputs)) << llvm::toString(inputs.takeError());
  ASSERT_EQ(inputs->size(), 6u);
  const HostTensor &q = (*inputs)[0];
  EXPECT_EQ(q.shape, (std::vector<int64_t>{2, 2, 13, 4}));
  EXPECT_EQ(q.kind, ElementKind::BF16);
  for (double x : q.data)
    EXPECT_EQ(x, roundToBF16(x));
  EXPECT_TRUE(std::any_of(q.data.begin(), q.data.end(),
                          [](double x) { return x != 0.0; }));
  // Sorted document ids in [0, 4) per batch row.
  const HostTensor &ids = (*inputs)[3];
  EXPECT_EQ(ids.shape, (std::vector<int64_t>{2, 29}));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t j = 0; j < 29; ++j) {
      EXPECT_GE(ids.at({b, j}), 0);
      EXPECT_LT(ids.at({b, j}), 4);
      if (j > 0) {
        EXPECT_LE(ids.at({b, j - 1}), ids.at({b, j}));
      }
    }
  // Block layout [1, Hq, ceil(13/4), ceil(29/8)] keeping each row's own
  // key block (row i at p = i + 16).
  const HostTensor &layout = (*inputs)[4];
  EXPECT_EQ(layout.shape, (std::vector<int64_t>{1, 2, 4, 4}));
  for (int64_t h = 0; h < 2; ++h)
    for (int64_t i = 0; i < 13; ++i)
      EXPECT_EQ(layout.at({0, h, i / 4, (i + 16) / 8}), 1.0);
  for (double rate : (*inputs)[5].data) {
    EXPECT_GT(rate, 0.8);
    EXPECT_LT(rate, 1.0);
  }
  // Deterministic per seed, different across seeds.
  llvm::Expected<std::vector<HostTensor>> again =
      makeRandomInputs(spec, size, 42);
  ASSERT_TRUE(static_cast<bool>(again));
  EXPECT_EQ((*again)[0].data, q.data);
  llvm::Expected<std::vector<HostTensor>> other =
      makeRandomInputs(spec, size, 43);
  ASSERT_TRUE(static_cast<bool>(other));
  EXPECT_NE((*other)[0].data, q.data);
  // Every row sees its own position, so the output is finite and defined.
  llvm::Expected<std::vector<HostTensor>> out = evaluate(spec, *inputs);
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  for (double x : (*out)[0].data)
    EXPECT_TRUE(std::isfinite(x));
}

TEST_F(ArgumentsTest, RandomModifierInputNeedsInferableShape) {
  // The table is indexed by i - j: its extent cannot be inferred.
  mlir::func::FuncOp spec = parse(R"mlir(
    func.func @f(%q: tensor<1x1x?x1xf32>, %k: tensor<1x1x?x1xf32>,
                 %v: tensor<1x1x?x1xf32>, %t: tensor<?xf32>)
        -> tensor<1x1x?x1xf32> {
      %s = attn.score %q, %k : tensor<1x1x?x1xf32>, tensor<1x1x?x1xf32>
      %a = attn.modify %s (%t : tensor<?xf32>) {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index,
           %tt: tensor<?xf32>):
        %d = arith.subi %i, %j : index
        %y = tensor.extract %tt[%d] : tensor<?xf32>
        attn.yield %y : f32
      }
      %w = attn.normalize %a softmax
      %o = attn.aggregate %w, %v : tensor<1x1x?x1xf32> -> tensor<1x1x?x1xf32>
      return %o : tensor<1x1x?x1xf32>
    })mlir");
  ASSERT_TRUE(spec);
  llvm::Expected<std::vector<HostTensor>> inputs =
      makeRandomInputs(spec, ProblemSize{1, 1, 1, 4, 4}, 1);
  ASSERT_FALSE(static_cast<bool>(inputs));
  std::string message = llvm::toString(inputs.takeError());
  EXPECT_NE(message.find("argument 'input0'"), std::string::npos) << message;
  EXPECT_NE(message.find("static extent"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Validation of evaluate's arguments
//===----------------------------------------------------------------------===//

const char *kGqaSpec = R"mlir(
  func.func @f(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>,
               %v: tensor<?x?x?x64xf32>) -> tensor<?x?x?x64xf32> {
    %s = attn.score %q, %k : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>
    %w = attn.normalize %s softmax
    %o = attn.aggregate %w, %v : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>
    return %o : tensor<?x?x?x64xf32>
  })mlir";

TEST_F(ArgumentsTest, WrongShapeNamesArgumentAndExpectation) {
  std::string message =
      runError(kGqaSpec, {HostTensor(ElementKind::F32, {1, 2, 17, 64}),
                          HostTensor(ElementKind::F32, {1, 1, 17, 64}),
                          HostTensor(ElementKind::F32, {1, 2, 17, 64})});
  EXPECT_EQ(message, "argument 'v' (values) has shape [1, 2, 17, 64] but the "
                     "spec expects [1, 1, 17, 64] ([B, Hkv, Nk, Dv])");
  message = runError(kGqaSpec, {HostTensor(ElementKind::F32, {1, 2, 17, 32}),
                                HostTensor(ElementKind::F32, {1, 1, 17, 64}),
                                HostTensor(ElementKind::F32, {1, 1, 17, 64})});
  EXPECT_NE(message.find("argument 'q' (query) has shape [1, 2, 17, 32] but "
                         "the spec expects [1, 2, 17, 64] ([B, Hq, Nq, Dk])"),
            std::string::npos)
      << message;
}

TEST_F(ArgumentsTest, GqaDivisibility) {
  std::string message =
      runError(kGqaSpec, {HostTensor(ElementKind::F32, {1, 4, 5, 64}),
                          HostTensor(ElementKind::F32, {1, 3, 5, 64}),
                          HostTensor(ElementKind::F32, {1, 3, 5, 64})});
  EXPECT_NE(message.find("Hq = 4 query heads and Hkv = 3 key/value heads "
                         "(from the query and key arguments): Hq must be a "
                         "multiple of Hkv"),
            std::string::npos)
      << message;
}

TEST_F(ArgumentsTest, WrongCountAndRank) {
  std::string message =
      runError(kGqaSpec, {HostTensor(ElementKind::F32, {1, 1, 5, 64}),
                          HostTensor(ElementKind::F32, {1, 1, 5, 64})});
  EXPECT_EQ(message, "the spec takes 3 arguments (q, k, v) but 2 were given");
  message = runError(kGqaSpec, {HostTensor(ElementKind::F32, {1, 5, 64}),
                                HostTensor(ElementKind::F32, {1, 1, 5, 64}),
                                HostTensor(ElementKind::F32, {1, 1, 5, 64})});
  EXPECT_NE(message.find("argument 'q' (query) has rank 3"), std::string::npos)
      << message;
}

TEST_F(ArgumentsTest, WrongElementFamily) {
  std::vector<HostTensor> args = {HostTensor(ElementKind::BF16, {1, 2, 3, 4}),
                                  HostTensor(ElementKind::BF16, {1, 1, 3, 4}),
                                  HostTensor(ElementKind::BF16, {1, 1, 3, 4}),
                                  HostTensor(ElementKind::F32, {2}),
                                  HostTensor(ElementKind::F32, {1, 3}),
                                  HostTensor(ElementKind::F32, {2})};
  std::string message = runError(kAlibiDocumentSpec, args);
  EXPECT_EQ(message, "argument 'ids' (document ids) has element type f32 but "
                     "the spec expects an integer tensor (i32)");
  // Integers for q.
  args[0].kind = ElementKind::I32;
  message = runError(kAlibiDocumentSpec, args);
  EXPECT_NE(message.find("argument 'q' (query) has element type i32 but the "
                         "spec expects a floating-point tensor (bf16)"),
            std::string::npos)
      << message;
}

TEST_F(ArgumentsTest, PerHeadAndPerTokenShapes) {
  std::vector<HostTensor> args = {HostTensor(ElementKind::F32, {1, 2, 3, 4}),
                                  HostTensor(ElementKind::F32, {1, 1, 3, 4}),
                                  HostTensor(ElementKind::F32, {1, 1, 3, 4}),
                                  HostTensor(ElementKind::F32, {2}),
                                  HostTensor(ElementKind::I32, {1, 3}),
                                  HostTensor(ElementKind::F32, {3})};
  EXPECT_EQ(runError(kAlibiDocumentSpec, args),
            "argument 'sink' (sink logits) has shape [3] but the spec expects "
            "[2] ([Hq])");
  args[5] = HostTensor(ElementKind::F32, {2});
  args[4] = HostTensor(ElementKind::I32, {1, 4});
  EXPECT_EQ(runError(kAlibiDocumentSpec, args),
            "argument 'ids' (document ids) has shape [1, 4] but the spec "
            "expects [1, 3] ([B, Nk])");
}

TEST_F(ArgumentsTest, RateCountMustMatchHeads) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x?x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>) -> tensor<1x?x2x1xf32> {
      %s = attn.score %q, %k : tensor<1x?x2x1xf32>, tensor<1x1x2x1xf32>
      %d = attn.decay %s exponential rates [0.5, 0.25]
      %w = attn.normalize %d none
      %o = attn.aggregate %w, %v : tensor<1x1x2x1xf32> -> tensor<1x?x2x1xf32>
      return %o : tensor<1x?x2x1xf32>
    })mlir";
  std::string message = runError(source, args1d({1, 2}, {1, 2}, {1, 2}));
  EXPECT_NE(message.find("exponential decay has 2 rates but Hq = 1 (from "
                         "the query and key arguments)"),
            std::string::npos)
      << message;
}

//===----------------------------------------------------------------------===//
// Region errors
//===----------------------------------------------------------------------===//

TEST_F(ArgumentsTest, ExtractOutOfBounds) {
  // slopes[h + 1] reads past a two-element table for h = 1.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x2x1x1xf32>, %k: tensor<1x1x1x1xf32>,
                 %v: tensor<1x1x1x1xf32>, %sl: tensor<2xf32>)
        -> tensor<1x2x1x1xf32> {
      %s = attn.score %q, %k : tensor<1x2x1x1xf32>, tensor<1x1x1x1xf32>
      %a = attn.modify %s (%sl : tensor<2xf32>) {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index,
           %t: tensor<2xf32>):
        %one = arith.constant 1 : index
        %h1 = arith.addi %h, %one : index
        %m = tensor.extract %t[%h1] : tensor<2xf32> loc("alibi.mlir":7:9)
        %y = arith.addf %x, %m : f32
        attn.yield %y : f32
      }
      %w = attn.normalize %a softmax
      %o = attn.aggregate %w, %v : tensor<1x1x1x1xf32> -> tensor<1x2x1x1xf32>
      return %o : tensor<1x2x1x1xf32>
    })mlir";
  std::string message = runError(
      source, {makeTensor({1, 2, 1, 1}, {1, 2}), makeTensor({1, 1, 1, 1}, {1}),
               makeTensor({1, 1, 1, 1}, {1}), makeTensor({2}, {0.5, 0.25})});
  EXPECT_EQ(message, "tensor.extract at loc(\"alibi.mlir\":7:9) reads index "
                     "[2], out of bounds of its tensor of shape [2]");
}

TEST_F(ArgumentsTest, UnsupportedRegionOp) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x1x1xf32>,
                 %v: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
      %s = attn.score %q, %k : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>
      %a = attn.modify %s {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %c = arith.constant 3 : i32
        %z = math.ctlz %c : i32
        %f = arith.sitofp %z : i32 to f32
        %y = arith.addf %x, %f : f32
        attn.yield %y : f32
      }
      %w = attn.normalize %a softmax
      %o = attn.aggregate %w, %v : tensor<1x1x1x1xf32> -> tensor<1x1x1x1xf32>
      return %o : tensor<1x1x1x1xf32>
    })mlir";
  std::string message = runError(source, {makeTensor({1, 1, 1, 1}, {1}),
                                          makeTensor({1, 1, 1, 1}, {1}),
                                          makeTensor({1, 1, 1, 1}, {1})});
  EXPECT_NE(message.find("cannot evaluate 'math.ctlz'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("attn.modify"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Speed
//===----------------------------------------------------------------------===//

TEST_F(ArgumentsTest, LargeProblemRunsQuickly) {
  // B = 1, H = 2, N = 1000, D = 128: the size the GPU tests compare at.
  mlir::func::FuncOp spec = parse(R"mlir(
    func.func @f(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                 %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
      %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax
      %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
      return %o : tensor<?x?x?x128xbf16>
    })mlir");
  ASSERT_TRUE(spec);
  ProblemSize size{1, 2, 2, 1000, 1000};
  llvm::Expected<std::vector<HostTensor>> inputs =
      makeRandomInputs(spec, size, 3);
  ASSERT_TRUE(static_cast<bool>(inputs));
  auto start = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<HostTensor>> out = evaluate(spec, *inputs);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  // Generous: a Release build takes well under a second.
  EXPECT_LT(seconds, 30.0);
  std::printf("reference: B=1 H=2 N=1000 D=128 causal softmax in %.2f s\n",
              seconds);
}

TEST_F(ArgumentsTest, LargeGatedLinearProblemRunsQuickly) {
  // GLA-like: elu+1 features, per-channel gate, states; B=1 H=2 N=1000 D=64.
  mlir::func::FuncOp spec = parse(R"mlir(
    func.func @f(%q: tensor<?x?x?x64xf32>, %k: tensor<?x?x?x64xf32>,
                 %v: tensor<?x?x?x64xf32>, %g: tensor<?x?x?x64xf32>,
                 %s0: tensor<?x?x64x64xf32>)
        -> (tensor<?x?x?x64xf32>, tensor<?x?x64x64xf32>) {
      %s = attn.score %q, %k feature_map elu_plus_one
          gate(%g : tensor<?x?x?x64xf32>)
          : tensor<?x?x?x64xf32>, tensor<?x?x?x64xf32>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m none
      %o, %sN = attn.aggregate %w, %v initial_state(%s0 : tensor<?x?x64x64xf32>)
          : tensor<?x?x?x64xf32> -> tensor<?x?x?x64xf32>, state tensor<?x?x64x64xf32>
      return %o, %sN : tensor<?x?x?x64xf32>, tensor<?x?x64x64xf32>
    })mlir");
  ASSERT_TRUE(spec);
  llvm::Expected<std::vector<HostTensor>> inputs =
      makeRandomInputs(spec, ProblemSize{1, 2, 2, 1000, 1000}, 5);
  ASSERT_TRUE(static_cast<bool>(inputs)) << llvm::toString(inputs.takeError());
  auto start = std::chrono::steady_clock::now();
  llvm::Expected<std::vector<HostTensor>> out = evaluate(spec, *inputs);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  EXPECT_LT(seconds, 60.0);
  std::printf("reference: B=1 H=2 N=1000 D=64 gated linear in %.2f s\n",
              seconds);
}

} // namespace
