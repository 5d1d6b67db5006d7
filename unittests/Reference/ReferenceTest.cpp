//===- ReferenceTest.cpp - The reference against hand-derived numbers -----===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Tiny problems (one batch, one or a few heads, 1 to 3 positions, head dims
// 1 or 2) whose expected outputs are written out from the formulas of
// docs/semantics.md, never computed by the reference itself.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

#include <cmath>
#include <limits>

using namespace attn;
using namespace attn::reference;
using namespace attn::reference::testing;

namespace {

constexpr double kTol = 1e-12;
const double e = std::exp(1.0);

/// A spec over q [1,1,NQ,1], k and v [1,1,NK,1] with `ops` between the score
/// (%s) and the aggregate, which reads %w; `scoreAttrs` follow the score's
/// operands; the output (and `extraResults`) are returned.
std::string spec1d(int nq, int nk, const std::string &ops,
                   const std::string &scoreAttrs = "scale 1.0",
                   const std::string &extraArgs = "") {
  std::string source = R"mlir(
    func.func @f(%q: tensor<1x1x@NQ@x1xf32>, %k: tensor<1x1x@NK@x1xf32>,
                 %v: tensor<1x1x@NK@x1xf32>@EXTRA@) -> tensor<1x1x@NQ@x1xf32> {
      %s = attn.score %q, %k @ATTRS@ : tensor<1x1x@NQ@x1xf32>, tensor<1x1x@NK@x1xf32>
      @OPS@
      %o = attn.aggregate %w, %v : tensor<1x1x@NK@x1xf32> -> tensor<1x1x@NQ@x1xf32>
      return %o : tensor<1x1x@NQ@x1xf32>
    })mlir";
  source = substitute(source, "@NQ@", std::to_string(nq));
  source = substitute(source, "@NK@", std::to_string(nk));
  source = substitute(source, "@ATTRS@", scoreAttrs);
  source = substitute(source, "@EXTRA@", extraArgs);
  return substitute(source, "@OPS@", ops);
}

using ReferenceEvalTest = ReferenceTest;

//===----------------------------------------------------------------------===//
// Softmax and its variants
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvalTest, SoftmaxDenseWithLse) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>)
        -> (tensor<1x1x2x1xf32>, tensor<1x1x2xf32>) {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32>
      %w = attn.normalize %s softmax
      %o, %lse = attn.aggregate %w, %v : tensor<1x1x2x1xf32>
          -> tensor<1x1x2x1xf32>, lse tensor<1x1x2xf32>
      return %o, %lse : tensor<1x1x2x1xf32>, tensor<1x1x2xf32>
    })mlir";
  std::vector<HostTensor> r = run(source, args1d({1, 2}, {0.5, -1}, {3, 5}));
  ASSERT_EQ(r.size(), 2u);
  // Row 0: s = [0.5, -1]; row 1: s = [1, -2].
  double w00 = std::exp(0.5) / (std::exp(0.5) + std::exp(-1.0));
  double w10 = std::exp(1.0) / (std::exp(1.0) + std::exp(-2.0));
  EXPECT_NEAR(r[0].data[0], w00 * 3 + (1 - w00) * 5, kTol);
  EXPECT_NEAR(r[0].data[1], w10 * 3 + (1 - w10) * 5, kTol);
  EXPECT_NEAR(r[1].data[0], std::log(std::exp(0.5) + std::exp(-1.0)), kTol);
  EXPECT_NEAR(r[1].data[1], std::log(std::exp(1.0) + std::exp(-2.0)), kTol);
  EXPECT_EQ(r[0].kind, ElementKind::F64);
  EXPECT_EQ(r[1].shape, (std::vector<int64_t>{1, 1, 2}));
}

TEST_F(ReferenceEvalTest, SoftmaxIsStableForLargeScores) {
  // s = [1000, 999]: a naive exp overflows; w0 = 1 / (1 + e^-1).
  std::vector<HostTensor> r =
      run(spec1d(1, 2, "%w = attn.normalize %s softmax"),
          args1d({100}, {10, 9.99}, {1, 0}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1.0 / (1.0 + std::exp(-0.1 * 10)), 1e-9);
}

TEST_F(ReferenceEvalTest, DefaultScaleIsRsqrtDk) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x1x2xf32>, %k: tensor<1x1x2x2xf32>,
                 %v: tensor<1x1x2x2xf32>) -> tensor<1x1x1x2xf32> {
      %s = attn.score %q, %k : tensor<1x1x1x2xf32>, tensor<1x1x2x2xf32>
      %w = attn.normalize %s softmax
      %o = attn.aggregate %w, %v : tensor<1x1x2x2xf32> -> tensor<1x1x1x2xf32>
      return %o : tensor<1x1x1x2xf32>
    })mlir";
  std::vector<HostTensor> r =
      run(source, {makeTensor({1, 1, 1, 2}, {1, 2}),
                   makeTensor({1, 1, 2, 2}, {3, -1, 0.5, 0.5}),
                   makeTensor({1, 1, 2, 2}, {1, 0, 0, 1})});
  ASSERT_EQ(r.size(), 1u);
  // s0 = (3 - 2)/sqrt(2), s1 = (0.5 + 1)/sqrt(2); o = [w0, w1].
  double s0 = 1 / std::sqrt(2.0), s1 = 1.5 / std::sqrt(2.0);
  double w0 = std::exp(s0) / (std::exp(s0) + std::exp(s1));
  EXPECT_NEAR(r[0].data[0], w0, kTol);
  EXPECT_NEAR(r[0].data[1], 1 - w0, kTol);
}

TEST_F(ReferenceEvalTest, CausalSoftmaxBottomRightAligned) {
  // Nq = 2 < Nk = 3: rows sit at p = 1 and p = 2.
  std::vector<HostTensor> r = run(spec1d(2, 3,
                                         "%m = attn.mask %s, #attn.causal\n"
                                         "%w = attn.normalize %m softmax"),
                                  args1d({1, -1}, {1, 2, 3}, {1, 10, 100}));
  ASSERT_EQ(r.size(), 1u);
  // Row 0 sees keys 0, 1 with s = [1, 2].
  EXPECT_NEAR(r[0].data[0], (e * 1 + e * e * 10) / (e + e * e), kTol);
  // Row 1 sees all three with s = [-1, -2, -3].
  double a = std::exp(-1.0), b = std::exp(-2.0), c = std::exp(-3.0);
  EXPECT_NEAR(r[0].data[1], (a + 10 * b + 100 * c) / (a + b + c), kTol);
}

TEST_F(ReferenceEvalTest, FullyMaskedRowIsZeroWithLseMinusInf) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x3x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>)
        -> (tensor<1x1x3x1xf32>, tensor<1x1x3xf32>) {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x3x1xf32>, tensor<1x1x2x1xf32>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax
      %o, %lse = attn.aggregate %w, %v : tensor<1x1x2x1xf32>
          -> tensor<1x1x3x1xf32>, lse tensor<1x1x3xf32>
      return %o, %lse : tensor<1x1x3x1xf32>, tensor<1x1x3xf32>
    })mlir";
  std::vector<HostTensor> r = run(source, args1d({1, 1, 1}, {1, 2}, {1, 10}));
  ASSERT_EQ(r.size(), 2u);
  // Nq = 3 > Nk = 2: row 0 sits at p = -1 and sees nothing.
  EXPECT_EQ(r[0].data[0], 0.0);
  EXPECT_EQ(r[1].data[0], -std::numeric_limits<double>::infinity());
  // Row 1 (p = 0) sees key 0 only: o = v0, lse = s = 1.
  EXPECT_NEAR(r[0].data[1], 1.0, kTol);
  EXPECT_NEAR(r[1].data[1], 1.0, kTol);
  EXPECT_NEAR(r[0].data[2], (e + e * e * 10) / (e + e * e), kTol);
  EXPECT_NEAR(r[1].data[2], std::log(e + e * e), kTol);
}

TEST_F(ReferenceEvalTest, SoftmaxWithSinks) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>, %z: tensor<1xf32>)
        -> (tensor<1x1x2x1xf32>, tensor<1x1x2xf32>) {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32>
      %m = attn.mask %s, #attn.window<0, 1>
      %w = attn.normalize %m softmax sinks(%z : tensor<1xf32>)
      %o, %lse = attn.aggregate %w, %v : tensor<1x1x2x1xf32>
          -> tensor<1x1x2x1xf32>, lse tensor<1x1x2xf32>
      return %o, %lse : tensor<1x1x2x1xf32>, tensor<1x1x2xf32>
    })mlir";
  std::vector<HostTensor> args = args1d({1, -3}, {1, 2}, {1, 10});
  args.push_back(makeTensor({1}, {0.5}));
  std::vector<HostTensor> r = run(source, args);
  ASSERT_EQ(r.size(), 2u);
  // Row 0 (p = 0) sees keys 0, 1 with s = [1, 2]; the sink adds e^0.5 to
  // the denominator only.
  double z = std::exp(0.5);
  EXPECT_NEAR(r[0].data[0], (e + 10 * e * e) / (e + e * e + z), kTol);
  EXPECT_NEAR(r[1].data[0], std::log(e + e * e + z), kTol);
  // Row 1 (p = 1) sees key 1 only, s = -6.
  double a = std::exp(-6.0);
  EXPECT_NEAR(r[0].data[1], 10 * a / (a + z), kTol);
  EXPECT_NEAR(r[1].data[1], std::log(a + z), kTol);
}

TEST_F(ReferenceEvalTest, SinksOnFullyMaskedRow) {
  // Nq = 2 > Nk = 1 with causal: row 0 (p = -1) sees nothing, but its
  // denominator is e^z: o = 0 and lse = z.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x2x1xf32>, %k: tensor<1x1x1x1xf32>,
                 %v: tensor<1x1x1x1xf32>, %z: tensor<?xf32>)
        -> (tensor<1x1x2x1xf32>, tensor<1x1x2xf32>) {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x2x1xf32>, tensor<1x1x1x1xf32>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax sinks(%z : tensor<?xf32>)
      %o, %lse = attn.aggregate %w, %v : tensor<1x1x1x1xf32>
          -> tensor<1x1x2x1xf32>, lse tensor<1x1x2xf32>
      return %o, %lse : tensor<1x1x2x1xf32>, tensor<1x1x2xf32>
    })mlir";
  std::vector<HostTensor> args = args1d({1, 2}, {1}, {4});
  args.push_back(makeTensor({1}, {-0.25}));
  std::vector<HostTensor> r = run(source, args);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].data[0], 0.0);
  EXPECT_NEAR(r[1].data[0], -0.25, kTol);
  double s = 2.0, z = std::exp(-0.25);
  EXPECT_NEAR(r[0].data[1], 4 * std::exp(s) / (std::exp(s) + z), kTol);
}

//===----------------------------------------------------------------------===//
// Other normalisations
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvalTest, SigmoidWithBias) {
  // s = [1, -2]; w = sigmoid(s - 1).
  std::vector<HostTensor> r =
      run(spec1d(1, 2, "%w = attn.normalize %s sigmoid bias -1.0"),
          args1d({1}, {1, -2}, {1, 10}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 0.5 * 1 + 10 / (1 + std::exp(3.0)), kTol);
}

TEST_F(ReferenceEvalTest, SoftplusL1WithPower) {
  // s = [1, -2]; u = log(1 + e^s)^2; w = u / sum u.
  std::vector<HostTensor> r =
      run(spec1d(1, 2, "%w = attn.normalize %s softplus_l1 power 2.0"),
          args1d({1}, {1, -2}, {1, 10}));
  ASSERT_EQ(r.size(), 1u);
  double u0 = std::pow(std::log(1 + e), 2),
         u1 = std::pow(std::log(1 + std::exp(-2.0)), 2);
  EXPECT_NEAR(r[0].data[0], (u0 * 1 + u1 * 10) / (u0 + u1), kTol);
}

TEST_F(ReferenceEvalTest, ReluRelu2NoneSum) {
  std::vector<HostTensor> args = args1d({1}, {0.5, -2}, {1, 10});
  // s = [0.5, -2].
  auto out = [&](const char *normalize) {
    std::vector<HostTensor> r = run(
        spec1d(1, 2, std::string("%w = attn.normalize %s ") + normalize), args);
    return r.size() == 1 ? r[0].data[0] : NAN;
  };
  EXPECT_NEAR(out("relu"), 0.5 * 1, kTol);
  EXPECT_NEAR(out("relu2"), 0.25 * 1, kTol);
  EXPECT_NEAR(out("none"), 0.5 * 1 - 2 * 10, kTol);
  EXPECT_NEAR(out("sum"), (0.5 * 1 - 2 * 10) / (0.5 - 2), kTol);
}

TEST_F(ReferenceEvalTest, SumWithZeroDenominatorGivesZero) {
  // s = [1, -1] sums to exactly 0: the row's weights are 0, never NaN.
  std::vector<HostTensor> r = run(spec1d(1, 2, "%w = attn.normalize %s sum"),
                                  args1d({1}, {1, -1}, {1, 10}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].data[0], 0.0);
}

//===----------------------------------------------------------------------===//
// Feature maps: one key, v = 1, normalize none, so o = s = <phi(q), phi(k)>.
//===----------------------------------------------------------------------===//

class FeatureMapTest : public ReferenceTest {
protected:
  /// s for q = [0.5, -1], k = [2, -0.5] under `featureMap` (scale 1).
  double score(const std::string &featureMap) {
    std::string source = R"mlir(
      func.func @f(%q: tensor<1x1x1x2xf32>, %k: tensor<1x1x1x2xf32>,
                   %v: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
        %s = attn.score %q, %k scale 1.0 feature_map @FM@
            : tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>
        %w = attn.normalize %s none
        %o = attn.aggregate %w, %v : tensor<1x1x1x1xf32> -> tensor<1x1x1x1xf32>
        return %o : tensor<1x1x1x1xf32>
      })mlir";
    std::vector<HostTensor> r = run(substitute(source, "@FM@", featureMap),
                                    {makeTensor({1, 1, 1, 2}, {0.5, -1}),
                                     makeTensor({1, 1, 1, 2}, {2, -0.5}),
                                     makeTensor({1, 1, 1, 1}, {1})});
    return r.size() == 1 ? r[0].data[0] : NAN;
  }
};

TEST_F(FeatureMapTest, Pointwise) {
  EXPECT_NEAR(score("identity"), 0.5 * 2 + (-1) * (-0.5), kTol);
  // elu+1: phi(q) = [1.5, e^-1], phi(k) = [3, e^-0.5].
  EXPECT_NEAR(score("elu_plus_one"), 1.5 * 3 + std::exp(-1.5), kTol);
  // relu: [0.5, 0] . [2, 0].
  EXPECT_NEAR(score("relu"), 1.0, kTol);
  EXPECT_NEAR(score("exp"), std::exp(2.5) + std::exp(-1.5), kTol);
  // l2norm: q.k / (|q| |k|).
  EXPECT_NEAR(score("l2norm"), 1.5 / (std::sqrt(1.25) * std::sqrt(4.25)), kTol);
}

TEST_F(FeatureMapTest, Taylor2ClosedForm) {
  // <phi(q), phi(k)> = 1 + t + t^2/2 with t = q.k / sqrt(Dk).
  double t = 1.5 / std::sqrt(2.0);
  EXPECT_NEAR(score("taylor2"), 1 + t + t * t / 2, kTol);
}

TEST_F(ReferenceEvalTest, Taylor2ExplicitFeatures) {
  // With a per-channel gate of zeros the features are formed explicitly
  // (F = 1 + 2 + 4 = 7); the identity 1 + t + t^2/2 must still hold.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x1x2xf32>, %k: tensor<1x1x1x2xf32>,
                 %v: tensor<1x1x1x1xf32>, %g: tensor<1x1x1x7xf32>)
        -> tensor<1x1x1x1xf32> {
      %s = attn.score %q, %k scale 1.0 feature_map taylor2
          gate(%g : tensor<1x1x1x7xf32>)
          : tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>
      %w = attn.normalize %s none
      %o = attn.aggregate %w, %v : tensor<1x1x1x1xf32> -> tensor<1x1x1x1xf32>
      return %o : tensor<1x1x1x1xf32>
    })mlir";
  std::vector<HostTensor> r =
      run(source,
          {makeTensor({1, 1, 1, 2}, {0.5, -1}),
           makeTensor({1, 1, 1, 2}, {2, -0.5}), makeTensor({1, 1, 1, 1}, {1}),
           makeTensor({1, 1, 1, 7}, std::vector<double>(7, 0.0))});
  ASSERT_EQ(r.size(), 1u);
  double t = 1.5 / std::sqrt(2.0);
  EXPECT_NEAR(r[0].data[0], 1 + t + t * t / 2, kTol);
}

TEST_F(ReferenceEvalTest, Hedgehog) {
  // Dk = 1, F' = 2: phi(x) = [softmax(x W), softmax(-x W)].
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x1x1xf32>,
                 %v: tensor<1x1x1x1xf32>, %wq: tensor<1x1x2xf32>,
                 %wk: tensor<1x1x2xf32>) -> tensor<1x1x1x1xf32> {
      %s = attn.score %q, %k scale 1.0 feature_map hedgehog
          weights(%wq, %wk : tensor<1x1x2xf32>, tensor<1x1x2xf32>)
          : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>
      %w = attn.normalize %s none
      %o = attn.aggregate %w, %v : tensor<1x1x1x1xf32> -> tensor<1x1x1x1xf32>
      return %o : tensor<1x1x1x1xf32>
    })mlir";
  std::vector<HostTensor> r = run(
      source, {makeTensor({1, 1, 1, 1}, {0.5}), makeTensor({1, 1, 1, 1}, {2}),
               makeTensor({1, 1, 1, 1}, {1}), makeTensor({1, 1, 2}, {1, -1}),
               makeTensor({1, 1, 2}, {0.5, 2})});
  ASSERT_EQ(r.size(), 1u);
  // q W = [0.5, -0.5]; k W = [1, 4].
  double nq = std::exp(0.5) + std::exp(-0.5);
  double phiQ[4] = {std::exp(0.5) / nq, std::exp(-0.5) / nq,
                    std::exp(-0.5) / nq, std::exp(0.5) / nq};
  double nk = std::exp(1.0) + std::exp(4.0),
         nk2 = std::exp(-1.0) + std::exp(-4.0);
  double phiK[4] = {std::exp(1.0) / nk, std::exp(4.0) / nk,
                    std::exp(-1.0) / nk2, std::exp(-4.0) / nk2};
  double expected = 0;
  for (int d = 0; d < 4; ++d)
    expected += phiQ[d] * phiK[d];
  EXPECT_NEAR(r[0].data[0], expected, kTol);
}

//===----------------------------------------------------------------------===//
// Modifiers
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvalTest, ModifierReadsInputAlibi) {
  // s' = s - slope[h] * (p - j), causal softmax; q = k = 1 so s = 1.
  std::string ops = R"mlir(
      %a = attn.modify %s (%sl : tensor<?xf32>) {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index,
           %t: tensor<?xf32>):
        %slope = tensor.extract %t[%h] : tensor<?xf32>
        %d = arith.subi %i, %j : index
        %di = arith.index_cast %d : index to i64
        %df = arith.sitofp %di : i64 to f32
        %pen = arith.mulf %slope, %df : f32
        %y = arith.subf %x, %pen : f32
        attn.yield %y : f32
      }
      %m = attn.mask %a, #attn.causal
      %w = attn.normalize %m softmax)mlir";
  std::vector<HostTensor> args = args1d({1, 1}, {1, 1}, {1, 10});
  args.push_back(makeTensor({1}, {0.75}));
  std::vector<HostTensor> r =
      run(spec1d(2, 2, ops, "scale 1.0", ", %sl: tensor<?xf32>"), args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1.0, kTol);
  // Row 1: s' = [1 - 0.75, 1].
  double a = std::exp(0.25);
  EXPECT_NEAR(r[0].data[1], (a * 1 + e * 10) / (a + e), kTol);
}

TEST_F(ReferenceEvalTest, ModifiersComposeInOrder) {
  // softcap 2 tanh(s / 2), then + 1.
  std::string ops = R"mlir(
      %a = attn.modify %s {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %c = arith.constant 2.0 : f32
        %d = arith.divf %x, %c : f32
        %t = math.tanh %d : f32
        %y = arith.mulf %t, %c : f32
        attn.yield %y : f32
      }
      %a2 = attn.modify %a {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %one = arith.constant 1.0 : f32
        %y = arith.addf %x, %one : f32
        attn.yield %y : f32
      }
      %w = attn.normalize %a2 none)mlir";
  std::vector<HostTensor> r = run(spec1d(1, 1, ops), args1d({3}, {1}, {1}));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 2 * std::tanh(1.5) + 1, kTol);
}

TEST_F(ReferenceEvalTest, ModifierIntegerAndMathOps) {
  // y = select(j floordiv 2 == 0, exp2(s), max(s, 0.5)) + fma(s, s, 1).
  std::string ops = R"mlir(
      %a = attn.modify %s {
      ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
        %c2 = arith.constant 2 : index
        %c0 = arith.constant 0 : index
        %half_j = arith.floordivsi %j, %c2 : index
        %first = arith.cmpi eq, %half_j, %c0 : index
        %e2 = math.exp2 %x : f32
        %half = arith.constant 0.5 : f32
        %mx = arith.maximumf %x, %half : f32
        %sel = arith.select %first, %e2, %mx : f32
        %one = arith.constant 1.0 : f32
        %f = math.fma %x, %x, %one : f32
        %y = arith.addf %sel, %f : f32
        attn.yield %y : f32
      }
      %w = attn.normalize %a none)mlir";
  // s = [0.25, -1, 3], v = [1, 10, 100]: keys 0, 1 take exp2, key 2 max.
  std::vector<HostTensor> r =
      run(spec1d(1, 3, ops), args1d({1}, {0.25, -1, 3}, {1, 10, 100}));
  ASSERT_EQ(r.size(), 1u);
  double expected = (std::exp2(0.25) + 0.25 * 0.25 + 1) * 1 +
                    (std::exp2(-1.0) + 1 + 1) * 10 + (3 + 9 + 1) * 100;
  EXPECT_NEAR(r[0].data[0], expected, 1e-10);
}

//===----------------------------------------------------------------------===//
// Decays
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvalTest, ExponentialDecay) {
  // D = 0.5^|p - j|, s = 1, no mask: o_i = sum_j 0.5^|i-j| v_j.
  std::vector<HostTensor> args = args1d({1, 1, 1}, {1, 1, 1}, {1, 10, 100});
  std::vector<HostTensor> r =
      run(spec1d(3, 3,
                 "%d = attn.decay %s exponential rates [0.5]\n"
                 "%w = attn.normalize %d none"),
          args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1 + 5 + 25, kTol);
  EXPECT_NEAR(r[0].data[1], 0.5 + 10 + 50, kTol);
  EXPECT_NEAR(r[0].data[2], 0.25 + 5 + 100, kTol);

  // Softmax folds D into the weights: w_0 = [1, 0.5, 0.25] / 1.75.
  // The rates come from an input this time.
  args.push_back(makeTensor({1}, {0.5}));
  r = run(spec1d(3, 3,
                 "%d = attn.decay %s exponential(%g : tensor<1xf32>)\n"
                 "%w = attn.normalize %d softmax",
                 "scale 1.0", ", %g: tensor<1xf32>"),
          args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], (1 + 5 + 25) / 1.75, kTol);
}

TEST_F(ReferenceEvalTest, GatedDecayCausalAndSymmetric) {
  // Gates a = [0.9, 0.5, 0.25]; D_ij = prod of a_u for j < u <= i.
  std::vector<HostTensor> args = args1d({1, 1, 1}, {1, 1, 1}, {1, 10, 100});
  args.push_back(
      makeTensor({1, 1, 3}, {std::log(0.9), std::log(0.5), std::log(0.25)}));
  std::vector<HostTensor> r =
      run(spec1d(3, 3,
                 "%m = attn.mask %s, #attn.causal\n"
                 "%d = attn.decay %m gated(%g : tensor<1x1x3xf32>)\n"
                 "%w = attn.normalize %d none",
                 "scale 1.0", ", %g: tensor<1x1x3xf32>"),
          args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1, kTol);
  EXPECT_NEAR(r[0].data[1], 0.5 * 1 + 10, kTol);
  EXPECT_NEAR(r[0].data[2], 0.125 * 1 + 0.25 * 10 + 100, kTol);
  // Without a mask, keys after p decay by the gates after p up to j.
  r = run(spec1d(3, 3,
                 "%d = attn.decay %s gated(%g : tensor<1x1x3xf32>)\n"
                 "%w = attn.normalize %d none",
                 "scale 1.0", ", %g: tensor<1x1x3xf32>"),
          args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1 + 0.5 * 10 + 0.125 * 100, kTol);
  EXPECT_NEAR(r[0].data[1], 0.5 * 1 + 10 + 0.25 * 100, kTol);
}

TEST_F(ReferenceEvalTest, PerChannelGate) {
  // Dk = 2, identity; G_t,d running sums of g. s_ij = sum_d q_id k_jd E_d
  // with E_d = exp(G_p,d - G_j,d) (j <= p) or exp(G_j,d - G_p,d).
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x2x2xf32>, %k: tensor<1x1x2x2xf32>,
                 %v: tensor<1x1x2x1xf32>, %g: tensor<1x1x2x2xf32>)
        -> tensor<1x1x2x1xf32> {
      %s = attn.score %q, %k scale 1.0 gate(%g : tensor<1x1x2x2xf32>)
          : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
      %w = attn.normalize %s none
      %o = attn.aggregate %w, %v : tensor<1x1x2x1xf32> -> tensor<1x1x2x1xf32>
      return %o : tensor<1x1x2x1xf32>
    })mlir";
  double q[2][2] = {{1, 2}, {3, -1}}, k[2][2] = {{0.5, 1}, {2, -2}};
  double g[2][2] = {{-0.1, -0.2}, {-0.7, -1.5}}; // [t][d]
  std::vector<HostTensor> r =
      run(source, {makeTensor({1, 1, 2, 2}, {1, 2, 3, -1}),
                   makeTensor({1, 1, 2, 2}, {0.5, 1, 2, -2}),
                   makeTensor({1, 1, 2, 1}, {1, 10}),
                   makeTensor({1, 1, 2, 2}, {-0.1, -0.2, -0.7, -1.5})});
  ASSERT_EQ(r.size(), 1u);
  // Only the gate of token 1 separates positions 0 and 1: E_d = e^{g[1][d]}.
  double s00 = q[0][0] * k[0][0] + q[0][1] * k[0][1];
  double s01 = q[0][0] * k[1][0] * std::exp(g[1][0]) +
               q[0][1] * k[1][1] * std::exp(g[1][1]);
  double s10 = q[1][0] * k[0][0] * std::exp(g[1][0]) +
               q[1][1] * k[0][1] * std::exp(g[1][1]);
  double s11 = q[1][0] * k[1][0] + q[1][1] * k[1][1];
  EXPECT_NEAR(r[0].data[0], s00 * 1 + s01 * 10, kTol);
  EXPECT_NEAR(r[0].data[1], s10 * 1 + s11 * 10, kTol);
}

//===----------------------------------------------------------------------===//
// Output norms, heads and layouts
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvalTest, OutputNorms) {
  // One key, s = 1, none: o = v = [3, 1] before the norm.
  std::string source = R"mlir(
    func.func @f(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x1x1xf32>,
                 %v: tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>
      %w = attn.normalize %s none
      %o = attn.aggregate %w, %v norm @NORM@ : tensor<1x1x1x2xf32> -> tensor<1x1x1x2xf32>
      return %o : tensor<1x1x1x2xf32>
    })mlir";
  std::vector<HostTensor> args = {makeTensor({1, 1, 1, 1}, {1}),
                                  makeTensor({1, 1, 1, 1}, {1}),
                                  makeTensor({1, 1, 1, 2}, {3, 1})};
  // rms: o / sqrt(mean(o^2) + eps), mean(o^2) = 5, eps = 1e-6.
  std::vector<HostTensor> r = run(substitute(source, "@NORM@", "rms"), args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 3 / std::sqrt(5 + 1e-6), kTol);
  EXPECT_NEAR(r[0].data[1], 1 / std::sqrt(5 + 1e-6), kTol);
  // layer: (o - 2) / sqrt(var + eps), var = 1, eps = 0.5.
  r = run(substitute(source, "@NORM@", "layer {norm_eps = 0.5 : f64}"), args);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 1 / std::sqrt(1.5), kTol);
  EXPECT_NEAR(r[0].data[1], -1 / std::sqrt(1.5), kTol);
}

TEST_F(ReferenceEvalTest, GroupedQueryHeads) {
  // Hq = 4, Hkv = 2: query heads 0, 1 read kv head 0; 2, 3 read kv head 1.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x4x1x1xf32>, %k: tensor<1x2x2x1xf32>,
                 %v: tensor<1x2x2x1xf32>) -> tensor<1x4x1x1xf32> {
      %s = attn.score %q, %k scale 1.0 : tensor<1x4x1x1xf32>, tensor<1x2x2x1xf32>
      %w = attn.normalize %s softmax
      %o = attn.aggregate %w, %v : tensor<1x2x2x1xf32> -> tensor<1x4x1x1xf32>
      return %o : tensor<1x4x1x1xf32>
    })mlir";
  double q[4] = {1, -1, 0.5, 2};
  double k[2][2] = {{1, 0}, {-1, 3}}, v[2][2] = {{1, 2}, {10, 20}};
  std::vector<HostTensor> r =
      run(source, {makeTensor({1, 4, 1, 1}, {1, -1, 0.5, 2}),
                   makeTensor({1, 2, 2, 1}, {1, 0, -1, 3}),
                   makeTensor({1, 2, 2, 1}, {1, 2, 10, 20})});
  ASSERT_EQ(r.size(), 1u);
  for (int h = 0; h < 4; ++h) {
    int kh = h / 2;
    double a = q[h] * k[kh][0], b = q[h] * k[kh][1];
    double w0 = std::exp(a) / (std::exp(a) + std::exp(b));
    EXPECT_NEAR(r[0].data[h], w0 * v[kh][0] + (1 - w0) * v[kh][1], kTol) << h;
  }
}

TEST_F(ReferenceEvalTest, BshdLayout) {
  // [B, N, H, D] with Hq = Hkv = 2, N = 2, causal softmax.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x2x2x1xf32>, %k: tensor<1x2x2x1xf32>,
                 %v: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
      %s = attn.score %q, %k scale 1.0 layout bshd
          : tensor<1x2x2x1xf32>, tensor<1x2x2x1xf32>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax
      %o = attn.aggregate %w, %v : tensor<1x2x2x1xf32> -> tensor<1x2x2x1xf32>
      return %o : tensor<1x2x2x1xf32>
    })mlir";
  // Element [0, n, h, 0] is at n * 2 + h.
  double q[2][2] = {{1, 2}, {3, -1}}; // [n][h]
  double k[2][2] = {{0.5, 1}, {-1, 2}};
  double v[2][2] = {{1, 2}, {10, 20}};
  std::vector<HostTensor> r =
      run(source, {makeTensor({1, 2, 2, 1}, {1, 2, 3, -1}),
                   makeTensor({1, 2, 2, 1}, {0.5, 1, -1, 2}),
                   makeTensor({1, 2, 2, 1}, {1, 2, 10, 20})});
  ASSERT_EQ(r.size(), 1u);
  for (int h = 0; h < 2; ++h) {
    // Row 0 sees key 0 only.
    EXPECT_NEAR(r[0].data[0 * 2 + h], v[0][h], kTol);
    double a = q[1][h] * k[0][h], b = q[1][h] * k[1][h];
    double w0 = std::exp(a) / (std::exp(a) + std::exp(b));
    EXPECT_NEAR(r[0].data[1 * 2 + h], w0 * v[0][h] + (1 - w0) * v[1][h], kTol);
  }
}

TEST_F(ReferenceEvalTest, HybridSpecAddsAggregates) {
  // softmax over one key gives v; linear (none) gives s v: o = 5 + 6 * 5.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x1x1xf32>,
                 %v: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>
      %w = attn.normalize %s softmax
      %o1 = attn.aggregate %w, %v : tensor<1x1x1x1xf32> -> tensor<1x1x1x1xf32>
      %s2 = attn.score %q, %k scale 1.0 : tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>
      %w2 = attn.normalize %s2 none
      %o2 = attn.aggregate %w2, %v : tensor<1x1x1x1xf32> -> tensor<1x1x1x1xf32>
      %o = arith.addf %o1, %o2 : tensor<1x1x1x1xf32>
      return %o : tensor<1x1x1x1xf32>
    })mlir";
  std::vector<HostTensor> r =
      run(source, {makeTensor({1, 1, 1, 1}, {2}), makeTensor({1, 1, 1, 1}, {3}),
                   makeTensor({1, 1, 1, 1}, {5})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], 5 + 6 * 5, kTol);
}

TEST_F(ReferenceEvalTest, HybridSpecCastsNegatesAndScales) {
  // o1 = 5 (softmax over one key), o2 = 30: -(0.5 * o1) - o2 in f64, through
  // extf (which the reference evaluates exactly).
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x1x1xf16>, %k: tensor<1x1x1x1xf16>,
                 %v: tensor<1x1x1x1xf16>) -> tensor<1x1x1x1xf32> {
      %s = attn.score %q, %k scale 1.0 : tensor<1x1x1x1xf16>, tensor<1x1x1x1xf16>
      %w = attn.normalize %s softmax
      %o1 = attn.aggregate %w, %v : tensor<1x1x1x1xf16> -> tensor<1x1x1x1xf16>
      %s2 = attn.score %q, %k scale 1.0 : tensor<1x1x1x1xf16>, tensor<1x1x1x1xf16>
      %w2 = attn.normalize %s2 none
      %o2 = attn.aggregate %w2, %v : tensor<1x1x1x1xf16> -> tensor<1x1x1x1xf16>
      %half = arith.constant dense<0.5> : tensor<1x1x1x1xf32>
      %a = arith.extf %o1 : tensor<1x1x1x1xf16> to tensor<1x1x1x1xf32>
      %b = arith.extf %o2 : tensor<1x1x1x1xf16> to tensor<1x1x1x1xf32>
      %c = arith.mulf %half, %a : tensor<1x1x1x1xf32>
      %n = arith.negf %c : tensor<1x1x1x1xf32>
      %o = arith.subf %n, %b : tensor<1x1x1x1xf32>
      return %o : tensor<1x1x1x1xf32>
    })mlir";
  std::vector<HostTensor> r =
      run(source, {makeTensor({1, 1, 1, 1}, {2}), makeTensor({1, 1, 1, 1}, {3}),
                   makeTensor({1, 1, 1, 1}, {5})});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_NEAR(r[0].data[0], -(0.5 * 5) - 6 * 5, kTol);
}

//===----------------------------------------------------------------------===//
// Recurrent states
//===----------------------------------------------------------------------===//

TEST_F(ReferenceEvalTest, InitialAndFinalStateWithExponentialDecay) {
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x1x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>, %s0: tensor<1x1x1x1xf32>)
        -> (tensor<1x1x2x1xf32>, tensor<1x1x1x1xf32>) {
      %s = attn.score %q, %k scale 2.0 : tensor<1x1x2x1xf32>, tensor<1x1x2x1xf32>
      %m = attn.mask %s, #attn.causal
      %d = attn.decay %m exponential rates [0.5]
      %w = attn.normalize %d none
      %o, %sN = attn.aggregate %w, %v initial_state(%s0 : tensor<1x1x1x1xf32>)
          : tensor<1x1x2x1xf32> -> tensor<1x1x2x1xf32>, state tensor<1x1x1x1xf32>
      return %o, %sN : tensor<1x1x2x1xf32>, tensor<1x1x1x1xf32>
    })mlir";
  // q = [1, 2], k = [3, 4], v = [5, 6], S0 = 7, gamma = 0.5, scale 2.
  std::vector<HostTensor> args = args1d({1, 2}, {3, 4}, {5, 6});
  args.push_back(makeTensor({1, 1, 1, 1}, {7}));
  std::vector<HostTensor> r = run(source, args);
  ASSERT_EQ(r.size(), 2u);
  // o_0 = 2 (q0 k0 v0 + gamma q0 S0).
  EXPECT_NEAR(r[0].data[0], 2 * (1 * 3 * 5 + 0.5 * 1 * 7), kTol);
  // o_1 = 2 (gamma q1 k0 v0 + q1 k1 v1 + gamma^2 q1 S0).
  EXPECT_NEAR(r[0].data[1], 2 * (0.5 * 2 * 3 * 5 + 2 * 4 * 6 + 0.25 * 2 * 7),
              kTol);
  // S_N = gamma^2 S0 + gamma k0 v0 + k1 v1, without the scale.
  EXPECT_NEAR(r[1].data[0], 0.25 * 7 + 0.5 * 3 * 5 + 4 * 6, kTol);
}

/// The rows [lo, hi) of axis `axis` of `t`.
HostTensor slice(const HostTensor &t, int axis, int64_t lo, int64_t hi) {
  std::vector<int64_t> shape = t.shape;
  shape[axis] = hi - lo;
  HostTensor out(t.kind, shape);
  int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a)
    outer *= t.shape[a];
  for (size_t a = axis + 1; a < t.shape.size(); ++a)
    inner *= t.shape[a];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t n = lo; n < hi; ++n)
      for (int64_t i = 0; i < inner; ++i)
        out.data[(o * (hi - lo) + (n - lo)) * inner + i] =
            t.data[(o * t.shape[axis] + n) * inner + i];
  return out;
}

TEST_F(ReferenceEvalTest, TwoHalvesEqualOneRun) {
  // Every decay at once: per-channel gate, gated and exponential decay,
  // GQA, elu+1 features.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x2x?x2xf32>, %k: tensor<1x1x?x2xf32>,
                 %v: tensor<1x1x?x3xf32>, %g: tensor<1x2x?x2xf32>,
                 %lg: tensor<1x2x?xf32>, %s0: tensor<1x2x2x3xf32>)
        -> (tensor<1x2x?x3xf32>, tensor<1x2x2x3xf32>) {
      %s = attn.score %q, %k feature_map elu_plus_one
          gate(%g : tensor<1x2x?x2xf32>)
          : tensor<1x2x?x2xf32>, tensor<1x1x?x2xf32>
      %m = attn.mask %s, #attn.causal
      %d = attn.decay %m gated(%lg : tensor<1x2x?xf32>)
      %d2 = attn.decay %d exponential rates [0.9, 0.8]
      %w = attn.normalize %d2 none
      %o, %sN = attn.aggregate %w, %v initial_state(%s0 : tensor<1x2x2x3xf32>)
          : tensor<1x1x?x3xf32> -> tensor<1x2x?x3xf32>, state tensor<1x2x2x3xf32>
      return %o, %sN : tensor<1x2x?x3xf32>, tensor<1x2x2x3xf32>
    })mlir";
  mlir::func::FuncOp spec = parse(source);
  ASSERT_TRUE(spec);
  ProblemSize size{1, 2, 1, 6, 6};
  llvm::Expected<std::vector<HostTensor>> inputs =
      makeRandomInputs(spec, size, 7);
  ASSERT_TRUE(static_cast<bool>(inputs)) << llvm::toString(inputs.takeError());
  llvm::Expected<std::vector<HostTensor>> whole = evaluate(spec, *inputs);
  ASSERT_TRUE(static_cast<bool>(whole)) << llvm::toString(whole.takeError());

  // Sequence axes: q, k, v, g on axis 2; log-gates on axis 2.
  auto half = [&](int64_t lo, int64_t hi, const HostTensor &state) {
    std::vector<HostTensor> args;
    for (int n = 0; n < 5; ++n)
      args.push_back(slice((*inputs)[n], 2, lo, hi));
    args.push_back(state);
    llvm::Expected<std::vector<HostTensor>> r = evaluate(spec, args);
    EXPECT_TRUE(static_cast<bool>(r)) << llvm::toString(r.takeError());
    return r ? *r : std::vector<HostTensor>();
  };
  std::vector<HostTensor> first = half(0, 3, (*inputs)[5]);
  ASSERT_EQ(first.size(), 2u);
  std::vector<HostTensor> second = half(3, 6, first[1]);
  ASSERT_EQ(second.size(), 2u);
  HostTensor wholeFirst = slice((*whole)[0], 2, 0, 3);
  HostTensor wholeSecond = slice((*whole)[0], 2, 3, 6);
  for (size_t n = 0; n < wholeFirst.data.size(); ++n) {
    EXPECT_NEAR(first[0].data[n], wholeFirst.data[n], 1e-9);
    EXPECT_NEAR(second[0].data[n], wholeSecond.data[n], 1e-9);
  }
  for (size_t n = 0; n < second[1].data.size(); ++n)
    EXPECT_NEAR(second[1].data[n], (*whole)[1].data[n], 1e-9);
}

} // namespace
