// RUN: attention-opt %s --convert-attn-to-gpu=chip=sm_80 --split-input-file | FileCheck %s
// RUN: attention-opt %s --convert-attn-to-gpu=chip=sm_90a --split-input-file | FileCheck %s --check-prefix=WG
// RUN: attention-opt %s --attn-fuse --convert-attn-to-gpu=chip=sm_90a --split-input-file | FileCheck %s --check-prefix=FUSED

// The CHECK lines show the warp-level kernels (sm_80, and sm_90a where the
// warpgroup path does not apply); the WG lines the warpgroup form of
// S = Q K^T on sm_90a (last case).

// Causal f16 softmax: the FA2 skeleton with tensor cores, async copies and
// the mask only on partial tiles.

// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK:       func.func @causal_f16
// CHECK:         attn.aggregate
// Kernel ABI v6 (keys sorted): a quadratic kernel without states, no
// combine operands, q, k, v from arguments 0, 1, 2.
// CHECK:       gpu.module @attn_kernels attributes {attn.kernel_info =
// CHECK-SAME:    {\22abi\22:6,\22algorithm\22:\22quadratic\22,
// CHECK-SAME:    \22block_m\22:64,\22block_n\22:32,
// CHECK-SAME:    \22combine_operands\22:[],
// CHECK-SAME:    \22dtype\22:\22f16\22
// CHECK-SAME:    \22feature_dim\22:0,\22final_state\22:false,
// CHECK-SAME:    \22initial_state\22:false,\22initial_state_arg\22:-1,\22k_arg\22:1,
// CHECK-SAME:    \22q_arg\22:0,
// CHECK-SAME:    \22v_arg\22:2,
// CHECK:         gpu.func @attn_fwd(%{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf16>, %{{.*}}: i64
// CHECK-SAME:      kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK:           gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.*}} to memref<64x72xf16, #gpu.address_space<workgroup>>
// Q and the first K/V tile: 16-byte copies, zero-filled out of range.
// CHECK:           nvgpu.device_async_copy %{{.*}}[%{{.*}}], %{{.*}}[%{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1} : memref<?xf16> to memref<64x72xf16, #gpu.address_space<workgroup>>
// Groups Q, K(first), V(first).
// CHECK:           %[[G0:.*]] = nvgpu.device_async_create_group
// CHECK:           nvgpu.device_async_copy
// CHECK:           nvgpu.device_async_create_group
// CHECK:           nvgpu.device_async_create_group
// CHECK:           nvgpu.device_async_wait %[[G0]] {numGroups = 1 : i32}
// CHECK:           gpu.barrier
// CHECK:           nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x72xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// The key loop: wait for this tile, prefetch the next one.
// CHECK:           scf.for
// S = Q K^T waits for K(t) only; then K(t+1) and V(t+1) go into the buffer
// of tile t - 1 as separate groups.
// CHECK:             nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// CHECK:             gpu.barrier
// CHECK:             nvgpu.device_async_copy
// CHECK:             nvgpu.device_async_create_group
// CHECK:             %[[VG:.*]] = nvgpu.device_async_create_group
// Skipped tiles compute nothing.
// CHECK:             scf.if
// CHECK:               nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// Partial tiles: the causal predicate j <= p; full tiles: none.
// CHECK:               scf.if
// CHECK:                 arith.cmpi sle
// CHECK:                 scf.yield
// CHECK-NOT:             arith.cmpi sle
// CHECK:               } else {
// CHECK-NOT:             arith.cmpi sle
// CHECK:                 scf.yield
// Online softmax: quad reductions, exp2.
// CHECK:               gpu.shuffle  xor
// CHECK:               gpu.shuffle  xor
// CHECK:               llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK:               nvgpu.device_async_wait %[[VG]] {numGroups = 2 : i32}
// CHECK:               gpu.barrier
// O += P V with V fragments from transposed loads.
// CHECK:               nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// CHECK:               nvgpu.mma.sync
// Epilogue: O staged in shared memory as words of two elements (rows padded
// by 16 bytes: 64 rows of 36 words), then copied out in 16-byte pieces of
// rows.
// CHECK:           nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK:           gpu.barrier
// CHECK:           memref.store %{{.*}} : memref<2304xi32, #gpu.address_space<workgroup>>
// CHECK:           gpu.barrier
// CHECK:           memref.load %{{.*}} : memref<576xvector<4xi32>, #gpu.address_space<workgroup>>
// CHECK:           vector.store %{{.*}}, %{{.*}}[%{{.*}}] {alignment = 16 : i64} : memref<?xf16>, vector<8xf16>
// CHECK:           gpu.return
// A single chain returned as is: no combine kernel.
// CHECK-NOT:   gpu.module
func.func @causal_f16(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>,
                      %v: tensor<?x?x?x64xf16>) -> tensor<?x?x?x64xf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v {attn.plan = {block_m = 64 : i64, block_n = 32 : i64}}
      : tensor<?x?x?x64xf16> -> tensor<?x?x?x64xf16>
  return %o : tensor<?x?x?x64xf16>
}

// -----

// bf16: nvvm.mma.sync with packed registers (nvgpu.mma.sync's lowering has no
// bf16 types); lse and a side input (sink logits) in ABI order.

// CHECK-LABEL: func.func @sinks_bf16
// CHECK:       gpu.module @attn_kernels
// CHECK-SAME:    \22abi\22:6,\22algorithm\22:\22quadratic\22,
// CHECK-SAME:    \22feature_dim\22:0,\22final_state\22:false,
// CHECK-SAME:    \22initial_state\22:false,
// CHECK-SAME:    \22lse\22:true
// CHECK-SAME:    \22side_inputs\22:[{\22alignment\22:0,\22arg\22:3,\22dtype\22:\22f32\22,\22name\22:\22sinks\22,\22shape\22:[\22Hq\22]}]
// CHECK:         gpu.func @attn_fwd(%{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: i64
// CHECK:           nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK:           math.log2
// CHECK:           memref.store %{{.*}}, %{{.*}}[%{{.*}}] : memref<?xf32>
func.func @sinks_bf16(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                      %v: tensor<?x?x?x64xbf16>,
                      %sinks: tensor<?xf32> {attn.name = "sinks"})
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %w = attn.normalize %s softmax sinks(%sinks : tensor<?xf32>)
  %o, %lse = attn.aggregate %w, %v
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, lse tensor<?x?x?xf32>
  return %o, %lse : tensor<?x?x?x64xbf16>, tensor<?x?x?xf32>
}

// -----

// Region modifiers are cloned; tensor.extract becomes a load from the flat
// side input.

// CHECK-LABEL: func.func @alibi
// CHECK:       gpu.module @attn_kernels
// CHECK-SAME:    \22side_inputs\22:[{\22alignment\22:0,\22arg\22:3,\22dtype\22:\22f32\22,\22name\22:\22input0\22,\22shape\22:[\22Hq\22]}]
// CHECK:         gpu.func @attn_fwd(%{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %[[SLOPES:[a-z0-9]+]]: memref<?xf32>,
// CHECK:           memref.load %[[SLOPES]][%{{.*}}] : memref<?xf32>
// CHECK:           math.absi
func.func @alibi(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                 %v: tensor<?x?x?x64xbf16>, %slopes: tensor<?xf32>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %b = attn.modify %s(%slopes : tensor<?xf32>) {
  ^bb0(%x: f32, %batch: index, %h: index, %i: index, %j: index, %sl: tensor<?xf32>):
    %slope = tensor.extract %sl[%h] : tensor<?xf32>
    %diff = arith.subi %i, %j : index
    %diff64 = arith.index_cast %diff : index to i64
    %dist64 = math.absi %diff64 : i64
    %dist = arith.sitofp %dist64 : i64 to f32
    %penalty = arith.mulf %slope, %dist : f32
    %y = arith.subf %x, %penalty : f32
    attn.yield %y : f32
  }
  %w = attn.normalize %b softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Document ids are classified on the device from each key tile's id range,
// which a first kernel (attn_fwd_key_ranges: a warp per key tile, a
// min/max reduction over its i32 ids by redux.sync) writes into the
// workspace, the parameter after the side inputs. The main kernel reduces the
// query tile's ids once, then reads two words per key tile: the skipped tiles
// are trimmed off both ends of the loop by scans in which each lane
// classifies a tile of its own (a ballot of the kept ones), and the loop
// classifies each tile from its words.

// CHECK-LABEL: func.func @document
// CHECK:       gpu.module @attn_kernels
// CHECK-SAME:    \22key_range_tables\22:1,\22key_ranges_kernel\22:\22attn_fwd_key_ranges\22
// CHECK-SAME:    \22side_inputs\22:[{\22alignment\22:0,\22arg\22:3,\22dtype\22:\22i32\22,\22name\22:\22ids\22,\22shape\22:[\22B\22,\22Nk\22]}]
// CHECK:       gpu.func @attn_fwd_key_ranges(%{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %[[IDS:.*]]: memref<?xi32>, %[[RANGES:.*]]: memref<?xi32>, %{{.*}}: i64,
// CHECK:         scf.for
// CHECK:           memref.load %[[IDS]]
// CHECK:           nvvm.redux.sync  min
// CHECK:           nvvm.redux.sync  max
// CHECK:           memref.store %{{.*}}, %[[RANGES]]
// CHECK:           memref.store %{{.*}}, %[[RANGES]]
// CHECK:       gpu.func @attn_fwd(%{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %[[IDS2:.*]]: memref<?xi32>, %[[RANGES2:.*]]: memref<?xi32>, %{{.*}}: i64,
// CHECK:         memref.load %[[IDS2]]
// CHECK:         nvvm.redux.sync  min
// CHECK:         nvvm.redux.sync  max
// CHECK:         scf.while
// CHECK:           memref.load %[[RANGES2]]
// CHECK:           memref.load %[[RANGES2]]
// CHECK:           nvvm.vote.sync  ballot
// CHECK:           math.cttz
// CHECK:         scf.while
// CHECK:           nvvm.vote.sync  ballot
// CHECK-NOT:     nvvm.redux.sync
// CHECK:         scf.for
// CHECK:           memref.load %[[RANGES2]]
func.func @document(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                    %v: tensor<?x?x?x64xbf16>, %ids: tensor<?x?xi32>)
    -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>
      (%ids : tensor<?x?xi32>)
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Linear attention under a window (not chunk-legal): the quadratic kernel
// with w = s' (no exponentials), phi = elu + 1 applied in place to the Q tile
// once it has landed and to each K tile before S = Q K^T, and normalize sum's
// row sum: quad-reduced, o = O / l where l != 0, else 0.

// CHECK-LABEL: func.func @linear_elu_sum_window
// CHECK:       gpu.module @attn_kernels
// CHECK-SAME:    \22algorithm\22:\22quadratic\22,
// CHECK-SAME:    \22normalize\22:\22sum\22
// CHECK:         gpu.func @attn_fwd
// phi(Q): wait for Q only, map, barrier.
// CHECK:           nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK:           gpu.barrier
// CHECK:           memref.load %{{.*}} : memref<128x72xbf16, #gpu.address_space<workgroup>>
// CHECK:           math.exp
// CHECK:           memref.store %{{.*}} : memref<128x72xbf16, #gpu.address_space<workgroup>>
// CHECK:           gpu.barrier
// CHECK:           scf.for
// CHECK:             nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// CHECK:             gpu.barrier
// phi(K(t)) in the compute branch, then S = Q K^T.
// CHECK:             scf.if
// CHECK:               memref.load %{{.*}} : memref<128x72xbf16, #gpu.address_space<workgroup>>
// CHECK:               math.exp
// CHECK:               memref.store
// CHECK:               gpu.barrier
// CHECK:               nvvm.mma.sync
// CHECK-NOT:           llvm.nvvm.ex2.approx
// CHECK:               nvvm.mma.sync
// CHECK:           gpu.shuffle  xor
// CHECK:           gpu.shuffle  xor
// CHECK:           arith.cmpf one
// CHECK:           arith.divf
// CHECK:           vector.store %{{.*}}, %{{.*}}[%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
func.func @linear_elu_sum_window(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                                 %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map elu_plus_one : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.window<63, 0>
  %w = attn.normalize %m sum
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// normalize none with a non-causal decay (not chunk-legal): w = s' D, no row
// sum, no division.

// CHECK-LABEL: func.func @retnet_bidirectional
// CHECK:       gpu.module @attn_kernels
// CHECK-SAME:    \22normalize\22:\22none\22
// CHECK:         gpu.func @attn_fwd
// CHECK:           scf.for
// CHECK:             nvvm.mma.sync
// CHECK:             math.exp
// CHECK:             nvvm.mma.sync
// CHECK-NOT:       arith.divf
// CHECK:           gpu.return
func.func @retnet_bidirectional(%q: tensor<?x2x?x64xbf16>, %k: tensor<?x2x?x64xbf16>,
                                %v: tensor<?x2x?x64xbf16>) -> tensor<?x2x?x64xbf16> {
  %s = attn.score %q, %k : tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>
  %d = attn.decay %s exponential rates [0.96875, 0.984375]
  %w = attn.normalize %d none
  %o = attn.aggregate %w, %v : tensor<?x2x?x64xbf16> -> tensor<?x2x?x64xbf16>
  return %o : tensor<?x2x?x64xbf16>
}

// -----

// Cosine attention (l2norm, f16, head dim 32): each row of Q and K is
// normalised by a group of lanes (a row of 32 f16 is four 16-byte vectors:
// four lanes, two xor shuffles), then the softmax kernel as usual. In PTX
// the scalar shared-memory accesses become ld/st.shared.v4 (attn-to-ptx.mlir).

// CHECK-LABEL: func.func @cosine_attention
// CHECK:       gpu.module @attn_kernels
// CHECK:         gpu.func @attn_fwd
// CHECK:           nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK:           gpu.barrier
// CHECK:           memref.load %{{.*}} : memref<128x40xf16, #gpu.address_space<workgroup>>
// CHECK:           gpu.shuffle  xor
// CHECK:           gpu.shuffle  xor
// CHECK-NOT:       gpu.shuffle
// CHECK:           math.sqrt
// CHECK:           memref.store %{{.*}} : memref<128x40xf16, #gpu.address_space<workgroup>>
// CHECK:           gpu.barrier
// CHECK:           nvgpu.ldmatrix
// CHECK:           scf.for
// CHECK:             math.sqrt
// CHECK:             gpu.barrier
// CHECK:             nvgpu.mma.sync
// CHECK:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
func.func @cosine_attention(%q: tensor<?x?x?x32xf16>, %k: tensor<?x?x?x32xf16>,
                            %v: tensor<?x?x?x32xf16>) -> tensor<?x?x?x32xf16> {
  %s = attn.score %q, %k scale 10.0 feature_map l2norm : tensor<?x?x?x32xf16>, tensor<?x?x?x32xf16>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x32xf16> -> tensor<?x?x?x32xf16>
  return %o : tensor<?x?x?x32xf16>
}

// -----

// Scalar-gated causal linear attention with states: the chunked pair. Both
// kernels take the same parameters - q, k, v, o, the states, the log-gates,
// the segment workspace, then 17 sizes and strides and the segment count -
// and the same grid (value tiles x segments, Hq, B). The state kernel walks
// its segment's chunks from zero with K^T V only and stores its state in
// workspace slot s + 1; the output kernel starts from slot 0 (the initial
// state), folding in each earlier segment's state decayed by its total
// log-gate.

// CHECK-LABEL: func.func @simple_gla_states
// CHECK:       gpu.module @attn_kernels attributes {attn.kernel_info =
// CHECK-SAME:    \22algorithm\22:\22chunked\22,
// CHECK-SAME:    \22causal\22:true,
// CHECK-SAME:    \22state_kernel\22:\22attn_fwd_segment_states\22,
// CHECK-SAME:    \22workspace_columns\22:64,\22workspace_rows\22:64
// CHECK:         gpu.func @attn_fwd_segment_states(%{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %[[INIT:[a-z0-9]+]]: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %[[WS:[a-z0-9]+]]: memref<?xf32>, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %[[SEGS:[a-z0-9]+]]: i64)
// Segment 0 copies the initial state into workspace slot 0.
// CHECK:           scf.if
// CHECK:             vector.load %[[INIT]]
// CHECK:             vector.store %{{.*}}, %[[WS]]
// Every segment but the last walks its chunks: K^T V, no Q.
// CHECK:           scf.if
// CHECK:             scf.for
// CHECK:               nvgpu.device_async_wait
// CHECK:               gpu.barrier
// CHECK-NOT:           gpu.barrier
// CHECK:               nvgpu.ldmatrix {{.*}}transpose = true
// CHECK:               nvvm.mma.sync
// CHECK:             vector.store %{{.*}}, %[[WS]]
// Its log-decay, per state row, by the threads of value tile 0.
// CHECK:             scf.if
// CHECK:               memref.store %{{.*}}, %[[WS]]
// CHECK:           gpu.return
// CHECK:         gpu.func @attn_fwd(
// One segment: the initial state itself; more: workspace slot 0 and the
// earlier segments.
// CHECK:           scf.if %{{.*}} -> (vector<2x2xf32>
// CHECK:             vector.load %[[WS2:[a-z0-9]+]]
// CHECK:           } else {
// CHECK:             vector.load
// CHECK:           scf.for
// CHECK:             memref.load
// CHECK:             llvm.nvvm.ex2.approx.ftz.f
// CHECK:             vector.load
// CHECK:             arith.addf
// The chunk loop, then the final state from the last segment.
// CHECK:           scf.for
// CHECK:             nvvm.mma.sync
// CHECK:           scf.if
// CHECK:             vector.store
// CHECK:           gpu.return
// On sm_90a the four products are warpgroup ops, the chunk being the
// warpgroup's 64 rows. The state kernel reads K^T as K's tile transposed
// (A col-major).
// WG-LABEL: func.func @simple_gla_states
// WG:         gpu.func @attn_fwd_segment_states
// WG:           scf.for
// WG:             nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <col>], B[<bf16>, <one>, <row>]
// WG:         gpu.func @attn_fwd(
// The chunk loop carries the state and each lane's log-gates of the chunk
// after the next.
// WG:           scf.for {{.*}} -> (vector<2x2xf32>, {{.*}}, f32, f32)
// WG:             nvgpu.device_async_wait
// Each thread rewrites the V pieces it copied as V~ = V exp(G_last - G_j)
// before the barrier that publishes the chunk.
// WG-COUNT-4:     memref.store {{.*}} : memref<1024xvector<8xbf16>, #gpu.address_space<workgroup>>
// WG:             nvvm.fence.proxy
// WG-NEXT:        gpu.barrier
// WG-NOT:         gpu.barrier
// Q K^T, Q S (S read transposed), then K^T V~: the last stays in flight
// while the weights are computed.
// WG:             nvvm.wgmma.mma_async {{.*}} D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// WG:             nvvm.wgmma.commit.group.sync.aligned
// WG:             nvvm.wgmma.mma_async {{.*}} D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <row>]
// WG:             nvvm.wgmma.commit.group.sync.aligned
// WG:             nvvm.wgmma.mma_async {{.*}} D[<f32>, <one>], A[<bf16>, <one>, <col>], B[<bf16>, <one>, <row>]
// WG-COUNT-3:     nvvm.wgmma.mma_async {{.*}} A[<bf16>, <one>, <col>], B[<bf16>, <one>, <row>]
// WG-NEXT:        nvvm.wgmma.commit.group.sync.aligned
// WG-NEXT:        nvvm.wgmma.wait.group.sync.aligned 1
// The weights to the P tile, then one barrier publishes P and the next
// chunk's G; A V is issued, S stored while it runs, then o.
// WG-COUNT-16:    memref.store {{.*}} : memref<2048xi32, #gpu.address_space<workgroup>>
// WG:             nvvm.fence.proxy
// WG-NEXT:        gpu.barrier
// WG-NOT:         gpu.barrier
// WG:             nvvm.wgmma.mma_async {{.*}} D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <row>]
// WG:             nvvm.wgmma.commit.group.sync.aligned
// WG-NEXT:        nvvm.wgmma.wait.group.sync.aligned 1
// WG-COUNT-16:    memref.store {{.*}} : memref<4096xi32, #gpu.address_space<workgroup>>
// WG:             nvvm.wgmma.wait.group.sync.aligned 0
// Each warp stages its 16 rows of o (pairs as words, rows padded by 16
// bytes: 16 x 36 words) and writes them in 16-byte pieces, with no CTA
// barrier.
// WG-COUNT-16:    memref.store {{.*}} : memref<576xi32, #gpu.address_space<workgroup>>
// WG:             nvvm.bar.warp.sync
// WG:             memref.load {{.*}} : memref<144xvector<4xi32>, #gpu.address_space<workgroup>>
// WG:             vector.store {{.*}} {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// WG:             nvvm.bar.warp.sync
// WG-NOT:         gpu.barrier
// WG:             scf.yield
func.func @simple_gla_states(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                             %v: tensor<?x?x?x64xbf16>,
                             %g: tensor<?x?x?xf32> {attn.name = "log_gates"},
                             %s0: tensor<?x?x64x64xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>) {
  %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)
  %w = attn.normalize %d none
  %o, %sn = attn.aggregate %w, %v initial_state(%s0 : tensor<?x?x64x64xf32>)
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x64x64xf32>
  return %o, %sn : tensor<?x?x?x64xbf16>, tensor<?x?x64x64xf32>
}

// -----

// f32 inputs take the chunked kernel's warp-level path (TF32 products, the
// same fragments as 16-bit ones, loaded element by element) on both chips:
// the warpgroup ops have no transposed TF32 operands. Its f32 tiles at
// Dk = 128 fit in shared memory with one buffer of S (a barrier before each
// chunk writes it) on sm_90a, and on sm_80 also 16 value columns a CTA
// instead of 64.

// CHECK-LABEL: func.func @linear_f32
// CHECK:       gpu.module @attn_kernels attributes {attn.kernel_info =
// CHECK-SAME:    \22block_m\22:64,\22block_n\22:16,
// CHECK-SAME:    \22dtype\22:\22f32\22,
// CHECK:         gpu.func @attn_fwd_segment_states(%{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>,
// CHECK-NOT:       nvgpu.ldmatrix
// CHECK:           nvvm.convert.float.to.tf32 %{{.*}} {rnd = #nvvm.fp_rnd_mode<rna>}
// CHECK:           nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>
// WG-LABEL:    func.func @linear_f32
// WG:            \22block_m\22:64,\22block_n\22:64,
// WG-NOT:        nvvm.wgmma
// WG:            nvvm.mma.sync {{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 8>
// WG-NOT:        nvvm.wgmma
// WG:          gpu.module
func.func @linear_f32(%q: tensor<?x?x?x128xf32>, %k: tensor<?x?x?x128xf32>,
                      %v: tensor<?x?x?x128xf32>) -> tensor<?x?x?x128xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x128xf32>, tensor<?x?x?x128xf32>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xf32> -> tensor<?x?x?x128xf32>
  return %o : tensor<?x?x?x128xf32>
}

// -----

// The per-channel gate (GLA): the gate's rows travel with q, k and v (by
// whole rows per thread, 16-byte aligned); one thread per key channel (Dk =
// 64 of the 128 threads) scans them, rewrites K as K~ in bf16 (f16 inputs
// too: bf16 has f32's exponent range) and fills the factor table
// T[a][b] = exp(min(E_a - E_b, 80)) of the 4 blocks; then the matrix ops.
// The state kernel's log-decay is written per state row.

// CHECK-LABEL: func.func @gla_gate
// CHECK:       gpu.module @attn_kernels
// CHECK-SAME:    \22side_inputs\22:[{\22alignment\22:16,\22arg\22:3,\22dtype\22:\22f32\22,\22name\22:\22gate\22,\22shape\22:[\22B\22,\22Hq\22,\22Nk\22,\2264\22]}]
// CHECK:         gpu.func @attn_fwd_segment_states(%{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf16>, %{{.*}}: memref<?xf16>, %[[GATE:[a-z0-9]+]]: memref<?xf32>, %[[WS:[a-z0-9]+]]: memref<?xf32>,
// Q and K as copied (f16), then as the matrix ops read them (bf16).
// CHECK:           memref.view {{.*}} to memref<128x72xf16, #gpu.address_space<workgroup>>
// CHECK:           %[[KIN:.*]] = memref.view {{.*}} to memref<128x72xf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.*}} to memref<128x72xbf16, #gpu.address_space<workgroup>>
// CHECK:           %[[KG:.*]] = memref.view {{.*}} to memref<128x72xbf16, #gpu.address_space<workgroup>>
// CHECK:           %[[GT:.*]] = memref.view {{.*}} to memref<128x72xf32, #gpu.address_space<workgroup>>
// CHECK:           %[[TAB:.*]] = memref.view {{.*}} to memref<25x64xf32, #gpu.address_space<workgroup>>
// CHECK:             scf.for
// CHECK:               gpu.barrier
// CHECK:               nvgpu.device_async_copy %[[GATE]][%{{.*}}], %[[GT]][%{{.*}}, %{{.*}}], 4
// CHECK:               %[[DECAY:.*]] = scf.if %{{.*}} -> (f32) {
// CHECK:                 memref.load %[[GT]][%{{.*}}, %[[TID:.*]]]
// CHECK:                 memref.load %[[KIN]][%{{.*}}, %[[TID]]]
// CHECK:                 llvm.nvvm.ex2.approx.ftz.f
// CHECK:                 arith.truncf %{{.*}} : f32 to bf16
// CHECK:                 memref.store %{{.*}}, %[[KG]][%{{.*}}, %[[TID]]]
// CHECK:                 arith.minimumf %{{.*}}, %cst{{.*}} : f32
// CHECK:                 memref.store %{{.*}}, %[[TAB]]
// CHECK:               gpu.barrier
// CHECK:               memref.load %[[TAB]]
// K~^T V: K~ rows scaled by T[3][J] and narrowed back to f16 for V.
// CHECK:               nvgpu.ldmatrix %[[KG]]{{.*}}transpose = true
// CHECK:               arith.truncf %{{.*}} : f32 to f16
// CHECK:               nvgpu.mma.sync
// CHECK:               arith.addf %{{.*}}, %[[DECAY]] : f32
// CHECK:             memref.store %{{.*}}, %[[WS]][%{{.*}}] : memref<?xf32>
// CHECK:         gpu.func @attn_fwd(
func.func @gla_gate(%q: tensor<?x?x?x64xf16>, %k: tensor<?x?x?x64xf16>,
                    %v: tensor<?x?x?x64xf16>,
                    %gk: tensor<?x?x?x64xf32> {attn.name = "gate"})
    -> tensor<?x?x?x64xf16> {
  %s = attn.score %q, %k gate(%gk : tensor<?x?x?x64xf32>) : tensor<?x?x?x64xf16>, tensor<?x?x?x64xf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xf16> -> tensor<?x?x?x64xf16>
  return %o : tensor<?x?x?x64xf16>
}

// -----

// sm_90a: S = Q K^T and O += P V by warpgroup matrix ops. Two warpgroups of
// 64 query rows over 128-key tiles; Q, K, V and P are 128-byte swizzled
// operand tiles from the first 1024-byte aligned shared address (P written
// as pairs of elements). The loop is software pipelined: one barrier per
// tile publishes V(t), K(t+1) and P(t) (fenced for the async proxy first),
// then S(t+1) = Q K(t+1)^T and O += P(t) V(t) (V read transposed, B[<row>],
// accumulating) are both issued after the next copies, before waiting for S
// only; the weights of
// tile t+1 are computed while P V is in flight, and P(t+1) is stored once it
// is done. The loop starts one tile early with a P V of zeros, and an
// epilogue issues the last P V.

// WG-LABEL: func.func @causal_wgmma
// WG:       gpu.module @attn_kernels
// WG-SAME:    \22block_m\22:128,\22block_n\22:128,
// WG-SAME:    \22warps\22:8
// WG:         gpu.func @attn_fwd
// WG-SAME:      known_block_size = array<i32: 256, 1, 1>
// WG:           memref.extract_aligned_pointer_as_index
// WG:           memref.view {{.*}} to memref<16384xbf16, #gpu.address_space<workgroup>>
// WG:           memref.view {{.*}} to memref<32768xbf16, #gpu.address_space<workgroup>>
// WG:           memref.view {{.*}} to memref<32768xbf16, #gpu.address_space<workgroup>>
// WG:           memref.view {{.*}} to memref<8192xi32, #gpu.address_space<workgroup>>
// WG:           nvgpu.device_async_copy {{.*}} : memref<?xbf16> to memref<16384xbf16, #gpu.address_space<workgroup>>
// Prologue: P stored as zeros for the loop's first P V.
// WG-COUNT-32:  memref.store {{.*}} : memref<8192xi32, #gpu.address_space<workgroup>>
// WG-NOT:       nvvm.wgmma.mma_async
// The loop.
// WG:           scf.for
// WG-NEXT:        nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// WG-NEXT:        nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// WG-NEXT:        gpu.barrier
// WG-NOT:         gpu.barrier
// WG:             nvgpu.device_async_create_group
// WG:             nvvm.wgmma.fence.aligned
// WG:             nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <zero>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// WG-COUNT-7:     nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// WG-NEXT:        nvvm.wgmma.commit.group.sync.aligned
// WG-NOT:         nvvm.wgmma.wait
// WG:             nvvm.wgmma.fence.aligned
// WG-COUNT-8:     nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <row>]
// WG-NEXT:        nvvm.wgmma.commit.group.sync.aligned
// WG-NOT:         nvvm.wgmma.mma_async
// WG:             nvvm.wgmma.wait.group.sync.aligned 1
// WG:             scf.if
// WG:               llvm.nvvm.ex2.approx.ftz.f32
// WG:             nvvm.wgmma.wait.group.sync.aligned 0
// WG-COUNT-32:    memref.store {{.*}} : memref<8192xi32, #gpu.address_space<workgroup>>
// WG:             scf.yield
// The epilogue.
// WG:           scf.if
// WG:             gpu.barrier
// WG-COUNT-8:     nvvm.wgmma.mma_async {{.*}} B[<bf16>, <one>, <row>]
// WG-NEXT:        nvvm.wgmma.commit.group.sync.aligned
// WG:             nvvm.wgmma.wait.group.sync.aligned 0
// WG-NOT:       nvgpu.ldmatrix
// WG-NOT:       nvvm.mma.sync
// WG:           gpu.return
func.func @causal_wgmma(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                        %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// A kernel is built with the plan its attn.kernel records (attn-plan's, or
// one written by hand), not one chosen again: 64 x 32 tiles over 4 warps on
// both chips.

// CHECK-LABEL: func.func @recorded_plan
// CHECK:       gpu.module @attn_kernels attributes {attn.kernel_info =
// CHECK-SAME:    \22block_m\22:64,\22block_n\22:32,
// CHECK-SAME:    \22warps\22:4
// WG-LABEL:    func.func @recorded_plan
// WG:          gpu.module @attn_kernels attributes {attn.kernel_info =
// WG-SAME:       \22block_m\22:64,\22block_n\22:32,
// WG-SAME:       \22warps\22:4
// 32-key tiles are not a whole operand-tile column block: S = Q K^T is by
// warpgroup ops, P V stays on mma.sync from a padded V tile.
// WG:            memref.view {{.*}} to memref<64x72xbf16, #gpu.address_space<workgroup>>
// WG:            scf.for
// WG:              nvvm.wgmma.mma_async {{.*}} <m = 64, n = 32, k = 16>
// WG:              nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = true}
// WG:              nvvm.mma.sync
func.func @recorded_plan(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                         %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %o = attn.kernel(%q, %k, %v) attributes {plan = {algorithm = "quadratic",
      block_m = 64 : i64, block_n = 32 : i64, stages = 2 : i64, warps = 4 : i64}}
      : (tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>)
      -> tensor<?x?x?x64xbf16> {
  ^bb0(%q0: tensor<?x?x?x64xbf16>, %k0: tensor<?x?x?x64xbf16>,
       %v0: tensor<?x?x?x64xbf16>):
    %s = attn.score %q0, %k0 : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    %m = attn.mask %s, #attn.causal
    %w = attn.normalize %m softmax
    %a = attn.aggregate %w, %v0 : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
    attn.return %a : tensor<?x?x?x64xbf16>
  }
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// A feature map that widens a row (Taylor-2 of Dk = 16: F = 273, padded to
// 320 state rows, 80 per warp): q and k land in staging tiles [2 x 64][16 +
// 8] each, and after the chunk's barrier one thread per row (64 q rows and
// 64 k rows) writes phi to Q and K [64][320 + 8] (one buffer each, as 16-byte
// pieces: 40 per row), behind a second barrier. The scores take Taylor-2's
// closed form 1 + t + t^2 / 2 from the raw q and k. The state has F rows: the
// initial state's padding rows read as zero; the workspace has all 320. The
// value tile shrinks to 16 columns so that the state stays at 40 registers
// per thread. sm_90a keeps the warp-level matrix ops for it.

// CHECK-LABEL: func.func @taylor2_states
// CHECK:       gpu.module @attn_kernels attributes {attn.kernel_info =
// CHECK-SAME:    \22block_n\22:16,
// CHECK-SAME:    \22feature_dim\22:273,
// CHECK-SAME:    \22workspace_rows\22:320
// CHECK:         gpu.func @attn_fwd(
// CHECK:           %[[QIN:.*]] = memref.view {{.*}} to memref<128x24xbf16, #gpu.address_space<workgroup>>
// CHECK:           %[[KIN:.*]] = memref.view {{.*}} to memref<128x24xbf16, #gpu.address_space<workgroup>>
// CHECK:           %[[STAGING:.*]] = memref.view {{.*}} to memref<256x24xbf16, #gpu.address_space<workgroup>>
// CHECK:           %[[PHI:.*]] = memref.view {{.*}} to memref<128x41xvector<8xbf16>, #gpu.address_space<workgroup>>
// CHECK:           %[[QPHI:.*]] = memref.view {{.*}} to memref<64x328xbf16, #gpu.address_space<workgroup>>
// CHECK:           memref.view {{.*}} to memref<64x328xbf16, #gpu.address_space<workgroup>>
// CHECK:           scf.if %{{.*}} -> (vector<2xf32>) {
// CHECK:             vector.load
// CHECK:           } else {
// CHECK:           scf.for
// CHECK:             nvgpu.device_async_wait
// CHECK-NEXT:        gpu.barrier
// CHECK-COUNT-16:    memref.load %[[STAGING]]
// CHECK-COUNT-40:    memref.store {{.*}}, %[[PHI]]
// CHECK-NOT:         memref.store {{.*}}, %[[PHI]]
// CHECK:             gpu.barrier
// CHECK-NOT:         gpu.barrier
// The intra-chunk scores in closed form from the staging tiles (k = Dk =
// 16: one A fragment of q, the keys' B fragments), then Q S from phi(q).
// CHECK:             nvgpu.ldmatrix %[[QIN]]
// CHECK-NOT:         nvgpu.ldmatrix %[[QPHI]]
// CHECK:             nvgpu.ldmatrix %[[KIN]]
// CHECK:             nvvm.mma.sync
// CHECK:             nvgpu.ldmatrix %[[QPHI]]
// CHECK:             nvvm.mma.sync
// CHECK:             scf.yield
// WG-LABEL:    func.func @taylor2_states
// WG:            gpu.func @attn_fwd(
// WG-NOT:          nvvm.wgmma
// WG:              nvvm.mma.sync
// WG-NOT:          nvvm.wgmma
// WG:            gpu.return
func.func @taylor2_states(%q: tensor<?x?x?x16xbf16>, %k: tensor<?x?x?x16xbf16>,
                          %v: tensor<?x?x?x64xbf16>,
                          %s0: tensor<?x?x273x64xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x273x64xf32>) {
  %s = attn.score %q, %k scale 1.0 feature_map taylor2 : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m none
  %o, %sn = attn.aggregate %w, %v initial_state(%s0 : tensor<?x?x273x64xf32>)
      : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>, state tensor<?x?x273x64xf32>
  return %o, %sn : tensor<?x?x?x64xbf16>, tensor<?x?x273x64xf32>
}

// -----

// Hedgehog (F = 2 x 32): the projections are side inputs [Hq, Dk, F'] and
// [Hkv, Dk, F'], copied to shared memory once per CTA in the element type
// (rows [0, Dk): the query head's W; [Dk, 2 Dk): the kv head's), and the
// phi tiles zeroed once. Per chunk, each warp projects its 16 q rows, then
// its 16 k rows: y = x W by mma.sync from the staging tile and W, the two
// softmaxes over the quads, phi stored as element pairs.

// WG-LABEL:    func.func @hedgehog
// WG:          gpu.module @attn_kernels attributes {attn.kernel_info =
// WG-SAME:       \22side_inputs\22:[{\22alignment\22:0,\22arg\22:3,\22dtype\22:\22f32\22,\22name\22:\22query_weights\22,\22shape\22:[\22Hq\22,\2264\22,\2232\22]},{\22alignment\22:0,\22arg\22:4,\22dtype\22:\22f32\22,\22name\22:\22key_weights\22,\22shape\22:[\22Hkv\22,\2264\22,\2232\22]}]
// WG:            gpu.func @attn_fwd(%{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %{{.*}}: memref<?xbf16>, %[[WQ:[a-z0-9]+]]: memref<?xf32>, %[[WK:[a-z0-9]+]]: memref<?xf32>,
// WG:              %[[STAGING:.*]] = memref.view {{.*}} to memref<128x72xbf16, #gpu.address_space<workgroup>>
// WG:              %[[PHI:.*]] = memref.view {{.*}} to memref<128x36xvector<2xbf16>, #gpu.address_space<workgroup>>
// WG:              %[[PHIFLAT:.*]] = memref.view {{.*}} to memref<4608xi32, #gpu.address_space<workgroup>>
// WG:              %[[W:.*]] = memref.view {{.*}} to memref<128x40xbf16, #gpu.address_space<workgroup>>
// WG:              memref.load %[[WK]]
// WG:              memref.load %[[WQ]]
// WG:              memref.store {{.*}}, %[[W]]
// WG:              memref.store {{.*}}, %[[PHIFLAT]]
// WG:              scf.for
// WG:                gpu.barrier
// WG:                nvgpu.ldmatrix %[[STAGING]]
// WG:                nvgpu.ldmatrix %[[W]]{{.*}}transpose = true
// WG:                nvvm.mma.sync
// WG:                gpu.shuffle  xor
// WG:                llvm.nvvm.ex2.approx.ftz.f
// WG:                memref.store {{.*}}, %[[PHI]]
// WG:                gpu.barrier
// WG:                nvvm.mma.sync
func.func @hedgehog(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                    %v: tensor<?x?x?x64xbf16>, %wq: tensor<?x64x32xf32>,
                    %wk: tensor<?x64x32xf32>) -> tensor<?x?x?x64xbf16> {
  %s = attn.score %q, %k feature_map hedgehog
      weights(%wq, %wk : tensor<?x64x32xf32>, tensor<?x64x32xf32>)
      : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
  return %o : tensor<?x?x?x64xbf16>
}

// -----

// Document ids on the pipelined loop: a key tile's class carries the class of
// the document leaf, and the ids are read per element only where that leaf is
// partial on the tile (a causal diagonal tile inside one document evaluates
// the causal mask alone).

// CHECK-LABEL: func.func @documents
// WG-LABEL:    func.func @documents
// WG:            scf.for
// WG:              nvvm.wgmma.wait.group.sync.aligned 1
// WG:              scf.if
// WG:                scf.if
// WG:                  scf.if
// WG:                    memref.load %{{.*}} : memref<?xi32>
// WG:                  } else {
// WG-NOT:                memref.load
// WG:                    scf.yield
func.func @documents(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                     %v: tensor<?x?x?x128xbf16>,
                     %ids: tensor<?x?xi32> {attn.name = "doc_ids"})
    -> tensor<?x?x?x128xbf16> {
  %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
  %m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>
      (%ids : tensor<?x?xi32>)
  %w = attn.normalize %m softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
  return %o : tensor<?x?x?x128xbf16>
}

// -----

// Two chains whose outputs the spec sums (Based): a kernel per chain, each
// recording the spec arguments of its q, k and v, then the combine kernel,
// which reads both outputs in 16-byte pieces (8 bf16), adds them in f32 and
// writes o. The same after attn-fuse (chain outputs are attn.kernel results).

// CHECK-LABEL: func.func @two_chains_sum
// CHECK:       gpu.module @attn_kernels attributes {attn.kernel_info =
// CHECK-SAME:    \22algorithm\22:\22chunked\22,
// CHECK-SAME:    \22k_arg\22:1,
// CHECK-SAME:    \22q_arg\22:0,
// CHECK-SAME:    \22v_arg\22:4,
// CHECK:       gpu.module @attn_kernels_0 attributes {attn.kernel_info =
// CHECK-SAME:    \22algorithm\22:\22quadratic\22,
// CHECK-SAME:    \22k_arg\22:3,
// CHECK-SAME:    \22q_arg\22:2,
// CHECK-SAME:    \22v_arg\22:4,
// CHECK:       gpu.module @attn_combine attributes {attn.kernel_info =
// CHECK-SAME:    {\22abi\22:6,\22algorithm\22:\22combine\22,
// CHECK-SAME:    \22block_m\22:1,\22block_n\22:8,
// CHECK-SAME:    \22combine_operands\22:[{\22dtype\22:\22bf16\22,\22module\22:\22attn_kernels\22},{\22dtype\22:\22bf16\22,\22module\22:\22attn_kernels_0\22}],
// CHECK-SAME:    \22dtype\22:\22bf16\22,\22dv\22:64,
// CHECK-SAME:    \22kernel\22:\22attn_combine\22,
// CHECK-SAME:    \22module\22:\22attn_combine\22,
// CHECK-SAME:    \22warps\22:4,
// Two operands, o, then B, Hq, Nq and three strides each for 3 tensors.
// CHECK:         gpu.func @attn_combine(%[[A:.*]]: memref<?xbf16>, %[[B:.*]]: memref<?xbf16>, %[[O:.*]]: memref<?xbf16>,
// CHECK-SAME:        %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %{{.*}}: i64, %[[LAST:arg14]]: i64)
// CHECK-SAME:        kernel attributes {known_block_size = array<i32: 128, 1, 1>}
// CHECK:           scf.if
// CHECK:             %[[X:.*]] = vector.load %[[A]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK:             %[[XF:.*]] = arith.extf %[[X]] : vector<8xbf16> to vector<8xf32>
// CHECK:             %[[Y:.*]] = vector.load %[[B]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK:             %[[YF:.*]] = arith.extf %[[Y]] : vector<8xbf16> to vector<8xf32>
// CHECK:             %[[S:.*]] = arith.addf %[[XF]], %[[YF]] : vector<8xf32>
// CHECK:             %[[SN:.*]] = arith.truncf %[[S]] : vector<8xf32> to vector<8xbf16>
// CHECK:             vector.store %[[SN]], %[[O]][%{{.*}}] {alignment = 16 : i64} : memref<?xbf16>, vector<8xbf16>
// CHECK:           gpu.return
// FUSED-LABEL: func.func @two_chains_sum
// FUSED:         attn.kernel
// FUSED:         attn.kernel
// FUSED:       gpu.module @attn_kernels attributes
// FUSED-SAME:    \22k_arg\22:1,
// FUSED-SAME:    \22q_arg\22:0,
// FUSED-SAME:    \22v_arg\22:4,
// FUSED:       gpu.module @attn_kernels_0 attributes
// FUSED-SAME:    \22k_arg\22:3,
// FUSED-SAME:    \22q_arg\22:2,
// FUSED-SAME:    \22v_arg\22:4,
// FUSED:       gpu.module @attn_combine attributes
// FUSED-SAME:    \22combine_operands\22:[{\22dtype\22:\22bf16\22,\22module\22:\22attn_kernels\22},{\22dtype\22:\22bf16\22,\22module\22:\22attn_kernels_0\22}],
// FUSED:           arith.addf %{{.*}}, %{{.*}} : vector<8xf32>
func.func @two_chains_sum(%q_lin: tensor<?x?x?x16xbf16>, %k_lin: tensor<?x?x?x16xbf16>,
                          %q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                          %v: tensor<?x?x?x64xbf16>) -> tensor<?x?x?x64xbf16> {
  %sl = attn.score %q_lin, %k_lin feature_map taylor2
      : tensor<?x?x?x16xbf16>, tensor<?x?x?x16xbf16>
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

// Another combination, of static shape, with a splat constant and an f32
// result: 0.5 * o1 - o2. The constant becomes a vector of f32, the f32 rows
// move in 16-byte pieces of 4 elements (the widest element sets the
// vector), and the Hq and Nq of the result are recorded.

// CHECK-LABEL: func.func @scaled_difference
// CHECK:       gpu.module @attn_combine attributes {attn.kernel_info =
// CHECK-SAME:    \22block_n\22:4,
// CHECK-SAME:    \22combine_operands\22:[{\22dtype\22:\22f16\22,\22module\22:\22attn_kernels\22},{\22dtype\22:\22f16\22,\22module\22:\22attn_kernels_0\22}],
// CHECK-SAME:    \22dtype\22:\22f32\22,\22dv\22:32,
// CHECK-SAME:    \22hq\22:4,
// CHECK-SAME:    \22nq\22:33,
// CHECK:         gpu.func @attn_combine(%[[A:.*]]: memref<?xf16>, %[[B:.*]]: memref<?xf16>, %[[O:.*]]: memref<?xf32>,
// CHECK:             %[[X:.*]] = vector.load %[[A]][%{{.*}}] {alignment = 8 : i64} : memref<?xf16>, vector<4xf16>
// CHECK:             %[[XF:.*]] = arith.extf %[[X]] : vector<4xf16> to vector<4xf32>
// CHECK:             %[[Y:.*]] = vector.load %[[B]][%{{.*}}] {alignment = 8 : i64} : memref<?xf16>, vector<4xf16>
// CHECK:             %[[YF:.*]] = arith.extf %[[Y]] : vector<4xf16> to vector<4xf32>
// CHECK:             %[[HALF:.*]] = arith.constant dense<5.000000e-01> : vector<4xf32>
// CHECK:             %[[P:.*]] = arith.mulf %[[HALF]], %[[XF]] : vector<4xf32>
// CHECK:             %[[D:.*]] = arith.subf %[[P]], %[[YF]] : vector<4xf32>
// CHECK-NOT:         arith.truncf
// CHECK:             vector.store %[[D]], %[[O]][%{{.*}}] {alignment = 16 : i64} : memref<?xf32>, vector<4xf32>
func.func @scaled_difference(%q1: tensor<1x4x33x32xf16>, %k1: tensor<1x4x33x32xf16>,
                             %q2: tensor<1x4x33x32xf16>, %k2: tensor<1x4x33x32xf16>,
                             %v: tensor<1x4x33x32xf16>) -> tensor<1x4x33x32xf32> {
  %s1 = attn.score %q1, %k1 : tensor<1x4x33x32xf16>, tensor<1x4x33x32xf16>
  %w1 = attn.normalize %s1 softmax
  %o1 = attn.aggregate %w1, %v : tensor<1x4x33x32xf16> -> tensor<1x4x33x32xf16>
  %s2 = attn.score %q2, %k2 : tensor<1x4x33x32xf16>, tensor<1x4x33x32xf16>
  %m2 = attn.mask %s2, #attn.causal
  %w2 = attn.normalize %m2 softmax
  %o2 = attn.aggregate %w2, %v : tensor<1x4x33x32xf16> -> tensor<1x4x33x32xf16>
  %half = arith.constant dense<0.5> : tensor<1x4x33x32xf32>
  %o1f = arith.extf %o1 : tensor<1x4x33x32xf16> to tensor<1x4x33x32xf32>
  %o2f = arith.extf %o2 : tensor<1x4x33x32xf16> to tensor<1x4x33x32xf32>
  %scaled = arith.mulf %half, %o1f : tensor<1x4x33x32xf32>
  %o = arith.subf %scaled, %o2f : tensor<1x4x33x32xf32>
  return %o : tensor<1x4x33x32xf32>
}
