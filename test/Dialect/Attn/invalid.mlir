// Every diagnostic of the attn dialect, and hostile inputs that must be
// reported (never crash): malformed syntax, unknown enum values and mask
// kinds, inconsistent shapes, illegal combinations, wrong region signatures,
// side effects in regions, scores passed in, forward references and cycles.
// RUN: attention-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// Mask attributes (AttnDialect.cpp)
//===----------------------------------------------------------------------===//

func.func @window_negative(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.window expects non-negative left and right extents, got <-1, 0>; for a causal window use <left, 0>}}
  %m = attn.mask %s, #attn.window<-1, 0>
  return
}

// -----

func.func @window_negative_right(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.window expects non-negative left and right extents, got <3, -2>}}
  %m = attn.mask %s, #attn.window<3, -2>
  return
}

// -----

func.func @sinks_zero(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.sinks expects a positive count, got 0}}
  %m = attn.mask %s, #attn.sinks<0>
  return
}

// -----

func.func @block_diagonal_negative(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.block_diagonal expects a positive block size, got -64}}
  %m = attn.mask %s, #attn.block_diagonal<-64>
  return
}

// -----

func.func @dilated_zero(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.dilated expects a positive stride, got 0}}
  %m = attn.mask %s, #attn.dilated<0>
  return
}

// -----

func.func @prefix_negative(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.prefix expects a non-negative length, got -1}}
  %m = attn.mask %s, #attn.prefix<-1>
  return
}

// -----

func.func @document_negative_input(%q: tensor<?x?x?x8xf32>, %ids: tensor<?x?xi32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.document expects 'input' to be the position of one of the mask op's tensor inputs (0, 1, ...), got -1}}
  %m = attn.mask %s, #attn.document<input = -1> (%ids : tensor<?x?xi32>)
  return
}

// -----

func.func @neighborhood_kernel_h(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d expects a positive kernel_h, got 0}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 0, kernel_w = 3, height = 8, width = 8>
  return
}

// -----

func.func @neighborhood_kernel_w(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d expects a positive kernel_w, got -3}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = -3, height = 8, width = 8>
  return
}

// -----

func.func @neighborhood_height(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d expects a positive height, got 0}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 0, width = 8>
  return
}

// -----

func.func @neighborhood_width(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d expects a positive width, got -8}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 8, width = -8>
  return
}

// -----

func.func @neighborhood_dilation_h(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d expects a positive dilation_h, got 0}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 8, width = 8, dilation_h = 0>
  return
}

// -----

func.func @neighborhood_dilation_w(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d expects a positive dilation_w, got -1}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 8, width = 8, dilation_w = -1>
  return
}

// -----

func.func @neighborhood_kernel_too_large(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.neighborhood_2d kernel 3x5 with dilation 3x1 does not fit the 8x8 grid; kernel * dilation must not exceed the grid along each axis}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 5, height = 8, width = 8, dilation_h = 3>
  return
}

// -----

// kernel * dilation overflows int64: still rejected, not wrapped around.
func.func @neighborhood_kernel_overflow(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{does not fit the 8x8 grid}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 4611686018427387904, kernel_w = 1, height = 8, width = 8, dilation_h = 4>
  return
}

// -----

func.func @block_sparse_negative_input(%q: tensor<?x?x?x8xf32>, %l: tensor<?x?x?x?xi1>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.block_sparse expects 'input' to be the position of one of the mask op's tensor inputs (0, 1, ...), got -2}}
  %m = attn.mask %s, #attn.block_sparse<input = -2, q_block = 64, k_block = 64> (%l : tensor<?x?x?x?xi1>)
  return
}

// -----

func.func @block_sparse_q_block(%q: tensor<?x?x?x8xf32>, %l: tensor<?x?x?x?xi1>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.block_sparse expects a positive q_block, got 0}}
  %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 0, k_block = 64> (%l : tensor<?x?x?x?xi1>)
  return
}

// -----

func.func @block_sparse_k_block(%q: tensor<?x?x?x8xf32>, %l: tensor<?x?x?x?xi1>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.block_sparse expects a positive k_block, got -64}}
  %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 64, k_block = -64> (%l : tensor<?x?x?x?xi1>)
  return
}

// -----

// The parser already rejects empty operand lists (the verifier's "expects at
// least one mask operand" guards attributes built in C++).
func.func @and_empty(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+2 {{expected attribute value}}
  // expected-error @+1 {{failed to parse Attn_AndAttr parameter 'masks'}}
  %m = attn.mask %s, #attn.and<[]>
  return
}

// -----

func.func @or_empty(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+2 {{expected attribute value}}
  // expected-error @+1 {{failed to parse Attn_OrAttr parameter 'masks'}}
  %m = attn.mask %s, #attn.or<[]>
  return
}

// -----

func.func @and_not_a_mask(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.and operands must be attn mask attributes, got 1 : i64}}
  %m = attn.mask %s, #attn.and<[#attn.causal, 1]>
  return
}

// -----

func.func @or_not_a_mask(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{#attn.or operands must be attn mask attributes, got #attn<layout bshd>}}
  %m = attn.mask %s, #attn.or<[#attn<layout bshd>]>
  return
}

// -----

// A mask nested in and/or is verified like a top-level one.
func.func @nested_invalid_mask(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+3 {{#attn.sinks expects a positive count, got -4}}
  // expected-error @+2 {{failed to parse Attn_OrAttr parameter 'masks'}}
  // expected-error @+1 {{failed to parse Attn_AndAttr parameter 'masks'}}
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.or<[#attn.sinks<-4>, #attn.window<2, 0>]>]>
  return
}

// -----

func.func @unknown_mask_kind(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{unknown attribute `vertical_slash` in dialect `attn`}}
  %m = attn.mask %s, #attn.vertical_slash<4>
  return
}

// -----

func.func @mask_param_missing(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{expected ','}}
  %m = attn.mask %s, #attn.window<8>
  return
}

// -----

func.func @mask_struct_param_missing(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{struct is missing required parameter: width}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 8>
  return
}

// -----

func.func @mask_struct_param_unknown(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{expected '>'}}
  %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 64, k_block = 64, stride = 2>
  return
}

// -----

// The mask attribute must be one of attn's masks (generic form).
func.func @mask_attr_not_a_mask(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op attribute 'mask' failed to satisfy constraint}}
  %m = "attn.mask"(%s) <{mask = 1 : i64}> ({}) : (!attn.scores) -> !attn.scores
  return
}

// -----

// The comma before the mask is part of the syntax (`%s#...` would name a
// result of a multi-result op).
func.func @mask_missing_comma(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{invalid SSA value result number}}
  %m = attn.mask %s #attn.causal
  return
}

//===----------------------------------------------------------------------===//
// attn.score
//===----------------------------------------------------------------------===//

// -----

func.func @score_rank(%q: tensor<?x?x8xf32>) {
  // expected-error @+1 {{'attn.score' op query must be a rank-4 tensor [B, H, N, D] (BHSD) or [B, N, H, D] (BSHD), got 'tensor<?x?x8xf32>'}}
  %s = attn.score %q, %q : tensor<?x?x8xf32>, tensor<?x?x8xf32>
  return
}

// -----

func.func @score_key_rank(%q: tensor<?x?x?x8xf32>, %k: tensor<?x?x?x?x8xf32>) {
  // expected-error @+1 {{'attn.score' op key must be a rank-4 tensor}}
  %s = attn.score %q, %k : tensor<?x?x?x8xf32>, tensor<?x?x?x?x8xf32>
  return
}

// -----

func.func @score_element_type(%q: tensor<?x?x?x8xf64>) {
  // expected-error @+1 {{'attn.score' op query must have f16, bf16 or f32 elements, got 'f64'}}
  %s = attn.score %q, %q : tensor<?x?x?x8xf64>, tensor<?x?x?x8xf64>
  return
}

// -----

func.func @score_integer_elements(%q: tensor<?x?x?x8xi8>) {
  // expected-error @+1 {{'attn.score' op query must have f16, bf16 or f32 elements, got 'i8'}}
  %s = attn.score %q, %q : tensor<?x?x?x8xi8>, tensor<?x?x?x8xi8>
  return
}

// -----

func.func @score_dynamic_head_dim(%q: tensor<?x?x?x?xbf16>) {
  // expected-error @+1 {{'attn.score' op query must have a static head dim (last axis), got 'tensor<?x?x?x?xbf16>'; write e.g. tensor<?x?x?x128xbf16>}}
  %s = attn.score %q, %q : tensor<?x?x?x?xbf16>, tensor<?x?x?x?xbf16>
  return
}

// -----

func.func @score_zero_head_dim(%q: tensor<?x?x?x0xf16>) {
  // expected-error @+1 {{'attn.score' op query must have a non-zero head dim, got 'tensor<?x?x?x0xf16>'}}
  %s = attn.score %q, %q : tensor<?x?x?x0xf16>, tensor<?x?x?x0xf16>
  return
}

// -----

func.func @score_taylor2_huge(%q: tensor<?x?x?x4294967296xf32>) {
  // expected-error @+1 {{'attn.score' op the taylor2 feature map has 1 + Dk + Dk^2 features; Dk = 4294967296 is too large (project q and k to at most 4096, Based uses 16)}}
  %s = attn.score %q, %q feature_map taylor2 : tensor<?x?x?x4294967296xf32>, tensor<?x?x?x4294967296xf32>
  return
}

// -----

func.func @score_unranked(%q: tensor<*xf32>) {
  // expected-error @+1 {{'attn.score' op operand #0 must be ranked tensor of any type values, but got 'tensor<*xf32>'}}
  %s = "attn.score"(%q, %q) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<*xf32>, tensor<*xf32>) -> !attn.scores
  return
}

// -----

func.func @score_element_mismatch(%q: tensor<?x?x?x8xf16>, %k: tensor<?x?x?x8xbf16>) {
  // expected-error @+1 {{'attn.score' op query and key must have the same element type, got 'f16' and 'bf16'}}
  %s = attn.score %q, %k : tensor<?x?x?x8xf16>, tensor<?x?x?x8xbf16>
  return
}

// -----

func.func @score_head_dim_mismatch(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x128xf16>) {
  // expected-error @+1 {{'attn.score' op query head dim 64 differs from key head dim 128; q and k must share Dk}}
  %s = attn.score %q, %k : tensor<?x?x?x64xf16>, tensor<?x?x?x128xf16>
  return
}

// -----

func.func @score_batch_mismatch(%q: tensor<2x?x?x8xf16>, %k: tensor<3x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op query batch 2 differs from key batch 3}}
  %s = attn.score %q, %k : tensor<2x?x?x8xf16>, tensor<3x?x?x8xf16>
  return
}

// -----

func.func @score_gqa(%q: tensor<?x6x?x8xf16>, %k: tensor<?x4x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op query heads (6) must be a multiple of key/value heads (4) for grouped-query attention; with layout bhsd the heads are axis 1 (is the layout right?)}}
  %s = attn.score %q, %k : tensor<?x6x?x8xf16>, tensor<?x4x?x8xf16>
  return
}

// -----

// BSHD tensors read with the default BHSD layout: the "heads" are lengths.
func.func @score_gqa_layout(%q: tensor<1x4096x32x128xbf16>, %k: tensor<1x4095x8x128xbf16>) {
  // expected-error @+1 {{query heads (4096) must be a multiple of key/value heads (4095) for grouped-query attention; with layout bhsd the heads are axis 1 (is the layout right?)}}
  %s = attn.score %q, %k : tensor<1x4096x32x128xbf16>, tensor<1x4095x8x128xbf16>
  return
}

// -----

func.func @score_zero_kv_heads(%q: tensor<?x?x4x8xf16>, %k: tensor<?x?x0x8xf16>) {
  // expected-error @+1 {{query heads (4) must be a multiple of key/value heads (0) for grouped-query attention; with layout bshd the heads are axis 2}}
  %s = attn.score %q, %k layout bshd : tensor<?x?x4x8xf16>, tensor<?x?x0x8xf16>
  return
}

// -----

func.func @score_scale_zero(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op scale must be finite and non-zero, got 0}}
  %s = attn.score %q, %q scale 0.0 : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_scale_inf(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op scale must be finite and non-zero, got INF}}
  %s = attn.score %q, %q scale 0x7FF0000000000000 : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_scale_nan(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op scale must be finite and non-zero, got nan}}
  %s = attn.score %q, %q scale 0x7FF8000000000000 : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_no_weights(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op the hedgehog feature map needs its weights: add `weights(%wq, %wk : tensor<HqxDkxF>, tensor<HkvxDkxF>)`}}
  %s = attn.score %q, %q feature_map hedgehog : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_weights_without_hedgehog(%q: tensor<?x?x?x8xf16>, %w: tensor<?x8x4xf32>) {
  // expected-error @+1 {{'attn.score' op feature-map weights are only used by the hedgehog feature map; remove `weights(...)` or use `feature_map hedgehog`}}
  %s = attn.score %q, %q feature_map elu_plus_one weights(%w, %w : tensor<?x8x4xf32>, tensor<?x8x4xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_weights_rank(%q: tensor<?x?x?x8xf16>, %w: tensor<8x4xf32>, %wk: tensor<?x8x4xf32>) {
  // expected-error @+1 {{'attn.score' op query weights must be a rank-3 float tensor [H, Dk, F], got 'tensor<8x4xf32>'}}
  %s = attn.score %q, %q feature_map hedgehog weights(%w, %wk : tensor<8x4xf32>, tensor<?x8x4xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_weights_int(%q: tensor<?x?x?x8xf16>, %w: tensor<?x8x4xf32>, %wk: tensor<?x8x4xi32>) {
  // expected-error @+1 {{'attn.score' op key weights must be a rank-3 float tensor [H, Dk, F], got 'tensor<?x8x4xi32>'}}
  %s = attn.score %q, %q feature_map hedgehog weights(%w, %wk : tensor<?x8x4xf32>, tensor<?x8x4xi32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_weights_heads(%q: tensor<?x4x?x8xf16>, %k: tensor<?x2x?x8xf16>, %wq: tensor<4x8x4xf32>, %wk: tensor<4x8x4xf32>) {
  // expected-error @+1 {{'attn.score' op key weights 'tensor<4x8x4xf32>' must be [2, 8, F] with a static feature count F}}
  %s = attn.score %q, %k feature_map hedgehog weights(%wq, %wk : tensor<4x8x4xf32>, tensor<4x8x4xf32>) : tensor<?x4x?x8xf16>, tensor<?x2x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_weights_dk(%q: tensor<?x?x?x8xf16>, %wq: tensor<?x16x4xf32>) {
  // expected-error @+1 {{'attn.score' op query weights 'tensor<?x16x4xf32>' must be [?, 8, F] with a static feature count F}}
  %s = attn.score %q, %q feature_map hedgehog weights(%wq, %wq : tensor<?x16x4xf32>, tensor<?x16x4xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_weights_dynamic_f(%q: tensor<?x?x?x8xf16>, %wq: tensor<?x8x?xf32>) {
  // expected-error @+1 {{must be [?, 8, F] with a static feature count F}}
  %s = attn.score %q, %q feature_map hedgehog weights(%wq, %wq : tensor<?x8x?xf32>, tensor<?x8x?xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_hedgehog_feature_mismatch(%q: tensor<?x?x?x8xf16>, %wq: tensor<?x8x4xf32>, %wk: tensor<?x8x6xf32>) {
  // expected-error @+1 {{'attn.score' op query and key hedgehog weights must have the same feature count, got 4 and 6}}
  %s = attn.score %q, %q feature_map hedgehog weights(%wq, %wk : tensor<?x8x4xf32>, tensor<?x8x6xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_gate_rank(%q: tensor<?x?x?x8xf16>, %g: tensor<?x?x?xf32>) {
  // expected-error @+1 {{'attn.score' op per-channel gate must be a rank-4 float tensor shaped like the keys with Hq heads, got 'tensor<?x?x?xf32>'}}
  %s = attn.score %q, %q gate(%g : tensor<?x?x?xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_gate_int(%q: tensor<?x?x?x8xf16>, %g: tensor<?x?x?x8xi32>) {
  // expected-error @+1 {{'attn.score' op per-channel gate must be a rank-4 float tensor}}
  %s = attn.score %q, %q gate(%g : tensor<?x?x?x8xi32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_gate_features(%q: tensor<?x?x?x8xf16>, %g: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{'attn.score' op per-channel gate 'tensor<?x?x?x8xf32>' must be [B, Hq, Nk, F] with F = 73 (the feature dim of phi(k))}}
  %s = attn.score %q, %q feature_map taylor2 gate(%g : tensor<?x?x?x8xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_gate_heads(%q: tensor<?x?x4x8xf16>, %k: tensor<?x?x2x8xf16>, %g: tensor<?x?x2x8xf32>) {
  // expected-error @+1 {{'attn.score' op per-channel gate 'tensor<?x?x2x8xf32>' must be [B, Nk, Hq, F] with F = 8 (the feature dim of phi(k))}}
  %s = attn.score %q, %k layout bshd gate(%g : tensor<?x?x2x8xf32>) : tensor<?x?x4x8xf16>, tensor<?x?x2x8xf16>
  return
}

// -----

func.func @score_gate_length(%q: tensor<?x?x5x8xf16>, %k: tensor<?x?x7x8xf16>, %g: tensor<?x?x5x8xf32>) {
  // expected-error @+1 {{must be [B, Hq, Nk, F] with F = 8}}
  %s = attn.score %q, %k gate(%g : tensor<?x?x5x8xf32>) : tensor<?x?x5x8xf16>, tensor<?x?x7x8xf16>
  return
}

// -----

func.func @score_unknown_feature_map(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+2 {{custom op 'attn.score' expected ::mlir::attn::FeatureMap to be one of: identity, elu_plus_one, relu, exp, taylor2, hedgehog, l2norm}}
  // expected-error @+1 {{failed to parse Attn_FeatureMapAttr parameter 'value'}}
  %s = attn.score %q, %q feature_map softmax : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_unknown_layout(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+2 {{custom op 'attn.score' expected ::mlir::attn::Layout to be one of: bhsd, bshd}}
  // expected-error @+1 {{failed to parse Attn_LayoutAttr parameter 'value'}}
  %s = attn.score %q, %q layout sbhd : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

// Optional groups come in their order: layout before feature_map is not a
// reordering the parser accepts.
func.func @score_group_order(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{expected ':'}}
  %s = attn.score %q, %q layout bshd feature_map relu : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_integer_scale(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+2 {{unexpected decimal integer literal for a floating point value}}
  // expected-note @+1 {{add a trailing dot to make the literal a float}}
  %s = attn.score %q, %q scale 1 : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

func.func @score_missing_types(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{expected ':'}}
  %s = attn.score %q, %q
  return
}

// -----

func.func @score_weights_single(%q: tensor<?x?x?x8xf16>, %w: tensor<?x8x4xf32>) {
  // expected-error @+1 {{expected ','}}
  %s = attn.score %q, %q feature_map hedgehog weights(%w : tensor<?x8x4xf32>) : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  return
}

// -----

// Segment sizes that do not match the operands (generic form).
func.func @score_bad_segments(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op operand count (2) does not match with the total size (3) specified in attribute 'operandSegmentSizes'}}
  %s = "attn.score"(%q, %q) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>) -> !attn.scores
  return
}

// -----

func.func @score_wrong_result(%q: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.score' op result #0 must be}}
  %s = "attn.score"(%q, %q) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>) -> !attn.weights
  return
}

//===----------------------------------------------------------------------===//
// Scores and weights chains
//===----------------------------------------------------------------------===//

// -----

// !attn.scores cannot be passed in: a spec is self-contained.
func.func @scores_argument(%s: !attn.scores) {
  // expected-error @+1 {{'attn.mask' op scores must come from a chain rooted in attn.score within the same function; !attn.scores values cannot be passed in}}
  %m = attn.mask %s, #attn.causal
  return
}

// -----

func.func @scores_argument_modify(%s: !attn.scores) {
  // expected-error @+1 {{'attn.modify' op scores must come from a chain rooted in attn.score}}
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %x : f32
  }
  return
}

// -----

func.func @scores_argument_decay(%s: !attn.scores) {
  // expected-error @+1 {{'attn.decay' op scores must come from a chain rooted in attn.score}}
  %d = attn.decay %s exponential rates [0.5]
  return
}

// -----

func.func @scores_argument_normalize(%s: !attn.scores) {
  // expected-error @+1 {{'attn.normalize' op scores must come from a chain rooted in attn.score}}
  %w = attn.normalize %s softmax
  return
}

// -----

func.func @weights_argument(%w: !attn.weights, %v: tensor<?x?x?x8xf16>) {
  // expected-error @+1 {{'attn.aggregate' op weights must come from attn.normalize in the same function}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x8xf16> -> tensor<?x?x?x8xf16>
  return
}

// -----

// Scores from a foreign op (unregistered ops are not allowed, and neither
// are other dialects' ops producing !attn.scores).
func.func private @make_scores() -> !attn.scores
func.func @scores_from_call() {
  %s = func.call @make_scores() : () -> !attn.scores
  // expected-error @+1 {{'attn.normalize' op scores must come from a chain rooted in attn.score}}
  %w = attn.normalize %s softmax
  return
}

// -----

func.func @normalize_of_weights(%q: tensor<?x?x?x8xf16>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  // expected-note @+1 {{prior use here}}
  %w = attn.normalize %s softmax
  // expected-error @+1 {{use of value '%w' expects different type than prior uses: '!attn.scores' vs '!attn.weights'}}
  %w2 = attn.normalize %w softmax
  return
}

// -----

func.func @aggregate_of_scores(%q: tensor<?x?x?x8xf16>) {
  // expected-note @+1 {{prior use here}}
  %s = attn.score %q, %q : tensor<?x?x?x8xf16>, tensor<?x?x?x8xf16>
  // expected-error @+1 {{use of value '%s' expects different type than prior uses: '!attn.weights' vs '!attn.scores'}}
  %o = attn.aggregate %s, %q : tensor<?x?x?x8xf16> -> tensor<?x?x?x8xf16>
  return
}

// -----

// Verifiers do not run in program order: an op using a not yet verified,
// invalid score reports the score's error instead of reading its shape.
func.func @forward_reference_invalid_score(%q: tensor<2x3xf32>) {
  %d = attn.decay %s exponential rates [0.5]
  // expected-error @+1 {{'attn.score' op query must be a rank-4 tensor}}
  %s = attn.score %q, %q : tensor<2x3xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @forward_reference_decay(%q: tensor<2x3xf32>) {
  // expected-error @+1 {{'attn.score' op query must be a rank-4 tensor}}
  %s = attn.score %q, %q : tensor<2x3xf32>, tensor<2x3xf32>
  %d = attn.decay %s exponential rates [0.5]
  return
}

// -----

// A cycle of forward references ends the walk to the root.
func.func @scores_cycle() {
  // expected-error @+1 {{'attn.decay' op scores must come from a chain rooted in attn.score}}
  %a = attn.decay %b exponential rates [0.5]
  %b = attn.decay %a exponential rates [0.5]
  return
}

// -----

func.func @scores_cycle_normalize() {
  // expected-error @+1 {{'attn.normalize' op scores must come from a chain rooted in attn.score}}
  %w = attn.normalize %m softmax
  %m = attn.mask %m, #attn.causal
  return
}

// -----

// A chain op without operands (generic form), used before it is verified.
func.func @chain_op_without_operand() {
  // expected-error @+1 {{'attn.normalize' op scores must come from a chain rooted in attn.score}}
  %w = attn.normalize %d softmax
  %d = "attn.decay"() <{kind = #attn<decay_kind exponential>}> : () -> !attn.scores
  return
}

// -----

func.func @aggregate_before_normalize(%v: tensor<?x?x?x8xf16>, %x: !attn.scores) {
  %o = attn.aggregate %w, %v : tensor<?x?x?x8xf16> -> tensor<?x?x?x8xf16>
  // expected-error @+1 {{'attn.normalize' op scores must come from a chain rooted in attn.score}}
  %w = attn.normalize %x softmax
  return
}

// -----

// A mask op verified after the aggregate that inspects it (generic form,
// no mask attribute).
func.func @state_chain_unverified_mask(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op requires attribute 'mask'}}
  %m = "attn.mask"(%s) ({}) : (!attn.scores) -> !attn.scores
  %w = attn.normalize %m none
  %o, %f = attn.aggregate %w, %v : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

// A normalize op without its kind (generic form), used before it is verified.
func.func @aggregate_unverified_normalize(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %o = attn.aggregate %w, %v : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op requires attribute 'kind'}}
  %w = "attn.normalize"(%s) : (!attn.scores) -> !attn.weights
  return
}

//===----------------------------------------------------------------------===//
// attn.modify
//===----------------------------------------------------------------------===//

// -----

func.func @modify_too_few_arguments(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region must take (score: f32, b, h, i, j: index, inputs...), i.e. (f32, index, index, index, index), got 1 arguments}}
  %m = attn.modify %s {
  ^bb0(%x: f32):
    attn.yield %x : f32
  }
  return
}

// -----

func.func @modify_wrong_argument_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region must take (score: f32, b, h, i, j: index, inputs...), i.e. (f32, index, index, index, index), got 5 arguments}}
  %m = attn.modify %s {
  ^bb0(%x: f64, %b: index, %h: index, %i: index, %j: index):
    %y = arith.truncf %x : f64 to f32
    attn.yield %y : f32
  }
  return
}

// -----

func.func @modify_missing_input_argument(%q: tensor<?x?x?x8xf32>, %t: tensor<?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region must take (score: f32, b, h, i, j: index, inputs...), i.e. (f32, index, index, index, index, tensor<?xf32>), got 5 arguments}}
  %m = attn.modify %s(%t : tensor<?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %x : f32
  }
  return
}

// -----

func.func @modify_yield_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region must yield 'f32', got 'f16'}}
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = arith.truncf %x : f32 to f16
    attn.yield %y : f16
  }
  return
}

// -----

func.func @modify_no_yield(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region must end in attn.yield}}
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    ub.unreachable
  }
  return
}

// -----

func.func @modify_no_terminator(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    // expected-error @+1 {{block with no terminator}}
    %y = arith.negf %x : f32
  }
  return
}

// -----

func.func @modify_empty_region(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region #0 ('body') failed to verify constraint: region with 1 blocks}}
  %m = attn.modify %s {
  }
  return
}

// -----

func.func @modify_two_blocks(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.modify' op region #0 ('body') failed to verify constraint: region with 1 blocks}}
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %x : f32
  ^bb1:
    %c = arith.constant 0.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func private @effect() -> f32

func.func @modify_side_effect(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    // expected-error @+1 {{'func.call' op has side effects; attn regions may only compute values (arith, math, tensor.extract)}}
    %y = func.call @effect() : () -> f32
    attn.yield %y : f32
  }
  return
}

// -----

func.func @modify_nested_region(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    // expected-error @+1 {{'tensor.generate' op has regions; attn regions must be straight-line code (use arith.select instead of control flow)}}
    %t = tensor.generate {
    ^bb0(%a: index):
      tensor.yield %x : f32
    } : tensor<4xf32>
    %c0 = arith.constant 0 : index
    %y = tensor.extract %t[%c0] : tensor<4xf32>
    attn.yield %y : f32
  }
  return
}

// -----

// The region is isolated from above: values of the function are inputs.
func.func @modify_captures(%q: tensor<?x?x?x8xf32>, %c: f32) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-note @+1 {{required by region isolation constraints}}
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    // expected-error @+1 {{'arith.mulf' op using value defined outside the region}}
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  return
}

// -----

func.func @modify_no_region(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %m = attn.modify %s
  // expected-error @-1 {{expected '{' to begin a region}}
  return
}

// -----

func.func @modify_attr_dict_without_keyword(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+2 {{Dialect `' not found for custom op 'tag'}}
  // expected-note @+1 {{Available dialects}}
  %m = attn.modify %s {tag} {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %x : f32
  }
  return
}

// -----

func.func @yield_outside(%x: f32) {
  // expected-error @+1 {{'attn.yield' op expects parent op to be one of 'attn.modify, attn.mask'}}
  attn.yield %x : f32
}

//===----------------------------------------------------------------------===//
// attn.mask
//===----------------------------------------------------------------------===//

// -----

func.func @mask_input_out_of_range(%q: tensor<?x?x?x8xf32>, %ids: tensor<?x?xi32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.document reads input 1 but the op has 1 tensor input(s); pass it as `(%x : type)` after the mask}}
  %m = attn.mask %s, #attn.document<input = 1> (%ids : tensor<?x?xi32>)
  return
}

// -----

func.func @mask_block_sparse_no_input(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.block_sparse reads input 0 but the op has 0 tensor input(s)}}
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.block_sparse<input = 0, q_block = 64, k_block = 64>]>
  return
}

// -----

func.func @document_ids_float(%q: tensor<?x?x?x8xf32>, %ids: tensor<?x?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.document segment ids must be an integer tensor [B, Nk] (one id per position), got 'tensor<?x?xf32>'}}
  %m = attn.mask %s, #attn.document<input = 0> (%ids : tensor<?x?xf32>)
  return
}

// -----

func.func @document_ids_rank(%q: tensor<?x?x?x8xf32>, %ids: tensor<?x?x?xi32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.document segment ids must be an integer tensor [B, Nk] (one id per position), got 'tensor<?x?x?xi32>'}}
  %m = attn.mask %s, #attn.document<input = 0> (%ids : tensor<?x?x?xi32>)
  return
}

// -----

func.func @document_ids_length(%q: tensor<2x4x16x8xf32>, %ids: tensor<2x15xi64>) {
  %s = attn.score %q, %q : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>
  // expected-error @+1 {{got 'tensor<2x15xi64>'}}
  %m = attn.mask %s, #attn.document<input = 0> (%ids : tensor<2x15xi64>)
  return
}

// -----

func.func @document_ids_batch(%q: tensor<2x4x16x8xf32>, %ids: tensor<3x16xi64>) {
  %s = attn.score %q, %q : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>
  // expected-error @+1 {{got 'tensor<3x16xi64>'}}
  %m = attn.mask %s, #attn.document<input = 0> (%ids : tensor<3x16xi64>)
  return
}

// -----

func.func @block_sparse_layout_rank(%q: tensor<?x?x?x8xf32>, %l: tensor<?x?xi1>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.block_sparse layout must be an integer (or i1) tensor [B or 1, Hq or 1, ceil(Nq/q_block), ceil(Nk/k_block)], got 'tensor<?x?xi1>'}}
  %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 64, k_block = 64> (%l : tensor<?x?xi1>)
  return
}

// -----

func.func @block_sparse_layout_float(%q: tensor<?x?x?x8xf32>, %l: tensor<?x?x?x?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.block_sparse layout must be an integer (or i1) tensor}}
  %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 64, k_block = 64> (%l : tensor<?x?x?x?xf32>)
  return
}

// -----

func.func @neighborhood_grid_mismatch(%q: tensor<?x?x1000x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x1000x8xf32>, tensor<?x?x1000x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.neighborhood_2d grid 32x32 does not hold as many positions as the keys (1000); height * width must equal Nk}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 7, kernel_w = 7, height = 32, width = 32>
  return
}

// -----

// height * width overflows int64: compared without multiplying.
func.func @neighborhood_grid_overflow(%q: tensor<?x?x4x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>
  // expected-error @+1 {{'attn.mask' op #attn.neighborhood_2d grid 4611686018427387904x4 does not hold as many positions as the keys (4)}}
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 1, kernel_w = 1, height = 4611686018427387904, width = 4>
  return
}

// -----

func.func @predicate_without_region(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op mask uses #attn.predicate but the op has no predicate region; add `{ ^bb0(%b: index, %h: index, %i: index, %j: index): ... attn.yield %keep : i1 }`}}
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.predicate]>
  return
}

// -----

func.func @region_without_predicate(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op the op has a predicate region but its mask does not use it; add #attn.predicate to the mask expression}}
  %m = attn.mask %s, #attn.causal {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    attn.yield %t : i1
  }
  return
}

// -----

func.func @predicate_signature(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op region must take (b, h, i, j: index, inputs...), i.e. (index, index, index, index), got 5 arguments}}
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    attn.yield %t : i1
  }
  return
}

// -----

func.func @predicate_signature_i64(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op region must take (b, h, i, j: index, inputs...), i.e. (index, index, index, index), got 4 arguments}}
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%b: i64, %h: i64, %i: i64, %j: i64):
    %t = arith.cmpi sge, %i, %j : i64
    attn.yield %t : i1
  }
  return
}

// -----

func.func @predicate_input_argument(%q: tensor<?x?x?x8xf32>, %t: tensor<?xi64>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{i.e. (index, index, index, index, tensor<?xi64>), got 5 arguments}}
  %m = attn.mask %s, #attn.predicate (%t : tensor<?xi64>) {
  ^bb0(%b: index, %h: index, %i: index, %j: index, %x: tensor<?xi32>):
    %c = arith.constant true
    attn.yield %c : i1
  }
  return
}

// -----

func.func @predicate_yield_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op region must yield 'i1', got 'f32'}}
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 1.0 : f32
    attn.yield %c : f32
  }
  return
}

// -----

func.func @predicate_two_blocks(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op expects a region with one block}}
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %t = arith.constant true
    attn.yield %t : i1
  ^bb1:
    %f = arith.constant false
    attn.yield %f : i1
  }
  return
}

// -----

func.func @predicate_no_yield(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op region must end in attn.yield}}
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    ub.unreachable
  }
  return
}

// -----

func.func private @keep(index, index) -> i1

func.func @predicate_side_effect(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    // expected-error @+1 {{'func.call' op has side effects; attn regions may only compute values}}
    %k = func.call @keep(%i, %j) : (index, index) -> i1
    attn.yield %k : i1
  }
  return
}

// -----

func.func @mask_unknown_keyword(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{expected attribute value}}
  %m = attn.mask %s, causal
  return
}

//===----------------------------------------------------------------------===//
// attn.decay
//===----------------------------------------------------------------------===//

// -----

func.func @exponential_neither(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay needs its per-head rates either as `rates [g0, g1, ...]` or as an input `(%rates : tensor<Hqxf32>)`, not neither}}
  %d = attn.decay %s exponential
  return
}

// -----

func.func @exponential_both(%q: tensor<?x?x?x8xf32>, %r: tensor<?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay needs its per-head rates either as `rates [g0, g1, ...]` or as an input `(%rates : tensor<Hqxf32>)`, not both}}
  %d = attn.decay %s exponential(%r : tensor<?xf32>) rates [0.5]
  return
}

// -----

func.func @exponential_rates_count(%q: tensor<?x4x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay has 3 rates but the spec has 4 query heads; give one rate per query head}}
  %d = attn.decay %s exponential rates [0.5, 0.5, 0.5]
  return
}

// -----

func.func @exponential_rate_zero(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay rates must lie in (0, 1], got 0}}
  %d = attn.decay %s exponential rates [0.5, 0.0]
  return
}

// -----

func.func @exponential_rate_above_one(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay rates must lie in (0, 1], got 1.5}}
  %d = attn.decay %s exponential rates [1.5]
  return
}

// -----

func.func @exponential_rate_nan(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay rates must lie in (0, 1], got nan}}
  %d = attn.decay %s exponential rates [0x7FF8000000000000]
  return
}

// -----

func.func @exponential_rates_integers(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+2 {{unexpected decimal integer literal for a floating point value}}
  // expected-note @+1 {{add a trailing dot to make the literal a float}}
  %d = attn.decay %s exponential rates [1, 1]
  return
}

// -----

func.func @exponential_rates_unclosed(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{expected ']'}}
  %d = attn.decay %s exponential rates [0.5, 0.5
  return
}

// -----

func.func @exponential_input_rank(%q: tensor<?x?x?x8xf32>, %r: tensor<?x?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay rates must be a rank-1 float tensor [Hq], got 'tensor<?x?xf32>'}}
  %d = attn.decay %s exponential(%r : tensor<?x?xf32>)
  return
}

// -----

func.func @exponential_input_int(%q: tensor<?x?x?x8xf32>, %r: tensor<?xi32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay rates must be a rank-1 float tensor [Hq], got 'tensor<?xi32>'}}
  %d = attn.decay %s exponential(%r : tensor<?xi32>)
  return
}

// -----

func.func @exponential_input_heads(%q: tensor<?x4x?x8xf32>, %r: tensor<8xf32>) {
  %s = attn.score %q, %q : tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>
  // expected-error @+1 {{'attn.decay' op exponential decay rates has 8 entries but the spec has 4 query heads}}
  %d = attn.decay %s exponential(%r : tensor<8xf32>)
  return
}

// -----

func.func @gated_no_input(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op gated decay needs its per-token log-gates as an input `(%g : tensor<...xf32>)`}}
  %d = attn.decay %s gated
  return
}

// -----

func.func @gated_with_rates(%q: tensor<?x?x?x8xf32>, %g: tensor<?x?x?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op `rates` belongs to exponential decay; gated decay reads its log-gates from the input}}
  %d = attn.decay %s gated(%g : tensor<?x?x?xf32>) rates [0.5]
  return
}

// -----

func.func @gated_rank(%q: tensor<?x?x?x8xf32>, %g: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.decay' op gated decay log-gates must be a rank-3 float tensor [B, Hq, Nk], got 'tensor<?x?x?x8xf32>'}}
  %d = attn.decay %s gated(%g : tensor<?x?x?x8xf32>)
  return
}

// -----

func.func @gated_shape(%q: tensor<2x4x16x8xf32>, %g: tensor<2x16x4xf32>) {
  %s = attn.score %q, %q : tensor<2x4x16x8xf32>, tensor<2x4x16x8xf32>
  // expected-error @+1 {{'attn.decay' op gated decay log-gates 'tensor<2x16x4xf32>' does not match [B, Hq, Nk] with B=2, Hq=4, Nk=16}}
  %d = attn.decay %s gated(%g : tensor<2x16x4xf32>)
  return
}

// -----

func.func @gated_shape_bshd(%q: tensor<?x16x4x8xf32>, %g: tensor<?x4x16xf32>) {
  %s = attn.score %q, %q layout bshd : tensor<?x16x4x8xf32>, tensor<?x16x4x8xf32>
  // expected-error @+1 {{'attn.decay' op gated decay log-gates 'tensor<?x4x16xf32>' does not match [B, Nk, Hq] with B=?, Hq=4, Nk=16}}
  %d = attn.decay %s gated(%g : tensor<?x4x16xf32>)
  return
}

// -----

func.func @decay_unknown_kind(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+2 {{custom op 'attn.decay' expected ::mlir::attn::DecayKind to be one of: exponential, gated}}
  // expected-error @+1 {{failed to parse Attn_DecayKindAttr parameter 'value'}}
  %d = attn.decay %s linear rates [0.5]
  return
}

//===----------------------------------------------------------------------===//
// attn.normalize
//===----------------------------------------------------------------------===//

// -----

func.func @sinks_not_softmax(%q: tensor<?x?x?x8xf32>, %sinks: tensor<?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op sink logits only apply to softmax, not sigmoid}}
  %w = attn.normalize %s sigmoid sinks(%sinks : tensor<?xf32>)
  return
}

// -----

func.func @sinks_rank(%q: tensor<?x?x?x8xf32>, %sinks: tensor<?x?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op sink logits must be a rank-1 float tensor [Hq], got 'tensor<?x?xf32>'}}
  %w = attn.normalize %s softmax sinks(%sinks : tensor<?x?xf32>)
  return
}

// -----

func.func @sinks_heads(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>, %sinks: tensor<2xbf16>) {
  %s = attn.score %q, %k : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op sink logits has 2 entries but the spec has 4 query heads}}
  %w = attn.normalize %s softmax sinks(%sinks : tensor<2xbf16>)
  return
}

// -----

func.func @bias_not_sigmoid(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op `bias` only applies to sigmoid, not softmax}}
  %w = attn.normalize %s softmax bias -1.0
  return
}

// -----

func.func @power_not_softplus(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op `power` only applies to softplus_l1, not relu2}}
  %w = attn.normalize %s relu2 power 2.0
  return
}

// -----

func.func @power_zero(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op `power` must be positive and finite, got 0}}
  %w = attn.normalize %s softplus_l1 power 0.0
  return
}

// -----

func.func @power_negative(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op `power` must be positive and finite, got -1}}
  %w = attn.normalize %s softplus_l1 power -1.0
  return
}

// -----

func.func @power_inf(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.normalize' op `power` must be positive and finite, got INF}}
  %w = attn.normalize %s softplus_l1 power 0x7FF0000000000000
  return
}

// -----

func.func @normalize_unknown_kind(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{custom op 'attn.normalize' expected ::mlir::attn::NormalizeKind to be one of: softmax, sigmoid, softplus_l1, relu, relu2, none, sum}}
  %w = attn.normalize %s entmax
  // expected-error @+1 {{failed to parse Attn_NormalizeKindAttr parameter 'value'}}
  return
}

// -----

// Keywords come in their order: bias before sinks is not accepted.
func.func @normalize_group_order(%q: tensor<?x?x?x8xf32>, %sinks: tensor<?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax bias 1.0 sinks(%sinks : tensor<?xf32>)
  // expected-error @-1 {{custom op 'sinks' is unknown}}
  return
}

//===----------------------------------------------------------------------===//
// attn.aggregate
//===----------------------------------------------------------------------===//

// -----

func.func @values_rank(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values must be a rank-4 tensor [B, H, N, D] (BHSD) or [B, N, H, D] (BSHD), got 'tensor<?x?x8xf32>'}}
  %o = attn.aggregate %w, %v : tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  return
}

// -----

func.func @values_dynamic_head_dim(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x?x?xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values must have a static head dim (last axis)}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return
}

// -----

func.func @values_zero_head_dim(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x?x0xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values must have a non-zero head dim, got 'tensor<?x?x?x0xf32>'}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x0xf32> -> tensor<?x?x?x0xf32>
  return
}

// -----

func.func @values_element_type(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x?x8xbf16>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values must have the element type of the queries and keys ('f32'), got 'bf16'}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x8xbf16> -> tensor<?x?x?x8xbf16>
  return
}

// -----

func.func @values_batch(%q: tensor<2x?x?x8xf32>, %v: tensor<3x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<2x?x?x8xf32>, tensor<2x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values axis 0 (batch) is 3 but must be 2 to match the rest of the spec}}
  %o = attn.aggregate %w, %v : tensor<3x?x?x8xf32> -> tensor<3x?x?x8xf32>
  return
}

// -----

func.func @values_heads(%q: tensor<?x8x?x8xf32>, %k: tensor<?x2x?x8xf32>, %v: tensor<?x8x?x8xf32>) {
  %s = attn.score %q, %k : tensor<?x8x?x8xf32>, tensor<?x2x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values axis 1 (key/value heads) is 8 but must be 2 to match the rest of the spec}}
  %o = attn.aggregate %w, %v : tensor<?x8x?x8xf32> -> tensor<?x8x?x8xf32>
  return
}

// -----

func.func @values_length_bshd(%q: tensor<?x16x?x8xf32>, %v: tensor<?x17x?x8xf32>) {
  %s = attn.score %q, %q layout bshd : tensor<?x16x?x8xf32>, tensor<?x16x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op values axis 1 (key length) is 17 but must be 16 to match the rest of the spec}}
  %o = attn.aggregate %w, %v : tensor<?x17x?x8xf32> -> tensor<?x17x?x8xf32>
  return
}

// -----

func.func @output_element_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op output must be a rank-4 tensor of the values' element type 'f32', got 'tensor<?x?x?x8xf16>'}}
  %o = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf16>
  return
}

// -----

func.func @output_rank(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op output must be a rank-4 tensor of the values' element type 'f32', got 'tensor<?x?x8xf32>'}}
  %o = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x8xf32>
  return
}

// -----

func.func @output_not_a_tensor(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op result #0 must be ranked tensor of any type values, but got 'f32'}}
  %o = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> f32
  return
}

// -----

func.func @output_heads(%q: tensor<?x8x?x8xf32>, %k: tensor<?x2x?x8xf32>) {
  %s = attn.score %q, %k : tensor<?x8x?x8xf32>, tensor<?x2x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op output axis 1 (query heads) is 2 but must be 8 to match the rest of the spec}}
  %o = attn.aggregate %w, %k : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  return
}

// -----

func.func @output_batch(%q: tensor<2x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<2x?x?x8xf32>, tensor<2x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op output axis 0 (batch) is 1 but must be 2 to match the rest of the spec}}
  %o = attn.aggregate %w, %q : tensor<2x?x?x8xf32> -> tensor<1x?x?x8xf32>
  return
}

// -----

func.func @output_length(%q: tensor<?x?x5x8xf32>, %k: tensor<?x?x7x8xf32>) {
  %s = attn.score %q, %k : tensor<?x?x5x8xf32>, tensor<?x?x7x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op output axis 2 (query length) is 7 but must be 5 to match the rest of the spec}}
  %o = attn.aggregate %w, %k : tensor<?x?x7x8xf32> -> tensor<?x?x7x8xf32>
  return
}

// -----

func.func @output_head_dim(%q: tensor<?x?x?x8xf32>, %v: tensor<?x?x?x16xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op output axis 3 (value head dim) is 8 but must be 16 to match the rest of the spec}}
  %o = attn.aggregate %w, %v : tensor<?x?x?x16xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @lse_not_softmax(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s sigmoid
  // expected-error @+1 {{'attn.aggregate' op log-sum-exp is only defined for softmax, not sigmoid; drop the `lse` result}}
  %o, %lse = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, lse tensor<?x?x?xf32>
  return
}

// -----

func.func @lse_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op log-sum-exp must be an f32 tensor [B, Hq, Nq] (in every layout), got 'tensor<?x?x?xf16>'}}
  %o, %lse = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, lse tensor<?x?x?xf16>
  return
}

// -----

func.func @lse_bshd_shape(%q: tensor<2x16x4x8xf32>) {
  %s = attn.score %q, %q layout bshd : tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op log-sum-exp must be an f32 tensor [B, Hq, Nq] (in every layout), got 'tensor<2x16x4xf32>'}}
  %o, %lse = attn.aggregate %w, %q : tensor<2x16x4x8xf32> -> tensor<2x16x4x8xf32>, lse tensor<2x16x4xf32>
  return
}

// -----

func.func @state_not_none(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s sum
  // expected-error @+1 {{'attn.aggregate' op recurrent states are defined for linear attention with `normalize none`, not sum}}
  %o, %f = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

func.func @initial_state_softmax(%q: tensor<?x?x?x8xf32>, %s0: tensor<?x?x8x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op recurrent states are defined for linear attention with `normalize none`, not softmax}}
  %o = attn.aggregate %w, %q initial_state(%s0 : tensor<?x?x8x8xf32>) : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @state_with_modifier(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m none
  // expected-error @+1 {{'attn.aggregate' op recurrent states need a bilinear score; the attn.modify in the chain prevents it}}
  %o, %f = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

func.func @state_with_window(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op recurrent states allow only a causal mask, got #attn.window<16, 0>}}
  %m = attn.mask %s, #attn.window<16, 0>
  %w = attn.normalize %m none
  %o, %f = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

func.func @state_with_and_causal(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  // expected-error @+1 {{'attn.mask' op recurrent states allow only a causal mask, got #attn.and<[#attn.causal]>}}
  %m = attn.mask %s, #attn.and<[#attn.causal]>
  %w = attn.normalize %m none
  %o, %f = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

func.func @state_lengths(%q: tensor<?x?x4x8xf32>, %k: tensor<?x?x6x8xf32>) {
  %s = attn.score %q, %k : tensor<?x?x4x8xf32>, tensor<?x?x6x8xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // expected-error @+1 {{'attn.aggregate' op recurrent states need as many queries as keys (Nq = Nk)}}
  %o, %f = attn.aggregate %w, %k : tensor<?x?x6x8xf32> -> tensor<?x?x4x8xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

func.func @state_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s none
  // expected-error @+1 {{'attn.aggregate' op final state must be an f32 tensor [B, Hq, F, Dv] = [?, ?, 8, 8], got 'tensor<?x?x8x8xbf16>'}}
  %o, %f = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xbf16>
  return
}

// -----

func.func @state_feature_dim(%q: tensor<2x4x?x8xf32>, %v: tensor<2x4x?x16xf32>, %s0: tensor<2x4x8x16xf32>) {
  %s = attn.score %q, %q feature_map taylor2 : tensor<2x4x?x8xf32>, tensor<2x4x?x8xf32>
  %w = attn.normalize %s none
  // expected-error @+1 {{'attn.aggregate' op initial state must be an f32 tensor [B, Hq, F, Dv] = [2, 4, 73, 16], got 'tensor<2x4x8x16xf32>'}}
  %o = attn.aggregate %w, %v initial_state(%s0 : tensor<2x4x8x16xf32>) : tensor<2x4x?x16xf32> -> tensor<2x4x?x16xf32>
  return
}

// -----

func.func @state_heads(%q: tensor<?x4x?x8xf32>, %k: tensor<?x2x?x8xf32>) {
  %s = attn.score %q, %k : tensor<?x4x?x8xf32>, tensor<?x2x?x8xf32>
  %w = attn.normalize %s none
  // expected-error @+1 {{'attn.aggregate' op final state must be an f32 tensor [B, Hq, F, Dv] = [?, 4, 8, 8], got 'tensor<?x2x8x8xf32>'}}
  %o, %f = attn.aggregate %w, %k : tensor<?x2x?x8xf32> -> tensor<?x4x?x8xf32>, state tensor<?x2x8x8xf32>
  return
}

// -----

func.func @norm_eps_zero(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op norm_eps must be positive}}
  %o = attn.aggregate %w, %q norm rms {norm_eps = 0.0 : f64} : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @norm_eps_nan(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op norm_eps must be positive}}
  %o = attn.aggregate %w, %q norm layer {norm_eps = 0x7FF8000000000000 : f64} : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @norm_eps_type(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op attribute 'norm_eps' failed to satisfy constraint: 64-bit float attribute}}
  %o = attn.aggregate %w, %q norm rms {norm_eps = 1.0e-6 : f32} : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @norm_unknown(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+2 {{custom op 'attn.aggregate' expected ::mlir::attn::OutputNorm to be one of: rms, layer}}
  // expected-error @+1 {{failed to parse Attn_OutputNormAttr parameter 'value'}}
  %o = attn.aggregate %w, %q norm group : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @extra_result_unknown(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{expected 'lse' or 'state'}}
  %o, %m = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, max tensor<?x?x?xf32>
  return
}

// -----

func.func @extra_result_twice(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{result given twice}}
  %o, %a, %b = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, lse tensor<?x?x?xf32>, lse tensor<?x?x?xf32>
  return
}

// -----

func.func @extra_result_order(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s none
  // expected-error @+1 {{'lse' must come before 'state'}}
  %o, %a, %b = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, state tensor<?x?x8x8xf32>, lse tensor<?x?x?xf32>
  return
}

// -----

// lse and state together: only softmax has an lse, only none has states.
func.func @lse_and_state(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s none
  // expected-error @+1 {{'attn.aggregate' op log-sum-exp is only defined for softmax, not none}}
  %o, %a, %b = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>, lse tensor<?x?x?xf32>, state tensor<?x?x8x8xf32>
  return
}

// -----

func.func @aggregate_result_count(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{operation defines 1 results but was provided 2 to bind}}
  %o, %lse = attn.aggregate %w, %q : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @aggregate_bad_segments(%q: tensor<?x?x?x8xf32>) {
  %s = attn.score %q, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op result count (1) does not match with the total size (2) specified in attribute 'resultSegmentSizes'}}
  %o = "attn.aggregate"(%w, %q) <{norm_eps = 1.0e-6 : f64, resultSegmentSizes = array<i32: 1, 1, 0>}> : (!attn.weights, tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32>
  return
}

// -----

func.func @unknown_op(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{custom op 'attn.attention' is unknown}}
  %o = attn.attention %q, %q, %q : tensor<?x?x?x8xf32>
  return
}

// -----

// expected-error @+1 {{unknown  type `matrix` in dialect `attn`}}
func.func private @unknown_type(!attn.matrix)

// -----

//===----------------------------------------------------------------------===//
// attn.kernel
//===----------------------------------------------------------------------===//

func.func @kernel_arg_mismatch(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{region must take one argument per operand, of the same types (3 operands, 2 arguments)}}
  %o = attn.kernel(%q, %q, %q) : (tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>, %v0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %v0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_captures(%q: tensor<?x?x?x8xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %o = attn.kernel(%q) : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    // expected-error @+1 {{using value defined outside the region}}
    %s = attn.score %q0, %q : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_no_aggregate(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{must hold the attn.aggregate of a spec chain}}
  %o = attn.kernel(%q) : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    attn.return %q0 : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_two_aggregates(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{must hold exactly one attn.aggregate; fuse each chain into its own attn.kernel}}
  %o = attn.kernel(%q) : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    %b = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_returns_other(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{attn.return must return exactly the attn.aggregate's results, in order}}
  %o = attn.kernel(%q) : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %q0 : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_result_types(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{result types must be the attn.aggregate's}}
  %o = attn.kernel(%q) : (tensor<?x?x?x8xf32>) -> tensor<1x1x1x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @return_outside_kernel(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{expects parent op 'attn.kernel'}}
  attn.return %q : tensor<?x?x?x8xf32>
}

// -----

func.func @kernel_plan_incomplete(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{plan lacks 'stages'; a kernel's plan gives algorithm, block_m, block_n, warps and stages}}
  %o = attn.kernel(%q) attributes {plan = {algorithm = "quadratic", block_m = 64 : i64, block_n = 64 : i64, warps = 4 : i64}} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_plan_block_m(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{plan block_m = 96 must be a multiple of 16 * warps = 64 (16 query rows per warp)}}
  %o = attn.kernel(%q) attributes {plan = {algorithm = "quadratic", block_m = 96 : i64, block_n = 64 : i64, warps = 4 : i64, stages = 2 : i64}} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_plan_algorithm(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{plan algorithm must be "quadratic" or "chunked", got "linear"}}
  %o = attn.kernel(%q) attributes {plan = {algorithm = "linear"}} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_plan_matrix_ops(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{plan matrix_ops must be "warpgroup" or "warp", got "wgmma"}}
  %o = attn.kernel(%q) attributes {plan = {matrix_ops = "wgmma"}} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_plan_unknown_key(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{plan has unknown key 'block_k'; expected algorithm, block_m, block_n, warps, stages or matrix_ops}}
  %o = attn.kernel(%q) attributes {plan = {block_k = 32 : i64}} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_plan_warps(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{plan warps = 3 is not supported; use 1, 2, 4 or 8}}
  %o = attn.kernel(%q) attributes {plan = {warps = 3 : i64}} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

func.func @kernel_mask_class(%q: tensor<?x?x?x8xf32>) {
  // expected-error @+1 {{mask class "dynamic" is not one of "static", "device", "elementwise"}}
  %o = attn.kernel(%q) attributes {mask_classes = ["dynamic"]} : (tensor<?x?x?x8xf32>) -> tensor<?x?x?x8xf32> {
  ^bb0(%q0: tensor<?x?x?x8xf32>):
    %s = attn.score %q0, %q0 : tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %q0 : tensor<?x?x?x8xf32> -> tensor<?x?x?x8xf32>
    attn.return %a : tensor<?x?x?x8xf32>
  }
  return
}

// -----

//===----------------------------------------------------------------------===//
// attn.plan (AttnDialect.cpp)
//===----------------------------------------------------------------------===//

func.func @bad_warps(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{'attn.aggregate' op in attn.plan: plan warps = 6 is not supported; use 1, 2, 4 or 8}}
  %o = attn.aggregate %w, %q {attn.plan = {warps = 6 : i64}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @bad_block_n(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{in attn.plan: plan block_n = 40 must be a positive multiple of 16}}
  %o = attn.aggregate %w, %q {attn.plan = {block_n = 40 : i64}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @bad_block_m(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{in attn.plan: plan block_m = 64 must be a multiple of 16 * warps = 128 (16 query rows per warp)}}
  %o = attn.aggregate %w, %q {attn.plan = {block_m = 64 : i64, warps = 8 : i64}} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @not_a_dictionary(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax
  // expected-error @+1 {{attn.plan must be a dictionary such as {block_m = 128 : i64, block_n = 64 : i64}, got "fast"}}
  %o = attn.aggregate %w, %q {attn.plan = "fast"} : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

func.func @plan_not_on_aggregate(%q: tensor<?x?x?x64xbf16>) {
  // expected-error @+1 {{'attn.score' op attn.plan belongs on the attn.aggregate whose chain it plans}}
  %s = attn.score %q, %q {attn.plan = {warps = 4 : i64}} : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  return
}
