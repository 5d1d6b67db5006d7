// Round trip of every attn op, attribute, enum value and optional operand or
// result form, in the custom and in the generic form.
// RUN: attention-opt %s | attention-opt | FileCheck %s
// RUN: attention-opt %s -mlir-print-op-generic | attention-opt | FileCheck %s

!q = tensor<?x?x?x64xbf16>

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func private @types(!attn.scores) -> !attn.weights
func.func private @types(!attn.scores) -> !attn.weights

//===----------------------------------------------------------------------===//
// attn.score
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @score_defaults(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x?x?x64xbf16>, %[[K:.*]]: tensor<?x?x?x64xbf16>)
func.func @score_defaults(%q: !q, %k: !q) -> !attn.scores {
  // The default feature map and layout are not printed.
  // CHECK:      %[[S:.*]] = attn.score %[[Q]], %[[K]] : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  // CHECK-NEXT: %[[S2:.*]] = attn.score %[[Q]], %[[K]] : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %s = attn.score %q, %k : !q, !q
  %s2 = attn.score %q, %k feature_map identity layout bhsd : !q, !q
  return %s : !attn.scores
}

// CHECK-LABEL: func.func @score_scale_layout(
func.func @score_scale_layout(%q: tensor<2x128x8x64xf32>, %k: tensor<2x256x2x64xf32>) {
  // CHECK: attn.score %{{.*}}, %{{.*}} scale 1.250000e-01 layout bshd : tensor<2x128x8x64xf32>, tensor<2x256x2x64xf32>
  %s = attn.score %q, %k scale 0.125 layout bshd : tensor<2x128x8x64xf32>, tensor<2x256x2x64xf32>
  // Negative scales are legal (only zero and non-finite ones are not).
  // CHECK: attn.score %{{.*}}, %{{.*}} scale -2.500000e-01 layout bshd
  %n = attn.score %q, %k scale -0.25 layout bshd : tensor<2x128x8x64xf32>, tensor<2x256x2x64xf32>
  return
}

// CHECK-LABEL: func.func @score_feature_maps(
func.func @score_feature_maps(%q: tensor<?x?x?x16xf16>, %k: tensor<?x?x?x16xf16>) {
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map elu_plus_one : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  %0 = attn.score %q, %k feature_map elu_plus_one : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map relu :
  %1 = attn.score %q, %k feature_map relu : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map exp :
  %2 = attn.score %q, %k feature_map exp : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map taylor2 :
  %3 = attn.score %q, %k feature_map taylor2 : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map l2norm :
  %4 = attn.score %q, %k feature_map l2norm : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  // CHECK: attn.score %{{.*}}, %{{.*}} scale 2.000000e+00 feature_map l2norm layout bshd :
  %5 = attn.score %q, %k scale 2.0 feature_map l2norm layout bshd : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  return
}

// CHECK-LABEL: func.func @score_hedgehog(
// CHECK-SAME:      %[[WQ:[^:]*]]: tensor<4x64x32xf32>, %[[WK:[^:]*]]: tensor<?x64x32xbf16>)
func.func @score_hedgehog(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x2x?x64xbf16>,
                          %wq: tensor<4x64x32xf32>, %wk: tensor<?x64x32xbf16>) {
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map hedgehog weights(%[[WQ]], %[[WK]] : tensor<4x64x32xf32>, tensor<?x64x32xbf16>) : tensor<?x4x?x64xbf16>, tensor<?x2x?x64xbf16>
  %s = attn.score %q, %k feature_map hedgehog weights(%wq, %wk : tensor<4x64x32xf32>, tensor<?x64x32xbf16>)
      : tensor<?x4x?x64xbf16>, tensor<?x2x?x64xbf16>
  return
}

// CHECK-LABEL: func.func @score_gate(
// CHECK-SAME:      %[[G:[^:]*]]: tensor<?x?x?x64xf32>, %[[GT:[^:]*]]: tensor<?x?x?x64xf32>, %[[GF:[^:]*]]: tensor<1x5x3x4161xf32>)
func.func @score_gate(%q: !q, %k: !q, %g: tensor<?x?x?x64xf32>, %gt: tensor<?x?x?x64xf32>,
                      %gf: tensor<1x5x3x4161xf32>) {
  // CHECK: attn.score %{{.*}}, %{{.*}} gate(%[[G]] : tensor<?x?x?x64xf32>) : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %0 = attn.score %q, %k gate(%g : tensor<?x?x?x64xf32>) : !q, !q
  // CHECK: attn.score %{{.*}}, %{{.*}} scale 5.000000e-01 feature_map relu layout bshd gate(%[[GT]] : tensor<?x?x?x64xf32>) :
  %1 = attn.score %q, %k scale 0.5 feature_map relu layout bshd gate(%gt : tensor<?x?x?x64xf32>) : !q, !q
  // The gate has one channel per feature: F = 1 + 64 + 64^2 for taylor2.
  // CHECK: attn.score %{{.*}}, %{{.*}} feature_map taylor2 gate(%[[GF]] : tensor<1x5x3x4161xf32>) :
  %2 = attn.score %q, %k feature_map taylor2 gate(%gf : tensor<1x5x3x4161xf32>) : !q, !q
  return
}

// An attribute dictionary after the optional groups survives.
// CHECK-LABEL: func.func @score_attr_dict(
func.func @score_attr_dict(%q: !q, %k: !q) {
  // CHECK: attn.score %{{.*}}, %{{.*}} scale 1.000000e+00 {tag = "x"} :
  %s = attn.score %q, %k scale 1.0 {tag = "x"} : !q, !q
  return
}

//===----------------------------------------------------------------------===//
// attn.modify
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @modify(
// CHECK-SAME:      %[[T:[^:]*]]: tensor<?xf32>, %[[B:[^:]*]]: tensor<?x?xf16>)
func.func @modify(%q: !q, %k: !q, %table: tensor<?xf32>, %bias: tensor<?x?xf16>) {
  %s = attn.score %q, %k : !q, !q
  // CHECK:      %[[M0:.*]] = attn.modify %{{.*}} {
  // CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index, %{{.*}}: index):
  // CHECK-NEXT:   %[[N:.*]] = arith.negf %[[X]] : f32
  // CHECK-NEXT:   attn.yield %[[N]] : f32
  // CHECK-NEXT: }
  %m0 = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %n = arith.negf %x : f32
    attn.yield %n : f32
  }
  // CHECK:      %[[M1:.*]] = attn.modify %[[M0]](%[[T]], %[[B]] : tensor<?xf32>, tensor<?x?xf16>) attributes {tag} {
  // CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: index, %[[H:.*]]: index, %[[I:.*]]: index, %[[J:.*]]: index, %[[TA:.*]]: tensor<?xf32>, %[[BA:.*]]: tensor<?x?xf16>):
  // CHECK-NEXT:   %[[E0:.*]] = tensor.extract %[[TA]][%[[H]]] : tensor<?xf32>
  // CHECK-NEXT:   %[[E1:.*]] = tensor.extract %[[BA]][%[[I]], %[[J]]] : tensor<?x?xf16>
  // CHECK:        attn.yield %{{.*}} : f32
  %m1 = attn.modify %m0(%table, %bias : tensor<?xf32>, tensor<?x?xf16>) attributes {tag} {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index, %t: tensor<?xf32>, %bb: tensor<?x?xf16>):
    %e0 = tensor.extract %t[%h] : tensor<?xf32>
    %e1 = tensor.extract %bb[%i, %j] : tensor<?x?xf16>
    %e2 = arith.extf %e1 : f16 to f32
    %y0 = arith.addf %x, %e0 : f32
    %y = arith.addf %y0, %e2 : f32
    attn.yield %y : f32
  }
  return
}

//===----------------------------------------------------------------------===//
// attn.mask
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @mask_kinds(
func.func @mask_kinds(%q: !q, %k: !q) {
  %s = attn.score %q, %k : !q, !q
  // CHECK: attn.mask %{{.*}}, #attn.causal{{$}}
  %0 = attn.mask %s, #attn.causal
  // CHECK: attn.mask %{{.*}}, #attn.window<128, 0>{{$}}
  %1 = attn.mask %s, #attn.window<128, 0>
  // CHECK: attn.mask %{{.*}}, #attn.window<0, 7>{{$}}
  %2 = attn.mask %s, #attn.window<0, 7>
  // CHECK: attn.mask %{{.*}}, #attn.sinks<4>{{$}}
  %3 = attn.mask %s, #attn.sinks<4>
  // CHECK: attn.mask %{{.*}}, #attn.block_diagonal<64>{{$}}
  %4 = attn.mask %s, #attn.block_diagonal<64>
  // CHECK: attn.mask %{{.*}}, #attn.dilated<2>{{$}}
  %5 = attn.mask %s, #attn.dilated<2>
  // CHECK: attn.mask %{{.*}}, #attn.prefix<16>{{$}}
  %6 = attn.mask %s, #attn.prefix<16>
  // A prefix of length 0 is legal (it hides nothing by itself).
  // CHECK: attn.mask %{{.*}}, #attn.prefix<0>{{$}}
  %7 = attn.mask %s, #attn.prefix<0>
  // CHECK: attn.mask %{{.*}}, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 5, height = 8, width = 16>{{$}}
  %8 = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 5, height = 8, width = 16>
  // Dilations of 1 are the default and are not printed.
  // CHECK: attn.mask %{{.*}}, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 8, width = 16, dilation_w = 2>{{$}}
  %9 = attn.mask %s, #attn.neighborhood_2d<kernel_h = 3, kernel_w = 3, height = 8, width = 16, dilation_h = 1, dilation_w = 2>
  // CHECK: attn.mask %{{.*}}, #attn.and<[#attn.causal, #attn.window<4095, 0>]>{{$}}
  %10 = attn.mask %s, #attn.and<[#attn.causal, #attn.window<4095, 0>]>
  // CHECK: attn.mask %{{.*}}, #attn.or<[#attn.causal, #attn.prefix<32>]>{{$}}
  %11 = attn.mask %s, #attn.or<[#attn.causal, #attn.prefix<32>]>
  // Singletons and nesting are kept as written (canonicalization unwraps).
  // CHECK: attn.mask %{{.*}}, #attn.and<[#attn.or<[#attn.sinks<4>, #attn.and<[#attn.window<3, 0>]>]>, #attn.dilated<3>]>{{$}}
  %12 = attn.mask %s, #attn.and<[#attn.or<[#attn.sinks<4>, #attn.and<[#attn.window<3, 0>]>]>, #attn.dilated<3>]>
  // Discardable attributes take the `attributes` keyword: a bare `{` would
  // open the predicate region.
  // CHECK: attn.mask %{{.*}}, #attn.causal attributes {tag}{{$}}
  %13 = attn.mask %s, #attn.causal attributes {tag}
  return
}

// CHECK-LABEL: func.func @mask_static_grid(
func.func @mask_static_grid(%q: tensor<1x2x12x32xf32>, %k: tensor<1x2x12x32xf32>) {
  %s = attn.score %q, %k : tensor<1x2x12x32xf32>, tensor<1x2x12x32xf32>
  // CHECK: #attn.neighborhood_2d<kernel_h = 1, kernel_w = 2, height = 3, width = 4, dilation_h = 3, dilation_w = 2>
  %m = attn.mask %s, #attn.neighborhood_2d<kernel_h = 1, kernel_w = 2, height = 3, width = 4, dilation_h = 3, dilation_w = 2>
  return
}

// CHECK-LABEL: func.func @mask_inputs(
// CHECK-SAME:      %[[IDS:[^:]*]]: tensor<?x?xi32>, %[[L:[^:]*]]: tensor<1x?x?x?xi1>, %[[L8:[^:]*]]: tensor<?x1x?x?xi8>)
func.func @mask_inputs(%q: !q, %k: !q, %ids: tensor<?x?xi32>, %layout: tensor<1x?x?x?xi1>,
                       %layout8: tensor<?x1x?x?xi8>) {
  %s = attn.score %q, %k : !q, !q
  // CHECK: attn.mask %{{.*}}, #attn.document<input = 0>(%[[IDS]] : tensor<?x?xi32>)
  %0 = attn.mask %s, #attn.document<input = 0> (%ids : tensor<?x?xi32>)
  // CHECK: attn.mask %{{.*}}, #attn.block_sparse<input = 0, q_block = 128, k_block = 64>(%[[L]] : tensor<1x?x?x?xi1>)
  %1 = attn.mask %s, #attn.block_sparse<input = 0, q_block = 128, k_block = 64> (%layout : tensor<1x?x?x?xi1>)
  // Several inputs, read by index; an input may also go unused.
  // CHECK: attn.mask %{{.*}}, #attn.and<[#attn.causal, #attn.block_sparse<input = 2, q_block = 64, k_block = 64>, #attn.document<input = 0>]>(%[[IDS]], %[[L]], %[[L8]] : tensor<?x?xi32>, tensor<1x?x?x?xi1>, tensor<?x1x?x?xi8>)
  %2 = attn.mask %s, #attn.and<[#attn.causal, #attn.block_sparse<input = 2, q_block = 64, k_block = 64>, #attn.document<input = 0>]>
      (%ids, %layout, %layout8 : tensor<?x?xi32>, tensor<1x?x?x?xi1>, tensor<?x1x?x?xi8>)
  return
}

// CHECK-LABEL: func.func @mask_predicate(
// CHECK-SAME:      %[[VS:[^:]*]]: tensor<?x?xi64>)
func.func @mask_predicate(%q: !q, %k: !q, %vs: tensor<?x?xi64>) {
  %s = attn.score %q, %k : !q, !q
  // CHECK:      %[[P:.*]] = attn.mask %{{.*}}, #attn.predicate {
  // CHECK-NEXT: ^bb0(%{{.*}}: index, %{{.*}}: index, %[[I:.*]]: index, %[[J:.*]]: index):
  // CHECK-NEXT:   %[[C:.*]] = arith.cmpi sge, %[[I]], %[[J]] : index
  // CHECK-NEXT:   attn.yield %[[C]] : i1
  // CHECK-NEXT: }
  %p = attn.mask %s, #attn.predicate {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.cmpi sge, %i, %j : index
    attn.yield %c : i1
  }
  // A predicate inside and/or, with inputs (vertical lines: key j is kept if
  // it is one of the listed columns of head h).
  // CHECK:      attn.mask %[[P]], #attn.or<[#attn.window<63, 0>, #attn.predicate]>(%[[VS]] : tensor<?x?xi64>) {
  // CHECK-NEXT: ^bb0(%{{.*}}: index, %[[H:.*]]: index, %{{.*}}: index, %[[J:.*]]: index, %[[T:.*]]: tensor<?x?xi64>):
  // CHECK-NEXT:   %[[C0:.*]] = arith.constant 0 : index
  // CHECK-NEXT:   %[[E:.*]] = tensor.extract %[[T]][%[[H]], %[[C0]]] : tensor<?x?xi64>
  // CHECK:        attn.yield %{{.*}} : i1
  %v = attn.mask %p, #attn.or<[#attn.window<63, 0>, #attn.predicate]> (%vs : tensor<?x?xi64>) {
  ^bb0(%b: index, %h: index, %i: index, %j: index, %cols: tensor<?x?xi64>):
    %c0 = arith.constant 0 : index
    %col = tensor.extract %cols[%h, %c0] : tensor<?x?xi64>
    %jj = arith.index_cast %j : index to i64
    %eq = arith.cmpi eq, %col, %jj : i64
    attn.yield %eq : i1
  }
  return
}

//===----------------------------------------------------------------------===//
// attn.decay
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @decay(
// CHECK-SAME:      %[[R:[^:]*]]: tensor<4xf32>, %[[G:[^:]*]]: tensor<?x4x?xf32>, %[[GB:[^:]*]]: tensor<?x?x4xbf16>,
func.func @decay(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %rates: tensor<4xf32>,
                 %g: tensor<?x4x?xf32>, %gb: tensor<?x?x4xbf16>, %qs: tensor<?x?x4x64xbf16>) {
  %s = attn.score %q, %k : tensor<?x4x?x64xbf16>, tensor<?x2x?x64xbf16>
  // Rates print exactly (1 - 2^-12 survives).
  // CHECK: attn.decay %{{.*}} exponential rates [5.000000e-01, 1.000000e+00, 9.687500e-01, 0.999755859375]{{$}}
  %0 = attn.decay %s exponential rates [0.5, 1.0, 0.96875, 0.999755859375]
  // CHECK: attn.decay %{{.*}} exponential rates [1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00]{{$}}
  %1 = attn.decay %s exponential rates [1.0, 1.0, 1.0, 1.0]
  // CHECK: attn.decay %{{.*}} exponential(%[[R]] : tensor<4xf32>){{$}}
  %2 = attn.decay %s exponential(%rates : tensor<4xf32>)
  // CHECK: attn.decay %{{.*}} gated(%[[G]] : tensor<?x4x?xf32>){{$}}
  %3 = attn.decay %s gated(%g : tensor<?x4x?xf32>)
  // Chained decays multiply.
  // CHECK: %[[D:.*]] = attn.decay %{{.*}} gated(%[[G]] : tensor<?x4x?xf32>) {tag}
  // CHECK: attn.decay %[[D]] exponential rates
  %4 = attn.decay %s gated(%g : tensor<?x4x?xf32>) {tag}
  %5 = attn.decay %4 exponential rates [0.5, 0.5, 0.5, 0.5]
  // BSHD log-gates are [B, Nk, Hq].
  %sb = attn.score %qs, %qs layout bshd : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>
  // CHECK: attn.decay %{{.*}} gated(%[[GB]] : tensor<?x?x4xbf16>){{$}}
  %6 = attn.decay %sb gated(%gb : tensor<?x?x4xbf16>)
  return
}

//===----------------------------------------------------------------------===//
// attn.normalize
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @normalize(
// CHECK-SAME:      %[[SINKS:[^:]*]]: tensor<?xf32>)
func.func @normalize(%q: !q, %k: !q, %sinks: tensor<?xf32>) {
  %s = attn.score %q, %k : !q, !q
  // CHECK: attn.normalize %{{.*}} softmax{{$}}
  %0 = attn.normalize %s softmax
  // CHECK: attn.normalize %{{.*}} softmax sinks(%[[SINKS]] : tensor<?xf32>){{$}}
  %1 = attn.normalize %s softmax sinks(%sinks : tensor<?xf32>)
  // CHECK: attn.normalize %{{.*}} sigmoid{{$}}
  %2 = attn.normalize %s sigmoid
  // CHECK: attn.normalize %{{.*}} sigmoid bias -1.000000e+01{{$}}
  %3 = attn.normalize %s sigmoid bias -10.0
  // CHECK: attn.normalize %{{.*}} softplus_l1{{$}}
  %4 = attn.normalize %s softplus_l1
  // CHECK: attn.normalize %{{.*}} softplus_l1 power 2.500000e+00{{$}}
  %5 = attn.normalize %s softplus_l1 power 2.5
  // CHECK: attn.normalize %{{.*}} relu{{$}}
  %6 = attn.normalize %s relu
  // CHECK: attn.normalize %{{.*}} relu2{{$}}
  %7 = attn.normalize %s relu2
  // CHECK: attn.normalize %{{.*}} none{{$}}
  %8 = attn.normalize %s none
  // CHECK: attn.normalize %{{.*}} sum{{$}}
  %9 = attn.normalize %s sum
  // CHECK: attn.normalize %{{.*}} sigmoid bias 0.000000e+00 {tag}{{$}}
  %10 = attn.normalize %s sigmoid bias 0.0 {tag}
  return
}

//===----------------------------------------------------------------------===//
// attn.aggregate
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @aggregate(
// CHECK-SAME:      %[[V:[^:]*]]: tensor<?x?x?x32xbf16>)
func.func @aggregate(%q: !q, %k: !q, %v: tensor<?x?x?x32xbf16>)
    -> (tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>,
        tensor<?x?x?x32xbf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k : !q, !q
  %w = attn.normalize %s softmax
  // CHECK: %[[O0:.*]] = attn.aggregate %[[W:.*]], %[[V]] : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>{{$}}
  %o0 = attn.aggregate %w, %v : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>
  // CHECK: %[[O1:.*]] = attn.aggregate %[[W]], %[[V]] norm rms : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>{{$}}
  %o1 = attn.aggregate %w, %v norm rms : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>
  // CHECK: %[[O2:.*]] = attn.aggregate %[[W]], %[[V]] norm layer {norm_eps = 1.000000e-05 : f64} : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>{{$}}
  %o2 = attn.aggregate %w, %v norm layer {norm_eps = 1.0e-5 : f64} : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>
  // CHECK: %[[O3:.*]], %[[LSE:.*]] = attn.aggregate %[[W]], %[[V]] : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>, lse tensor<?x?x?xf32>{{$}}
  %o3, %lse = attn.aggregate %w, %v : tensor<?x?x?x32xbf16> -> tensor<?x?x?x32xbf16>, lse tensor<?x?x?xf32>
  // CHECK: return %[[O0]], %[[O1]], %[[O2]], %[[O3]], %[[LSE]]
  return %o0, %o1, %o2, %o3, %lse : tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>,
      tensor<?x?x?x32xbf16>, tensor<?x?x?x32xbf16>, tensor<?x?x?xf32>
}

// Every combination of the optional recurrent state operand and result.
// CHECK-LABEL: func.func @aggregate_states(
// CHECK-SAME:      %[[V:[^:]*]]: tensor<2x2x?x32xf32>, %[[S0:[^:]*]]: tensor<2x4x16x32xf32>)
func.func @aggregate_states(%q: tensor<2x4x?x16xf32>, %k: tensor<2x2x?x16xf32>,
                            %v: tensor<2x2x?x32xf32>, %s0: tensor<2x4x16x32xf32>) {
  %s = attn.score %q, %k : tensor<2x4x?x16xf32>, tensor<2x2x?x16xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  // CHECK: attn.aggregate %[[W:.*]], %[[V]] : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>, state tensor<2x4x16x32xf32>{{$}}
  %o0, %f0 = attn.aggregate %w, %v : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>, state tensor<2x4x16x32xf32>
  // CHECK: attn.aggregate %[[W]], %[[V]] initial_state(%[[S0]] : tensor<2x4x16x32xf32>) : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>{{$}}
  %o1 = attn.aggregate %w, %v initial_state(%s0 : tensor<2x4x16x32xf32>) : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>
  // CHECK: attn.aggregate %[[W]], %[[V]] initial_state(%[[S0]] : tensor<2x4x16x32xf32>) norm rms : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>, state tensor<?x?x16x32xf32>{{$}}
  %o2, %f2 = attn.aggregate %w, %v initial_state(%s0 : tensor<2x4x16x32xf32>) norm rms
      : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>, state tensor<?x?x16x32xf32>
  // Decays and an unmasked chain are legal with states too.
  %d = attn.decay %s exponential rates [0.5, 0.6, 0.7, 0.8]
  %wd = attn.normalize %d none
  // CHECK: attn.aggregate %{{.*}}, %[[V]] initial_state(%[[S0]] : tensor<2x4x16x32xf32>) : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>, state tensor<2x4x16x32xf32>{{$}}
  %o3, %f3 = attn.aggregate %wd, %v initial_state(%s0 : tensor<2x4x16x32xf32>)
      : tensor<2x2x?x32xf32> -> tensor<2x4x?x32xf32>, state tensor<2x4x16x32xf32>
  return
}

// States of a feature-mapped score have F rows: 2 * 8 for hedgehog.
// CHECK-LABEL: func.func @aggregate_state_hedgehog(
func.func @aggregate_state_hedgehog(%q: tensor<?x?x?x16xf32>, %w: tensor<?x16x8xf32>,
                                    %v: tensor<?x?x?x32xf32>) {
  %s = attn.score %q, %q feature_map hedgehog weights(%w, %w : tensor<?x16x8xf32>, tensor<?x16x8xf32>)
      : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  %n = attn.normalize %s none
  // CHECK: attn.aggregate %{{.*}}, %{{.*}} : tensor<?x?x?x32xf32> -> tensor<?x?x?x32xf32>, state tensor<?x?x16x32xf32>{{$}}
  %o, %f = attn.aggregate %n, %v : tensor<?x?x?x32xf32> -> tensor<?x?x?x32xf32>, state tensor<?x?x16x32xf32>
  return
}

//===----------------------------------------------------------------------===//
// Whole specs
//===----------------------------------------------------------------------===//

// A chain with every kind of op, and a second chain combined element-wise.
// CHECK-LABEL: func.func @two_chains(
func.func @two_chains(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>,
                      %v: tensor<?x?x?x64xf16>, %r: tensor<?xf32>) -> tensor<?x?x?x64xf16> {
  // CHECK:      %[[S:.*]] = attn.score
  // CHECK-NEXT: %[[A:.*]] = attn.modify %[[S]] {
  // CHECK:      %[[B:.*]] = attn.mask %[[A]], #attn.causal
  // CHECK-NEXT: %[[C:.*]] = attn.decay %[[B]] exponential(%{{.*}} : tensor<?xf32>)
  // CHECK-NEXT: %[[D:.*]] = attn.mask %[[C]], #attn.window<8, 0>
  // CHECK-NEXT: %[[W:.*]] = attn.normalize %[[D]] relu2
  // CHECK-NEXT: %[[O1:.*]] = attn.aggregate %[[W]]
  // CHECK:      %[[O2:.*]] = attn.aggregate
  // CHECK-NEXT: arith.subf %[[O1]], %[[O2]] : tensor<?x?x?x64xf16>
  %s = attn.score %q, %k : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
  %a = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 2.0 : f32
    %y = arith.mulf %x, %c : f32
    attn.yield %y : f32
  }
  %bm = attn.mask %a, #attn.causal
  %c = attn.decay %bm exponential(%r : tensor<?xf32>)
  %d = attn.mask %c, #attn.window<8, 0>
  %w = attn.normalize %d relu2
  %o1 = attn.aggregate %w, %v : tensor<?x?x?x64xf16> -> tensor<?x?x?x64xf16>
  %s2 = attn.score %q, %k feature_map exp : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
  %w2 = attn.normalize %s2 sum
  %o2 = attn.aggregate %w2, %v : tensor<?x?x?x64xf16> -> tensor<?x?x?x64xf16>
  %o = arith.subf %o1, %o2 : tensor<?x?x?x64xf16>
  return %o : tensor<?x?x?x64xf16>
}

//===----------------------------------------------------------------------===//
// attn.kernel (level 2)
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @kernel_bare(
// CHECK-SAME:      %[[Q:.*]]: tensor<?x?x?x64xbf16>, %[[V:.*]]: tensor<?x?x?x64xbf16>)
func.func @kernel_bare(%q: !q, %v: !q) -> !q {
  // CHECK:      %[[O:.*]] = attn.kernel(%[[Q]], %[[Q]], %[[V]]) : (tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  // CHECK-NEXT: ^bb0(%[[Q0:.*]]: tensor<?x?x?x64xbf16>, %[[K0:.*]]: tensor<?x?x?x64xbf16>, %[[V0:.*]]: tensor<?x?x?x64xbf16>):
  // CHECK-NEXT:   %[[S:.*]] = attn.score %[[Q0]], %[[K0]]
  // CHECK-NEXT:   %[[W:.*]] = attn.normalize %[[S]] softmax
  // CHECK-NEXT:   %[[A:.*]] = attn.aggregate %[[W]], %[[V0]]
  // CHECK-NEXT:   attn.return %[[A]] : tensor<?x?x?x64xbf16>
  // CHECK-NEXT: }
  // CHECK-NEXT: return %[[O]]
  %o = attn.kernel(%q, %q, %v) : (!q, !q, !q) -> !q {
  ^bb0(%q0: !q, %k0: !q, %v0: !q):
    %s = attn.score %q0, %k0 : !q, !q
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %v0 : !q -> !q
    attn.return %a : !q
  }
  return %o : !q
}

// A planned, analysed kernel with a side input, lse and a predicate region.
// CHECK-LABEL: func.func @kernel_planned(
func.func @kernel_planned(%q: !q, %v: !q, %ids: tensor<?x?xi32>)
    -> (!q, tensor<?x?x?xf32>) {
  // CHECK:      attn.kernel(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) attributes {mask_classes = ["static", "device", "elementwise"], plan = {algorithm = "quadratic", block_m = 128 : i64, block_n = 64 : i64, stages = 2 : i64, warps = 4 : i64}} : (tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?xi32>) -> (tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>) {
  // CHECK:        attn.mask %{{.*}}, #attn.and<[#attn.causal, #attn.document<input = 0>, #attn.predicate]>(%{{.*}} : tensor<?x?xi32>) {
  // CHECK:        attn.return %{{.*}}, %{{.*}} : tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
  %o, %lse = attn.kernel(%q, %q, %v, %ids) attributes {
      mask_classes = ["static", "device", "elementwise"],
      plan = {algorithm = "quadratic", block_m = 128 : i64, block_n = 64 : i64,
              stages = 2 : i64, warps = 4 : i64}}
      : (!q, !q, !q, tensor<?x?xi32>) -> (!q, tensor<?x?x?xf32>) {
  ^bb0(%q0: !q, %k0: !q, %v0: !q, %ids0: tensor<?x?xi32>):
    %s = attn.score %q0, %k0 : !q, !q
    %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>, #attn.predicate]> (%ids0 : tensor<?x?xi32>) {
    ^bb0(%b: index, %h: index, %i: index, %j: index, %t: tensor<?x?xi32>):
      %keep = arith.cmpi ule, %j, %i : index
      attn.yield %keep : i1
    }
    %w = attn.normalize %m softmax
    %a, %l = attn.aggregate %w, %v0 : !q -> !q, lse tensor<?x?x?xf32>
    attn.return %a, %l : !q, tensor<?x?x?xf32>
  }
  return %o, %lse : !q, tensor<?x?x?xf32>
}
