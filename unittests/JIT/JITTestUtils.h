//===- JITTestUtils.h - Helpers of the JIT tests ----------------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_JIT_JITTESTUTILS_H
#define ATTN_UNITTESTS_JIT_JITTESTUTILS_H

#include "attn/JIT/JIT.h"
#include "attn/JIT/SpecBuilder.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>
#include <optional>
#include <string>

namespace attn::jit::testing {

/// A trivial kernel written in MLIR (no attn op: it skips the kernel
/// generator), made distinct per `tag` so tests do not share cache entries.
inline std::string getTrivialKernel(llvm::StringRef tag) {
  return R"(module attributes {gpu.container_module, test.tag = ")" +
         tag.str() + R"("} {
  gpu.module @attn_kernels {
    gpu.func @attn_fwd(%a: memref<?xf32>, %n: index) kernel {
      %t = gpu.thread_id x
      %c = arith.cmpi ult, %t, %n : index
      scf.if %c {
        %x = memref.load %a[%t] : memref<?xf32>
        %y = arith.addf %x, %x : f32
        memref.store %y, %a[%t] : memref<?xf32>
      }
      gpu.return
    }
  }
})";
}

/// The examples directory: $ATTN_EXAMPLES_DIR (set where the test binary
/// runs away from its source tree), else the source tree's.
inline std::string getExamplesDir() {
  if (const char *dir = std::getenv("ATTN_EXAMPLES_DIR"))
    return dir;
  return ATTN_EXAMPLES_DIR;
}

/// The text of examples/<name>.mlir.
inline std::optional<std::string> readExample(llvm::StringRef name) {
  auto buffer = llvm::MemoryBuffer::getFile(getExamplesDir() + "/" +
                                            name.str() + ".mlir");
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().str();
}

/// Whether a compile error says that no kernel was generated at all (a
/// build whose pipeline does not run convert-attn-to-gpu yet).
inline bool isKernelGeneratorMissing(llvm::StringRef message) {
  return message.contains("produced no gpu.module");
}

} // namespace attn::jit::testing

#endif // ATTN_UNITTESTS_JIT_JITTESTUTILS_H
