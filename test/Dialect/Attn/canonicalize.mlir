// The canonicalization patterns of the attn dialect (AttnCanonicalize.cpp):
// merging chained masks, unwrapping singleton and/or, dropping identity
// modifiers and unit decays, folding constant score multipliers into the
// score's scale; and where each must not apply.
// RUN: attention-opt %s -canonicalize -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// DropIdentityModifier
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @drop_identity_modifier(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<?x?x?x64xbf16>
func.func @drop_identity_modifier(%q: tensor<?x?x?x64xbf16>, %t: tensor<?xf32>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %[[Q]], %[[Q]] :
  // CHECK-NEXT: %[[W:.*]] = attn.normalize %[[S]] softmax
  // CHECK-NEXT: return %[[W]]
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  // Unused inputs and dead ops do not make it less of an identity.
  %m = attn.modify %s(%t : tensor<?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
    %unused = arith.negf %x : f32
    attn.yield %x : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// CHECK-LABEL: func.func @keep_non_identity_modifier(
func.func @keep_non_identity_modifier(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.modify %[[S]] {
  // CHECK:        math.tanh
  // CHECK:      attn.normalize %[[M]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = math.tanh %x : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

//===----------------------------------------------------------------------===//
// FoldScaleIntoScore
//===----------------------------------------------------------------------===//

// -----

// The default scale 1/sqrt(64) = 0.125 times 2.
// CHECK-LABEL: func.func @fold_multiply(
func.func @fold_multiply(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 2.500000e-01 :
  // CHECK-NEXT: %[[W:.*]] = attn.normalize %[[S]] softmax
  // CHECK-NEXT: return %[[W]]
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// The constant on the left, an explicit scale, and the layout kept.
// CHECK-LABEL: func.func @fold_multiply_lhs(
func.func @fold_multiply_lhs(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale -1.500000e+00 feature_map relu layout bshd :
  // CHECK-NEXT: attn.normalize %[[S]] sigmoid
  %s = attn.score %q, %q scale 0.5 feature_map relu layout bshd : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant -3.0 : f32
    %y = arith.mulf %c, %x : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m sigmoid
  return %w : !attn.weights
}

// -----

// CHECK-LABEL: func.func @fold_divide(
func.func @fold_divide(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 3.125000e-02 :
  // CHECK-NEXT: attn.normalize %[[S]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 4.0 : f32
    %y = arith.divf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// Two scalings in a row fold one after the other.
// CHECK-LABEL: func.func @fold_twice(
func.func @fold_twice(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 1.000000e+00 :
  // CHECK-NEXT: attn.normalize %[[S]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %n = attn.modify %m {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 4.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %n softmax
  return %w : !attn.weights
}

// -----

// Not directly after attn.score: a mask sits in between (the fold would be
// legal here, but the pattern only looks at the score's direct user).
// CHECK-LABEL: func.func @no_fold_after_mask(
func.func @no_fold_after_mask(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.causal
  // CHECK-NEXT: %[[C:.*]] = attn.modify %[[M]] {
  // CHECK:        arith.mulf
  // CHECK:      attn.normalize %[[C]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %mk = attn.mask %s, #attn.causal
  %m = attn.modify %mk {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// The score feeds two chains: changing its scale would change both.
// CHECK-LABEL: func.func @no_fold_shared_score(
func.func @no_fold_shared_score(%q: tensor<?x?x?x64xbf16>) -> (!attn.weights, !attn.weights) {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: %[[M:.*]] = attn.modify %[[S]] {
  // CHECK:      attn.normalize %[[M]] softmax
  // CHECK:      attn.normalize %[[S]] sigmoid
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  %w2 = attn.normalize %s sigmoid
  return %w, %w2 : !attn.weights, !attn.weights
}

// -----

// A factor read from an input (per-head temperature) is not a constant.
// CHECK-LABEL: func.func @no_fold_input_factor(
func.func @no_fold_input_factor(%q: tensor<?x?x?x64xbf16>, %t: tensor<?xf32>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]](%{{.*}} : tensor<?xf32>) {
  // CHECK:        tensor.extract
  // CHECK-NEXT:   arith.mulf
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s(%t : tensor<?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
    %c = tensor.extract %tt[%h] : tensor<?xf32>
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// A factor computed from the position is not a constant either.
// CHECK-LABEL: func.func @no_fold_position_factor(
func.func @no_fold_position_factor(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]] {
  // CHECK:        arith.sitofp
  // CHECK-NEXT:   arith.mulf
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %i64 = arith.index_cast %i : index to i64
    %f = arith.sitofp %i64 : i64 to f32
    %y = arith.mulf %x, %f : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// c / s is not a scaling of s.
// CHECK-LABEL: func.func @no_fold_reciprocal(
func.func @no_fold_reciprocal(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]] {
  // CHECK:        arith.divf %{{.*}}, %{{.*}} : f32
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.divf %c, %x : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// s * s is not linear in s.
// CHECK-LABEL: func.func @no_fold_square(
func.func @no_fold_square(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]] {
  // CHECK:        arith.mulf %[[X:.*]], %[[X]] : f32
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %y = arith.mulf %x, %x : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// The region does more than scale (an add after the multiply).
// CHECK-LABEL: func.func @no_fold_scale_then_add(
func.func @no_fold_scale_then_add(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]] {
  // CHECK:        arith.mulf
  // CHECK-NEXT:   arith.addf
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    %z = arith.addf %y, %c : f32
    attn.yield %z : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// Dead ops in the region are erased first; then the scale folds (and the
// unused input goes with the modifier).
// CHECK-LABEL: func.func @fold_after_dead_op(
func.func @fold_after_dead_op(%q: tensor<?x?x?x64xbf16>, %t: tensor<?xf32>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 2.500000e-01 :
  // CHECK-NEXT: attn.normalize %[[S]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s(%t : tensor<?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index, %tt: tensor<?xf32>):
    %e = tensor.extract %tt[%h] : tensor<?xf32>
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// A zero factor would make the scale zero (invalid): not folded.
// CHECK-LABEL: func.func @no_fold_zero_factor(
func.func @no_fold_zero_factor(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]] {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 0.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

// -----

// Dividing by zero would make the scale infinite: not folded.
// CHECK-LABEL: func.func @no_fold_divide_by_zero(
func.func @no_fold_divide_by_zero(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} :
  // CHECK-NEXT: attn.modify %[[S]] {
  // CHECK:        arith.divf
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 0.0 : f32
    %y = arith.divf %x, %c : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

//===----------------------------------------------------------------------===//
// MergeMasks
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @merge_masks(
func.func @merge_masks(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.window<127, 0>]>{{$}}
  // CHECK-NEXT: attn.normalize %[[M]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.causal
  %m1 = attn.mask %m0, #attn.window<127, 0>
  %w = attn.normalize %m1 softmax
  return %w : !attn.weights
}

// -----

// Three masks become one; nested #attn.and on either side are flattened,
// #attn.or is kept whole.
// CHECK-LABEL: func.func @merge_three_masks(
func.func @merge_three_masks(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.dilated<2>, #attn.or<[#attn.sinks<4>, #attn.window<63, 0>]>, #attn.block_diagonal<256>, #attn.prefix<8>]>{{$}}
  // CHECK-NEXT: attn.normalize %[[M]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.and<[#attn.causal, #attn.dilated<2>]>
  %m1 = attn.mask %m0, #attn.or<[#attn.sinks<4>, #attn.window<63, 0>]>
  %m2 = attn.mask %m1, #attn.and<[#attn.block_diagonal<256>, #attn.prefix<8>]>
  %w = attn.normalize %m2 softmax
  return %w : !attn.weights
}

// -----

// The outer mask's input indices move past the inner mask's inputs, also
// inside and/or.
// CHECK-LABEL: func.func @merge_shifts_inputs(
// CHECK-SAME:      %[[IDS:[^:]*]]: tensor<?x?xi32>, %[[L0:[^:]*]]: tensor<?x?x?x?xi1>, %[[L1:[^:]*]]: tensor<?x?x?x?xi8>)
func.func @merge_shifts_inputs(%q: tensor<?x?x?x64xbf16>, %ids: tensor<?x?xi32>, %l0: tensor<?x?x?x?xi1>,
                               %l1: tensor<?x?x?x?xi8>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.document<input = 0>, #attn.or<[#attn.block_sparse<input = 2, q_block = 64, k_block = 64>, #attn.block_sparse<input = 1, q_block = 128, k_block = 128>]>]>(%[[IDS]], %[[L0]], %[[L1]] : tensor<?x?xi32>, tensor<?x?x?x?xi1>, tensor<?x?x?x?xi8>){{$}}
  // CHECK-NEXT: attn.normalize %[[M]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]> (%ids : tensor<?x?xi32>)
  %m1 = attn.mask %m0, #attn.or<[#attn.block_sparse<input = 1, q_block = 64, k_block = 64>,
                                 #attn.block_sparse<input = 0, q_block = 128, k_block = 128>]>
      (%l0, %l1 : tensor<?x?x?x?xi1>, tensor<?x?x?x?xi8>)
  %w = attn.normalize %m1 softmax
  return %w : !attn.weights
}

// -----

// The outer mask's predicate gets the inner mask's inputs inserted after
// (b, h, i, j), before its own.
// CHECK-LABEL: func.func @merge_outer_predicate(
// CHECK-SAME:      %[[IDS:[^:]*]]: tensor<?x?xi32>, %[[COLS:[^:]*]]: tensor<?xindex>)
func.func @merge_outer_predicate(%q: tensor<?x?x?x64xbf16>, %ids: tensor<?x?xi32>, %cols: tensor<?xindex>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.document<input = 0>, #attn.predicate]>(%[[IDS]], %[[COLS]] : tensor<?x?xi32>, tensor<?xindex>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %[[J:.*]]: index, %{{.*}}: tensor<?x?xi32>, %[[C:.*]]: tensor<?xindex>):
  // CHECK-NEXT:   %[[COL:.*]] = tensor.extract %[[C]][%[[H]]] : tensor<?xindex>
  // CHECK-NEXT:   %[[EQ:.*]] = arith.cmpi eq, %[[J]], %[[COL]] : index
  // CHECK-NEXT:   attn.yield %[[EQ]] : i1
  // CHECK-NEXT: }
  // CHECK-NEXT: attn.normalize %[[M]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.document<input = 0> (%ids : tensor<?x?xi32>)
  %m1 = attn.mask %m0, #attn.predicate (%cols : tensor<?xindex>) {
  ^bb0(%b: index, %h: index, %i: index, %j: index, %c: tensor<?xindex>):
    %col = tensor.extract %c[%h] : tensor<?xindex>
    %eq = arith.cmpi eq, %j, %col : index
    attn.yield %eq : i1
  }
  %w = attn.normalize %m1 softmax
  return %w : !attn.weights
}

// -----

// The inner mask's predicate keeps its arguments and gets the outer mask's
// inputs appended.
// CHECK-LABEL: func.func @merge_inner_predicate(
// CHECK-SAME:      %[[COLS:[^:]*]]: tensor<?xindex>, %[[IDS:[^:]*]]: tensor<?x?xi32>)
func.func @merge_inner_predicate(%q: tensor<?x?x?x64xbf16>, %cols: tensor<?xindex>, %ids: tensor<?x?xi32>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.predicate, #attn.document<input = 1>]>(%[[COLS]], %[[IDS]] : tensor<?xindex>, tensor<?x?xi32>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %[[J:.*]]: index, %[[C:.*]]: tensor<?xindex>, %{{.*}}: tensor<?x?xi32>):
  // CHECK-NEXT:   %[[COL:.*]] = tensor.extract %[[C]][%[[H]]] : tensor<?xindex>
  // CHECK-NEXT:   %[[EQ:.*]] = arith.cmpi eq, %[[J]], %[[COL]] : index
  // CHECK-NEXT:   attn.yield %[[EQ]] : i1
  // CHECK-NEXT: }
  // CHECK-NEXT: attn.normalize %[[M]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.predicate (%cols : tensor<?xindex>) {
  ^bb0(%b: index, %h: index, %i: index, %j: index, %c: tensor<?xindex>):
    %col = tensor.extract %c[%h] : tensor<?xindex>
    %eq = arith.cmpi eq, %j, %col : index
    attn.yield %eq : i1
  }
  %m1 = attn.mask %m0, #attn.document<input = 0> (%ids : tensor<?x?xi32>)
  %w = attn.normalize %m1 softmax
  return %w : !attn.weights
}

// -----

// Two predicate regions cannot share one op: not merged.
// CHECK-LABEL: func.func @no_merge_two_predicates(
func.func @no_merge_two_predicates(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M0:.*]] = attn.mask %[[S]], #attn.predicate {
  // CHECK:      %[[M1:.*]] = attn.mask %[[M0]], #attn.predicate {
  // CHECK:      attn.normalize %[[M1]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi sge, %i, %j : index
    attn.yield %c : i1
  }
  %m1 = attn.mask %m0, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi ne, %i, %j : index
    attn.yield %c : i1
  }
  %w = attn.normalize %m1 softmax
  return %w : !attn.weights
}

// -----

// The inner mask feeds another chain too: not merged.
// CHECK-LABEL: func.func @no_merge_shared_mask(
func.func @no_merge_shared_mask(%q: tensor<?x?x?x64xbf16>) -> (!attn.weights, !attn.weights) {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M0:.*]] = attn.mask %[[S]], #attn.causal{{$}}
  // CHECK-NEXT: %[[M1:.*]] = attn.mask %[[M0]], #attn.window<7, 0>{{$}}
  // CHECK-NEXT: attn.normalize %[[M1]] softmax
  // CHECK-NEXT: attn.normalize %[[M0]] softmax
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.causal
  %m1 = attn.mask %m0, #attn.window<7, 0>
  %w = attn.normalize %m1 softmax
  %w2 = attn.normalize %m0 softmax
  return %w, %w2 : !attn.weights, !attn.weights
}

// -----

// Masks separated by a decay or a modifier stay apart (the pattern merges
// only directly chained masks).
// CHECK-LABEL: func.func @no_merge_across_decay(
func.func @no_merge_across_decay(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK:      attn.mask %{{.*}}, #attn.causal{{$}}
  // CHECK-NEXT: attn.decay
  // CHECK-NEXT: attn.mask %{{.*}}, #attn.sinks<4>{{$}}
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.causal
  %d = attn.decay %m0 exponential rates [0.5, 0.5]
  %m1 = attn.mask %d, #attn.sinks<4>
  %w = attn.normalize %m1 none
  return %w : !attn.weights
}

//===----------------------------------------------------------------------===//
// UnwrapSingletonMask
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @unwrap_singletons(
func.func @unwrap_singletons(%q: tensor<?x?x?x64xbf16>) -> (!attn.weights, !attn.weights) {
  // CHECK:      attn.mask %{{.*}}, #attn.causal{{$}}
  // CHECK:      attn.mask %{{.*}}, #attn.window<3, 0>{{$}}
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.and<[#attn.causal]>
  %w0 = attn.normalize %m0 softmax
  %m1 = attn.mask %s, #attn.or<[#attn.window<3, 0>]>
  %w1 = attn.normalize %m1 softmax
  return %w0, %w1 : !attn.weights, !attn.weights
}

// -----

// A singleton wrapping a singleton unwraps all the way; one with a predicate
// keeps its region.
// CHECK-LABEL: func.func @unwrap_nested_singletons(
func.func @unwrap_nested_singletons(%q: tensor<?x?x?x64xbf16>) -> (!attn.weights, !attn.weights) {
  // CHECK:      attn.mask %{{.*}}, #attn.sinks<2>{{$}}
  // CHECK:      attn.mask %{{.*}}, #attn.predicate {
  // CHECK-NEXT: ^bb0(
  // CHECK-NEXT:   arith.cmpi
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m0 = attn.mask %s, #attn.or<[#attn.and<[#attn.sinks<2>]>]>
  %w0 = attn.normalize %m0 softmax
  %m1 = attn.mask %s, #attn.and<[#attn.predicate]> {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi sge, %i, %j : index
    attn.yield %c : i1
  }
  %w1 = attn.normalize %m1 softmax
  return %w0, %w1 : !attn.weights, !attn.weights
}

// -----

// and/or with several operands stay; singletons below the top level are
// left alone.
// CHECK-LABEL: func.func @keep_non_singletons(
func.func @keep_non_singletons(%q: tensor<?x?x?x64xbf16>) -> !attn.weights {
  // CHECK: attn.mask %{{.*}}, #attn.or<[#attn.causal, #attn.and<[#attn.prefix<4>]>]>{{$}}
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.or<[#attn.causal, #attn.and<[#attn.prefix<4>]>]>
  %w = attn.normalize %m softmax
  return %w : !attn.weights
}

//===----------------------------------------------------------------------===//
// DropUnitDecay
//===----------------------------------------------------------------------===//

// -----

// CHECK-LABEL: func.func @drop_unit_decay(
func.func @drop_unit_decay(%q: tensor<?x2x?x64xbf16>) -> !attn.weights {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.causal
  // CHECK-NEXT: attn.normalize %[[M]] none
  // CHECK-NOT:  attn.decay
  %s = attn.score %q, %q : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m exponential rates [1.0, 1.0]
  %w = attn.normalize %d none
  return %w : !attn.weights
}

// -----

// CHECK-LABEL: func.func @keep_decays(
func.func @keep_decays(%q: tensor<?x2x?x64xbf16>, %r: tensor<2xf32>, %g: tensor<?x2x?xf32>)
    -> (!attn.weights, !attn.weights, !attn.weights) {
  // One rate below 1.
  // CHECK: attn.decay %{{.*}} exponential rates [1.000000e+00, 0.999755859375]{{$}}
  // Rates from an input are not known to be 1.
  // CHECK: attn.decay %{{.*}} exponential(%{{.*}} : tensor<2xf32>){{$}}
  // Gated decay is never dropped.
  // CHECK: attn.decay %{{.*}} gated(%{{.*}} : tensor<?x2x?xf32>){{$}}
  %s = attn.score %q, %q : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>
  %d0 = attn.decay %s exponential rates [1.0, 0.999755859375]
  %w0 = attn.normalize %d0 none
  %d1 = attn.decay %s exponential(%r : tensor<2xf32>)
  %w1 = attn.normalize %d1 none
  %d2 = attn.decay %s gated(%g : tensor<?x2x?xf32>)
  %w2 = attn.normalize %d2 none
  return %w0, %w1, %w2 : !attn.weights, !attn.weights, !attn.weights
}

//===----------------------------------------------------------------------===//
// Together
//===----------------------------------------------------------------------===//

// -----

// Removing the identity modifier and the unit decay brings the two masks
// together, which then merge; the spec keeps its meaning.
// CHECK-LABEL: func.func @cascade(
func.func @cascade(%q: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  // CHECK:      %[[S:.*]] = attn.score %{{.*}}, %{{.*}} scale 6.250000e-02 :
  // CHECK-NEXT: %[[M:.*]] = attn.mask %[[S]], #attn.and<[#attn.causal, #attn.window<255, 0>]>{{$}}
  // CHECK-NEXT: %[[W:.*]] = attn.normalize %[[M]] softmax
  // CHECK-NEXT: %[[O:.*]] = attn.aggregate %[[W]], %{{.*}} :
  // CHECK-NEXT: return %[[O]]
  %s = attn.score %q, %q : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>
  %half = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.divf %x, %c : f32
    attn.yield %y : f32
  }
  %m0 = attn.mask %half, #attn.and<[#attn.causal]>
  %id = attn.modify %m0 {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    attn.yield %x : f32
  }
  %d = attn.decay %id exponential rates [1.0, 1.0]
  %m1 = attn.mask %d, #attn.window<255, 0>
  %w = attn.normalize %m1 softmax
  %o = attn.aggregate %w, %v : tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}
