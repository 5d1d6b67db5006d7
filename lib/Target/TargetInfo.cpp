//===- TargetInfo.cpp - Target lookup by chip name ------------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/Target/TargetInfo.h"

#include "NVIDIA/NVIDIATargetInfo.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::attn;

TargetInfo::~TargetInfo() = default;

std::unique_ptr<TargetInfo> mlir::attn::createTargetInfo(StringRef chip,
                                                         std::string &error) {
  if (chip.consume_front("sm_")) {
    StringRef digits = chip.take_while([](char c) { return isdigit(c); });
    unsigned cc = 0;
    if (!digits.empty() && !digits.getAsInteger(10, cc)) {
      if (cc < 80) {
        error = "sm_" + chip.str() +
                " is not supported: the tensor-core path needs sm_80 or newer "
                "(mma.sync m16n8k16 bf16, cp.async)";
        return nullptr;
      }
      return std::make_unique<NVIDIATargetInfo>(("sm_" + chip).str(), cc);
    }
  }
  error = "unknown chip '" + chip.str() +
          "' (expected sm_80, sm_86, sm_89, sm_90, sm_90a, ...)";
  return nullptr;
}

// Targets without warpgroup matrix ops (supportsWarpgroupMatrixOps false)
// are never asked for them.
Value TargetInfo::getOperandTileOffset(OpBuilder &, Location, Value, Value,
                                       int64_t, int64_t) const {
  llvm_unreachable("the target has no warpgroup matrix ops");
}

Value TargetInfo::getSharedAddress(OpBuilder &, Location, Value) const {
  llvm_unreachable("the target has no warpgroup matrix ops");
}

void TargetInfo::fenceSharedForMatrixOps(OpBuilder &, Location) const {
  llvm_unreachable("the target has no warpgroup matrix ops");
}

SmallVector<Value>
TargetInfo::issueWarpgroupMatmul(OpBuilder &, Location, Type, OperandTile,
                                 ArrayRef<Value>, OperandTile, int64_t, int64_t,
                                 ArrayRef<SmallVector<Value>>) const {
  llvm_unreachable("the target has no warpgroup matrix ops");
}

void TargetInfo::warpgroupWait(OpBuilder &, Location, int64_t) const {
  llvm_unreachable("the target has no warpgroup matrix ops");
}

SmallVector<SmallVector<Value>>
TargetInfo::getWarpgroupFragments(OpBuilder &, Location, ArrayRef<Value>,
                                  int64_t) const {
  llvm_unreachable("the target has no warpgroup matrix ops");
}

SmallVector<SmallVector<Value>>
TargetInfo::warpgroupMatmul(OpBuilder &b, Location loc, Type elementType,
                            OperandTile a, ArrayRef<Value> aRowBlocks,
                            OperandTile bTile, int64_t n, int64_t k,
                            ArrayRef<SmallVector<Value>> accumulators) const {
  SmallVector<Value> products = issueWarpgroupMatmul(
      b, loc, elementType, a, aRowBlocks, bTile, n, k, accumulators);
  warpgroupWait(b, loc, 0);
  return getWarpgroupFragments(b, loc, products, n);
}
