// attn-fuse wraps each spec chain into one attn.kernel.
// RUN: attention-opt %s -attn-fuse -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @causal(
// CHECK-SAME:      %[[Q:[^:]*]]: tensor<?x?x?x128xbf16>, %[[K:[^:]*]]: tensor<?x?x?x128xbf16>, %[[V:[^:]*]]: tensor<?x?x?x128xbf16>)
// CHECK-NEXT:    %[[O:.*]] = attn.kernel(%[[Q]], %[[K]], %[[V]]) : (tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
// CHECK-NEXT:    ^bb0(%[[Q0:.*]]: tensor<?x?x?x128xbf16>, %[[K0:.*]]: tensor<?x?x?x128xbf16>, %[[V0:.*]]: tensor<?x?x?x128xbf16>):
// CHECK-NEXT:      %[[S:.*]] = attn.score %[[Q0]], %[[K0]] :
// CHECK-NEXT:      %[[M:.*]] = attn.mask %[[S]], #attn.causal
// CHECK-NEXT:      %[[W:.*]] = attn.normalize %[[M]] softmax
// CHECK-NEXT:      %[[A:.*]] = attn.aggregate %[[W]], %[[V0]] :
// CHECK-NEXT:      attn.return %[[A]] : tensor<?x?x?x128xbf16>
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[O]]
func.func @causal(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                  %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// Operands: q, k, v, then side inputs in order of first use (each once),
// then the initial state; q = k passed twice, one argument per role.
// CHECK-LABEL: func.func @operand_order(
// CHECK-SAME:      %[[X:[^:]*]]: tensor<?x?x?x16xf16>, %[[V:[^:]*]]: tensor<?x?x?x16xf16>, %[[T:[^:]*]]: tensor<?xf32>, %[[G:[^:]*]]: tensor<?x?x?xf32>, %[[S0:[^:]*]]: tensor<?x?x16x16xf32>)
// CHECK:         %{{.*}}:2 = attn.kernel(%[[X]], %[[X]], %[[V]], %[[T]], %[[G]], %[[S0]]) :
// CHECK-NEXT:    ^bb0(%[[Q0:[^:]*]]: {{[^,]*}}, %[[K0:[^:]*]]: {{[^,]*}}, %[[V0:[^:]*]]: {{[^,]*}}, %[[T0:[^:]*]]: {{[^,]*}}, %[[G0:[^:]*]]: {{[^,]*}}, %[[I0:[^:]*]]: tensor<?x?x16x16xf32>):
// CHECK-NEXT:      %[[SC:.*]] = attn.score %[[Q0]], %[[K0]] :
// CHECK-NEXT:      %[[D1:.*]] = attn.decay %[[SC]] exponential(%[[T0]] : tensor<?xf32>)
// CHECK-NEXT:      %[[D2:.*]] = attn.decay %[[D1]] gated(%[[G0]] : tensor<?x?x?xf32>)
// CHECK-NEXT:      %[[D3:.*]] = attn.decay %[[D2]] exponential(%[[T0]] : tensor<?xf32>)
// CHECK-NEXT:      %[[W:.*]] = attn.normalize %[[D3]] none
// CHECK-NEXT:      %[[O:.*]], %[[F:.*]] = attn.aggregate %[[W]], %[[V0]] initial_state(%[[I0]] : tensor<?x?x16x16xf32>)
// CHECK-NEXT:      attn.return %[[O]], %[[F]]
func.func @operand_order(%x: tensor<?x?x?x16xf16>, %v: tensor<?x?x?x16xf16>,
                         %rates: tensor<?xf32>, %g: tensor<?x?x?xf32>,
                         %s0: tensor<?x?x16x16xf32>)
    -> (tensor<?x?x?x16xf16>, tensor<?x?x16x16xf32>) {
  %s = attn.score %x, %x : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
  %d1 = attn.decay %s exponential(%rates : tensor<?xf32>)
  %d2 = attn.decay %d1 gated(%g : tensor<?x?x?xf32>)
  %d3 = attn.decay %d2 exponential(%rates : tensor<?xf32>)
  %w = attn.normalize %d3 none
  %o, %f = attn.aggregate %w, %v initial_state(%s0 : tensor<?x?x16x16xf32>)
      : tensor<?x?x?x16xf16> -> tensor<?x?x?x16xf16>, state tensor<?x?x16x16xf32>
  return %o, %f : tensor<?x?x?x16xf16>, tensor<?x?x16x16xf32>
}

// -----

// Side inputs of modifier, mask and normalize regions, in chain order.
// CHECK-LABEL: func.func @side_inputs(
// CHECK-SAME:      %[[Q:[^:]*]]: {{[^,]*}}, %[[K:[^:]*]]: {{[^,]*}}, %[[V:[^:]*]]: {{[^,]*}}, %[[IDS:[^:]*]]: tensor<?x?xi32>, %[[SLOPES:[^:]*]]: tensor<?xf32>, %[[SINKS:[^:]*]]: tensor<?xf32>)
// CHECK:         attn.kernel(%[[Q]], %[[K]], %[[V]], %[[SLOPES]], %[[IDS]], %[[SINKS]])
// CHECK:           attn.modify %{{.*}}(%{{.*}} : tensor<?xf32>)
// CHECK:           attn.mask %{{.*}}, #attn.document<input = 0>(%{{.*}} : tensor<?x?xi32>)
// CHECK:           attn.normalize %{{.*}} softmax sinks(%{{.*}} : tensor<?xf32>)
func.func @side_inputs(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                       %v: tensor<?x?x?x64xbf16>, %ids: tensor<?x?xi32>,
                       %slopes: tensor<?xf32>, %sinks: tensor<?xf32>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %a = attn.modify %s(%slopes : tensor<?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index, %t: tensor<?xf32>):
    %m = tensor.extract %t[%h] : tensor<?xf32>
    %y = arith.addf %x, %m : f32
    attn.yield %y : f32
  }
  %m = attn.mask %a, #attn.document<input = 0> (%ids : tensor<?x?xi32>)
  %w = attn.normalize %m softmax sinks(%sinks : tensor<?xf32>)
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Based: two chains become two kernels; the arith.addf combining them stays
// outside.
// CHECK-LABEL: func.func @based(
// CHECK-SAME:      %[[QL:[^:]*]]: {{[^,]*}}, %[[KL:[^:]*]]: {{[^,]*}}, %[[Q:[^:]*]]: {{[^,]*}}, %[[K:[^:]*]]: {{[^,]*}}, %[[V:[^:]*]]: tensor<?x?x?x64xbf16>
// CHECK-NEXT:    %[[OL:.*]] = attn.kernel(%[[QL]], %[[KL]], %[[V]])
// CHECK:           attn.score %{{.*}}, %{{.*}} feature_map taylor2
// CHECK:           attn.normalize %{{.*}} sum
// CHECK:         }
// CHECK-NEXT:    %[[OW:.*]] = attn.kernel(%[[Q]], %[[K]], %[[V]])
// CHECK:           attn.mask %{{.*}}, #attn.window<63, 0>
// CHECK:           attn.normalize %{{.*}} softmax
// CHECK:         }
// CHECK-NEXT:    %[[O:.*]] = arith.addf %[[OL]], %[[OW]] : tensor<?x?x?x64xbf16>
// CHECK-NEXT:    return %[[O]]
func.func @based(%ql: tensor<?x?x?x16xbf16>, %kl: tensor<?x?x?x16xbf16>,
                 %q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                 %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %sl = attn.score %ql, %kl feature_map taylor2 : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  %ml = attn.mask %sl, #attn.causal
  %wl = attn.normalize %ml sum
  %ol = attn.aggregate %wl, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %sw = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %mw = attn.mask %sw, #attn.window<63, 0>
  %ww = attn.normalize %mw softmax
  %ow = attn.aggregate %ww, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %o = arith.addf %ol, %ow : tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A score reused by two chains is cloned into both kernels; nothing of the
// spec is left outside.
// CHECK-LABEL: func.func @shared_score(
// CHECK-NOT:     attn.score
// CHECK:         attn.kernel
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      %[[S1:.*]] = attn.score
// CHECK-NEXT:      %[[M1:.*]] = attn.mask %[[S1]], #attn.causal
// CHECK-NEXT:      attn.normalize %[[M1]] softmax
// CHECK:         attn.kernel
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      %[[S2:.*]] = attn.score
// CHECK-NEXT:      attn.normalize %[[S2]] sigmoid
// CHECK:         }
// CHECK-NEXT:    arith.mulf
// CHECK-NOT:     attn.score
func.func @shared_score(%q: tensor<?x?x?x64xbf16>, %v: tensor<?x?x?x64xbf16>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %q : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w1 = attn.normalize %m softmax
  %o1 = attn.aggregate %w1, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %w2 = attn.normalize %s sigmoid
  %o2 = attn.aggregate %w2, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  %o = arith.mulf %o1, %o2 : tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Fusing is idempotent: an existing kernel is left alone.
// CHECK-LABEL: func.func @already_fused(
// CHECK:         attn.kernel
// CHECK-NOT:     attn.kernel
func.func @already_fused(%q: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = attn.kernel(%q, %q, %q) : (tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  ^bb0(%q0: tensor<?x?x?x64xbf16>, %k0: tensor<?x?x?x64xbf16>, %v0: tensor<?x?x?x64xbf16>):
    %s = attn.score %q0, %k0 : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    %w = attn.normalize %s softmax
    %a = attn.aggregate %w, %v0 : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
    attn.return %a : tensor<?x?x?x64xbf16>
  }
  return %o : tensor<?x?x?x64xbf16>
}
