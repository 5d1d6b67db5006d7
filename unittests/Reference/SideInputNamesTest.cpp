//===- SideInputNamesTest.cpp - Kernel side inputs take reference names ---===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// A caller names a kernel's side inputs as the reference names the spec's
// arguments ("log_gates", "ids"), both through the argument-role analysis:
// the KernelInfo of convert-attn-to-gpu must agree with describeArguments,
// whether the chain was fused into an attn.kernel first or not.
//
//===----------------------------------------------------------------------===//

#include "ReferenceTestUtils.h"

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Conversion/AttnToGPU/KernelInfo.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace attn;
using namespace attn::reference;
using namespace attn::reference::testing;

namespace {

/// Simple GLA: one log-gate per token and head, no attn.name.
const char *kSimpleGlaSpec = R"mlir(
  func.func @simple_gla(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                        %v: tensor<?x?x?x64xbf16>, %g: tensor<?x?x?xf32>)
      -> tensor<?x?x?x64xbf16> {
    %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    %m = attn.mask %s, #attn.causal
    %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)
    %w = attn.normalize %d none
    %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
    return %o : tensor<?x?x?x64xbf16>
  })mlir";

/// Document mask, ALiBi slopes and named sinks, the arguments in another
/// order than the kernel's (modifier input first), and an attn.name that
/// an earlier argument's role name already took ("ids" -> "ids_1").
const char *kDocumentSpec = R"mlir(
  func.func @document(%q: tensor<?x?x?x64xbf16>, %k: tensor<?x?x?x64xbf16>,
                      %v: tensor<?x?x?x64xbf16>, %doc: tensor<?x?xi32>,
                      %sinks: tensor<?xf32> {attn.name = "ids"},
                      %slopes: tensor<?xf32>)
      -> tensor<?x?x?x64xbf16> {
    %s = attn.score %q, %k : tensor<?x?x?x64xbf16>, tensor<?x?x?x64xbf16>
    %a = attn.modify %s (%slopes : tensor<?xf32>) {
    ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index,
         %t: tensor<?xf32>):
      %sl = tensor.extract %t[%h] : tensor<?xf32>
      %y = arith.subf %x, %sl : f32
      attn.yield %y : f32
    }
    %m = attn.mask %a, #attn.and<[#attn.causal, #attn.document<input = 0>]>
        (%doc : tensor<?x?xi32>)
    %w = attn.normalize %m softmax sinks(%sinks : tensor<?xf32>)
    %o = attn.aggregate %w, %v : tensor<?x?x?x64xbf16> -> tensor<?x?x?x64xbf16>
    return %o : tensor<?x?x?x64xbf16>
  })mlir";

class SideInputNamesTest : public ReferenceTest {
protected:
  SideInputNamesTest() { mlir::attn::registerAllPasses(); }

  /// The reference's argument names of `source`'s spec.
  std::vector<std::string> referenceNames(llvm::StringRef source) {
    mlir::func::FuncOp spec = parse(source);
    if (!spec)
      return {};
    llvm::Expected<std::vector<ArgumentInfo>> infos = describeArguments(spec);
    if (!infos) {
      ADD_FAILURE() << llvm::toString(infos.takeError());
      return {};
    }
    std::vector<std::string> names;
    for (const ArgumentInfo &info : *infos)
      names.push_back(info.name);
    return names;
  }

  /// The (name, argument number) of every side input of the one kernel
  /// `pipeline` builds from `source`.
  std::vector<std::pair<std::string, int64_t>>
  kernelSideInputs(llvm::StringRef source, llvm::StringRef pipeline) {
    if (!parse(source))
      return {};
    auto pm = mlir::PassManager::on<mlir::ModuleOp>(&context);
    std::string errors;
    llvm::raw_string_ostream os(errors);
    if (mlir::failed(mlir::parsePassPipeline(pipeline, pm, os))) {
      ADD_FAILURE() << "bad pipeline: " << errors;
      return {};
    }
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << "pipeline failed: " << pipeline.str();
      return {};
    }
    std::vector<std::pair<std::string, int64_t>> sides;
    int kernels = 0;
    module->walk([&](mlir::gpu::GPUModuleOp gpuModule) {
      ++kernels;
      auto json = gpuModule->getAttrOfType<mlir::StringAttr>(
          mlir::attn::kKernelInfoAttrName);
      if (!json) {
        ADD_FAILURE() << "gpu.module without kernel info";
        return;
      }
      llvm::Expected<mlir::attn::KernelInfo> info =
          mlir::attn::KernelInfo::fromJSON(json.getValue());
      if (!info) {
        ADD_FAILURE() << llvm::toString(info.takeError());
        return;
      }
      for (const mlir::attn::KernelSideInput &side : info->sideInputs)
        sides.emplace_back(side.name, side.argNumber);
    });
    EXPECT_EQ(kernels, 1);
    return sides;
  }

  /// Expects the kernel `pipeline` builds from `source` to take `expected`,
  /// (name, argument number) in kernel order, named as the reference names
  /// those arguments.
  void
  expectReferenceNames(llvm::StringRef source,
                       std::vector<std::pair<std::string, int64_t>> expected) {
    std::vector<std::string> names = referenceNames(source);
    for (llvm::StringRef pipeline :
         {"convert-attn-to-gpu{chip=sm_80}",
          "attn-fuse,attn-plan{chip=sm_80},convert-attn-to-gpu{chip=sm_80}"}) {
      SCOPED_TRACE(pipeline.str());
      std::vector<std::pair<std::string, int64_t>> sides =
          kernelSideInputs(source, pipeline);
      EXPECT_EQ(sides, expected);
      for (const auto &[name, argNumber] : sides) {
        ASSERT_GE(argNumber, 0);
        ASSERT_LT(argNumber, static_cast<int64_t>(names.size()));
        EXPECT_EQ(name, names[argNumber]);
      }
    }
  }
};

TEST_F(SideInputNamesTest, SimpleGlaLogGates) {
  EXPECT_EQ(referenceNames(kSimpleGlaSpec),
            (std::vector<std::string>{"q", "k", "v", "log_gates"}));
  expectReferenceNames(kSimpleGlaSpec, {{"log_gates", 3}});
}

TEST_F(SideInputNamesTest, DocumentMaskModifierAndSinks) {
  EXPECT_EQ(
      referenceNames(kDocumentSpec),
      (std::vector<std::string>{"q", "k", "v", "ids", "ids_1", "input0"}));
  expectReferenceNames(kDocumentSpec,
                       {{"input0", 5}, {"ids", 3}, {"ids_1", 4}});
}

TEST_F(SideInputNamesTest, FusedSpecKeepsReferenceNames) {
  // The analysis looks through attn.kernel: after attn-fuse the spec's
  // arguments are read only inside the kernel's body.
  mlir::func::FuncOp spec = parse(kDocumentSpec);
  ASSERT_TRUE(spec);
  auto pm = mlir::PassManager::on<mlir::ModuleOp>(&context);
  ASSERT_TRUE(mlir::succeeded(mlir::parsePassPipeline("attn-fuse", pm)));
  ASSERT_TRUE(mlir::succeeded(pm.run(*module)));
  llvm::Expected<std::vector<ArgumentInfo>> infos = describeArguments(spec);
  ASSERT_TRUE(static_cast<bool>(infos)) << llvm::toString(infos.takeError());
  std::vector<std::string> names;
  for (const ArgumentInfo &info : *infos)
    names.push_back(info.name);
  EXPECT_EQ(names, (std::vector<std::string>{"q", "k", "v", "ids", "ids_1",
                                             "input0"}));
}

} // namespace
