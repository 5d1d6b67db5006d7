//===- CAPITest.cpp - The C interface of the JIT --------------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What a C caller of libattn-c.so gets back: a NULL kernel and the parser's
// message for a bad spec; the kernels of a multi-chain spec (Based); and the
// launches refused before any device call, each with a message that says
// what is wrong (attnLaunch on a multi-kernel spec, attnLaunchSpec with a
// missing argument or a bad tensor). No GPU is needed.
//
//===----------------------------------------------------------------------===//

#include "attn-c/JIT.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string readExample(const std::string &name) {
  std::ifstream in(std::string(ATTN_EXAMPLES_DIR) + "/" + name + ".mlir");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct KernelDeleter {
  void operator()(AttnKernel *kernel) const { attnDestroy(kernel); }
};
using KernelPtr = std::unique_ptr<AttnKernel, KernelDeleter>;

/// Compiles `text` for sm_90a (PTX where no ptxas is installed).
KernelPtr compile(const std::string &text) {
  return KernelPtr(attnCompile(text.c_str(), "sm_90a", /*useCache=*/1));
}

TEST(CAPITest, BadSpecGivesNullAndTheParserMessage) {
  KernelPtr kernel = compile("func.func @broken(");
  EXPECT_EQ(kernel, nullptr);
  std::string error = attnGetLastError();
  EXPECT_NE(error.find("expected"), std::string::npos) << error;
}

TEST(CAPITest, MultiChainSpecLaunchesOnlyBySpecArguments) {
  std::string text = readExample("based");
  ASSERT_FALSE(text.empty()) << "cannot read example based";
  KernelPtr kernel = compile(text);
  ASSERT_NE(kernel, nullptr) << attnGetLastError();
  std::string info = attnKernelGetInfoJSON(kernel.get());
  EXPECT_NE(info.find("\"algorithm\":\"chunked\""), std::string::npos) << info;

  // attnLaunch takes single-kernel specs and says what to use instead.
  EXPECT_NE(attnLaunch(kernel.get(), nullptr, 0, nullptr), 0);
  std::string error = attnGetLastError();
  EXPECT_NE(error.find("attnLaunch: this spec compiled to 3 kernels"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("launch it with attnLaunchSpec"), std::string::npos)
      << error;

  // attnLaunchSpec checks every argument before it touches a device: with
  // q_linear (argument 0) missing, it names the argument and its role.
  // Fake, aligned addresses: nothing is read.
  int64_t sizesLin[] = {1, 2, 17, 16}, stridesLin[] = {544, 272, 16, 1};
  int64_t sizes[] = {1, 2, 17, 64}, strides[] = {2176, 1088, 64, 1};
  void *fake = reinterpret_cast<void *>(uintptr_t{1} << 20);
  AttnTensor lin = {"", fake, "bf16", 4, sizesLin, stridesLin};
  AttnTensor full = {"", fake, "bf16", 4, sizes, strides};
  AttnTensor missing = {"", nullptr, "bf16", 4, sizesLin, stridesLin};
  std::vector<AttnTensor> args = {missing, lin, full, full, full};
  EXPECT_NE(attnLaunchSpec(kernel.get(), args.data(),
                           static_cast<int32_t>(args.size()), &full, nullptr),
            0);
  error = attnGetLastError();
  EXPECT_NE(error.find("spec argument 0 (the queries of chain kernel"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("is missing: pass it as arguments[0]"),
            std::string::npos)
      << error;

  // A tensor the C layer cannot describe.
  args[0] = lin;
  args[1].dtype = "bf17";
  EXPECT_NE(attnLaunchSpec(kernel.get(), args.data(),
                           static_cast<int32_t>(args.size()), &full, nullptr),
            0);
  error = attnGetLastError();
  EXPECT_NE(error.find("tensor 'argument 1' has unknown dtype 'bf17'"),
            std::string::npos)
      << error;

  EXPECT_NE(attnLaunchSpec(nullptr, args.data(), 5, &full, nullptr), 0);
  error = attnGetLastError();
  EXPECT_NE(error.find("attnLaunchSpec: null kernel, o or arguments"),
            std::string::npos)
      << error;
}

} // namespace
