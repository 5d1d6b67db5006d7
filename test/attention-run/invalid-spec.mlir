// A spec that does not verify: the diagnostic is printed with its location.

// RUN: not attention-run %s --reference --random-inputs 2>&1 | FileCheck %s

func.func @bad(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x32xf32>,
               %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  // CHECK: invalid-spec.mlir:[[@LINE+1]]:8: error: 'attn.score' op
  %s = attn.score %q, %k : tensor<?x?x?x16xf32>, tensor<?x?x?x32xf32>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x16xf32> -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}

// CHECK-NOT: attention-run:
