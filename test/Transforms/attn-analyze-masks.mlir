// attn-analyze-masks records how each kernel's mask conjuncts are classified
// and, with `explain`, the fraction of skipped / full / partial tile pairs.
// RUN: attention-opt %s -split-input-file -attn-fuse -attn-analyze-masks | FileCheck %s
// RUN: attention-opt %s -split-input-file -attn-fuse \
// RUN:   -attn-analyze-masks="explain=true q-len=4096 kv-len=4096" -verify-diagnostics -o /dev/null
// Decode (one query, bottom-right aligned): under causal it sees every key.
// RUN: attention-opt %s -split-input-file -attn-fuse \
// RUN:   -attn-analyze-masks="explain=true q-len=1 kv-len=4097" -o /dev/null 2>&1 \
// RUN:   | FileCheck %s --check-prefix=DECODE
// DECODE: remark: mask classes [static]; Nq = 1, Nk = 4097, 128x64 tiles: 65 tile pairs, skip 0.0%, full 100.0%, partial 0.0%

!t = tensor<?x?x?x128xbf16>

// Causal: about half of the tile pairs are skipped at large N.
// CHECK-LABEL: func.func @causal(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = ["static"]}
func.func @causal(%q: !t, %k: !t, %v: !t) -> !t {
  %s = attn.score %q, %k : !t, !t
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  // expected-remark @+1 {{mask classes [static]; Nq = 4096, Nk = 4096, 128x64 tiles: 2048 tile pairs, skip 48.4%, full 48.4%, partial 3.1%}}
  %o = attn.aggregate %w, %v : !t -> !t
  return %o : !t
}

// -----

!t = tensor<?x?x?x128xbf16>

// Sliding window of 1024 keys, written as two chained masks: two conjuncts.
// CHECK-LABEL: func.func @sliding_window(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = ["static", "static"]}
func.func @sliding_window(%q: !t, %k: !t, %v: !t) -> !t {
  %s = attn.score %q, %k : !t, !t
  %m = attn.mask %s, #attn.causal
  %n = attn.mask %m, #attn.window<1023, 0>
  %w = attn.normalize %n softmax
  // expected-remark @+1 {{mask classes [static, static]; Nq = 4096, Nk = 4096, 128x64 tiles: 2048 tile pairs, skip 75.4%, full 19.1%, partial 5.5%}}
  %o = attn.aggregate %w, %v : !t -> !t
  return %o : !t
}

// -----

!t = tensor<?x?x?x128xbf16>

// Document ids: the causal part is static, the documents are classified on
// the device at launch.
// CHECK-LABEL: func.func @document(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = ["static", "device"]}
func.func @document(%q: !t, %k: !t, %v: !t, %ids: tensor<?x?xi32>) -> !t {
  %s = attn.score %q, %k : !t, !t
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]> (%ids : tensor<?x?xi32>)
  %w = attn.normalize %m softmax
  // expected-remark @+1 {{mask classes [static, device]; Nq = 4096, Nk = 4096, 128x64 tiles: 2048 tile pairs, skip 48.4%, full 0.0%, partial 51.6% (device-classified and element-wise conjuncts counted as partial)}}
  %o = attn.aggregate %w, %v : !t -> !t
  return %o : !t
}

// -----

!t = tensor<?x?x?x128xbf16>

// A block-sparse layout is classified on the device.
// CHECK-LABEL: func.func @block_sparse(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = ["device"]}
func.func @block_sparse(%q: !t, %k: !t, %v: !t, %layout: tensor<1x?x?x?xi8>) -> !t {
  %s = attn.score %q, %k : !t, !t
  %m = attn.mask %s, #attn.block_sparse<input = 0, q_block = 128, k_block = 128> (%layout : tensor<1x?x?x?xi8>)
  %w = attn.normalize %m softmax
  // expected-remark @+1 {{mask classes [device]; Nq = 4096, Nk = 4096, 128x64 tiles: 2048 tile pairs, skip 0.0%, full 0.0%, partial 100.0% (device-classified and element-wise conjuncts counted as partial)}}
  %o = attn.aggregate %w, %v : !t -> !t
  return %o : !t
}

// -----

!t = tensor<?x?x?x128xbf16>

// A predicate is element-wise: every visible tile is partial. Or-ed with a
// static mask, the conjunct is still element-wise.
// CHECK-LABEL: func.func @predicate(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = ["elementwise"]}
func.func @predicate(%q: !t, %k: !t, %v: !t) -> !t {
  %s = attn.score %q, %k : !t, !t
  %m = attn.mask %s, #attn.or<[#attn.predicate, #attn.sinks<4>]> {
  ^bb0(%b: index, %h: index, %i: index, %j: index):
    %c = arith.constant 7 : index
    %r = arith.remui %j, %c : index
    %z = arith.constant 0 : index
    %keep = arith.cmpi eq, %r, %z : index
    attn.yield %keep : i1
  }
  %w = attn.normalize %m softmax
  // expected-remark @+1 {{mask classes [elementwise]; Nq = 4096, Nk = 4096, 128x64 tiles: 2048 tile pairs, skip 0.0%, full 0.0%, partial 100.0% (device-classified and element-wise conjuncts counted as partial)}}
  %o = attn.aggregate %w, %v : !t -> !t
  return %o : !t
}

// -----

!t = tensor<?x?x?x128xbf16>

// No mask: every tile is full; the attribute is an empty list.
// CHECK-LABEL: func.func @dense(
// CHECK:         attn.kernel({{.*}}) attributes {mask_classes = []}
func.func @dense(%q: !t, %k: !t, %v: !t) -> !t {
  %s = attn.score %q, %k : !t, !t
  %w = attn.normalize %s softmax
  // expected-remark @+1 {{mask classes []; Nq = 4096, Nk = 4096, 128x64 tiles: 2048 tile pairs, skip 0.0%, full 100.0%, partial 0.0%}}
  %o = attn.aggregate %w, %v : !t -> !t
  return %o : !t
}

// -----

!t = tensor<?x?x?x256xbf16>

// The tile sizes come from the kernel's plan when it has one; Nq < Nk aligns
// the queries bottom-right.
// CHECK-LABEL: func.func @planned(
func.func @planned(%q: !t, %k: !t, %v: !t) -> !t {
  // expected-remark @+1 {{mask classes [static]; Nq = 4096, Nk = 4096, 64x32 tiles: 8192 tile pairs, skip 49.2%, full 49.2%, partial 1.6%}}
  %o = attn.kernel(%q, %k, %v) attributes {plan = {algorithm = "quadratic", block_m = 64 : i64, block_n = 32 : i64, stages = 2 : i64, warps = 4 : i64}} : (!t, !t, !t) -> !t {
  ^bb0(%q0: !t, %k0: !t, %v0: !t):
    %s = attn.score %q0, %k0 : !t, !t
    %m = attn.mask %s, #attn.causal
    %w = attn.normalize %m softmax
    %a = attn.aggregate %w, %v0 : !t -> !t
    attn.return %a : !t
  }
  return %o : !t
}
