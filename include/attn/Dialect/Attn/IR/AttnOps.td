//===- AttnOps.td - attn types and operations --------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Level 1 of attn's IR: the spec. Every op but `attn.aggregate` produces an
// abstract score or weight matrix (`!attn.scores`, `!attn.weights`) indexed by
// (batch, query head, query row, key row); nothing is materialised.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNOPS_TD
#define ATTN_DIALECT_ATTN_IR_ATTNOPS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "attn/Dialect/Attn/IR/AttnAttrs.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Attn_ScoresType : Attn_Type<"Scores", "scores"> {
  let summary = "an abstract score matrix s'_ij with its mask and decay";
  let description = [{
    The value of a score chain before normalisation: for every (b, h, i, j)
    a score, a visibility bit and a decay factor. It exists only inside a
    spec and is never materialised.
  }];
}

def Attn_WeightsType : Attn_Type<"Weights", "weights"> {
  let summary = "an abstract weight matrix w_ij";
}

//===----------------------------------------------------------------------===//
// attn.score
//===----------------------------------------------------------------------===//

def Attn_ScoreOp : Attn_Op<"score", [Pure, AttrSizedOperandSegments]> {
  let summary = "scaled inner products of feature-mapped queries and keys";
  let description = [{
    `s_ij = scale * <phi(q_i), phi(k_j)>`, or with a per-channel log-gate
    input (GLA) `s_ij = scale * sum_d phi(q)_id phi(k)_jd exp(G_pd - G_jd)`
    for `j <= p` (symmetric above the diagonal), `p` the aligned query position,
    `G` the running sum over positions of the gate input.

    `query` is `[B, Hq, Nq, Dk]` and `key` `[B, Hkv, Nk, Dk]` in BHSD layout
    (`[B, N, H, D]` in BSHD); `Hq` must be a multiple of `Hkv` (GQA). Head
    dims are static; batch, heads and lengths may be dynamic. The scale
    defaults to `1/sqrt(Dk)`. The `hedgehog` feature map takes its weights
    `[Hq, Dk, F']` and `[Hkv, Dk, F']` for queries and keys (phi has
    `F = 2F'` features).

    ```mlir
    %s = attn.score %q, %k scale 0.0883883 layout bshd
        : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
    %g = attn.score %q, %k feature_map elu_plus_one gate(%gk : tensor<?x?x?x64xf32>)
        : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    ```
  }];
  let arguments = (ins
    // Queries and keys, rank 4 in `layout`.
    AnyRankedTensor:$query,
    AnyRankedTensor:$key,
    // Per-channel per-token log-gates shaped like `key` but with Hq heads.
    Optional<AnyRankedTensor>:$gate,
    // Hedgehog's feature-map weights for queries and keys.
    Optional<AnyRankedTensor>:$query_weights,
    Optional<AnyRankedTensor>:$key_weights,
    OptionalAttr<F64Attr>:$scale,
    DefaultValuedAttr<Attn_FeatureMapAttr, "::mlir::attn::FeatureMap::identity">:$feature_map,
    DefaultValuedAttr<Attn_LayoutAttr, "::mlir::attn::Layout::bhsd">:$layout
  );
  let results = (outs Attn_ScoresType:$result);
  // `` before an enum attribute: enums print their own leading space.
  let assemblyFormat = [{
    $query `,` $key (`scale` $scale^)? (`feature_map` `` $feature_map^)?
    (`layout` `` $layout^)?
    (`gate` `(` $gate^ `:` type($gate) `)`)?
    (`weights` `(` $query_weights^ `,` $key_weights `:` type($query_weights)
       `,` type($key_weights) `)`)?
    attr-dict `:` type($query) `,` type($key)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The scale applied to the inner product: `scale` or `1/sqrt(Dk)`.
    double getEffectiveScale();
    /// The head dim of queries and keys.
    int64_t getHeadDim();
    /// The length of phi(q) and phi(k) for head dim `Dk` (Dk, 1+Dk+Dk^2 for
    /// Taylor-2, 2F for Hedgehog).
    int64_t getFeatureDim();
  }];
}

//===----------------------------------------------------------------------===//
// attn.modify
//===----------------------------------------------------------------------===//

def Attn_ModifyOp : Attn_Op<"modify", [Pure, IsolatedFromAbove]> {
  let summary = "an element-wise score modifier given as a region";
  let description = [{
    `s'_ij = f(s_ij, b, h, i, j, inputs...)`. The region's block takes the
    score (`f32`), the batch, query head, aligned query position and key
    position (`index`), then one argument per tensor input; it yields the new
    score. Inputs are read with `tensor.extract` (ALiBi slopes, bias tables,
    per-query temperatures). Any arith/math ops may be used.

    ```mlir
    // Gemma-2 logit softcap, 50 * tanh(s / 50).
    %c = attn.modify %s {
    ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
      %cap = arith.constant 50.0 : f32
      %d = arith.divf %x, %cap : f32
      %t = math.tanh %d : f32
      %y = arith.mulf %t, %cap : f32
      attn.yield %y : f32
    }
    ```
  }];
  let arguments = (ins Attn_ScoresType:$scores,
                       Variadic<AnyRankedTensor>:$inputs);
  let results = (outs Attn_ScoresType:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $scores (`(` $inputs^ `:` type($inputs) `)`)? attr-dict-with-keyword $body
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// attn.mask
//===----------------------------------------------------------------------===//

def Attn_MaskOp : Attn_Op<"mask", [Pure, IsolatedFromAbove]> {
  let summary = "restricts which keys each query sees";
  let description = [{
    Applies a mask expression built from `#attn.causal`, `#attn.window`,
    `#attn.sinks`, `#attn.block_diagonal`, `#attn.dilated`, `#attn.prefix`,
    `#attn.document`, `#attn.neighborhood_2d`, `#attn.block_sparse`,
    `#attn.predicate`, `#attn.and` and `#attn.or`. Data-dependent masks name
    a tensor input by position. `#attn.predicate` stands for the op's region,
    which takes `(b, h, i, j : index, inputs...)` and yields `i1`. Chained
    masks combine with `and`.

    ```mlir
    %m = attn.mask %s, #attn.and<[#attn.causal, #attn.window<4095, 0>]>
    %d = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>
        (%ids : tensor<?x?xi32>)
    ```
  }];
  let arguments = (ins Attn_ScoresType:$scores, Attn_AnyMaskAttr:$mask,
                       Variadic<AnyRankedTensor>:$inputs);
  let results = (outs Attn_ScoresType:$result);
  let regions = (region AnyRegion:$predicate);
  // attr-dict-with-keyword before the region: a bare `{...}` after the mask
  // would be parsed as the (optional) predicate region.
  let assemblyFormat = [{
    $scores `,` $mask (`(` $inputs^ `:` type($inputs) `)`)?
    attr-dict-with-keyword ($predicate^)?
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// attn.decay
//===----------------------------------------------------------------------===//

def Attn_DecayOp : Attn_Op<"decay", [Pure]> {
  let summary = "multiplies the weights by a positional decay D_ij";
  let description = [{
    `exponential`: `D_ij = gamma_h ^ |p - j|`, the per-head rates given as
    `rates` (one per query head) or as a tensor input `[Hq]`.
    `gated`: `D_ij = exp(G_p - G_j)` for `j <= p` (and `exp(G_j - G_p)`
    above the diagonal), `G` the running sum over positions of the per-token
    log-gate input `[B, Hq, Nk]` (BHSD) or `[B, Nk, Hq]` (BSHD).
    For the softmax family the factor is a log-space bias `log D_ij`; for
    linear attention it multiplies the weights. The per-channel gate of GLA
    acts inside the inner product and is `attn.score`'s `gate`.

    ```mlir
    %r = attn.decay %m exponential rates [0.96875, 0.984375]
    %g = attn.decay %m gated(%lg : tensor<?x?x?xf32>)
    ```
  }];
  let arguments = (ins Attn_ScoresType:$scores, Attn_DecayKindAttr:$kind,
                       Optional<AnyRankedTensor>:$input,
                       OptionalAttr<DenseF64ArrayAttr>:$rates);
  let results = (outs Attn_ScoresType:$result);
  // custom<Rates>: DenseF64ArrayAttr's own printer rounds to 7 digits.
  let assemblyFormat = [{
    $scores `` $kind (`(` $input^ `:` type($input) `)`)?
    (`rates` custom<Rates>($rates)^)? attr-dict
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// attn.normalize
//===----------------------------------------------------------------------===//

def Attn_NormalizeOp : Attn_Op<"normalize", [Pure]> {
  let summary = "turns masked, decayed scores into weights";
  let description = [{
    With `M` the mask and `D` the decay:
    `softmax`: `M D exp(s') / (sum_j M D exp(s') [+ exp(sink_h)])`;
    `sigmoid`: `M D sigmoid(s' + bias)`;
    `softplus_l1`: `M D softplus(s')^power / sum_j M D softplus(s')^power`;
    `relu`: `M D relu(s')`; `relu2`: `M D relu(s')^2`;
    `none`: `M D s'`; `sum`: `M D s' / sum_j M D s'`.
    A row whose denominator is zero gets zero weights.

    ```mlir
    %w = attn.normalize %m softmax sinks(%sink : tensor<?xf32>)
    %x = attn.normalize %m sigmoid bias -10.0
    ```
  }];
  let arguments = (ins Attn_ScoresType:$scores, Attn_NormalizeKindAttr:$kind,
                       Optional<AnyRankedTensor>:$sinks,
                       OptionalAttr<F64Attr>:$bias,
                       OptionalAttr<F64Attr>:$power);
  let results = (outs Attn_WeightsType:$result);
  let assemblyFormat = [{
    $scores `` $kind (`sinks` `(` $sinks^ `:` type($sinks) `)`)?
    (`bias` $bias^)? (`power` $power^)? attr-dict
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// attn.aggregate
//===----------------------------------------------------------------------===//

def Attn_AggregateOp : Attn_Op<"aggregate",
    [Pure, AttrSizedResultSegments]> {
  let summary = "o_i = sum_j w_ij v_j, with optional extra results";
  let description = [{
    `values` is `[B, Hkv, Nk, Dv]` in the spec's layout and the output
    `[B, Hq, Nq, Dv]`, of the values' element type. Optional:
    `norm rms|layer` normalises each output row over Dv (TransNormer);
    `lse` returns the log of the softmax denominator per row (sink term
    included), `[B, Hq, Nq]` f32,
    `-inf` on fully masked rows (softmax only); `state` returns the final
    recurrent state `S_N` `[B, Hq, F, Dv]` f32 and `initial_state` takes
    `S_0` of the same shape (linear attention with `none`).

    ```mlir
    %o, %lse = attn.aggregate %w, %v : tensor<?x?x?x128xbf16>
        -> tensor<?x?x?x128xbf16>, lse tensor<?x?x?xf32>
    %o2, %sN = attn.aggregate %w2, %v initial_state(%s0 : tensor<?x?x128x128xf32>)
        : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>, state tensor<?x?x128x128xf32>
    ```
  }];
  let arguments = (ins Attn_WeightsType:$weights,
                       AnyRankedTensor:$values,
                       Optional<AnyRankedTensor>:$initial_state,
                       OptionalAttr<Attn_OutputNormAttr>:$norm,
                       DefaultValuedAttr<F64Attr, "1.0e-6">:$norm_eps);
  let results = (outs AnyRankedTensor:$output,
                      Optional<AnyRankedTensor>:$lse,
                      Optional<AnyRankedTensor>:$final_state);
  let assemblyFormat = [{
    $weights `,` $values
    (`initial_state` `(` $initial_state^ `:` type($initial_state) `)`)?
    (`norm` `` $norm^)? attr-dict `:` type($values) `->`
    custom<AggregateResults>(type($output), type($lse), type($final_state))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The attn.score op at the root of this aggregate's chain.
    ScoreOp getScoreOp();
    /// The attn.normalize op producing the weights.
    NormalizeOp getNormalizeOp();
  }];
}

//===----------------------------------------------------------------------===//
// attn.kernel (level 2)
//===----------------------------------------------------------------------===//

def Attn_KernelOp : Attn_Op<"kernel",
    [IsolatedFromAbove, RecursiveMemoryEffects, SingleBlock]> {
  let summary = "one spec chain fused into a kernel-level op";
  let description = [{
    Level 2 of attn's IR: the chain of one `attn.aggregate` (score, modifiers,
    masks, decays, normalize, aggregate), isolated in a region so that it can
    be analysed, planned and lowered as one GPU kernel. `attn-fuse` creates
    it; the chain inside keeps its level-1 form and verifiers.

    The operands are the tensors the chain reads, in the order of the kernel
    ABI: queries, keys, values, then every side input (gate, feature-map
    weights, modifier, mask, decay and sink inputs) in order of first use,
    then the initial state if any. The region's block arguments stand for
    them, one to one. The results are the aggregate's (output, then `lse`
    and/or `state`), returned by `attn.return`.

    `plan` (set by `attn-plan`, or copied from a user's `attn.plan`) holds
    `algorithm` (`"quadratic"` or `"chunked"`), `block_m`, `block_n`,
    `warps` and `stages`, and `matrix_ops` (`"warpgroup"`, the default, or
    `"warp"`) when the user's plan gives it. `mask_classes` (set by `attn-analyze-masks`) says,
    for each conjunct of the chain's mask in order, how its tiles are
    classified: `"static"` from tile bounds, `"device"` on the device from
    the inputs at launch, or `"elementwise"` (a predicate: every visible
    tile is partial).

    ```mlir
    %o = attn.kernel(%q, %k, %v) attributes {mask_classes = ["static"],
        plan = {algorithm = "quadratic", block_m = 128 : i64,
                block_n = 64 : i64, stages = 2 : i64, warps = 4 : i64}}
        : (tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>,
           tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
    ^bb0(%q0: tensor<?x?x?x128xbf16>, %k0: tensor<?x?x?x128xbf16>,
         %v0: tensor<?x?x?x128xbf16>):
      %s = attn.score %q0, %k0 : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax
      %o0 = attn.aggregate %w, %v0 : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
      attn.return %o0 : tensor<?x?x?x128xbf16>
    }
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs,
                       // Algorithm and tiling; see verifyPlanAttr().
                       OptionalAttr<DictionaryAttr>:$plan,
                       // One class per mask conjunct; see attn-analyze-masks.
                       OptionalAttr<StrArrayAttr>:$mask_classes);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $inputs `)` attr-dict-with-keyword `:` functional-type($inputs, $results)
    $body
  }];
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// The attn.aggregate of the fused chain (null if the body is invalid).
    AggregateOp getAggregate();
    /// The fused chain, from attn.score to attn.aggregate.
    FailureOr<SpecChain> getSpecChain();
  }];
}

//===----------------------------------------------------------------------===//
// attn.return
//===----------------------------------------------------------------------===//

def Attn_ReturnOp : Attn_Op<"return",
    [Pure, Terminator, ReturnLike, HasParent<"KernelOp">]> {
  let summary = "returns the fused aggregate's results from attn.kernel";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
}

//===----------------------------------------------------------------------===//
// attn.yield
//===----------------------------------------------------------------------===//

def Attn_YieldOp : Attn_Op<"yield",
    [Pure, Terminator, ReturnLike, ParentOneOf<["ModifyOp", "MaskOp"]>]> {
  let summary = "yields a modified score or a predicate bit";
  let arguments = (ins AnyType:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNOPS_TD
