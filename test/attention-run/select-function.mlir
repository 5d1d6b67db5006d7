// Picking the function to run: --func, else the only func.func with attn ops.

// RUN: not attention-run %s --reference --random-inputs 2>&1 \
// RUN:   | FileCheck %s --check-prefix=AMBIGUOUS
// AMBIGUOUS: attention-run: error: '{{.*}}select-function.mlir' has several functions with attn ops (@first, @second); pick one with --func NAME

// RUN: attention-run %s --func second --list-inputs | FileCheck %s --check-prefix=SECOND
// SECOND: @second inputs:

// Functions without attn ops are not candidates.
// RUN: attention-run %S/Inputs/one-spec.mlir --list-inputs \
// RUN:   | FileCheck %s --check-prefix=ONLY
// ONLY: @spec inputs:

// RUN: not attention-run %S/Inputs/no-spec.mlir --list-inputs 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NONE
// NONE: attention-run: error: no func.func with attn ops in '{{.*}}no-spec.mlir'

func.func @first(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                 %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x16xf32> -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}

func.func @second(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                  %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  %w = attn.normalize %s sigmoid
  %o = attn.aggregate %w, %v : tensor<?x?x?x16xf32> -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}
