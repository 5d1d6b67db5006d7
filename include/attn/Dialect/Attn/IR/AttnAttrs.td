//===- AttnAttrs.td - attn enums and mask attributes -------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Enumerations (feature maps, layouts, decay and normalisation kinds) and the
// structured mask expressions of `attn.mask`. Mask attributes that read data
// (document ids, block-sparse layouts) name one of the mask op's tensor
// inputs by position, so that a mask stays an attribute and can be combined
// with `#attn.and` / `#attn.or` and analysed statically.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enumerations
//===----------------------------------------------------------------------===//

def Attn_FeatureMap : I32EnumAttr<"FeatureMap",
    "row-wise feature map applied to queries and keys before the product", [
      I32EnumAttrCase<"identity", 0>,
      I32EnumAttrCase<"elu_plus_one", 1>,
      I32EnumAttrCase<"relu", 2>,
      I32EnumAttrCase<"exp", 3>,
      I32EnumAttrCase<"taylor2", 4>,
      I32EnumAttrCase<"hedgehog", 5>,
      I32EnumAttrCase<"l2norm", 6>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_FeatureMapAttr : EnumAttr<Attn_Dialect, Attn_FeatureMap,
                                   "feature_map">;

def Attn_Layout : I32EnumAttr<"Layout",
    "memory order of the batch, head, sequence and head-dim axes", [
      I32EnumAttrCase<"bhsd", 0>,
      I32EnumAttrCase<"bshd", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_LayoutAttr : EnumAttr<Attn_Dialect, Attn_Layout, "layout">;

def Attn_DecayKind : I32EnumAttr<"DecayKind",
    "how the decay factor D_ij is formed", [
      // gamma_h ^ |p - j| (p the aligned query position), per-head rates (RetNet, Lightning Attention).
      I32EnumAttrCase<"exponential", 0>,
      // exp(G_p - G_j) for j <= p, symmetric above; G the running sum of per-token log-gates (Mamba2,
      // simple GLA).
      I32EnumAttrCase<"gated", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_DecayKindAttr : EnumAttr<Attn_Dialect, Attn_DecayKind, "decay_kind">;

def Attn_NormalizeKind : I32EnumAttr<"NormalizeKind",
    "how scores become weights", [
      I32EnumAttrCase<"softmax", 0>,
      I32EnumAttrCase<"sigmoid", 1>,
      I32EnumAttrCase<"softplus_l1", 2>,
      I32EnumAttrCase<"relu", 3>,
      I32EnumAttrCase<"relu2", 4>,
      I32EnumAttrCase<"none", 5>,
      I32EnumAttrCase<"sum", 6>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_NormalizeKindAttr : EnumAttr<Attn_Dialect, Attn_NormalizeKind,
                                      "normalize_kind">;

def Attn_OutputNorm : I32EnumAttr<"OutputNorm",
    "normalisation of each output row o_i over its Dv channels", [
      I32EnumAttrCase<"rms", 0>,
      I32EnumAttrCase<"layer", 1>
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_OutputNormAttr : EnumAttr<Attn_Dialect, Attn_OutputNorm,
                                   "output_norm">;

//===----------------------------------------------------------------------===//
// Mask expressions
//===----------------------------------------------------------------------===//

def Attn_CausalAttr : Attn_Attr<"Causal", "causal"> {
  let summary = "key j visible from query position p iff j <= p";
}

def Attn_WindowAttr : Attn_Attr<"Window", "window"> {
  let summary = "key j visible iff p - left <= j <= p + right";
  let parameters = (ins "int64_t":$left, "int64_t":$right);
  let assemblyFormat = "`<` $left `,` $right `>`";
  let genVerifyDecl = 1;
}

def Attn_SinksAttr : Attn_Attr<"Sinks", "sinks"> {
  let summary = "the first `count` keys are visible from every query";
  let parameters = (ins "int64_t":$count);
  let assemblyFormat = "`<` $count `>`";
  let genVerifyDecl = 1;
}

def Attn_BlockDiagonalAttr : Attn_Attr<"BlockDiagonal", "block_diagonal"> {
  let summary = "key j visible iff floor(p / size) == floor(j / size)";
  let parameters = (ins "int64_t":$size);
  let assemblyFormat = "`<` $size `>`";
  let genVerifyDecl = 1;
}

def Attn_DilatedAttr : Attn_Attr<"Dilated", "dilated"> {
  let summary = "key j visible iff (p - j) mod stride == 0";
  let parameters = (ins "int64_t":$stride);
  let assemblyFormat = "`<` $stride `>`";
  let genVerifyDecl = 1;
}

def Attn_PrefixAttr : Attn_Attr<"Prefix", "prefix"> {
  let summary = "the first `length` keys are visible from every query "
                "(combine with #attn.causal through #attn.or for prefix-LM)";
  let parameters = (ins "int64_t":$length);
  let assemblyFormat = "`<` $length `>`";
  let genVerifyDecl = 1;
}

def Attn_DocumentAttr : Attn_Attr<"Document", "document"> {
  let summary = "key j visible iff it lies in the same document as query p";
  let description = [{
    `input` names the mask op's tensor input holding one integer segment id
    per position, shaped `[B, Nk]`; the query at position `p` belongs to
    document `ids[b, p]`.
  }];
  let parameters = (ins "int64_t":$input);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_Neighborhood2DAttr : Attn_Attr<"Neighborhood2D", "neighborhood_2d"> {
  let summary = "2-D neighbourhood attention (NATTEN) over a row-major grid";
  let description = [{
    Positions are laid out row-major on a `height x width` grid. Along each
    axis, the query sees the `kernel` keys of its dilation group nearest to
    it, the window shifted inward at the borders (NATTEN's rule).
  }];
  let parameters = (ins "int64_t":$kernel_h, "int64_t":$kernel_w,
                        "int64_t":$height, "int64_t":$width,
                        DefaultValuedParameter<"int64_t", "1">:$dilation_h,
                        DefaultValuedParameter<"int64_t", "1">:$dilation_w);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_BlockSparseAttr : Attn_Attr<"BlockSparse", "block_sparse"> {
  let summary = "a block layout input selects visible (query, key) blocks";
  let description = [{
    `input` names the mask op's tensor input shaped
    `[B or 1, Hq or 1, ceil(Nq / q_block), ceil(Nk / k_block)]`; a non-zero
    entry makes its block visible. Query blocks count rows of Q (not aligned
    positions), as a GPU tiles them.
  }];
  let parameters = (ins "int64_t":$input, "int64_t":$q_block,
                        "int64_t":$k_block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def Attn_PredicateAttr : Attn_Attr<"Predicate", "predicate"> {
  let summary = "the i1 yielded by the mask op's predicate region";
}

def Attn_AndAttr : Attn_Attr<"And", "and"> {
  let summary = "visible iff every operand mask is";
  let parameters = (ins ArrayRefParameter<"::mlir::Attribute">:$masks);
  let assemblyFormat = "`<` `[` $masks `]` `>`";
  let genVerifyDecl = 1;
}

def Attn_OrAttr : Attn_Attr<"Or", "or"> {
  let summary = "visible iff any operand mask is";
  let parameters = (ins ArrayRefParameter<"::mlir::Attribute">:$masks);
  let assemblyFormat = "`<` `[` $masks `]` `>`";
  let genVerifyDecl = 1;
}

def Attn_AnyMaskAttr : AnyAttrOf<[
    Attn_CausalAttr, Attn_WindowAttr, Attn_SinksAttr, Attn_BlockDiagonalAttr,
    Attn_DilatedAttr, Attn_PrefixAttr, Attn_DocumentAttr,
    Attn_Neighborhood2DAttr, Attn_BlockSparseAttr, Attn_PredicateAttr,
    Attn_AndAttr, Attn_OrAttr]>;

#endif // ATTN_DIALECT_ATTN_IR_ATTNATTRS_TD
