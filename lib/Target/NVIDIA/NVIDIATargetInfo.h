//===- NVIDIATargetInfo.h - TargetInfo for NVIDIA GPUs ----------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_LIB_TARGET_NVIDIA_NVIDIATARGETINFO_H
#define ATTN_LIB_TARGET_NVIDIA_NVIDIATARGETINFO_H

#include "attn/Target/TargetInfo.h"

namespace mlir::attn {

/// NVIDIA sm_80+ through gpu/nvgpu: warps of 32, `gpu.shuffle`,
/// `nvgpu.ldmatrix` + `nvgpu.mma.sync` m16n8k16 (f32 accumulators; f32
/// operands as two TF32 `mma.m16n8k8`), `nvgpu.device_async_copy` (cp.async, 16
/// bytes, L1 bypassed); on sm_90a also warpgroup matrix ops
/// (`nvvm.wgmma.mma_async` on 128-byte swizzled shared-memory tiles).
class NVIDIATargetInfo : public TargetInfo {
public:
  explicit NVIDIATargetInfo(StringRef chip, int64_t computeCapability)
      : chip(chip.str()), computeCapability(computeCapability) {}

  StringRef getChip() const override { return chip; }
  int64_t getWarpSize() const override { return 32; }
  int64_t getMaxSharedBytes() const override;
  bool supportsMatrixElementType(Type elementType) const override;

  Value getLaneId(OpBuilder &b, Location loc) const override;
  Value shuffleXor(OpBuilder &b, Location loc, Value value,
                   int64_t mask) const override;
  Value warpReduceInt(OpBuilder &b, Location loc, Value value,
                      bool isMax) const override;
  Value warpBallot(OpBuilder &b, Location loc, Value pred) const override;
  void warpSync(OpBuilder &b, Location loc) const override;
  void barrier(OpBuilder &b, Location loc) const override;

  Attribute getSharedMemorySpace(MLIRContext *ctx) const override;
  Value getDynamicSharedMemory(OpBuilder &b, Location loc) const override;

  MatrixOpShape getMatrixOpShape() const override { return {16, 8, 16}; }
  VectorType getAFragmentType(Type elementType) const override;
  VectorType getBFragmentType(Type elementType) const override;
  VectorType getCFragmentType(MLIRContext *ctx) const override;
  int64_t getCFragmentSize() const override { return 4; }
  FragmentCoord getCCoord(OpBuilder &b, Location loc, Value lane,
                          int64_t e) const override;
  SmallVector<int64_t, 2> getCPosition(int64_t e) const override {
    return {e / 2, e % 2};
  }
  Value loadAFragment(OpBuilder &b, Location loc, Value tile, Value row,
                      Value col, Value lane) const override;
  Value loadAFragmentFromColumns(OpBuilder &b, Location loc, Value tile,
                                 Value row, Value col,
                                 Value lane) const override;
  Value scaleAFragment(OpBuilder &b, Location loc, Value frag, Value lane,
                       function_ref<Value(Value row)> rowFactor,
                       function_ref<Value(Value col)> columnFactor,
                       Type resultType = {}) const override;
  std::pair<Value, Value> loadBFragmentsFromRows(OpBuilder &b, Location loc,
                                                 Value tile, Value row,
                                                 Value col,
                                                 Value lane) const override;
  std::pair<Value, Value>
  loadBFragmentsFromColumns(OpBuilder &b, Location loc, Value tile, Value row,
                            Value col, Value lane) const override;
  Value mma(OpBuilder &b, Location loc, Value a, Value bFrag,
            Value c) const override;
  Value accumulatorsToAFragment(OpBuilder &b, Location loc, Value c0, Value c1,
                                Type elementType) const override;

  bool supportsWarpgroupMatrixOps(int64_t cols) const override;
  int64_t getOperandTileAlignment() const override { return 1024; }
  Value getOperandTileOffset(OpBuilder &b, Location loc, Value row, Value col,
                             int64_t rows, int64_t cols) const override;
  Value getSharedAddress(OpBuilder &b, Location loc,
                         Value buffer) const override;
  void fenceSharedForMatrixOps(OpBuilder &b, Location loc) const override;
  SmallVector<Value> issueWarpgroupMatmul(
      OpBuilder &b, Location loc, Type elementType, OperandTile a,
      ArrayRef<Value> aRowBlocks, OperandTile bTile, int64_t n, int64_t k,
      ArrayRef<SmallVector<Value>> accumulators) const override;
  void warpgroupWait(OpBuilder &b, Location loc,
                     int64_t pending) const override;
  SmallVector<SmallVector<Value>>
  getWarpgroupFragments(OpBuilder &b, Location loc, ArrayRef<Value> products,
                        int64_t n) const override;

  int64_t getAsyncCopyBytes() const override { return 16; }
  Value asyncCopy(OpBuilder &b, Location loc, Value dst, ValueRange dstIndices,
                  Value src, Value srcIndex, int64_t elements,
                  Value valid) const override;
  Value asyncCommit(OpBuilder &b, Location loc,
                    ValueRange tokens) const override;
  void asyncWait(OpBuilder &b, Location loc, Value group,
                 int64_t pending) const override;

  Value exp2(OpBuilder &b, Location loc, Value x) const override;

private:
  std::string chip;
  int64_t computeCapability;
};

} // namespace mlir::attn

#endif // ATTN_LIB_TARGET_NVIDIA_NVIDIATARGETINFO_H
