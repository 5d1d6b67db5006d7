// Bad inputs and bad usage: a message and exit 1, never a crash.

// RUN: rm -rf %t.dir %t.len5 && mkdir -p %t.dir %t.len5
// RUN: attention-run %s --reference --random-inputs --save-inputs %t.dir \
// RUN:   --func bhsd > /dev/null
// RUN: attention-run %s --reference --random-inputs --save-inputs %t.len5 \
// RUN:   --func bhsd --len 5 > /dev/null
// RUN: printf "\223NUMPY\001\000F\000{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2, 1), }    \n\000\000\000\000\000\000\360\077\000\000\000\000\000\000\010\100" > %t.1x1x2x1.npy
// RUN: printf "\223NUMPY\001\000F\000{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1, 1, 1), }    \n\001\000\000\000" > %t.i32.npy
// RUN: printf "\223NUMPY\001\000F\000{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1, 2, 1), }     \n\000\000\000\000\000\000\360\077\000\000\000\000\000\000\010\100" > %t.fortran.npy
// RUN: printf "\223NUMPY\001\000F\000{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2, 1), }    \n\000\000\000\000" > %t.truncated.npy
// RUN: echo "not an npy file" > %t.text.npy

// A wrong shape names the input and the shape it should have.
// RUN: not attention-run %s --reference --func bhsd --input q=%t.dir/q.npy \
// RUN:   --input k=%t.dir/k.npy --input v=%t.len5/v.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SHAPE-DYNAMIC
// SHAPE-DYNAMIC: attention-run: error: argument 'v' (values) has shape [1, 1, 5, 8] but the spec expects [1, 1, 17, 8]
// RUN: not attention-run %s --reference --func tiny --input q=%t.1x1x2x1.npy \
// RUN:   --input k=%t.1x1x2x1.npy --input v=%t.1x1x2x1.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=SHAPE
// SHAPE: attention-run: error: {{.*}}'q'{{.*}}[1, 1, 1, 1]

// So does a wrong element type (integers for a float argument).
// RUN: not attention-run %s --reference --func tiny --input q=%t.i32.npy \
// RUN:   --input k=%t.1x1x2x1.npy --input v=%t.1x1x2x1.npy 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DTYPE
// DTYPE: attention-run: error: {{.*}}'q'{{.*}}i32

// Files the reader rejects name the input and the file.
// RUN: not attention-run %s --reference --func tiny --input k=%t.fortran.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=FORTRAN
// FORTRAN: attention-run: error: input 'k': {{.*}}fortran.npy{{.*}}Fortran order
// RUN: not attention-run %s --reference --func tiny --input v=%t.truncated.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=TRUNCATED
// TRUNCATED: attention-run: error: input 'v': {{.*}}truncated.npy
// RUN: not attention-run %s --reference --func tiny --input v=%t.text.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=TEXT
// TEXT: attention-run: error: input 'v': {{.*}}text.npy{{.*}}not a .npy file
// RUN: not attention-run %s --reference --func tiny --input v=%t.nonexistent.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: attention-run: error: input 'v': {{.*}}nonexistent.npy{{.*}}cannot read file

// Missing inputs are listed with their roles and shapes.
// RUN: not attention-run %s --reference --func bhsd --input q=%t.dir/q.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING:      attention-run: error: missing inputs; pass --input NAME=file.npy for each (or --random-inputs):
// MISSING-NEXT:   k  {{[a-z]+}}  f16  [?, ?, ?, 16]
// MISSING-NEXT:   v  {{[a-z]+}}  f16  [?, ?, ?, 8]
// MISSING-NOT:  q

// Unknown names list the valid ones.
// RUN: not attention-run %s --reference --func bhsd --input x=%t.dir/q.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=UNKNOWN-INPUT
// UNKNOWN-INPUT: attention-run: error: unknown input 'x'; inputs are q, k, v (or arg0..arg2)
// RUN: not attention-run %s --reference --func bhsd --input arg3=%t.dir/q.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=UNKNOWN-ARGN
// UNKNOWN-ARGN: attention-run: error: unknown input 'arg3'
// RUN: not attention-run %s --reference --func bhsd --random-inputs \
// RUN:   --output out=%t.out.npy 2>&1 | FileCheck %s --check-prefix=UNKNOWN-OUTPUT
// UNKNOWN-OUTPUT: attention-run: error: --output: unknown result 'out'; results are o (or result0..result0)
// RUN: not attention-run %s --reference --func bhsd --random-inputs \
// RUN:   --compare lse=%t.out.npy 2>&1 | FileCheck %s --check-prefix=UNKNOWN-COMPARE
// UNKNOWN-COMPARE: attention-run: error: --compare: unknown result 'lse'; results are o
// RUN: not attention-run %s --reference --func bhsd --input q=%t.dir/q.npy \
// RUN:   --input arg0=%t.dir/q.npy 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: attention-run: error: input 'q' is given twice

// Malformed NAME=path values.
// RUN: not attention-run %s --reference --func bhsd --input %t.dir/q.npy \
// RUN:   2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: attention-run: error: --input expects NAME=file.npy, got '{{.*}}q.npy'
// RUN: not attention-run %s --reference --func bhsd --random-inputs \
// RUN:   --output o= 2>&1 | FileCheck %s --check-prefix=SYNTAX-OUTPUT
// SYNTAX-OUTPUT: attention-run: error: --output expects NAME=file.npy, got 'o='

// Problem sizes must be positive.
// RUN: not attention-run %s --reference --func bhsd --random-inputs --len 0 \
// RUN:   2>&1 | FileCheck %s --check-prefix=SIZE
// SIZE: attention-run: error: problem sizes must be positive

// Bad usage.
// RUN: not attention-run 2>&1 | FileCheck %s --check-prefix=NO-SPEC
// NO-SPEC: attention-run: error: no spec file given
// RUN: not attention-run %t.nonexistent.mlir --reference 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NO-SPEC-FILE
// NO-SPEC-FILE: attention-run: error: cannot open input file '{{.*}}nonexistent.mlir'
// RUN: not attention-run %s --reference --no-such-flag 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD-FLAG
// BAD-FLAG: Unknown command line argument '--no-such-flag'
// RUN: not attention-run %s --reference --seed x 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD-VALUE
// BAD-VALUE: for the --seed option: 'x' value invalid
// RUN: not attention-run %s --reference --func nope 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NO-FUNC
// NO-FUNC: attention-run: error: no function @nope in '{{.*}}errors.mlir'; functions: @tiny, @bhsd

func.func @tiny(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x2x1xf32>,
                %v: tensor<1x1x2x1xf32>) -> tensor<1x1x1x1xf32> {
  %s = attn.score %q, %k : tensor<1x1x1x1xf32>, tensor<1x1x2x1xf32>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<1x1x2x1xf32> -> tensor<1x1x1x1xf32>
  return %o : tensor<1x1x1x1xf32>
}

func.func @bhsd(%q: tensor<?x?x?x16xf16>, %k: tensor<?x?x?x16xf16>,
                %v: tensor<?x?x?x8xf16>) -> tensor<?x?x?x8xf16> {
  %s = attn.score %q, %k : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x8xf16> -> tensor<?x?x?x8xf16>
  return %o : tensor<?x?x?x8xf16>
}
