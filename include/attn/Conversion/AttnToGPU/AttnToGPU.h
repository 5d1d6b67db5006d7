//===- AttnToGPU.h - attn spec chains to GPU kernels ------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The entry points of `convert-attn-to-gpu`: choosing tilings for a spec
// chain and building, through a TargetInfo, either its quadratic kernel
// (FlashAttention-2 style, KernelBuilder.cpp) or its chunked linear-time
// kernel (ChunkedKernelBuilder.cpp), and, for a spec combining several
// chains' outputs, the combine kernel (CombineKernelBuilder.cpp);
// selectAlgorithm
// (attn/Analysis/AlgorithmSelection.h) picks which. attn-plan calls
// `choosePlan` / `chooseChunkedPlan` so that there is one source of truth
// for tile sizes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
#define ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H

#include "attn/Conversion/AttnToGPU/KernelInfo.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::attn {

class TargetInfo;

/// The tiling of a quadratic (FlashAttention-2) kernel.
struct KernelPlan {
  int64_t blockM = 128; ///< Query rows per CTA.
  int64_t blockN = 64;  ///< Keys per inner-loop tile.
  int64_t warps = 4;    ///< Warps per CTA; each owns blockM / warps rows.
  int64_t stages = 2;   ///< K/V shared-memory buffers (2: double buffering).
  /// Whether the Q fragments stay in registers for the whole key loop (else
  /// they are reloaded from shared memory per k-step, as FlashAttention-2
  /// does: 64 fewer registers per thread at 128 x 128, which lets 64-key
  /// tiles fit without spills).
  bool qInRegisters = true;
  /// Whether S = Q K^T (and, where the tiles allow, O += P V) use the
  /// target's warpgroup matrix ops where it has them (sm_90a wgmma, operands
  /// read from shared memory; usesWarpgroupScores / usesWarpgroupValues);
  /// `matrix_ops = "warp"` in `attn.plan` keeps the warp-level ops.
  bool warpgroupScores = true;
};

/// The name of the DictionaryAttr that overrides the plan on an
/// `attn.aggregate`: `{block_m = 128 : i64, block_n = 64 : i64, warps = 4 :
/// i64, stages = 2 : i64, matrix_ops = "warpgroup"}` (any subset).
inline constexpr StringLiteral kPlanAttrName = "attn.plan";
/// The name of the JSON KernelInfo string attached to each `gpu.module`.
inline constexpr StringLiteral kKernelInfoAttrName = "attn.kernel_info";

/// The default plan for `chain` on `chip`, with any of its fields
/// overridden by getPlanOverrides (the attn.kernel's recorded plan, else the
/// spec's `attn.plan`).
KernelPlan choosePlan(SpecChain &chain, StringRef chip);


/// Checks that `chain` can be compiled with `plan` on `target`; emits a
/// diagnostic naming the limit on the aggregate otherwise.
LogicalResult checkSupported(SpecChain &chain, const KernelPlan &plan,
                             const TargetInfo &target);

/// Whether the quadratic kernel computes S = Q K^T with `target`'s warpgroup
/// matrix ops under `plan`: the plan allows them, the target has them for
/// the query/key head dim, the CTA's warps form whole warpgroups (4 warps of
/// 32), and q and k are not feature-mapped (the map is
/// applied to row-major tiles in place).
bool usesWarpgroupScores(SpecChain &chain, const KernelPlan &plan,
                         const TargetInfo &target);
/// Whether O += P V uses the warpgroup matrix ops as well (P then goes
/// through shared memory): S = Q K^T does, and the key tile and the value
/// head dim are whole operand-tile column blocks.
bool usesWarpgroupValues(SpecChain &chain, const KernelPlan &plan,
                         const TargetInfo &target);

/// The tiling of a chunked linear-time kernel (DESIGN §4, linear family): a
/// CTA per (batch, head, value-column tile) walks the sequence in chunks with
/// the f32 state on chip.
struct ChunkedPlan {
  int64_t chunk = 64;      ///< Tokens per chunk; warps * 16.
  int64_t valueTile = 64;  ///< Value columns per CTA.
  int64_t warps = 4;       ///< Each owns 16 rows of a chunk.
  /// Buffers of each per-chunk tile; the copies run stages - 1 chunks
  /// ahead. Measured on the H200 (docs/perf.md): 3 made the warpgroup
  /// kernels spill (about 160 B) and run 1.3-1.5x slower than 2.
  int64_t stages = 2;
  /// Whether the products use the target's warpgroup matrix ops where it
  /// has them (usesWarpgroupChunks); `matrix_ops = "warp"` keeps the
  /// warp-level ops.
  bool warpgroup = true;
  /// Buffers of the shared copy of the state S that the next chunk's Q S
  /// reads (warp-level causal kernels): 2 lets each warp write the next
  /// chunk's S while others still read this one's; 1, where shared memory
  /// is short (f32 tiles), writes it after a barrier. Not a plan key:
  /// chooseChunkedPlan picks it when fitting the plan to shared memory.
  int64_t stateBuffers = 2;
  /// Whether chooseChunkedPlan shrank the measured default (one S buffer,
  /// fewer value columns, shorter chunks) to fit the tiles in shared memory.
  bool fittedToSharedMemory = false;
};

/// The default chunked plan for `chain` on `chip`; the `block_m` (chunk),
/// `block_n` (value tile), `warps`, `stages` and `matrix_ops` of
/// getPlanOverrides override it.
ChunkedPlan chooseChunkedPlan(SpecChain &chain, StringRef chip);

/// Whether the chunked kernel computes its four products (Q K^T, Q S, A V,
/// K^T V) with `target`'s warpgroup matrix ops under `plan`: the plan allows
/// them, its 4 warps of 32 are one warpgroup over a 64-token chunk, the
/// target has them for Dk and the value tile, normalize is not `sum` (its
/// extra value columns would not fill an operand-tile column block), and
/// the operands are plain tiles (no feature map or per-channel gate
/// rewrites them in the row-major layout), and the state takes at most 64
/// registers per thread (Dk x value tile <= 64 x 128).
bool usesWarpgroupChunks(SpecChain &chain, const ChunkedPlan &plan,
                         const TargetInfo &target);

/// Builds the chunked linear-time `gpu.func` for `chain` (normalize none or
/// sum, mask none or causal, decays folded into per-token log-gates) at the
/// builder's insertion point, inside a `gpu.module` body, and returns its
/// ABI. Emits a diagnostic naming the limit and fails when the chain cannot
/// be compiled this way.
FailureOr<KernelInfo> buildChunkedKernel(OpBuilder &builder, SpecChain &chain,
                                         const ChunkedPlan &plan,
                                         const TargetInfo &target);

/// Builds a `gpu.func` kernel for `chain` at the builder's insertion point,
/// which must be inside a `gpu.module` body, and returns its ABI. Emits a
/// diagnostic and fails when the chain cannot be compiled.
FailureOr<KernelInfo> buildAttentionKernel(OpBuilder &builder,
                                           SpecChain &chain,
                                           const KernelPlan &plan,
                                           const TargetInfo &target);

/// The element-wise arith expression a multi-chain spec returns over the
/// outputs of its chains.
struct CombineExpression {
  /// The chain outputs it reads, in parameter order.
  SmallVector<Value> operands;
  /// The splat constants and arith ops that compute it, operands first.
  SmallVector<Operation *> ops;
  /// The value the spec returns.
  Value result;
};

/// Finds the expression `result` is over `chainOutputs` (the spec-level
/// outputs o of the chains: aggregate results, or attn.kernel results after
/// attn-fuse): arith ops of one result on tensors of floats (or i1) whose
/// operands are chain outputs, splat float constants or such ops. Emits a
/// diagnostic saying what is supported on the first operand that is none of
/// these (a function argument, a non-arith op, an lse or state result), or
/// on a chain whose output the expression does not use.
FailureOr<CombineExpression> analyzeCombine(Value result,
                                            ArrayRef<Value> chainOutputs);

/// Builds the combine `gpu.func` ("attn_combine", CombineKernelBuilder.cpp)
/// of `expr` at the builder's insertion point, inside a `gpu.module` body:
/// each thread evaluates the expression in f32 on one 16-byte piece (where
/// Dv allows) of a row of o. `operandModules` names the chain kernel's
/// module of each operand; `layout` is the chains'. Returns its ABI.
FailureOr<KernelInfo> buildCombineKernel(OpBuilder &builder,
                                         const CombineExpression &expr,
                                         ArrayRef<std::string> operandModules,
                                         Layout layout,
                                         const TargetInfo &target);

} // namespace mlir::attn

#endif // ATTN_CONVERSION_ATTNTOGPU_ATTNTOGPU_H
