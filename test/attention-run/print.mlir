// Values derived by hand on tiny static problems. The .npy inputs are written
// byte by byte: magic, version 1.0, a 70-byte header dict, f64 data.
//
// q = [1], k = [0, 0], v = [1, 3] (one batch, one head, Dk = Dv = 1). The
// scale is 1/sqrt(1) = 1, so s = [0, 0]. The query row sits at aligned
// position p = 0 + Nk - Nq = 1.

// RUN: printf "\223NUMPY\001\000F\000{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1), }    \n\000\000\000\000\000\000\360\077" > %t.q.npy
// RUN: printf "\223NUMPY\001\000F\000{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2, 1), }    \n\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000" > %t.k.npy
// RUN: printf "\223NUMPY\001\000F\000{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 2, 1), }    \n\000\000\000\000\000\000\360\077\000\000\000\000\000\000\010\100" > %t.v.npy

// RUN: attention-run %s --func softmax --reference --print \
// RUN:   --input q=%t.q.npy --input k=%t.k.npy --input v=%t.v.npy \
// RUN:   | FileCheck %s --check-prefix=SOFTMAX
// RUN: attention-run %s --func window --reference --print \
// RUN:   --input q=%t.q.npy --input k=%t.k.npy --input v=%t.v.npy \
// RUN:   | FileCheck %s --check-prefix=WINDOW
// RUN: attention-run %s --func masked --reference --print \
// RUN:   --input q=%t.q.npy --input k=%t.k.npy --input v=%t.v.npy \
// RUN:   | FileCheck %s --check-prefix=MASKED

// Random inputs take the sizes of a static spec.
// RUN: attention-run %s --func softmax --reference --random-inputs \
// RUN:   | FileCheck %s --check-prefix=RANDOM
// RANDOM:      o: [1, 1, 1, 1] f64 finite
// RANDOM-NEXT: lse: [1, 1, 1] f64 finite

// Equal weights 1/2: o = (1 + 3) / 2 = 2, lse = log(e^0 + e^0) = log 2.
// SOFTMAX:      o: [1, 1, 1, 1] f64 finite rms=2 max=2
// SOFTMAX-NEXT:   o[0, 0, 0]: 2
// SOFTMAX-NEXT: lse: [1, 1, 1] f64 finite rms=0.693147 max=0.693147
// SOFTMAX-NEXT:   lse[0, 0]: 0.6931471806
func.func @softmax(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x2x1xf32>,
                   %v: tensor<1x1x2x1xf32>)
    -> (tensor<1x1x1x1xf32>, tensor<1x1x1xf32>) {
  %s = attn.score %q, %k : tensor<1x1x1x1xf32>, tensor<1x1x2x1xf32>
  %w = attn.normalize %s softmax
  %o, %lse = attn.aggregate %w, %v : tensor<1x1x2x1xf32>
      -> tensor<1x1x1x1xf32>, lse tensor<1x1x1xf32>
  return %o, %lse : tensor<1x1x1x1xf32>, tensor<1x1x1xf32>
}

// window<0, 0> keeps only j = p = 1: o = v_1 = 3, lse = s_1 = 0.
// WINDOW:      o: [1, 1, 1, 1] f64 finite rms=3 max=3
// WINDOW-NEXT:   o[0, 0, 0]: 3
// WINDOW-NEXT: lse: [1, 1, 1] f64 finite rms=0 max=0
// WINDOW-NEXT:   lse[0, 0]: 0
func.func @window(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x2x1xf32>,
                  %v: tensor<1x1x2x1xf32>)
    -> (tensor<1x1x1x1xf32>, tensor<1x1x1xf32>) {
  %s = attn.score %q, %k : tensor<1x1x1x1xf32>, tensor<1x1x2x1xf32>
  %m = attn.mask %s, #attn.window<0, 0>
  %w = attn.normalize %m softmax
  %o, %lse = attn.aggregate %w, %v : tensor<1x1x2x1xf32>
      -> tensor<1x1x1x1xf32>, lse tensor<1x1x1xf32>
  return %o, %lse : tensor<1x1x1x1xf32>, tensor<1x1x1xf32>
}

// Nothing visible: o = 0 and lse = -inf, reported as non-finite.
// MASKED:      o: [1, 1, 1, 1] f64 finite rms=0 max=0
// MASKED-NEXT:   o[0, 0, 0]: 0
// MASKED-NEXT: lse: [1, 1, 1] f64 1 non-finite rms=nan max=nan
// MASKED-NEXT:   lse[0, 0]: -inf
func.func @masked(%q: tensor<1x1x1x1xf32>, %k: tensor<1x1x2x1xf32>,
                  %v: tensor<1x1x2x1xf32>)
    -> (tensor<1x1x1x1xf32>, tensor<1x1x1xf32>) {
  %s = attn.score %q, %k : tensor<1x1x1x1xf32>, tensor<1x1x2x1xf32>
  %m = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %false = arith.constant false
    attn.yield %false : i1
  }
  %w = attn.normalize %m softmax
  %o, %lse = attn.aggregate %w, %v : tensor<1x1x2x1xf32>
      -> tensor<1x1x1x1xf32>, lse tensor<1x1x1xf32>
  return %o, %lse : tensor<1x1x1x1xf32>, tensor<1x1x1xf32>
}
