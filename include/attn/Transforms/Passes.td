//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The passes between the spec (level 1) and the GPU lowering: fusion of each
// spec chain into an `attn.kernel` (level 2), the analysis of its masks and
// the choice of its plan (algorithm and tiling).
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TRANSFORMS_PASSES_TD
#define ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnFusePass : Pass<"attn-fuse"> {
  let summary = "Fuses each spec chain into one attn.kernel";
  let description = [{
    Wraps every chain ending in an `attn.aggregate` (that is not yet inside an
    `attn.kernel`) into an `attn.kernel` whose region holds a clone of the
    chain. The kernel's operands follow the kernel ABI: queries, keys and
    values, then the side inputs in order of first use along the chain
    (score gate and feature-map weights, modifier, mask and decay inputs,
    sink logits), then the initial state. A score shared by two chains is
    cloned into both kernels; element-wise ops combining aggregates stay
    outside. Chain ops left without uses are erased.

    Before:
    ```mlir
    %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    %m = attn.mask %s, #attn.causal
    %w = attn.normalize %m softmax
    %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
    ```
    After:
    ```mlir
    %o = attn.kernel(%q, %k, %v) : (tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>,
        tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
    ^bb0(%q0: tensor<?x?x?x64xbf16>, %k0: tensor<?x?x?x64xbf16>,
         %v0: tensor<?x?x?x64xbf16>):
      %s = attn.score %q0, %k0 : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax
      %o0 = attn.aggregate %w, %v0 : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
      attn.return %o0 : tensor<?x?x?x64xbf16>
    }
    ```
  }];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnAnalyzeMasksPass : Pass<"attn-analyze-masks"> {
  let summary = "Classifies the mask of each attn.kernel for tile skipping";
  let description = [{
    For every `attn.kernel`, ands the masks of its chain and classifies each
    conjunct by how its (query tile, key tile) pairs can be sorted into
    skip / full / partial:
    - `"static"`: structured masks (causal, window, sinks, block_diagonal,
      prefix, dilated, neighborhood_2d and their and/or), classified from
      tile bounds and the lengths at run time;
    - `"device"`: data-dependent masks (document ids, block-sparse layouts),
      classified on the device from the inputs at launch;
    - `"elementwise"`: a predicate region; every visible tile is partial.
    The result is recorded as the kernel's `mask_classes`. With `explain`,
    a remark reports the fraction of tile pairs skipped, full and partial
    for the problem size given by `q-len` and `kv-len` and the tile sizes of
    the kernel's plan (or `block-m`/`block-n` when it has none yet);
    device-classified and element-wise conjuncts count as partial there.

    Before:
    ```mlir
    %o = attn.kernel(%q, %k, %v, %ids) : ... {
      ...
      %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]> (%ids0 : tensor<?x?xi32>)
      ...
    }
    ```
    After:
    ```mlir
    %o = attn.kernel(%q, %k, %v, %ids) attributes {mask_classes = ["static", "device"]} : ... {
      ...
    }
    ```
  }];
  let options = [
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report the fraction of skipped, full and partial tile pairs as a "
           "remark">,
    Option<"qLen", "q-len", "int64_t", /*default=*/"4096",
           "Query length of the problem the explanation is computed for">,
    Option<"kvLen", "kv-len", "int64_t", /*default=*/"4096",
           "Key/value length of the problem the explanation is computed for">,
    Option<"blockM", "block-m", "int64_t", /*default=*/"128",
           "Query tile rows for the explanation when the kernel has no plan">,
    Option<"blockN", "block-n", "int64_t", /*default=*/"64",
           "Key tile rows for the explanation when the kernel has no plan">
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

def AttnPlanPass : Pass<"attn-plan"> {
  let summary = "Chooses the algorithm and tiling of each attn.kernel";
  let description = [{
    Sets the `plan` of every `attn.kernel` that has none. The algorithm is
    `"chunked"` (the linear-time form) when the chain allows it (normalize
    `none`/`sum`, no modifier, mask absent or causal; see
    `checkChunkedLegality`) and `"quadratic"` otherwise; the tile sizes
    (block_m, block_n, warps, stages) depend on the head dims and the target
    chip. A plan given in the spec as an `attn.plan` dictionary on the
    `attn.aggregate` overrides any of these choices; it is validated and a
    forced `"chunked"` algorithm that is not legal is refused, naming the
    condition that fails. With `explain` (`-attn-explain`), a remark states
    the plan and why.

    Before:
    ```mlir
    %o = attn.kernel(%q, %k, %v) : ... { ... attn.normalize %m softmax ... }
    ```
    After:
    ```mlir
    %o = attn.kernel(%q, %k, %v) attributes {plan = {algorithm = "quadratic",
        block_m = 128 : i64, block_n = 32 : i64, stages = 2 : i64,
        warps = 4 : i64}} : ... { ... }
    ```
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target chip the tiling is chosen for (sm_80, sm_90a, ...)">,
    Option<"explain", "explain", "bool", /*default=*/"false",
           "Report the chosen plan and the reasons as a remark">
  ];
  let dependentDialects = ["::mlir::attn::AttnDialect"];
}

#endif // ATTN_TRANSFORMS_PASSES_TD
