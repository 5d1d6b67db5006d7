// Random inputs: the summary line per result, --save-inputs and reloading the
// saved files, --output, and --compare against files.

// RUN: attention-run %s --reference --random-inputs --batch 2 --q-heads 4 \
// RUN:   --kv-heads 2 --len 33 | FileCheck %s --check-prefix=SUMMARY
// SUMMARY:      o: [2, 4, 33, 64] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}
// SUMMARY-NEXT: lse: [2, 4, 33] f64 finite rms={{[0-9.e+-]+}} max={{[0-9.e+-]+}}
// SUMMARY-NOT: {{.}}

// --q-len / --kv-len override --len; results are not printed past 64 values.
// RUN: attention-run %s --reference --random-inputs --len 9 --q-len 3 --print \
// RUN:   | FileCheck %s --check-prefix=LENGTHS
// LENGTHS:      o: [1, 2, 3, 64] f64 finite
// LENGTHS-NOT:  o[
// LENGTHS:      lse: [1, 2, 3] f64 finite
// LENGTHS-NEXT:   lse[0, 0]: {{[-0-9.e+]+}} {{[-0-9.e+]+}} {{[-0-9.e+]+}}{{$}}
// LENGTHS-NEXT:   lse[0, 1]: {{[-0-9.e+]+}} {{[-0-9.e+]+}} {{[-0-9.e+]+}}{{$}}

// Saving the random inputs and feeding them back gives the same results.
// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: attention-run %s --reference --random-inputs --seed 7 \
// RUN:   --save-inputs %t.dir --output o=%t.o.npy --output lse=%t.lse.npy \
// RUN:   > %t.random.txt
// RUN: attention-run %s --reference --input q=%t.dir/q.npy \
// RUN:   --input k=%t.dir/k.npy --input arg2=%t.dir/v.npy > %t.reloaded.txt
// RUN: diff %t.random.txt %t.reloaded.txt

// bf16 inputs are saved as float32.
// RUN: FileCheck %s --input-file=%t.dir/q.npy --check-prefix=SAVED
// SAVED: {'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 17, 64), }

// Inputs given with --input win over --random-inputs.
// RUN: attention-run %s --reference --random-inputs --seed 99 \
// RUN:   --input q=%t.dir/q.npy --input k=%t.dir/k.npy --input v=%t.dir/v.npy \
// RUN:   > %t.mixed.txt
// RUN: diff %t.random.txt %t.mixed.txt

// The sizes of inputs given with --input hold for the random ones too (the
// key length stays at its default, 17).
// RUN: rm -rf %t.small && mkdir -p %t.small
// RUN: attention-run %s --reference --random-inputs --batch 2 --len 5 \
// RUN:   --save-inputs %t.small > /dev/null
// RUN: attention-run %s --reference --random-inputs --input q=%t.small/q.npy \
// RUN:   | FileCheck %s --check-prefix=FROM-INPUT
// FROM-INPUT: o: [2, 2, 5, 64] f64 finite

// --compare against the written outputs: exact.
// RUN: attention-run %s --reference --random-inputs --seed 7 \
// RUN:   --compare o=%t.o.npy --compare result1=%t.lse.npy --rtol 0 \
// RUN:   | FileCheck %s --check-prefix=SAME
// SAME: o: rel_err=0.000e+00 (tol 0) ok
// SAME: lse: rel_err=0.000e+00 (tol 0) ok

// Other data fails, exiting 1.
// RUN: not attention-run %s --reference --random-inputs --seed 8 \
// RUN:   --compare o=%t.o.npy | FileCheck %s --check-prefix=DIFFERENT
// DIFFERENT: o: rel_err={{[0-9.]+e[+-][0-9]+}} (tol 0.01) FAIL

// A shape mismatch fails too.
// RUN: not attention-run %s --reference --random-inputs --len 5 \
// RUN:   --compare o=%t.o.npy | FileCheck %s --check-prefix=SHAPE
// SHAPE: o: shape [1, 2, 5, 64] does not match [1, 2, 17, 64] of '{{.*}}.o.npy' FAIL

// The written outputs are float64 .npy files.
// RUN: FileCheck %s --input-file=%t.o.npy --check-prefix=NPY
// NPY: {'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 17, 64), }

func.func @causal(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                  %v: tensor<?x?x?x64xbf16>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o, %lse = attn.aggregate %w, %v : tensor<?x?x?x64xbf16>
      -> tensor<?x?x?x64xbf16>, lse tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
}
