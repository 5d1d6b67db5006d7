//===- Passes.td - attn conversion passes ------------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Conversions from attn specs to target dialects.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_PASSES_TD
#define ATTN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertAttnToGPU : Pass<"convert-attn-to-gpu", "ModuleOp"> {
  let summary = "generate a FlashAttention-2 style GPU kernel per softmax-family "
                "spec chain";
  let description = [{
    For every `attn.aggregate` whose `attn.normalize` is `softmax`,
    `sigmoid`, `softplus_l1`, `relu` or `relu2`, appends a `gpu.module`
    holding one `gpu.func ... kernel` that evaluates the chain with tensor
    cores (`nvgpu.ldmatrix`, `nvgpu.mma.sync` m16n8k16, f32 accumulators),
    double-buffered `nvgpu.device_async_copy` K/V tiles, an online softmax
    with `math.exp2`, and the structured masks classified per (query tile,
    key tile): skipped tiles are never loaded and masks are evaluated only on
    partial tiles. The kernel ABI and tiling are recorded in an
    `attn.kernel_info` JSON string on the `gpu.module`; the host function is
    left unchanged and the module gets `gpu.container_module`.

    Before:
    ```mlir
    %w = attn.normalize %m softmax
    %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
    ```
    After (abridged):
    ```mlir
    gpu.module @attn_kernels attributes {attn.kernel_info = "{...}"} {
      gpu.func @attn_fwd(%q: memref<?xbf16>, ..., %b: i64, ...) kernel { ... }
    }
    ```
    Specs this path cannot compile (f32 inputs, head dims above 256 or not a
    multiple of 16, the linear family, recurrent states, feature maps other
    than identity, gated decays) are reported with a diagnostic naming the
    limit.

    A spec that returns an element-wise arith expression over the outputs of
    its chains (Based: `%o = arith.addf %o_linear, %o_window`) also gets a
    `gpu.module @attn_combine` with the kernel `attn_combine`, which reads
    each chain's output and evaluates the expression in f32 on 16-byte
    pieces of o (KernelInfo algorithm "combine", `combine_operands` naming
    the chain modules). What it cannot evaluate (a spec argument in the
    expression, a non-arith op, returned lse or states) is reported on the
    op.
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "the target GPU architecture (sm_80, sm_90a, ...)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::ub::UBDialect",
  ];
}

#endif // ATTN_CONVERSION_PASSES_TD
