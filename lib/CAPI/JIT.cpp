//===- JIT.cpp - C API of the attn JIT ------------------------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn-c/JIT.h"

#include "attn/JIT/JIT.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"

#include <memory>
#include <optional>
#include <string>

using namespace attn;

struct AttnKernel {
  std::unique_ptr<jit::CompiledKernel> kernel;
  /// attnKernelGetInfoJSON's string.
  std::string infoJSON;
};

static thread_local std::string lastError;

static int32_t fail(llvm::Error err) {
  lastError = llvm::toString(std::move(err));
  return 1;
}

const char *attnGetLastError(void) { return lastError.c_str(); }

AttnKernel *attnCompile(const char *specText, const char *chip,
                        int32_t useCache) {
  lastError.clear();
  jit::JITOptions options;
  if (chip)
    options.chip = chip;
  if (!useCache) {
    options.cacheDir.clear();
    options.inMemoryCache = false;
  }
  auto kernel = jit::CompiledKernel::compile(specText ? specText : "", options);
  if (!kernel) {
    fail(kernel.takeError());
    return nullptr;
  }
  std::string infoJSON = (*kernel)->getKernels().empty()
                             ? std::string()
                             : (*kernel)->getKernelInfo().toJSONString();
  return new AttnKernel{std::move(*kernel), std::move(infoJSON)};
}

double attnKernelGetCompileTimeMs(const AttnKernel *kernel) {
  return kernel ? kernel->kernel->getCompileTimeMs() : 0.0;
}

int32_t attnKernelIsFromCache(const AttnKernel *kernel) {
  return kernel && kernel->kernel->isFromCache();
}

const char *attnKernelGetInfoJSON(const AttnKernel *kernel) {
  return kernel ? kernel->infoJSON.c_str() : "";
}

/// The view `t` describes; `what` names it in messages.
static llvm::Expected<runtime::TensorRef> toTensorRef(const AttnTensor &t,
                                                      llvm::StringRef what) {
  std::optional<runtime::DType> dtype =
      runtime::parseDType(t.dtype ? t.dtype : "");
  if (!dtype)
    return llvm::createStringError(
        "tensor '" + what.str() + "' has unknown dtype '" +
        std::string(t.dtype ? t.dtype : "(null)") + "'");
  if (t.rank < 0 || t.rank > static_cast<int32_t>(runtime::TensorRef::kMaxRank))
    return llvm::createStringError("tensor '" + what.str() + "' has rank " +
                                   std::to_string(t.rank) +
                                   "; at most 4 is supported");
  if (t.rank > 0 && (!t.sizes || !t.strides))
    return llvm::createStringError("tensor '" + what.str() + "' has rank " +
                                   std::to_string(t.rank) +
                                   " but NULL sizes or strides");
  return runtime::TensorRef(t.data, *dtype, llvm::ArrayRef(t.sizes, t.rank),
                            llvm::ArrayRef(t.strides, t.rank));
}

int32_t attnLaunchSpec(AttnKernel *kernel, const AttnTensor *arguments,
                       int32_t numArguments, const AttnTensor *o,
                       void *stream) {
  lastError.clear();
  if (!kernel || !o || (numArguments > 0 && !arguments))
    return fail(
        llvm::createStringError("attnLaunchSpec: null kernel, o or arguments"));
  runtime::SpecProblem problem;
  problem.layout =
      llvm::StringRef(kernel->kernel->getKernelInfo().layout) == "bshd"
          ? runtime::Layout::BSHD
          : runtime::Layout::BHSD;
  for (int32_t i = 0; i < numArguments; ++i) {
    if (!arguments[i].data) {
      problem.arguments.emplace_back(); // Not read by any kernel.
      continue;
    }
    llvm::Expected<runtime::TensorRef> ref =
        toTensorRef(arguments[i], "argument " + std::to_string(i));
    if (!ref)
      return fail(ref.takeError());
    problem.arguments.push_back(*ref);
  }
  llvm::Expected<runtime::TensorRef> out = toTensorRef(*o, "o");
  if (!out)
    return fail(out.takeError());
  problem.o = *out;
  if (llvm::Error err = kernel->kernel->launch(
          problem, static_cast<runtime::cuda::CUstream>(stream)))
    return fail(std::move(err));
  return 0;
}

int32_t attnLaunch(AttnKernel *kernel, const AttnTensor *tensors,
                   int32_t numTensors, void *stream) {
  lastError.clear();
  if (!kernel)
    return fail(llvm::createStringError("attnLaunch: null kernel"));
  if (size_t kernels = kernel->kernel->getKernels().size(); kernels != 1)
    return fail(llvm::createStringError(
        "attnLaunch: this spec compiled to " + std::to_string(kernels) +
        " kernels (one per attn.aggregate chain and one combining their "
        "outputs); launch it with attnLaunchSpec, its arguments by number"));
  runtime::AttentionProblem problem;
  problem.layout = llvm::StringRef(kernel->kernel->getKernelInfo().layout) ==
                           "bshd"
                       ? runtime::Layout::BSHD
                       : runtime::Layout::BHSD;
  if (numTensors > 0 && !tensors)
    return fail(llvm::createStringError("attnLaunch: NULL tensors"));
  llvm::StringSet<> given;
  for (int32_t i = 0; i < numTensors; ++i) {
    const AttnTensor &t = tensors[i];
    llvm::StringRef name = t.name ? t.name : "";
    std::optional<runtime::DType> dtype =
        runtime::parseDType(t.dtype ? t.dtype : "");
    if (!dtype)
      return fail(llvm::createStringError(
          "attnLaunch: tensor '" + name.str() + "' has unknown dtype '" +
          std::string(t.dtype ? t.dtype : "(null)") + "'"));
    if (t.rank < 0 || t.rank > static_cast<int32_t>(runtime::TensorRef::kMaxRank))
      return fail(llvm::createStringError(
          "attnLaunch: tensor '" + name.str() + "' has rank " +
          std::to_string(t.rank) + "; at most 4 is supported"));
    if (t.rank > 0 && (!t.sizes || !t.strides))
      return fail(llvm::createStringError(
          "attnLaunch: tensor '" + name.str() + "' has rank " +
          std::to_string(t.rank) + " but NULL sizes or strides"));
    runtime::TensorRef ref(t.data, *dtype, llvm::ArrayRef(t.sizes, t.rank),
                           llvm::ArrayRef(t.strides, t.rank));
    // The fixed arguments by name; anything else is a side input (whose
    // duplicates validation reports).
    runtime::TensorRef *fixed = name == "q"   ? &problem.q
                                : name == "k" ? &problem.k
                                : name == "v" ? &problem.v
                                : name == "o" ? &problem.o
                                              : nullptr;
    std::optional<runtime::TensorRef> *optional =
        name == "lse"             ? &problem.lse
        : name == "initial_state" ? &problem.initialState
        : name == "final_state"   ? &problem.finalState
                                  : nullptr;
    if (!fixed && !optional) {
      problem.sideInputs.push_back({name.str(), ref});
      continue;
    }
    if (!given.insert(name).second)
      return fail(llvm::createStringError("attnLaunch: tensor '" + name.str() +
                                          "' given twice"));
    if (fixed)
      *fixed = ref;
    else
      *optional = ref;
  }
  if (llvm::Error err = kernel->kernel->launch(
          problem, static_cast<runtime::cuda::CUstream>(stream)))
    return fail(std::move(err));
  return 0;
}

void attnDestroy(AttnKernel *kernel) { delete kernel; }
