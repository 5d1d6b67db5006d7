// --save-inputs writes every input in its own element type, named as
// --list-inputs shows; feeding the files back reproduces the run.

// RUN: rm -rf %t.dir && mkdir -p %t.dir
// RUN: attention-run %s --reference --random-inputs --seed 3 --batch 2 \
// RUN:   --q-heads 4 --kv-heads 2 --len 24 --save-inputs %t.dir/saved \
// RUN:   > %t.random.txt
// RUN: attention-run %s --reference --input q=%t.dir/saved/q.npy \
// RUN:   --input k=%t.dir/saved/k.npy --input v=%t.dir/saved/v.npy \
// RUN:   --input ids=%t.dir/saved/ids.npy \
// RUN:   --input forget=%t.dir/saved/forget.npy > %t.reloaded.txt
// RUN: diff %t.random.txt %t.reloaded.txt
// RUN: FileCheck %s --input-file=%t.random.txt --check-prefix=SUMMARY
// SUMMARY:      o: [2, 24, 4, 32] f64 finite
// SUMMARY-NEXT: lse: [2, 4, 24] f64 finite

// RUN: FileCheck %s --input-file=%t.dir/saved/q.npy --check-prefix=Q
// Q: {'descr': '<f2', 'fortran_order': False, 'shape': (2, 24, 4, 32), }
// RUN: FileCheck %s --input-file=%t.dir/saved/k.npy --check-prefix=K
// K: {'descr': '<f2', 'fortran_order': False, 'shape': (2, 24, 2, 32), }
// RUN: FileCheck %s --input-file=%t.dir/saved/ids.npy --check-prefix=IDS
// IDS: {'descr': '<i4', 'fortran_order': False, 'shape': (2, 24), }
// RUN: FileCheck %s --input-file=%t.dir/saved/forget.npy --check-prefix=GATES
// GATES: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 24, 4), }

func.func @document(%q: tensor<?x?x?x32xf16>, %k: tensor<?x?x?x32xf16>,
                    %v: tensor<?x?x?x32xf16>, %ids: tensor<?x?xi32>,
                    %lg: tensor<?x?x?xf32> {attn.name = "forget"})
    -> (tensor<?x?x?x32xf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k layout bshd
      : tensor<?x?x?x32xf16>, tensor<?x?x?x32xf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>
      (%ids : tensor<?x?xi32>)
  %d = attn.decay %m gated(%lg : tensor<?x?x?xf32>)
  %w = attn.normalize %d softmax
  %o, %lse = attn.aggregate %w, %v : tensor<?x?x?x32xf16>
      -> tensor<?x?x?x32xf16>, lse tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x32xf16>, tensor<?x?x?xf32>
}
