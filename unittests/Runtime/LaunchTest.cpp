//===- LaunchTest.cpp - Kernel ABI v6 parameter packing -------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Launch.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

using namespace attn::runtime;
using ::testing::HasSubstr;

namespace {

/// A fake, 16-byte aligned device address (never dereferenced).
void *fakePointer(uintptr_t base) { return reinterpret_cast<void *>(base); }

KernelInfo makeInfo() {
  KernelInfo info;
  info.dtype = "bf16";
  info.layout = "bshd";
  info.headDimQK = info.headDimV = 64;
  info.blockM = 128;
  info.warps = 4;
  info.sharedBytes = 65536;
  info.hasLse = true;
  info.sideInputs.push_back({"slopes", "f32", {"Hq"}, 3});
  return info;
}

AttentionProblem makeProblem(int64_t hq = 8, int64_t hkv = 2) {
  const int64_t b = 2, nq = 300, nk = 500, d = 64;
  AttentionProblem problem;
  problem.layout = Layout::BSHD;
  problem.q = TensorRef::contiguous(fakePointer(0x100000), DType::BF16,
                                    {b, nq, hq, d});
  problem.k = TensorRef::contiguous(fakePointer(0x200000), DType::BF16,
                                    {b, nk, hkv, d});
  problem.v = TensorRef::contiguous(fakePointer(0x300000), DType::BF16,
                                    {b, nk, hkv, d});
  problem.o = TensorRef::contiguous(fakePointer(0x400000), DType::BF16,
                                    {b, nq, hq, d});
  problem.lse = TensorRef::contiguous(fakePointer(0x500000), DType::F32,
                                      {b, hq, nq});
  problem.sideInputs.push_back(
      {"slopes", TensorRef::contiguous(fakePointer(0x600000), DType::F32,
                                       {hq})});
  return problem;
}

TEST(LaunchTest, PacksABIv2) {
  auto packed = packLaunch(makeInfo(), makeProblem());
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  // 4 tensors + lse + 1 side input, 5 values each, then 5 sizes and 12
  // strides.
  ASSERT_EQ(packed->values.size(), 6u * 5 + 5 + 12);
  EXPECT_EQ(packed->values[0], 0x100000u);
  EXPECT_EQ(packed->values[1], 0x100000u);
  EXPECT_EQ(packed->values[2], 0u);
  EXPECT_EQ(packed->values[3], uint64_t(2 * 300 * 8 * 64));
  EXPECT_EQ(packed->values[4], 1u);
  EXPECT_EQ(packed->values[25], 0x600000u); // the side input
  const uint64_t *scalars = packed->values.data() + 30;
  EXPECT_EQ(scalars[0], 2u);   // B
  EXPECT_EQ(scalars[1], 8u);   // Hq
  EXPECT_EQ(scalars[2], 2u);   // Hkv
  EXPECT_EQ(scalars[3], 300u); // Nq
  EXPECT_EQ(scalars[4], 500u); // Nk
  // q strides (batch, head, seq) of a BSHD tensor [2, 300, 8, 64].
  EXPECT_EQ(scalars[5], uint64_t(300 * 8 * 64));
  EXPECT_EQ(scalars[6], 64u);
  EXPECT_EQ(scalars[7], uint64_t(8 * 64));
  // k strides of [2, 500, 2, 64].
  EXPECT_EQ(scalars[8], uint64_t(500 * 2 * 64));
  EXPECT_EQ(scalars[9], 64u);
  EXPECT_EQ(scalars[10], uint64_t(2 * 64));
  EXPECT_EQ(packed->grid, (Dim3{3, 8, 2}));
  EXPECT_EQ(packed->block, (Dim3{128, 1, 1}));
  EXPECT_EQ(packed->sharedBytes, 65536u);
  EXPECT_EQ(packed->getParamPointers().size(), packed->values.size());
}

TEST(LaunchTest, LegacyArgumentNamesMatch) {
  // Kernels used to name side inputs "argN"; callers passing that name for
  // the spec's argument N still get the input.
  AttentionProblem problem = makeProblem();
  problem.sideInputs[0].name = "arg3";
  auto packed = packLaunch(makeInfo(), problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_EQ(packed->values[25], 0x600000u); // the side input

  // Both names at once is one input given twice.
  problem.sideInputs.push_back(makeProblem().sideInputs[0]);
  auto twice = packLaunch(makeInfo(), problem);
  ASSERT_FALSE(bool(twice));
  EXPECT_THAT(llvm::toString(twice.takeError()),
              HasSubstr("'slopes': given twice, as 'slopes' and 'arg3'"));

  // An unknown name: the message lists both names of each input.
  problem = makeProblem();
  problem.sideInputs[0].name = "arg4";
  auto unknown = packLaunch(makeInfo(), problem);
  ASSERT_FALSE(bool(unknown));
  EXPECT_THAT(llvm::toString(unknown.takeError()),
              HasSubstr("side input 'arg4': attn_fwd takes no such input (it "
                        "takes: slopes (or arg3))"));
}

TEST(LaunchTest, RejectsMismatches) {
  KernelInfo info = makeInfo();
  auto expectError = [&](AttentionProblem problem, const char *what) {
    auto packed = packLaunch(info, problem);
    ASSERT_FALSE(bool(packed)) << what << " was accepted";
    std::string message = llvm::toString(packed.takeError());
    EXPECT_FALSE(message.empty());
  };
  AttentionProblem p = makeProblem();
  p.q.dtype = DType::F16;
  expectError(p, "f16 q");
  p = makeProblem();
  p.sideInputs.clear();
  expectError(p, "missing side input");
  p = makeProblem();
  p.sideInputs[0].tensor.sizes = {4};
  p.sideInputs[0].tensor.strides = {1};
  expectError(p, "side input of the wrong extent");
  p = makeProblem();
  p.lse.reset();
  expectError(p, "missing lse");
  p = makeProblem();
  p.k.data = fakePointer(0x200002);
  expectError(p, "misaligned k");
  expectError(makeProblem(6, 4), "Hq not a multiple of Hkv");
  info.staticHq = 4;
  expectError(makeProblem(), "Hq differing from the static Hq");
}

TEST(LaunchTest, EvaluatesExtents) {
  ProblemDims dims;
  dims.queryLength = 1000;
  dims.queryHeads = 8;
  EXPECT_EQ(evaluateExtent("ceil(Nq/64)", dims), 16);
  EXPECT_EQ(evaluateExtent("Nq/64", dims), 15);
  EXPECT_EQ(evaluateExtent("Hq", dims), 8);
  EXPECT_EQ(evaluateExtent("7", dims), 7);
  EXPECT_EQ(evaluateExtent("sqrt(Nq)", dims), std::nullopt);
}

TEST(LaunchTest, SignatureFromKernelInfo) {
  auto signature = getKernelSignature(makeInfo());
  ASSERT_TRUE(bool(signature)) << llvm::toString(signature.takeError());
  EXPECT_EQ(signature->dtype, DType::BF16);
  EXPECT_EQ(signature->layout, Layout::BSHD);
  EXPECT_EQ(signature->lse, Presence::Required);
  ASSERT_EQ(signature->sideInputs.size(), 1u);
  EXPECT_TRUE(signature->sideInputs[0].sizes[0].isBound());
  // A quadratic kernel takes no states and any lengths.
  EXPECT_EQ(signature->initialState, Presence::None);
  EXPECT_EQ(signature->finalState, Presence::None);
  EXPECT_FALSE(signature->requireEqualLengths);
  for (int64_t version : {int64_t(1), KernelInfo::kVersion + 1}) {
    KernelInfo bad = makeInfo();
    bad.abiVersion = version;
    auto rejected = getKernelSignature(bad);
    ASSERT_FALSE(bool(rejected)) << "ABI version " << version;
    EXPECT_EQ(llvm::toString(rejected.takeError()),
              "kernel info: ABI version " + std::to_string(version) +
                  " is not supported by this runtime (expected 6); rebuild "
                  "the kernel with this version of attn");
  }
  KernelInfo bad = makeInfo();
  bad.algorithm = "recurrent";
  auto rejected = getKernelSignature(bad);
  ASSERT_FALSE(bool(rejected));
  EXPECT_EQ(llvm::toString(rejected.takeError()),
            "kernel info: unknown algorithm 'recurrent' (expected quadratic "
            "or chunked)");
}

//===----------------------------------------------------------------------===//
// The chunked algorithm: states, grid over value columns, Nq == Nk
//===----------------------------------------------------------------------===//

/// Causal chunked linear attention: F = Dk = 64, Dv = 128 in 32-column CTAs,
/// both states and one side input.
KernelInfo makeChunkedInfo() {
  KernelInfo info;
  info.algorithm = "chunked";
  info.stateKernelName = "attn_fwd_segment_states";
  info.causal = true;
  info.workspaceRows = 64;
  info.workspaceColumns = 128;
  info.dtype = "bf16";
  info.layout = "bhsd";
  info.normalize = "none";
  info.headDimQK = 64;
  info.headDimV = 128;
  info.blockM = 64;
  info.blockN = 32;
  info.warps = 4;
  info.sharedBytes = 40960;
  info.hasInitialState = info.hasFinalState = true;
  info.featureDim = 64;
  info.sideInputs.push_back({"log_gates", "f32", {"B", "Hq", "Nk"}, 3});
  return info;
}

/// A combine kernel over two bf16 chain outputs, Dv = 64 in pieces of 8.
KernelInfo makeCombineInfo() {
  KernelInfo info;
  info.algorithm = "combine";
  info.moduleName = "attn_combine";
  info.kernelName = "attn_combine";
  info.normalize = "";
  info.dtype = "bf16";
  info.layout = "bhsd";
  info.headDimV = 64;
  info.blockM = 1;
  info.blockN = 8;
  info.warps = 4;
  info.combineOperands = {{"attn_kernels", "bf16"}, {"attn_kernels_0", "bf16"}};
  return info;
}

/// Based's bundle: a causal chunked Taylor-2 chain (q, k arguments 0, 1 of
/// Dk = 16), a window softmax chain (q, k arguments 2, 3 of Dk = 64), both
/// reading v (argument 4, Dv = 64), and the combine kernel summing them.
std::vector<KernelInfo> makeBasedBundle() {
  KernelInfo linear = makeChunkedInfo();
  linear.moduleName = "attn_kernels";
  linear.normalize = "sum";
  linear.headDimQK = 16;
  linear.headDimV = 64;
  linear.blockN = 16;
  linear.hasInitialState = linear.hasFinalState = false;
  linear.featureDim = 0;
  linear.sideInputs.clear();
  linear.queryArg = 0;
  linear.keyArg = 1;
  linear.valueArg = 4;
  KernelInfo window;
  window.moduleName = "attn_kernels_0";
  window.dtype = "bf16";
  window.layout = "bhsd";
  window.headDimQK = window.headDimV = 64;
  window.queryArg = 2;
  window.keyArg = 3;
  window.valueArg = 4;
  return {linear, window, makeCombineInfo()};
}

/// Based's arguments (BHSD, B 2, Hq 4, Hkv 2, N 100) at fake addresses,
/// and o.
SpecProblem makeBasedProblem() {
  const int64_t b = 2, hq = 4, hkv = 2, n = 100;
  SpecProblem problem;
  problem.layout = Layout::BHSD;
  uintptr_t address = 0x1000000;
  auto tensor = [&](std::vector<int64_t> sizes) {
    address += 0x1000000;
    return TensorRef::contiguous(fakePointer(address), DType::BF16, sizes);
  };
  problem.arguments = {tensor({b, hq, n, 16}), tensor({b, hkv, n, 16}),
                       tensor({b, hq, n, 64}), tensor({b, hkv, n, 64}),
                       tensor({b, hkv, n, 64})};
  problem.o = tensor({b, hq, n, 64});
  return problem;
}

AttentionProblem makeChunkedProblem(int64_t nq = 256, int64_t nk = 256) {
  const int64_t b = 2, h = 4, dk = 64, dv = 128, f = 64;
  AttentionProblem problem;
  problem.layout = Layout::BHSD;
  problem.q =
      TensorRef::contiguous(fakePointer(0x100000), DType::BF16, {b, h, nq, dk});
  problem.k =
      TensorRef::contiguous(fakePointer(0x200000), DType::BF16, {b, h, nk, dk});
  problem.v =
      TensorRef::contiguous(fakePointer(0x300000), DType::BF16, {b, h, nk, dv});
  problem.o =
      TensorRef::contiguous(fakePointer(0x400000), DType::BF16, {b, h, nq, dv});
  problem.initialState =
      TensorRef::contiguous(fakePointer(0x500000), DType::F32, {b, h, f, dv});
  problem.finalState =
      TensorRef::contiguous(fakePointer(0x600000), DType::F32, {b, h, f, dv});
  problem.sideInputs.push_back(
      {"log_gates",
       TensorRef::contiguous(fakePointer(0x700000), DType::F32, {b, h, nk})});
  return problem;
}

TEST(LaunchTest, ChunkedSignature) {
  auto signature = getKernelSignature(makeChunkedInfo());
  ASSERT_TRUE(bool(signature)) << llvm::toString(signature.takeError());
  EXPECT_EQ(signature->lse, Presence::None);
  EXPECT_EQ(signature->initialState, Presence::Required);
  EXPECT_EQ(signature->finalState, Presence::Required);
  EXPECT_EQ(signature->featureDim, 64);
  EXPECT_TRUE(signature->allowInPlaceState);
  EXPECT_TRUE(signature->requireContiguousStates);
  EXPECT_TRUE(signature->requireEqualLengths);
  EXPECT_FALSE(signature->index32);

  KernelInfo noDv = makeChunkedInfo();
  noDv.headDimV = 0;
  auto rejected = getKernelSignature(noDv);
  ASSERT_FALSE(bool(rejected));
  EXPECT_THAT(llvm::toString(rejected.takeError()),
              HasSubstr("a chunked kernel needs a static value head dim"));
  KernelInfo noStateKernel = makeChunkedInfo();
  noStateKernel.stateKernelName.clear();
  rejected = getKernelSignature(noStateKernel);
  ASSERT_FALSE(bool(rejected));
  EXPECT_EQ(llvm::toString(rejected.takeError()),
            "kernel info: a chunked kernel needs its segment-state kernel and "
            "workspace extents");
}

TEST(LaunchTest, PacksChunkedStatesInOrder) {
  auto packed = packLaunch(makeChunkedInfo(), makeChunkedProblem());
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  // q, k, v, o, initial state, final state, log_gates, workspace: 5 values
  // each, then 5 sizes, 12 strides and the segment count.
  ASSERT_EQ(packed->values.size(), 8u * 5 + 5 + 12 + 1);
  EXPECT_EQ(packed->values[15], 0x400000u); // o
  EXPECT_EQ(packed->values[20], 0x500000u); // initial state
  EXPECT_EQ(packed->values[21], 0x500000u);
  EXPECT_EQ(packed->values[22], 0u);
  EXPECT_EQ(packed->values[23], uint64_t(2 * 4 * 64 * 128));
  EXPECT_EQ(packed->values[24], 1u);
  EXPECT_EQ(packed->values[25], 0x600000u); // final state
  EXPECT_EQ(packed->values[28], uint64_t(2 * 4 * 64 * 128));
  EXPECT_EQ(packed->values[30], 0x700000u); // log_gates
  // One segment without a device to size it: a causal kernel runs alone,
  // without a workspace.
  EXPECT_EQ(packed->segments, 1);
  EXPECT_FALSE(packed->launchStateKernel);
  EXPECT_EQ(packed->workspaceBytes, 0u);
  EXPECT_EQ(packed->workspaceValue, 35u);
  EXPECT_EQ(packed->values[35], 0u);
  EXPECT_EQ(packed->values[38], 0u);
  const uint64_t *scalars = packed->values.data() + 40;
  EXPECT_EQ(scalars[0], 2u);   // B
  EXPECT_EQ(scalars[1], 4u);   // Hq
  EXPECT_EQ(scalars[2], 4u);   // Hkv
  EXPECT_EQ(scalars[3], 256u); // Nq
  EXPECT_EQ(scalars[4], 256u); // Nk
  // o strides (batch, head, seq) of a BHSD tensor [2, 4, 256, 128].
  EXPECT_EQ(scalars[14], uint64_t(4 * 256 * 128));
  EXPECT_EQ(scalars[15], uint64_t(256 * 128));
  EXPECT_EQ(scalars[16], 128u);
  EXPECT_EQ(scalars[17], 1u); // Segments.
  // A CTA per 32 value columns, per head, per batch: (ceil(128/32), Hq, B),
  // whatever the sequence length.
  EXPECT_EQ(packed->grid, (Dim3{4, 4, 2}));
  EXPECT_EQ(packed->block, (Dim3{128, 1, 1}));
  EXPECT_EQ(packed->sharedBytes, 40960u);

  KernelInfo narrow = makeChunkedInfo();
  narrow.blockN = 48; // ceil(128 / 48) = 3
  packed = packLaunch(narrow, makeChunkedProblem(300, 300));
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_EQ(packed->grid, (Dim3{3, 4, 2}));
}

TEST(LaunchTest, PacksOnlyTheStatesTheKernelTakes) {
  KernelInfo info = makeChunkedInfo();
  info.hasInitialState = false;
  AttentionProblem problem = makeChunkedProblem();
  problem.initialState.reset();
  auto packed = packLaunch(info, problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  ASSERT_EQ(packed->values.size(), 7u * 5 + 5 + 12 + 1);
  EXPECT_EQ(packed->values[20], 0x600000u); // final state
  EXPECT_EQ(packed->values[25], 0x700000u); // log_gates
}

TEST(LaunchTest, AcceptsInPlaceState) {
  AttentionProblem problem = makeChunkedProblem();
  problem.finalState = problem.initialState;
  auto packed = packLaunch(makeChunkedInfo(), problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_EQ(packed->values[20], 0x500000u);
  EXPECT_EQ(packed->values[25], 0x500000u);
}

TEST(LaunchTest, RejectsBadStatesBeforeLaunch) {
  KernelInfo info = makeChunkedInfo();
  auto errorOf = [&](const AttentionProblem &problem) -> std::string {
    auto packed = packLaunch(info, problem);
    if (packed)
      return "";
    return llvm::toString(packed.takeError());
  };
  AttentionProblem p = makeChunkedProblem();
  p.initialState.reset();
  EXPECT_EQ(errorOf(p), "initial state: missing; attn_fwd requires it");
  p = makeChunkedProblem();
  p.finalState.reset();
  EXPECT_EQ(errorOf(p), "final state: missing; attn_fwd requires it");
  p = makeChunkedProblem();
  // [B, Hq, Dv, F] instead of [B, Hq, F, Dv].
  p.initialState =
      TensorRef::contiguous(fakePointer(0x500000), DType::F32, {2, 4, 128, 64});
  EXPECT_EQ(errorOf(p), "initial state: expected shape [B=2, Hq=4, F=64, "
                        "Dv=128], got [2, 4, 128, 64]");
  p = makeChunkedProblem();
  p.finalState->dtype = DType::BF16;
  EXPECT_EQ(errorOf(p), "final state: expected dtype f32 (it is kept in "
                        "fp32), got bf16");
  p = makeChunkedProblem();
  p.finalState->sizes = {2, 4, 64};
  p.finalState->strides = {4 * 64, 64, 1};
  EXPECT_THAT(errorOf(p), HasSubstr("final state: expected rank 4"));
  p = makeChunkedProblem();
  p.initialState->strides = {4 * 64 * 256, 64 * 256, 256, 1};
  EXPECT_THAT(errorOf(p), HasSubstr("initial state: the kernel reads it as a "
                                    "dense row-major [B, Hq, F, Dv] tensor"));
  p = makeChunkedProblem();
  p.finalState->data = fakePointer(0x600008);
  EXPECT_THAT(errorOf(p),
              HasSubstr("final state: data pointer 0x600008 is not 16-byte "
                        "aligned"));
  // The final state must not alias an input other than the initial state.
  p = makeChunkedProblem();
  p.finalState->data = fakePointer(0x300000);
  EXPECT_THAT(errorOf(p), HasSubstr("final state overlaps v in memory"));

  // A state given to a kernel without one.
  p = makeChunkedProblem();
  info.hasInitialState = false;
  EXPECT_EQ(errorOf(p), "initial state: given, but attn_fwd takes no initial "
                        "state; drop it or build the kernel with it");
}

TEST(LaunchTest, ChunkedRequiresEqualLengths) {
  auto packed = packLaunch(makeChunkedInfo(), makeChunkedProblem(256, 320));
  ASSERT_FALSE(bool(packed));
  EXPECT_EQ(llvm::toString(packed.takeError()),
            "q, k: attn_fwd requires equal query and key lengths, got Nq = "
            "256, Nk = 320");
}

TEST(LaunchTest, ChoosesSegmentsToFillTheDevice) {
  KernelInfo info = makeChunkedInfo(); // 4 value tiles.
  ProblemDims dims;
  dims.batch = 2;
  dims.queryHeads = 4;
  dims.kvHeads = 4;
  dims.queryLength = dims.keyLength = 16384; // 256 chunks.
  // 32 CTAs on 132 multiprocessors: 4 segments give each one a CTA.
  EXPECT_EQ(chooseSegments(info, dims, {132}), 4);
  // The CTAs fill the device already, or no device was measured.
  EXPECT_EQ(chooseSegments(info, dims, {32}), 1);
  EXPECT_EQ(chooseSegments(info, dims, {}), 1);
  // At most kMaxSegments; at least kMinChunksPerSegment chunks each.
  dims.batch = dims.queryHeads = dims.kvHeads = 1;
  EXPECT_EQ(chooseSegments(info, dims, {132}), kMaxSegments);
  dims.queryLength = dims.keyLength = 1000; // 16 chunks.
  EXPECT_EQ(chooseSegments(info, dims, {132}), 2);
  dims.queryLength = dims.keyLength = 17;
  EXPECT_EQ(chooseSegments(info, dims, {132}), 1);
}

TEST(LaunchTest, PacksSegmentsAndTheirWorkspace) {
  KernelInfo info = makeChunkedInfo();
  info.blockM = 16;
  AttentionProblem problem = makeChunkedProblem(); // 16 chunks of 16.
  auto packed = packLaunch(info, problem, DeviceCapacity{132});
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_EQ(packed->segments, 2);
  EXPECT_TRUE(packed->launchStateKernel);
  // [B=2, Hq=4, S+1=3, 64, 128] states and [2, 4, 2, 64] log-decays.
  int64_t elements = 2 * 4 * (3 * 64 * 128 + 2 * 64);
  EXPECT_EQ(packed->workspaceBytes, size_t(elements) * 4);
  EXPECT_EQ(packed->values[38], uint64_t(elements));
  EXPECT_EQ(packed->values.back(), 2u);
  // (value tiles x segments, Hq, B).
  EXPECT_EQ(packed->grid, (Dim3{8, 4, 2}));
  packed->setWorkspace(0x800000);
  EXPECT_EQ(packed->values[35], 0x800000u);
  EXPECT_EQ(packed->values[36], 0x800000u);

  // An explicit count wins over the device's size.
  problem.segments = 3;
  packed = packLaunch(info, problem, DeviceCapacity{132});
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_EQ(packed->segments, 3);
  EXPECT_EQ(packed->grid, (Dim3{12, 4, 2}));

  // The global (non-causal) form needs the state kernel even unsplit.
  info.causal = false;
  problem.segments = 1;
  packed = packLaunch(info, problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_TRUE(packed->launchStateKernel);
  EXPECT_EQ(packed->workspaceBytes,
            size_t(2 * 4 * (2 * 64 * 128 + 64)) * 4);

  auto errorOf = [&](const KernelInfo &info, const AttentionProblem &p) {
    auto packed = packLaunch(info, p);
    return packed ? std::string() : llvm::toString(packed.takeError());
  };
  problem.segments = 17;
  EXPECT_EQ(errorOf(info, problem),
            "attn_fwd: segments = 17 exceeds the 16 chunks of 16 tokens in "
            "Nk = 256");
  problem.segments = -1;
  EXPECT_THAT(errorOf(info, problem), HasSubstr("segments = -1"));
  AttentionProblem quadratic = makeProblem();
  quadratic.segments = 2;
  EXPECT_EQ(errorOf(makeInfo(), quadratic),
            "attn_fwd: segments = 2; only a chunked kernel splits the "
            "sequence into segments (pass 0)");
}

//===----------------------------------------------------------------------===//
// Key-tile id ranges of document masks (quadratic)
//===----------------------------------------------------------------------===//

TEST(LaunchTest, PacksKeyRangesAndTheirWorkspace) {
  KernelInfo info = makeInfo();
  info.blockN = 64;
  info.keyRangesKernelName = "attn_fwd_key_ranges";
  info.keyRangeTables = 2;
  AttentionProblem problem = makeProblem(); // B = 2, Nk = 500.
  auto packed = packLaunch(info, problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  // The workspace follows the side input: [2 tables, B = 2, 8 tiles, 2].
  ASSERT_EQ(packed->values.size(), 7u * 5 + 5 + 12);
  EXPECT_TRUE(packed->launchKeyRanges);
  EXPECT_FALSE(packed->launchStateKernel);
  EXPECT_EQ(packed->workspaceBytes, size_t(2 * 2 * 8 * 2) * 4);
  EXPECT_EQ(packed->values[33], uint64_t(2 * 2 * 8 * 2));
  // A warp (of 4) per key tile, per batch; the main grid is unchanged.
  EXPECT_EQ(packed->keyRangesGrid, (Dim3{2, 1, 2}));
  EXPECT_EQ(packed->grid, (Dim3{3, 8, 2}));
  EXPECT_EQ(packed->values[30 + 5], 2u); // B, after the workspace
  packed->setWorkspace(0x900000);
  EXPECT_EQ(packed->values[30], 0x900000u);
  EXPECT_EQ(packed->values[31], 0x900000u);
}

TEST(LaunchTest, PacksTheRowNormKernel) {
  KernelInfo info = makeChunkedInfo(); // 4 warps.
  info.normKernelName = "attn_fwd_row_norm";
  AttentionProblem problem = makeChunkedProblem();
  problem.segments = 1;
  auto packed = packLaunch(info, problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  // A warp per row of o: (ceil(Nq / warps), Hq, B) for Nq = 256, Hq = 4,
  // B = 2.
  EXPECT_TRUE(packed->launchNorm);
  EXPECT_EQ(packed->normGrid, (Dim3{64, 4, 2}));
  info.normKernelName.clear();
  packed = packLaunch(info, problem);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  EXPECT_FALSE(packed->launchNorm);
}

TEST(LaunchTest, KeyRangesNeedTheirKernel) {
  auto errorOf = [](const KernelInfo &info) {
    auto signature = getKernelSignature(info);
    return signature ? std::string() : llvm::toString(signature.takeError());
  };
  KernelInfo info = makeInfo();
  info.keyRangeTables = 1;
  const char *message =
      "kernel info: key-range tables (1) need a quadratic kernel and a "
      "key-range kernel, and the other way round";
  EXPECT_EQ(errorOf(info), message);
  info.keyRangesKernelName = "attn_fwd_key_ranges";
  EXPECT_EQ(errorOf(info), "");
  info.keyRangeTables = 0;
  EXPECT_THAT(errorOf(info), HasSubstr("key-range tables (0)"));
  KernelInfo chunked = makeChunkedInfo();
  chunked.keyRangesKernelName = "attn_fwd_key_ranges";
  chunked.keyRangeTables = 1;
  EXPECT_EQ(errorOf(chunked), message);
}

//===----------------------------------------------------------------------===//
// KernelInfo JSON
//===----------------------------------------------------------------------===//

TEST(KernelInfoTest, RoundTripsTheABIv6Fields) {
  KernelInfo info = makeChunkedInfo();
  info.staticHq = 4;
  info.queryArg = 0;
  info.keyArg = 1;
  info.valueArg = 2;
  info.initialStateArg = 4;
  std::string json = info.toJSONString();
  EXPECT_THAT(json, HasSubstr("\"abi\":6"));
  EXPECT_THAT(json, HasSubstr("\"initial_state_arg\":4"));
  EXPECT_THAT(json, HasSubstr("\"q_arg\":0"));
  EXPECT_THAT(json, HasSubstr("\"combine_operands\":[]"));
  EXPECT_THAT(json, HasSubstr("\"state_kernel\":\"attn_fwd_segment_states\""));
  EXPECT_THAT(json, HasSubstr("\"workspace_columns\":128"));
  EXPECT_THAT(json, HasSubstr("\"algorithm\":\"chunked\""));
  EXPECT_THAT(json, HasSubstr("\"initial_state\":true"));
  EXPECT_THAT(json, HasSubstr("\"final_state\":true"));
  EXPECT_THAT(json, HasSubstr("\"feature_dim\":64"));
  llvm::Expected<KernelInfo> parsed =
      KernelInfo::fromJSON(llvm::StringRef(json));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->abiVersion, KernelInfo::kVersion);
  EXPECT_EQ(parsed->algorithm, "chunked");
  EXPECT_TRUE(parsed->isChunked());
  EXPECT_TRUE(parsed->hasInitialState);
  EXPECT_TRUE(parsed->hasFinalState);
  EXPECT_FALSE(parsed->hasLse);
  EXPECT_EQ(parsed->featureDim, 64);
  EXPECT_EQ(parsed->normalize, "none");
  EXPECT_EQ(parsed->headDimV, 128);
  EXPECT_EQ(parsed->blockN, 32);
  EXPECT_EQ(parsed->staticHq, 4);
  EXPECT_EQ(parsed->gridX(1 << 20), 4);
  EXPECT_EQ(parsed->gridX(1 << 20, 3), 12);
  EXPECT_EQ(parsed->stateKernelName, "attn_fwd_segment_states");
  EXPECT_TRUE(parsed->causal);
  EXPECT_EQ(parsed->workspaceRows, 64);
  EXPECT_EQ(parsed->workspaceColumns, 128);
  ASSERT_EQ(parsed->sideInputs.size(), 1u);
  EXPECT_EQ(parsed->sideInputs[0].name, "log_gates");
  EXPECT_EQ(parsed->sideInputs[0].shape,
            (std::vector<std::string>{"B", "Hq", "Nk"}));
  EXPECT_EQ(parsed->sideInputs[0].argNumber, 3);
  EXPECT_EQ(parsed->sideInputs[0].alignment, 0);
  EXPECT_EQ(parsed->queryArg, 0);
  EXPECT_EQ(parsed->keyArg, 1);
  EXPECT_EQ(parsed->valueArg, 2);
  EXPECT_EQ(parsed->initialStateArg, 4);
  EXPECT_EQ(parsed->toJSONString(), json);

  // A combine kernel's operands.
  KernelInfo combine = makeCombineInfo();
  json = combine.toJSONString();
  EXPECT_THAT(json, HasSubstr("\"algorithm\":\"combine\""));
  EXPECT_THAT(json, HasSubstr("\"combine_operands\":[{\"dtype\":\"bf16\","
                              "\"module\":\"attn_kernels\"},{\"dtype\":"
                              "\"bf16\",\"module\":\"attn_kernels_0\"}]"));
  parsed = KernelInfo::fromJSON(llvm::StringRef(json));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_TRUE(parsed->isCombine());
  ASSERT_EQ(parsed->combineOperands.size(), 2u);
  EXPECT_EQ(parsed->combineOperands[1].module, "attn_kernels_0");
  EXPECT_EQ(parsed->combineOperands[1].dtype, "bf16");

  // The defaults: a quadratic kernel without states.
  std::string quadratic = makeInfo().toJSONString();
  EXPECT_THAT(quadratic, HasSubstr("\"algorithm\":\"quadratic\""));
  EXPECT_THAT(quadratic, HasSubstr("\"feature_dim\":0,\"final_state\":false"));
  EXPECT_THAT(quadratic, HasSubstr("\"initial_state\":false"));
  parsed = KernelInfo::fromJSON(llvm::StringRef(quadratic));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_FALSE(parsed->isChunked());
  EXPECT_EQ(parsed->gridX(300), 3);
  EXPECT_EQ(parsed->keyRangeTables, 0);

  KernelInfo documents = makeInfo();
  documents.keyRangesKernelName = "attn_fwd_key_ranges";
  documents.keyRangeTables = 1;
  json = documents.toJSONString();
  EXPECT_THAT(json, HasSubstr("\"key_range_tables\":1"));
  EXPECT_THAT(json, HasSubstr("\"key_ranges_kernel\":\"attn_fwd_key_ranges\""));
  parsed = KernelInfo::fromJSON(llvm::StringRef(json));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->keyRangesKernelName, "attn_fwd_key_ranges");
  EXPECT_EQ(parsed->keyRangeTables, 1);
  EXPECT_EQ(parsed->keyRangeElements(4, 4097), 1 * 4 * 65 * 2);
  EXPECT_EQ(parsed->normKernelName, "");

  KernelInfo rowNorm = makeChunkedInfo();
  rowNorm.normKernelName = "attn_fwd_row_norm";
  parsed = KernelInfo::fromJSON(llvm::StringRef(rowNorm.toJSONString()));
  ASSERT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
  EXPECT_EQ(parsed->normKernelName, "attn_fwd_row_norm");
}

TEST(KernelInfoTest, RejectsOtherVersionsAndMissingFields) {
  auto errorOf = [](llvm::StringRef json) {
    llvm::Expected<KernelInfo> parsed =
        KernelInfo::fromJSON(llvm::StringRef(json));
    return parsed ? std::string() : llvm::toString(parsed.takeError());
  };
  std::string json = makeChunkedInfo().toJSONString();
  auto replaced = [&](llvm::StringRef from, llvm::StringRef to) {
    std::string text = json;
    size_t at = text.find(from.str());
    EXPECT_NE(at, std::string::npos) << from.str();
    if (at != std::string::npos)
      text.replace(at, from.size(), to.str());
    return text;
  };
  EXPECT_EQ(errorOf(replaced("\"abi\":6", "\"abi\":5")),
            "kernel info: missing or unsupported 'abi' (expected 6)");
  EXPECT_EQ(errorOf(replaced("\"q_arg\":-1,", "")),
            "kernel info: missing an integer field");
  EXPECT_EQ(errorOf(replaced("\"combine_operands\":[],", "")),
            "kernel info: missing 'combine_operands'");
  EXPECT_EQ(errorOf(replaced("\"combine_operands\":[]",
                             "\"combine_operands\":[{\"module\":\"m\"}]")),
            "kernel info: combine operand lacks module or dtype");
  EXPECT_EQ(errorOf(replaced("\"causal\":true,", "")),
            "kernel info: missing 'causal'");
  EXPECT_EQ(errorOf(replaced("\"initial_state\":true,", "")),
            "kernel info: missing 'initial_state' or 'final_state'");
  EXPECT_EQ(errorOf(replaced("\"feature_dim\":64,", "")),
            "kernel info: missing an integer field");
  EXPECT_EQ(errorOf(replaced("\"chunked\"", "\"recurrent\"")),
            "kernel info: unknown algorithm 'recurrent'");
}

//===----------------------------------------------------------------------===//
// Whole specs
//===----------------------------------------------------------------------===//

TEST(SpecLaunchTest, BindsEachChainToItsArguments) {
  std::vector<KernelInfo> bundle = makeBasedBundle();
  SpecProblem problem = makeBasedProblem();
  auto plan = planSpecLaunch(bundle, problem);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  ASSERT_EQ(plan->chains.size(), 2u);
  // The linear chain: q, k from arguments 0, 1, v from 4, into a
  // temporary; the window chain (the last of o's dtype) writes o itself.
  const SpecLaunchPlan::Chain &linear = plan->chains[0];
  EXPECT_EQ(linear.kernel, 0u);
  EXPECT_EQ(linear.problem.q.data, problem.arguments[0].data);
  EXPECT_EQ(linear.problem.k.data, problem.arguments[1].data);
  EXPECT_EQ(linear.problem.v.data, problem.arguments[4].data);
  EXPECT_EQ(linear.temporary, 0);
  EXPECT_EQ(linear.problem.o.sizes, problem.o.sizes);
  EXPECT_TRUE(linear.problem.o.isContiguous());
  const SpecLaunchPlan::Chain &window = plan->chains[1];
  EXPECT_EQ(window.kernel, 1u);
  EXPECT_EQ(window.problem.q.data, problem.arguments[2].data);
  EXPECT_EQ(window.problem.k.data, problem.arguments[3].data);
  EXPECT_EQ(window.problem.o.data, problem.o.data);
  EXPECT_EQ(window.temporary, -1);
  // One bf16 temporary of o's size.
  ASSERT_EQ(plan->temporaryBytes.size(), 1u);
  EXPECT_EQ(plan->temporaryBytes[0], size_t(2 * 4 * 100 * 64 * 2));
  ASSERT_TRUE(plan->combine.has_value());
  EXPECT_EQ(*plan->combine, 2u);

  // The combine launch: operands (temporary, o), o, then B, Hq, Nq and the
  // strides; a thread per 8 elements: 100 rows x 8 pieces / 128 threads.
  const PackedLaunch &combine = plan->combineLaunch;
  ASSERT_EQ(combine.values.size(), 3u * 5 + 3 + 3 * 3);
  uint64_t o = reinterpret_cast<uintptr_t>(problem.o.data);
  EXPECT_EQ(combine.values[5], o);
  EXPECT_EQ(combine.values[10], o);
  EXPECT_EQ(combine.values[15], 2u);
  EXPECT_EQ(combine.values[16], 4u);
  EXPECT_EQ(combine.values[17], 100u);
  EXPECT_EQ(combine.values[18], uint64_t(4 * 100 * 64));
  EXPECT_EQ(combine.values[19], uint64_t(100 * 64));
  EXPECT_EQ(combine.values[20], 64u);
  EXPECT_EQ(combine.grid, (Dim3{7, 4, 2}));
  EXPECT_EQ(combine.block, (Dim3{128, 1, 1}));

  // Given addresses replace the placeholders.
  plan = planSpecLaunch(bundle, problem, {0x7000000});
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  EXPECT_EQ(plan->chains[0].problem.o.data, fakePointer(0x7000000));
  EXPECT_EQ(plan->combineLaunch.values[0], 0x7000000u);
}

TEST(SpecLaunchTest, SaysWhichArgumentIsMissingOrMisshapen) {
  std::vector<KernelInfo> bundle = makeBasedBundle();
  auto errorOf = [&](const SpecProblem &problem) {
    auto plan = planSpecLaunch(bundle, problem);
    return plan ? std::string() : llvm::toString(plan.takeError());
  };
  SpecProblem problem = makeBasedProblem();
  problem.arguments.resize(4);
  EXPECT_EQ(errorOf(problem),
            "spec argument 4 (the values of chain kernel 'attn_kernels' (q = "
            "argument 0, k = argument 1, v = argument 4)) is missing: pass it "
            "as arguments[4] (4 arguments given)");
  problem = makeBasedProblem();
  problem.arguments[2] = TensorRef();
  EXPECT_THAT(errorOf(problem),
              HasSubstr("spec argument 2 (the queries of chain kernel "
                        "'attn_kernels_0'"));
  // The window chain's keys with the linear chain's head dim.
  problem = makeBasedProblem();
  problem.arguments[3] = problem.arguments[1];
  EXPECT_EQ(errorOf(problem),
            "chain kernel 'attn_kernels_0' (q = argument 2, k = argument 3, "
            "v = argument 4): head dim Dk differs between q and k: q has head "
            "dim Dk = 64 (axis 3 (Dk) of sizes [2, 4, 100, 64]), k has head "
            "dim Dk = 16 (axis 3 (Dk) of sizes [2, 2, 100, 16])");
  // o of another dtype than the combine kernel writes.
  problem = makeBasedProblem();
  problem.o.dtype = DType::F16;
  EXPECT_EQ(errorOf(problem), "o must be bf16 (the spec's result type), got "
                              "f16");
  // o misaligned for the combine kernel's 16-byte pieces.
  problem = makeBasedProblem();
  problem.o = TensorRef(fakePointer(0x9000008), DType::BF16, problem.o.sizes,
                        TensorRef::getContiguousStrides(problem.o.sizes));
  EXPECT_THAT(errorOf(problem), HasSubstr("16-byte aligned"));
  // A multi-chain spec writes no lse.
  problem = makeBasedProblem();
  problem.lse = problem.o;
  EXPECT_EQ(errorOf(problem), "lse and final state: a multi-chain spec "
                              "returns o only; pass no lse or final state");
  // Several chains and no combine kernel.
  bundle.pop_back();
  EXPECT_EQ(errorOf(makeBasedProblem()),
            "the spec has 2 chain kernels but no combine kernel, so nothing "
            "says how their outputs make o; recompile it with this version "
            "of attn");
  // A chain kernel of an older compiler names no arguments.
  bundle = makeBasedBundle();
  bundle[1].keyArg = -1;
  EXPECT_THAT(errorOf(makeBasedProblem()),
              HasSubstr("its kernel info records no spec argument for the "
                        "keys"));
}

TEST(SpecLaunchTest, SingleChainSpecsWriteOAndLse) {
  // A single quadratic chain with lse and a side input: o and lse go to
  // the kernel, side inputs by their argument number.
  KernelInfo info = makeInfo();
  info.queryArg = 0;
  info.keyArg = 1;
  info.valueArg = 2;
  AttentionProblem direct = makeProblem();
  SpecProblem problem;
  problem.layout = direct.layout;
  problem.arguments = {direct.q, direct.k, direct.v,
                       direct.sideInputs[0].tensor};
  problem.o = direct.o;
  problem.lse = direct.lse;
  auto plan = planSpecLaunch({info}, problem);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  ASSERT_EQ(plan->chains.size(), 1u);
  EXPECT_FALSE(plan->combine.has_value());
  EXPECT_TRUE(plan->temporaryBytes.empty());
  auto packed = packLaunch(info, plan->chains[0].problem);
  auto expected = packLaunch(info, direct);
  ASSERT_TRUE(bool(packed) && bool(expected));
  EXPECT_EQ(packed->values, expected->values);
  // Without lse the kernel's validation says so.
  problem.lse.reset();
  auto missing = planSpecLaunch({info}, problem);
  ASSERT_FALSE(bool(missing));
  EXPECT_THAT(llvm::toString(missing.takeError()), HasSubstr("lse"));
}

TEST(SpecLaunchTest, CombineChecksOperands) {
  KernelInfo info = makeCombineInfo();
  std::vector<int64_t> sizes{1, 2, 10, 64};
  TensorRef a =
      TensorRef::contiguous(fakePointer(0x100000), DType::BF16, sizes);
  TensorRef b =
      TensorRef::contiguous(fakePointer(0x200000), DType::BF16, sizes);
  TensorRef o =
      TensorRef::contiguous(fakePointer(0x300000), DType::BF16, sizes);
  auto errorOf = [&](llvm::ArrayRef<TensorRef> operands, const TensorRef &out) {
    auto packed = packCombineLaunch(info, operands, out, Layout::BHSD);
    return packed ? std::string() : llvm::toString(packed.takeError());
  };
  EXPECT_EQ(errorOf({a, b}, o), "");
  EXPECT_EQ(errorOf({a}, o), "attn_combine: 1 operands given, the kernel "
                             "reads 2");
  TensorRef wrong = b;
  wrong.sizes[2] = 11;
  EXPECT_EQ(errorOf({a, wrong}, o),
            "attn_combine: operand 1 (the output of attn_kernels_0) has shape "
            "[1, 2, 11, 64], but o has [1, 2, 10, 64]");
  wrong = b;
  wrong.dtype = DType::F32;
  EXPECT_EQ(errorOf({a, wrong}, o), "attn_combine: operand 1 (the output of "
                                    "attn_kernels_0) must be bf16, got f32");
  wrong = b;
  wrong.strides = {2 * 10 * 68, 10 * 68, 68, 1};
  EXPECT_EQ(errorOf({a, wrong}, o),
            "attn_combine: operand 1 (the output of attn_kernels_0) stride 68 "
            "of axis 2 is not a multiple of 8 elements (the kernel's vector)");
  // Strided (but aligned) views are fine, e.g. o inside a wider tensor.
  TensorRef view = o;
  view.strides = {2 * 10 * 128, 10 * 128, 128, 1};
  EXPECT_EQ(errorOf({a, b}, view), "");
  EXPECT_EQ(errorOf({a, b}, TensorRef()), "attn_combine: o is null");
  info.staticNq = 12;
  EXPECT_EQ(errorOf({a, b}, o), "attn_combine: Nq = 10, but the kernel was "
                                "compiled for Nq = 12");
}

} // namespace
