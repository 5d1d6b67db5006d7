//===- attention-compile.cpp - Compile an attn spec ahead of time ---------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Writes the PTX or cubin of a spec and its KernelInfo (JSON), so that a
// program can ship kernels without the compiler:
//
//   attention-compile spec.mlir --chip sm_90a --format ptx -o out.ptx
//     -> out.ptx, out.json
//
// A spec that compiles to several kernels writes out.N.ptx / out.N.json for
// N >= 1 after the first. Compile errors are the spec's diagnostics.
//
// `--repeat N` also measures the JIT's lookup cost: after the first (cold)
// compile it compiles the same text N more times with the in-memory cache on
// and prints the wall time of the first call and the median / min / max of
// the N cached lookups:
//
//   attention-compile spec.mlir --chip sm_90a --format ptx --no-cache \
//     -o out.ptx --repeat 1000
//
//===----------------------------------------------------------------------===//

#include "attn/JIT/JIT.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <vector>

using namespace attn::jit;
namespace cl = llvm::cl;

static cl::OptionCategory category("attention-compile options");
static cl::opt<std::string> specFile(cl::Positional, cl::desc("<spec.mlir>"),
                                     cl::Required, cl::cat(category));
static cl::opt<std::string>
    chip("chip", cl::desc("Target chip, e.g. sm_90a (default: device 0's)"),
         cl::cat(category));
static cl::opt<std::string>
    format("format",
           cl::desc("ptx or cubin (default: cubin when ptxas is found)"),
           cl::cat(category));
static cl::opt<std::string> output("o", cl::desc("Output binary"),
                                   cl::value_desc("file"), cl::Required,
                                   cl::cat(category));
static cl::opt<bool> noCache("no-cache",
                             cl::desc("Do not read or write the disk cache"),
                             cl::cat(category));
static cl::opt<bool> verbose("v", cl::desc("Print the compile time"),
                             cl::cat(category));
static cl::opt<unsigned>
    repeat("repeat",
           cl::desc("Benchmark: after the cold compile, look the spec up N "
                    "more times in the in-memory cache and print the cold "
                    "and cached times"),
           cl::value_desc("N"), cl::init(0), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "attention-compile") << message << '\n';
  return 1;
}

static llvm::Error writeFile(llvm::StringRef path, llvm::StringRef bytes) {
  std::error_code error;
  llvm::raw_fd_ostream os(path, error, llvm::sys::fs::OF_None);
  if (error)
    return llvm::createStringError(error, "cannot write '" + path +
                                              "': " + error.message());
  os << bytes;
  return llvm::Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "attention-compile: writes the PTX/cubin and "
                              "KernelInfo JSON of an attn spec\n");

  auto file = llvm::MemoryBuffer::getFileOrSTDIN(specFile);
  if (!file)
    return fail("cannot read '" + specFile + "': " + file.getError().message());

  JITOptions options;
  options.chip = chip;
  if (!format.empty()) {
    options.format = parseBinaryFormat(format);
    if (!options.format)
      return fail("--format must be ptx or cubin, not '" + format + "'");
  }
  if (noCache)
    options.cacheDir.clear();
  // A one-shot compile has no use for the in-memory cache; the benchmark
  // measures it.
  options.inMemoryCache = repeat > 0;

  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start)
        .count();
  };
  Clock::time_point start = Clock::now();
  auto kernel = CompiledKernel::compile((*file)->getBuffer(), options);
  double coldMs = since(start);
  if (!kernel)
    return fail(llvm::toString(kernel.takeError()));

  if (repeat > 0) {
    // Wall time of the whole call, as a caller sees it (the CompiledKernel
    // included), not only getCompileTimeMs.
    std::vector<double> cachedMs;
    cachedMs.reserve(repeat);
    llvm::StringRef source;
    for (unsigned i = 0; i < repeat; ++i) {
      start = Clock::now();
      auto cached = CompiledKernel::compile((*file)->getBuffer(), options);
      cachedMs.push_back(since(start));
      if (!cached)
        return fail(llvm::toString(cached.takeError()));
      if (!(*cached)->isFromCache())
        return fail("repeated compile " + llvm::Twine(i) +
                    " did not come from the cache");
      source = (*cached)->getCacheSource() == "memory" ? "memory" : "disk";
    }
    std::sort(cachedMs.begin(), cachedMs.end());
    llvm::outs() << llvm::format("cold: %.1f ms (%s)\n", coldMs,
                                 (*kernel)->isFromCache()
                                     ? (*kernel)->getCacheSource().str().c_str()
                                     : "compiled")
                 << llvm::format("cached (%s, %u lookups): median %.3f ms, "
                                 "min %.3f ms, max %.3f ms\n",
                                 source.str().c_str(), unsigned(repeat),
                                 cachedMs[cachedMs.size() / 2],
                                 cachedMs.front(), cachedMs.back());
  }

  llvm::StringRef extension = llvm::sys::path::extension(output);
  llvm::StringRef stem = llvm::StringRef(output).drop_back(extension.size());
  for (auto [index, binary] : llvm::enumerate((*kernel)->getKernels())) {
    std::string suffix = index == 0 ? "" : "." + std::to_string(index);
    std::string binaryPath = (stem + suffix + extension).str();
    std::string jsonPath = (stem + suffix + ".json").str();
    std::string json;
    llvm::raw_string_ostream os(json);
    os << llvm::formatv("{0:2}", binary.info.toJSON()) << '\n';
    if (llvm::Error error = writeFile(binaryPath, binary.image))
      return fail(llvm::toString(std::move(error)));
    if (llvm::Error error = writeFile(jsonPath, json))
      return fail(llvm::toString(std::move(error)));
  }
  if (verbose)
    llvm::errs() << "compiled for " << (*kernel)->getChip() << " ("
                 << getBinaryFormatName((*kernel)->getFormat()) << ") in "
                 << llvm::format("%.1f", (*kernel)->getCompileTimeMs())
                 << " ms"
                 << ((*kernel)->isFromCache() ? " (cached)" : "") << '\n';
  return 0;
}
