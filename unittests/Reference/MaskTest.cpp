//===- MaskTest.cpp - Every mask kind of the reference, by hand -----------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Each test reads back the visible set of every query row: with q = k = 1,
// scale 1 and `normalize none`, o_i = sum over visible j of v_j, and with
// v_j = 2^j the bits of o_i are the visible keys. The expected sets are
// derived by hand from docs/semantics.md in the comments.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

using namespace attn;
using namespace attn::reference;
using namespace attn::reference::testing;

namespace {

using Rows = std::vector<std::vector<int>>;

class MaskTest : public ReferenceTest {
protected:
  /// The visible keys of each query row for `maskOps`, which define %m from
  /// %s; `extraArgs` declares further arguments (", %ids: tensor<...>")
  /// bound to `extra`.
  Rows visibleKeys(const std::string &maskOps, int nq, int nk,
                   const std::string &extraArgs = "",
                   std::vector<HostTensor> extra = {}) {
    std::string source = R"mlir(
      func.func @f(%q: tensor<1x1x@NQ@x1xf32>, %k: tensor<1x1x@NK@x1xf32>,
                   %v: tensor<1x1x@NK@x1xf32>@EXTRA@) -> tensor<1x1x@NQ@x1xf32> {
        %s = attn.score %q, %k scale 1.0
            : tensor<1x1x@NQ@x1xf32>, tensor<1x1x@NK@x1xf32>
        @MASK@
        %w = attn.normalize %m none
        %o = attn.aggregate %w, %v
            : tensor<1x1x@NK@x1xf32> -> tensor<1x1x@NQ@x1xf32>
        return %o : tensor<1x1x@NQ@x1xf32>
      })mlir";
    source = substitute(source, "@NQ@", std::to_string(nq));
    source = substitute(source, "@NK@", std::to_string(nk));
    source = substitute(source, "@EXTRA@", extraArgs);
    source = substitute(source, "@MASK@", maskOps);
    std::vector<double> powers;
    for (int j = 0; j < nk; ++j)
      powers.push_back(std::ldexp(1.0, j));
    std::vector<HostTensor> args = {
        makeTensor({1, 1, nq, 1}, std::vector<double>(nq, 1.0)),
        makeTensor({1, 1, nk, 1}, std::vector<double>(nk, 1.0)),
        makeTensor({1, 1, nk, 1}, powers)};
    for (HostTensor &t : extra)
      args.push_back(std::move(t));
    std::vector<HostTensor> results = run(source, args);
    if (results.size() != 1)
      return {};
    return decode(results[0].data, nk);
  }

  static Rows decode(const std::vector<double> &sums, int nk) {
    Rows rows;
    for (double sum : sums) {
      auto bits = static_cast<int64_t>(sum);
      EXPECT_EQ(static_cast<double>(bits), sum);
      std::vector<int> row;
      for (int j = 0; j < nk; ++j)
        if (bits & (int64_t(1) << j))
          row.push_back(j);
      rows.push_back(row);
    }
    return rows;
  }
};

TEST_F(MaskTest, Causal) {
  // j <= p with p = i + Nk - Nq.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.causal", 3, 3),
            (Rows{{0}, {0, 1}, {0, 1, 2}}));
  // Nq < Nk: rows sit at p = 2, 3 (bottom-right alignment).
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.causal", 2, 4),
            (Rows{{0, 1, 2}, {0, 1, 2, 3}}));
  // Nq > Nk: row 0 sits at p = -1 and sees nothing.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.causal", 3, 2),
            (Rows{{}, {0}, {0, 1}}));
}

TEST_F(MaskTest, Window) {
  // p - 1 <= j <= p.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.window<1, 0>", 4, 4),
            (Rows{{0}, {0, 1}, {1, 2}, {2, 3}}));
  // p <= j <= p + 1.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.window<0, 1>", 4, 4),
            (Rows{{0, 1}, {1, 2}, {2, 3}, {3}}));
}

TEST_F(MaskTest, SinksOrDiagonal) {
  // j < 1, or j == p.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, "
                        "#attn.or<[#attn.sinks<1>, #attn.window<0, 0>]>",
                        4, 4),
            (Rows{{0}, {0, 1}, {0, 2}, {0, 3}}));
}

TEST_F(MaskTest, BlockDiagonal) {
  // floor(p/2) == floor(j/2), p = 1, 2, 3.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.block_diagonal<2>", 3, 4),
            (Rows{{0, 1}, {2, 3}, {2, 3}}));
  // p = -1: floor(-1/2) = -1 matches no key.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.block_diagonal<2>", 5, 4),
            (Rows{{}, {0, 1}, {0, 1}, {2, 3}, {2, 3}}));
}

TEST_F(MaskTest, Dilated) {
  // (p - j) mod 2 == 0.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.dilated<2>", 4, 4),
            (Rows{{0, 2}, {1, 3}, {0, 2}, {1, 3}}));
}

TEST_F(MaskTest, PrefixLM) {
  // j <= p or j < 2.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, "
                        "#attn.or<[#attn.causal, #attn.prefix<2>]>",
                        4, 4),
            (Rows{{0, 1}, {0, 1}, {0, 1, 2}, {0, 1, 2, 3}}));
}

TEST_F(MaskTest, Document) {
  // ids = [0, 0, 1, 1]: same document and causal.
  HostTensor ids = makeTensor({1, 4}, {0, 0, 1, 1}, ElementKind::I32);
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.and<[#attn.causal, "
                        "#attn.document<input = 0>]> (%ids : tensor<1x4xi32>)",
                        4, 4, ", %ids: tensor<1x4xi32>", {ids}),
            (Rows{{0}, {0, 1}, {2}, {2, 3}}));
  // The query at p reads ids[p]: rows at p = 2, 3 have ids 1 and 2.
  HostTensor ids2 = makeTensor({1, 4}, {0, 1, 1, 2}, ElementKind::I32);
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.document<input = 0> "
                        "(%ids : tensor<1x4xi32>)",
                        2, 4, ", %ids: tensor<1x4xi32>", {ids2}),
            (Rows{{1, 2}, {3}}));
  // p = -1 is in no document.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.document<input = 0> "
                        "(%ids : tensor<1x4xi32>)",
                        5, 4, ", %ids: tensor<1x4xi32>", {ids}),
            (Rows{{}, {0, 1}, {0, 1}, {2, 3}, {2, 3}}));
}

TEST_F(MaskTest, Neighborhood2DBorderShift) {
  // One row of 5, kernel 3: start = clamp(c - 1, 0, 5 - 3); the window
  // shifts inward at both borders.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.neighborhood_2d<kernel_h = "
                        "1, kernel_w = 3, height = 1, width = 5>",
                        5, 5),
            (Rows{{0, 1, 2}, {0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {2, 3, 4}}));
}

TEST_F(MaskTest, Neighborhood2DDilation) {
  // Width 5, kernel 2, dilation 2. Group 0 = cols {0, 2, 4} (Lg = 3),
  // group 1 = cols {1, 3} (Lg = 2).
  //   c=0: ci=0, start=clamp(-1, 0, 1)=0 -> group slots {0,1} -> cols {0,2}
  //   c=1: ci=0, start=clamp(-1, 0, 0)=0 -> cols {1,3}
  //   c=2: ci=1, start=clamp(0, 0, 1)=0  -> cols {0,2}
  //   c=3: ci=1, start=clamp(0, 0, 0)=0  -> cols {1,3}
  //   c=4: ci=2, start=clamp(1, 0, 1)=1  -> cols {2,4}
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.neighborhood_2d<kernel_h = "
                        "1, kernel_w = 2, height = 1, width = 5, dilation_h "
                        "= 1, dilation_w = 2>",
                        5, 5),
            (Rows{{0, 2}, {1, 3}, {0, 2}, {1, 3}, {2, 4}}));
}

TEST_F(MaskTest, Neighborhood2DGrid) {
  // A 3x3 grid, kernel 2 rows x 1 column. Rows: r=0 -> {0,1}, r=1 ->
  // start=clamp(0,0,1)=0 -> {0,1}, r=2 -> start=clamp(1,0,1)=1 -> {1,2}.
  // Position x = 3r + c.
  Rows rows = visibleKeys("%m = attn.mask %s, #attn.neighborhood_2d<kernel_h "
                          "= 2, kernel_w = 1, height = 3, width = 3>",
                          9, 9);
  ASSERT_EQ(rows.size(), 9u);
  EXPECT_EQ(rows[0], (std::vector<int>{0, 3}));
  EXPECT_EQ(rows[4], (std::vector<int>{1, 4}));
  EXPECT_EQ(rows[5], (std::vector<int>{2, 5}));
  EXPECT_EQ(rows[8], (std::vector<int>{5, 8}));
  // Nq < Nk: the single row sits at p = 8.
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.neighborhood_2d<kernel_h "
                        "= 2, kernel_w = 1, height = 3, width = 3>",
                        1, 9),
            (Rows{{5, 8}}));
}

TEST_F(MaskTest, BlockSparseUsesRowIndex) {
  // q_block 1, k_block 2; rows i = 0, 1 (at p = 2, 3) pick query blocks 0
  // and 1, not blocks of p.
  HostTensor layout = makeTensor({1, 1, 2, 2}, {1, 0, 0, 1}, ElementKind::I8);
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.block_sparse<input = 0, "
                        "q_block = 1, k_block = 2> (%l : tensor<1x1x2x2xi8>)",
                        2, 4, ", %l: tensor<1x1x2x2xi8>", {layout}),
            (Rows{{0, 1}, {2, 3}}));
  // Partial last blocks: Nk = 3, k_block = 2 -> 2 key blocks.
  HostTensor partial = makeTensor({1, 1, 1, 2}, {0, 1}, ElementKind::I8);
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, #attn.block_sparse<input = 0, "
                        "q_block = 4, k_block = 2> (%l : tensor<1x1x1x2xi8>)",
                        3, 3, ", %l: tensor<1x1x1x2xi8>", {partial}),
            (Rows{{2}, {2}, {2}}));
}

TEST_F(MaskTest, BlockSparseBroadcastsHeads) {
  // Two query heads; q_block = k_block = 1. o[h][i] = sum of 2^j visible.
  const char *source = R"mlir(
    func.func @f(%q: tensor<1x2x2x1xf32>, %k: tensor<1x1x2x1xf32>,
                 %v: tensor<1x1x2x1xf32>, %l: tensor<1x?x2x2xi1>)
        -> tensor<1x2x2x1xf32> {
      %s = attn.score %q, %k scale 1.0 : tensor<1x2x2x1xf32>, tensor<1x1x2x1xf32>
      %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 1, k_block = 1>
          (%l : tensor<1x?x2x2xi1>)
      %w = attn.normalize %m none
      %o = attn.aggregate %w, %v : tensor<1x1x2x1xf32> -> tensor<1x2x2x1xf32>
      return %o : tensor<1x2x2x1xf32>
    })mlir";
  HostTensor q = makeTensor({1, 2, 2, 1}, {1, 1, 1, 1});
  HostTensor k = makeTensor({1, 1, 2, 1}, {1, 1});
  HostTensor v = makeTensor({1, 1, 2, 1}, {1, 2});
  // Per head: head 0 [[1,0],[1,1]], head 1 [[0,1],[1,0]].
  HostTensor perHead =
      makeTensor({1, 2, 2, 2}, {1, 0, 1, 1, 0, 1, 1, 0}, ElementKind::I1);
  std::vector<HostTensor> results = run(source, {q, k, v, perHead});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].data, (std::vector<double>{1, 3, 2, 1}));
  // One layout for both heads.
  HostTensor shared = makeTensor({1, 1, 2, 2}, {1, 0, 1, 1}, ElementKind::I1);
  results = run(source, {q, k, v, shared});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].data, (std::vector<double>{1, 3, 1, 3}));
}

TEST_F(MaskTest, Predicate) {
  // Keep j != p; rows at p = 1, 2.
  EXPECT_EQ(visibleKeys(R"mlir(
      %m = attn.mask %s, #attn.predicate {
      ^bb0(%b: index, %h: index, %i: index, %j: index):
        %c = arith.cmpi ne, %i, %j : index
        attn.yield %c : i1
      })mlir",
                        2, 3),
            (Rows{{0, 2}, {0, 1}}));
}

TEST_F(MaskTest, PredicateReadsInputAndCombines) {
  // keep[j] != 0 with keep = [1, 0, 1, 1], and causal.
  HostTensor keep = makeTensor({4}, {1, 0, 1, 1}, ElementKind::I32);
  EXPECT_EQ(visibleKeys(R"mlir(
      %m = attn.mask %s, #attn.and<[#attn.causal, #attn.predicate]>
          (%keep : tensor<4xi32>) {
      ^bb0(%b: index, %h: index, %i: index, %j: index, %t: tensor<4xi32>):
        %x = tensor.extract %t[%j] : tensor<4xi32>
        %zero = arith.constant 0 : i32
        %c = arith.cmpi ne, %x, %zero : i32
        attn.yield %c : i1
      })mlir",
                        4, 4, ", %keep: tensor<4xi32>", {keep}),
            (Rows{{0}, {0}, {0, 2}, {0, 2, 3}}));
}

TEST_F(MaskTest, AndOrAndChains) {
  // window<1,1> = {0,1},{0,1,2},{1,2,3},{2,3}; dilated<2> = {0,2},{1,3},...
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, "
                        "#attn.and<[#attn.window<1, 1>, #attn.dilated<2>]>",
                        4, 4),
            (Rows{{0}, {1}, {2}, {3}}));
  EXPECT_EQ(visibleKeys("%m = attn.mask %s, "
                        "#attn.or<[#attn.window<0, 0>, #attn.dilated<3>]>",
                        4, 4),
            (Rows{{0, 3}, {1}, {2}, {0, 3}}));
  // Two chained mask ops AND together: causal and window<1, 0>.
  EXPECT_EQ(visibleKeys("%c = attn.mask %s, #attn.causal\n"
                        "%m = attn.mask %c, #attn.window<1, 1>",
                        4, 4),
            (Rows{{0}, {0, 1}, {1, 2}, {2, 3}}));
}

} // namespace
