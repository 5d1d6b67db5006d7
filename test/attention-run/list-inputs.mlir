// --list-inputs: each argument's name, role, element type and shape, and the
// result names that --output and --compare take.

// RUN: attention-run %s --func document --list-inputs \
// RUN:   | FileCheck %s --check-prefix=DOCUMENT
// DOCUMENT:      @document inputs:
// DOCUMENT-NEXT:   q       query                  bf16  [?, ?, ?, 128]
// DOCUMENT-NEXT:   k       key                    bf16  [?, ?, ?, 128]
// DOCUMENT-NEXT:   v       values                 bf16  [?, ?, ?, 128]
// DOCUMENT-NEXT:   ids     document ids           i32   [?, ?]
// DOCUMENT-NEXT:   forget  gated decay log-gates  f32   [?, ?, ?]
// DOCUMENT-NEXT: @document results:
// DOCUMENT-NEXT:   o    output       bf16  [?, ?, ?, 128]
// DOCUMENT-NEXT:   lse  log-sum-exp  f32   [?, ?, ?]
// DOCUMENT-NOT:  {{.}}
func.func @document(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                    %v: tensor<?x?x?x128xbf16>, %ids: tensor<?x?xi32>,
                    %lg: tensor<?x?x?xf32> {attn.name = "forget"})
    -> (tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k layout bshd
      : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>
      (%ids : tensor<?x?xi32>)
  %d = attn.decay %m gated(%lg : tensor<?x?x?xf32>)
  %w = attn.normalize %d softmax
  %o, %lse = attn.aggregate %w, %v : tensor<?x?x?x128xbf16>
      -> tensor<?x?x?x128xbf16>, lse tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x128xbf16>, tensor<?x?x?xf32>
}

// Several outputs are o, o1, ...; a sum of outputs is an output too; a
// final state is "state".
// RUN: attention-run %s --func several --list-inputs \
// RUN:   | FileCheck %s --check-prefix=SEVERAL
// SEVERAL:      @several inputs:
// SEVERAL-NEXT:   q              query          f32  [2, 4, 16, 16]
// SEVERAL-NEXT:   k              key            f32  [2, 4, 16, 16]
// SEVERAL-NEXT:   v              values         f32  [2, 4, 16, 16]
// SEVERAL-NEXT:   initial_state  {{[a-z ]+}}  f32  [2, 4, 16, 16]
// SEVERAL-NEXT: @several results:
// SEVERAL-NEXT:   o      output       f32  [2, 4, 16, 16]
// SEVERAL-NEXT:   state  final state  f32  [2, 4, 16, 16]
// SEVERAL-NEXT:   o1     output       f32  [2, 4, 16, 16]
// SEVERAL-NEXT:   o2     output       f32  [2, 4, 16, 16]
// SEVERAL-NOT:  {{.}}
func.func @several(%q: tensor<2x4x16x16xf32>, %k: tensor<2x4x16x16xf32>,
                   %v: tensor<2x4x16x16xf32>, %s0: tensor<2x4x16x16xf32>)
    -> (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>,
        tensor<2x4x16x16xf32>) {
  %s = attn.score %q, %k : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %lin, %state = attn.aggregate %w, %v
      initial_state(%s0 : tensor<2x4x16x16xf32>)
      : tensor<2x4x16x16xf32> -> tensor<2x4x16x16xf32>,
        state tensor<2x4x16x16xf32>
  %sw = attn.score %q, %k : tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>
  %mw = attn.mask %sw, #attn.window<3, 0>
  %ww = attn.normalize %mw softmax
  %win = attn.aggregate %ww, %v
      : tensor<2x4x16x16xf32> -> tensor<2x4x16x16xf32>
  %sum = arith.addf %lin, %win : tensor<2x4x16x16xf32>
  return %lin, %state, %win, %sum : tensor<2x4x16x16xf32>,
      tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>
}
