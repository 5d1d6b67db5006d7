//===- attention-run.cpp - Run an attn spec on .npy inputs ------*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Runs one function of a spec on NumPy `.npy` inputs (or on random inputs of
// the right kind) and writes its results as `.npy` files, so that anyone can
// check the compiler against PyTorch without writing C++. By default the
// spec is compiled by the JIT and run on GPU 0 (bf16/f16 inputs converted on
// the host); `--reference` runs the fp64 CPU reference instead, and
// `--check` runs both on the same inputs and compares them. A spec with
// recurrent states takes its initial state as the "initial_state" argument
// and returns the final one as the result "state", on either path.
//
//   attention-run spec.mlir --list-inputs
//   attention-run spec.mlir --random-inputs --check
//   attention-run spec.mlir --reference --random-inputs --save-inputs dir \
//       --output o=o.npy
//   attention-run spec.mlir --reference --input q=q.npy --input k=k.npy \
//       --input v=v.npy --compare o=torch_o.npy --rtol 1e-2
//
//===----------------------------------------------------------------------===//

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/InitAll.h"
#include "attn/JIT/HostRun.h"
#include "attn/JIT/JIT.h"
#include "attn/Reference/Reference.h"
#include "attn/Runtime/CudaDriver.h"
#include "attn/Support/HostTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

using namespace mlir;
using ::attn::ElementKind;
using ::attn::getElementKindName;
using ::attn::HostTensor;
using ::attn::readNpy;
using ::attn::roundTo;
using ::attn::writeNpy;
using llvm::StringRef;

// The fp64 reference executor; `attn` alone would be ambiguous with the
// dialect's namespace mlir::attn.
namespace reference = ::attn::reference;

namespace cl = llvm::cl;

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

static cl::OptionCategory runCategory("attention-run options");

static cl::opt<std::string>
    specFilename(cl::Positional, cl::desc("<spec.mlir>"), cl::cat(runCategory));

static cl::opt<std::string>
    funcName("func",
             cl::desc("The spec function to run (default: the only "
                      "func.func holding attn ops)"),
             cl::value_desc("name"), cl::cat(runCategory));

static cl::opt<bool>
    listInputs("list-inputs",
               cl::desc("Print the function's arguments (name, role, element "
                        "type, shape) and results, then exit"),
               cl::cat(runCategory));

static cl::list<std::string>
    inputSpecs("input", cl::desc("Read argument NAME from a .npy file"),
               cl::value_desc("NAME=file.npy"), cl::cat(runCategory));

static cl::list<std::string>
    outputSpecs("output", cl::desc("Write result NAME as a float64 .npy file"),
                cl::value_desc("NAME=file.npy"), cl::cat(runCategory));

static cl::opt<bool>
    useReference("reference",
                 cl::desc("Run the fp64 CPU reference instead of the GPU"),
                 cl::cat(runCategory));

static cl::opt<bool>
    checkGPU("check",
             cl::desc("Run the GPU kernel and the fp64 reference on the same "
                      "inputs and compare every result (tolerance 1e-2 for "
                      "bf16, 5e-3 for f16 and f32); exit 1 on a mismatch"),
             cl::cat(runCategory));

static cl::opt<std::string>
    chipName("chip", cl::desc("GPU target chip (default: device 0's)"),
             cl::value_desc("sm_90a"), cl::cat(runCategory));

static cl::opt<std::string>
    binaryFormat("format",
                 cl::desc("ptx or cubin (default: cubin when ptxas is found)"),
                 cl::cat(runCategory));

static cl::opt<bool>
    packedQKV("packed-qkv",
              cl::desc("Pass q, k and v to the kernel as strided views of "
                       "one packed buffer"),
              cl::cat(runCategory));

static cl::opt<bool> inPlaceState(
    "in-place-state",
    cl::desc("Pass one buffer as the kernel's initial and final state "
             "(in-place decode); the state result is read back from it"),
    cl::cat(runCategory));

static cl::opt<int64_t> segments(
    "segments",
    cl::desc("Chunked kernels: split the sequence into N segments run in "
             "parallel, states passed between them (default 0: the launcher "
             "chooses from the GPU's size)"),
    cl::init(0), cl::cat(runCategory));

static cl::opt<int>
    timeLaunches("time",
                 cl::desc("Launch N more times and print the mean kernel "
                          "time"),
                 cl::value_desc("N"), cl::init(0), cl::cat(runCategory));

static cl::opt<bool>
    randomInputs("random-inputs",
                 cl::desc("Synthesise every argument not given with --input"),
                 cl::cat(runCategory));

static cl::opt<uint64_t> seed("seed",
                              cl::desc("Seed of --random-inputs (default 0)"),
                              cl::init(0), cl::cat(runCategory));

static cl::opt<std::string>
    saveInputsDir("save-inputs",
                  cl::desc("Write every input as DIR/NAME.npy (to feed the "
                           "same data to PyTorch)"),
                  cl::value_desc("DIR"), cl::cat(runCategory));

static cl::opt<int64_t> batchSize("batch",
                                  cl::desc("Batch size of --random-inputs"),
                                  cl::value_desc("B"), cl::cat(runCategory));
static cl::opt<int64_t> qHeads("q-heads",
                               cl::desc("Query heads of --random-inputs"),
                               cl::value_desc("H"), cl::cat(runCategory));
static cl::opt<int64_t> kvHeads("kv-heads",
                                cl::desc("Key/value heads of --random-inputs"),
                                cl::value_desc("H"), cl::cat(runCategory));
static cl::opt<int64_t> qLen("q-len",
                             cl::desc("Query length of --random-inputs"),
                             cl::value_desc("N"), cl::cat(runCategory));
static cl::opt<int64_t> kvLen("kv-len",
                              cl::desc("Key/value length of --random-inputs"),
                              cl::value_desc("N"), cl::cat(runCategory));
static cl::opt<int64_t>
    bothLen("len",
            cl::desc("Query and key/value length of --random-inputs (--q-len "
                     "and --kv-len override it)"),
            cl::value_desc("N"), cl::cat(runCategory));

static cl::opt<bool>
    printValues("print",
                cl::desc("Print the values of results with at most 64 "
                         "elements"),
                cl::cat(runCategory));

static cl::list<std::string> compareSpecs(
    "compare",
    cl::desc("Compare result NAME with a .npy file by ||out-ref|| / ||ref||; "
             "exit 1 if above --rtol"),
    cl::value_desc("NAME=expected.npy"), cl::cat(runCategory));

static cl::opt<double> rtol("rtol",
                            cl::desc("Tolerance of --compare (default 1e-2)"),
                            cl::init(1e-2), cl::cat(runCategory));

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

/// Results with at most this many elements are printed by --print.
constexpr int64_t kMaxPrintedElements = 64;

/// One result of the spec function, named for --output and --compare.
struct ResultInfo {
  /// "o", "lse", "state" (with a numeric suffix when repeated), else
  /// "resultN".
  std::string name;
  /// What the result is: "output", "log-sum-exp", "final state", "result".
  std::string role;
  RankedTensorType type;
};

/// A `NAME=path` command-line value.
struct NamedPath {
  std::string name;
  std::string path;
};

} // namespace

/// Prints `message` as an error of the tool and returns failure.
static LogicalResult emitToolError(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "attention-run") << message << "\n";
  return failure();
}

/// Splits the values of `option` (`NAME=path`).
static FailureOr<SmallVector<NamedPath>>
parseNamedPaths(StringRef option, ArrayRef<std::string> values) {
  SmallVector<NamedPath> result;
  for (const std::string &value : values) {
    auto [name, path] = StringRef(value).split('=');
    if (name.empty() || path.empty() || !StringRef(value).contains('='))
      return emitToolError("--" + option + " expects NAME=file.npy, got '" +
                           value + "'");
    result.push_back({name.str(), path.str()});
  }
  return result;
}

/// "[?, ?, ?, 128]" for a shape with dynamic (-1) extents.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result = "[";
  llvm::raw_string_ostream os(result);
  llvm::interleaveComma(shape, os, [&](int64_t extent) {
    if (extent < 0)
      os << '?';
    else
      os << extent;
  });
  os << ']';
  return result;
}

static std::string formatType(Type type) {
  std::string result;
  llvm::raw_string_ostream os(result);
  type.print(os);
  return result;
}

/// Prints `rows` as columns separated by two spaces, each line indented.
static void printTable(llvm::raw_ostream &os,
                       ArrayRef<SmallVector<std::string, 4>> rows) {
  SmallVector<size_t> widths;
  for (const auto &row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (auto [column, cell] : llvm::enumerate(row))
      widths[column] = std::max(widths[column], cell.size());
  }
  for (const auto &row : rows) {
    os << "  ";
    for (auto [column, cell] : llvm::enumerate(row)) {
      os << cell;
      if (column + 1 < row.size())
        os.indent(widths[column] - cell.size() + 2);
    }
    os << '\n';
  }
}

/// Whether `func` contains an op of the attn dialect.
static bool hasAttnOps(func::FuncOp func) {
  return func
      .walk([](Operation *op) {
        return isa_and_nonnull<mlir::attn::AttnDialect>(op->getDialect())
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// The function to run: `--func`, else the only one holding attn ops.
static FailureOr<func::FuncOp> selectFunction(ModuleOp module) {
  SmallVector<func::FuncOp> funcs;
  module.walk([&](func::FuncOp func) {
    if (!func.isExternal())
      funcs.push_back(func);
  });
  auto listNames = [](ArrayRef<func::FuncOp> list) {
    std::string names;
    llvm::raw_string_ostream os(names);
    llvm::interleaveComma(
        list, os, [&](func::FuncOp func) { os << '@' << func.getSymName(); });
    return names;
  };

  if (!funcName.empty()) {
    for (func::FuncOp func : funcs)
      if (func.getSymName() == funcName)
        return func;
    return emitToolError(
        "no function @" + funcName + " in '" + specFilename + "'" +
        (funcs.empty() ? std::string() : "; functions: " + listNames(funcs)));
  }

  SmallVector<func::FuncOp> candidates =
      llvm::filter_to_vector(funcs, hasAttnOps);
  if (candidates.size() == 1)
    return candidates.front();
  if (candidates.empty())
    return emitToolError("no func.func with attn ops in '" + specFilename +
                         "'");
  return emitToolError("'" + specFilename +
                       "' has several functions with attn ops (" +
                       listNames(candidates) + "); pick one with --func NAME");
}

/// Names the results of `func` by what each returned value is: an
/// aggregate's output, lse or final state; a tensor computed by arith ops
/// (aggregates combined element-wise) counts as an output.
static std::vector<ResultInfo> describeResults(func::FuncOp func) {
  std::vector<ResultInfo> results;
  auto returnOp = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::StringMap<unsigned> uses;
  for (auto [index, value] : llvm::enumerate(returnOp.getOperands())) {
    StringRef base, role;
    Operation *def = value.getDefiningOp();
    if (auto aggregate = dyn_cast_or_null<mlir::attn::AggregateOp>(def)) {
      if (value == aggregate.getOutput()) {
        base = "o";
        role = "output";
      } else if (value == aggregate.getLse()) {
        base = "lse";
        role = "log-sum-exp";
      } else {
        base = "state";
        role = "final state";
      }
    } else if (def && isa<arith::ArithDialect>(def->getDialect()) &&
               isa<RankedTensorType>(value.getType())) {
      // A combination of aggregate outputs (e.g. Based: linear + sliding
      // window softmax) is an output too.
      base = "o";
      role = "output";
    }

    std::string name;
    if (base.empty()) {
      name = "result" + std::to_string(index);
      role = "result";
    } else {
      unsigned count = uses[base]++;
      name = count == 0 ? base.str() : (base + Twine(count)).str();
    }
    results.push_back({std::move(name), role.str(),
                       dyn_cast<RankedTensorType>(value.getType())});
  }
  return results;
}

/// The index of argument `name` (its name, or "argN"), or std::nullopt.
static std::optional<size_t>
findArgument(ArrayRef<reference::ArgumentInfo> args, StringRef name) {
  for (auto [index, arg] : llvm::enumerate(args))
    if (arg.name == name)
      return index;
  size_t index;
  if (name.consume_front("arg") && !name.getAsInteger(10, index) &&
      index < args.size())
    return index;
  return std::nullopt;
}

/// The index of result `name` (its name, or "resultN"), or std::nullopt.
static std::optional<size_t> findResult(ArrayRef<ResultInfo> results,
                                        StringRef name) {
  for (auto [index, result] : llvm::enumerate(results))
    if (result.name == name)
      return index;
  size_t index;
  if (name.consume_front("result") && !name.getAsInteger(10, index) &&
      index < results.size())
    return index;
  return std::nullopt;
}

static bool isFloatKind(ElementKind kind) {
  return kind == ElementKind::F16 || kind == ElementKind::BF16 ||
         kind == ElementKind::F32 || kind == ElementKind::F64;
}

/// Brings a tensor read from a file to the precision of the argument's type:
/// a bf16/f16/f32 argument gets exactly the values the GPU would see.
/// Tensors of the other class (integers for a float argument and vice
/// versa) are left alone for reference::evaluate to reject, naming the
/// argument.
static void convertToArgumentKind(HostTensor &tensor, ElementKind argKind) {
  if (isFloatKind(tensor.kind) != isFloatKind(argKind))
    return;
  roundTo(tensor, argKind);
}

/// The extent on `axis` of `value`, a query or key tensor: the shape of the
/// file given for it with --input, else its static extent, else nothing.
static std::optional<int64_t>
getKnownExtent(Value value, unsigned axis,
               ArrayRef<std::optional<HostTensor>> loaded) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    const std::optional<HostTensor> &tensor = loaded[arg.getArgNumber()];
    if (tensor && tensor->shape.size() == 4)
      return tensor->shape[axis];
  }
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 4 && !type.isDynamicDim(axis))
    return type.getDimSize(axis);
  return std::nullopt;
}

/// The problem size of --random-inputs: the extents given on the command
/// line; for the others, those of the first attn.score's query and key (from
/// the files given for them, or their static types), so that inputs given
/// with --input and static specs need no size flags; else the defaults.
static reference::ProblemSize
getProblemSize(func::FuncOp func, ArrayRef<std::optional<HostTensor>> loaded) {
  reference::ProblemSize size;
  mlir::attn::ScoreOp score;
  func.walk([&](mlir::attn::ScoreOp op) {
    score = op;
    return WalkResult::interrupt();
  });
  if (score) {
    bool bshd = score.getLayout() == mlir::attn::Layout::bshd;
    unsigned heads = bshd ? 2 : 1, seq = bshd ? 1 : 2;
    auto fill = [&](int64_t &field, Value value, unsigned axis) {
      if (std::optional<int64_t> extent = getKnownExtent(value, axis, loaded))
        field = *extent;
    };
    fill(size.batch, score.getQuery(), 0);
    fill(size.qHeads, score.getQuery(), heads);
    fill(size.qLen, score.getQuery(), seq);
    fill(size.kvHeads, score.getKey(), heads);
    fill(size.kvLen, score.getKey(), seq);
  }

  if (batchSize.getNumOccurrences())
    size.batch = batchSize;
  if (qHeads.getNumOccurrences())
    size.qHeads = qHeads;
  if (kvHeads.getNumOccurrences())
    size.kvHeads = kvHeads;
  if (bothLen.getNumOccurrences())
    size.qLen = size.kvLen = bothLen;
  if (qLen.getNumOccurrences())
    size.qLen = qLen;
  if (kvLen.getNumOccurrences())
    size.kvLen = kvLen;
  return size;
}

/// Loads the tensors of the function's arguments from --input files and,
/// with --random-inputs, synthesises the others.
static FailureOr<std::vector<HostTensor>>
loadInputs(func::FuncOp func, ArrayRef<reference::ArgumentInfo> args) {
  FailureOr<SmallVector<NamedPath>> inputs =
      parseNamedPaths("input", inputSpecs);
  if (failed(inputs))
    return failure();

  std::vector<std::optional<HostTensor>> loaded(args.size());
  for (const NamedPath &input : *inputs) {
    std::optional<size_t> index = findArgument(args, input.name);
    if (!index) {
      std::string names;
      llvm::raw_string_ostream os(names);
      llvm::interleaveComma(args, os, [&](const reference::ArgumentInfo &arg) {
        os << arg.name;
      });
      return emitToolError("unknown input '" + input.name + "'; inputs are " +
                           names + " (or arg0..arg" + Twine(args.size() - 1) +
                           ")");
    }
    if (loaded[*index])
      return emitToolError("input '" + args[*index].name + "' is given twice");
    llvm::Expected<HostTensor> tensor = readNpy(input.path);
    if (!tensor)
      return emitToolError("input '" + args[*index].name +
                           "': " + llvm::toString(tensor.takeError()));
    convertToArgumentKind(*tensor, args[*index].kind);
    loaded[*index] = std::move(*tensor);
  }

  if (randomInputs) {
    reference::ProblemSize size = getProblemSize(func, loaded);
    for (int64_t extent :
         {size.batch, size.qHeads, size.kvHeads, size.qLen, size.kvLen})
      if (extent <= 0)
        return emitToolError("problem sizes must be positive");

    llvm::Expected<std::vector<HostTensor>> random =
        reference::makeRandomInputs(func, size, seed);
    if (!random)
      return emitToolError("cannot make random inputs: " +
                           llvm::toString(random.takeError()));
    for (auto [slot, tensor] : llvm::zip(loaded, *random))
      if (!slot)
        slot = std::move(tensor);
  }

  SmallVector<SmallVector<std::string, 4>> missing;
  for (auto [slot, arg] : llvm::zip(loaded, args))
    if (!slot)
      missing.push_back({arg.name, arg.role, getElementKindName(arg.kind).str(),
                         formatShape(arg.shape)});
  if (!missing.empty()) {
    (void)emitToolError("missing inputs; pass --input NAME=file.npy for each "
                        "(or --random-inputs):");
    printTable(llvm::errs(), missing);
    return failure();
  }

  std::vector<HostTensor> result;
  result.reserve(loaded.size());
  for (std::optional<HostTensor> &slot : loaded)
    result.push_back(std::move(*slot));
  return result;
}

/// Writes every input as DIR/NAME.npy in its own element type (bf16 as f32).
static LogicalResult saveInputs(ArrayRef<reference::ArgumentInfo> args,
                                ArrayRef<HostTensor> tensors) {
  if (std::error_code error = llvm::sys::fs::create_directories(saveInputsDir))
    return emitToolError("cannot create directory '" + saveInputsDir +
                         "': " + error.message());
  for (auto [arg, tensor] : llvm::zip(args, tensors)) {
    SmallString<128> path(saveInputsDir.getValue());
    llvm::sys::path::append(path, arg.name + ".npy");
    if (llvm::Error error = writeNpy(path, tensor, tensor.kind))
      return emitToolError(llvm::toString(std::move(error)));
  }
  return success();
}

/// Prints `NAME: [shape] f64 finite rms=... max=...` for `tensor`; `max` is
/// the largest magnitude. Statistics cover the finite values only (a softmax
/// lse is -inf on fully masked rows).
static void printSummary(llvm::raw_ostream &os, StringRef name,
                         const HostTensor &tensor) {
  int64_t nonFinite = 0, finite = 0;
  double sumSquares = 0.0, maxAbs = 0.0;
  for (double value : tensor.data) {
    if (!std::isfinite(value)) {
      ++nonFinite;
      continue;
    }
    ++finite;
    sumSquares += value * value;
    maxAbs = std::max(maxAbs, std::fabs(value));
  }
  double rms = finite ? std::sqrt(sumSquares / finite) : NAN;
  if (!finite)
    maxAbs = NAN;
  os << name << ": " << tensor.shapeString() << ' '
     << getElementKindName(tensor.kind) << ' ';
  if (nonFinite)
    os << nonFinite << " non-finite";
  else
    os << "finite";
  os << " rms=" << llvm::format("%.6g", rms)
     << " max=" << llvm::format("%.6g", maxAbs) << '\n';
}

/// Prints the values of `tensor`, one innermost row per line, each prefixed
/// with its outer indices.
static void printTensorValues(llvm::raw_ostream &os, StringRef name,
                              const HostTensor &tensor) {
  int64_t rowLength = tensor.shape.empty() ? 1 : tensor.shape.back();
  ArrayRef<int64_t> outer =
      ArrayRef<int64_t>(tensor.shape).drop_back(tensor.shape.empty() ? 0 : 1);
  if (rowLength == 0)
    return;
  SmallVector<int64_t> index(outer.size(), 0);
  for (int64_t start = 0; start < tensor.getNumElements(); start += rowLength) {
    os << "  " << name << formatShape(index) << ":";
    for (int64_t k = 0; k < rowLength; ++k)
      os << ' ' << llvm::format("%.10g", tensor.data[start + k]);
    os << '\n';
    for (int64_t dim = static_cast<int64_t>(outer.size()) - 1; dim >= 0;
         --dim) {
      if (++index[dim] < outer[dim])
        break;
      index[dim] = 0;
    }
  }
}

static LogicalResult compareTensors(StringRef name, const HostTensor &actual,
                                    const HostTensor &expected,
                                    double tolerance);

/// Compares `actual` with `expected` by ||actual - expected|| / ||expected||
/// and prints `NAME: rel_err=... (tol X) ok|FAIL`. Non-finite values must
/// match exactly (e.g. -inf lse on fully masked rows) and are left out of the
/// norms.
static LogicalResult compareResult(StringRef name, const HostTensor &actual,
                                   StringRef expectedPath) {
  llvm::Expected<HostTensor> expected = readNpy(expectedPath);
  if (!expected)
    return emitToolError("--compare " + name + ": " +
                         llvm::toString(expected.takeError()));
  if (expected->shape != actual.shape) {
    llvm::outs() << name << ": shape " << actual.shapeString()
                 << " does not match " << expected->shapeString() << " of '"
                 << expectedPath << "' FAIL\n";
    return failure();
  }

  return compareTensors(name, actual, *expected, rtol);
}

/// Prints `NAME: rel_err=... (tol X) ok|FAIL` for `actual` against
/// `expected` (same shape) and returns failure above `tolerance`.
static LogicalResult compareTensors(StringRef name, const HostTensor &actual,
                                    const HostTensor &expected,
                                    double tolerance) {
  double diffSquares = 0.0, refSquares = 0.0;
  int64_t nonFiniteMismatches = 0;
  for (auto [out, ref] : llvm::zip(actual.data, expected.data)) {
    if (!std::isfinite(out) || !std::isfinite(ref)) {
      bool same = (std::isnan(out) && std::isnan(ref)) || out == ref;
      nonFiniteMismatches += !same;
      continue;
    }
    diffSquares += (out - ref) * (out - ref);
    refSquares += ref * ref;
  }
  double relErr;
  if (refSquares > 0)
    relErr = std::sqrt(diffSquares / refSquares);
  else
    relErr = diffSquares > 0 ? INFINITY : 0.0;
  bool ok = relErr <= tolerance && nonFiniteMismatches == 0;

  llvm::outs() << name << ": rel_err=" << llvm::format("%.3e", relErr)
               << " (tol " << llvm::format("%g", tolerance) << ")";
  if (nonFiniteMismatches)
    llvm::outs() << ' ' << nonFiniteMismatches << " non-finite mismatches";
  llvm::outs() << (ok ? " ok" : " FAIL") << '\n';
  return success(ok);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

static LogicalResult run(MLIRContext &context) {
  if (specFilename.empty())
    return emitToolError("no spec file given; usage: attention-run "
                         "SPEC.mlir [--reference|--check] [--input NAME=file.npy ...] "
                         "(see --help)");

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(specFilename, &errorMessage);
  if (!file)
    return emitToolError(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnosticHandler(sourceMgr, &context);
  // Parsing verifies the module; diagnostics carry their locations.
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return failure();

  FailureOr<func::FuncOp> func = selectFunction(*module);
  if (failed(func))
    return failure();
  if (func->getBody().front().empty() ||
      !isa<func::ReturnOp>(func->getBody().front().getTerminator()))
    return emitToolError("@" + func->getSymName() +
                         " must be a single block ending in func.return");

  llvm::Expected<std::vector<reference::ArgumentInfo>> args =
      reference::describeArguments(*func);
  if (!args)
    return emitToolError(llvm::toString(args.takeError()));
  std::vector<ResultInfo> results = describeResults(*func);

  if (listInputs) {
    llvm::outs() << "@" << func->getSymName() << " inputs:\n";
    SmallVector<SmallVector<std::string, 4>> rows;
    for (const reference::ArgumentInfo &arg : *args)
      rows.push_back({arg.name, arg.role, getElementKindName(arg.kind).str(),
                      formatShape(arg.shape)});
    printTable(llvm::outs(), rows);
    llvm::outs() << "@" << func->getSymName() << " results:\n";
    rows.clear();
    for (const ResultInfo &result : results)
      rows.push_back(
          {result.name, result.role,
           result.type ? formatType(result.type.getElementType()) : "?",
           result.type ? formatShape(result.type.getShape()) : "?"});
    printTable(llvm::outs(), rows);
    return success();
  }

  bool runGPU = !useReference || checkGPU;
  if (runGPU) {
    // Say why the GPU path is closed before any work.
    llvm::Expected<::attn::runtime::CudaDriver &> driver =
        ::attn::runtime::CudaDriver::get();
    if (!driver)
      return emitToolError("cannot run on the GPU: " +
                           llvm::toString(driver.takeError()) +
                           "; pass --reference to run the fp64 CPU reference");
  }

  // Check the result names before the (possibly long) evaluation.
  FailureOr<SmallVector<NamedPath>> outputs =
      parseNamedPaths("output", outputSpecs);
  FailureOr<SmallVector<NamedPath>> compares =
      parseNamedPaths("compare", compareSpecs);
  if (failed(outputs) || failed(compares))
    return failure();
  auto resolveResults = [&](StringRef option, ArrayRef<NamedPath> namedPaths)
      -> FailureOr<SmallVector<std::pair<size_t, std::string>>> {
    SmallVector<std::pair<size_t, std::string>> files;
    for (const NamedPath &namedPath : namedPaths) {
      std::optional<size_t> index = findResult(results, namedPath.name);
      if (!index) {
        std::string names;
        llvm::raw_string_ostream os(names);
        llvm::interleaveComma(results, os,
                              [&](const ResultInfo &r) { os << r.name; });
        return emitToolError("--" + option + ": unknown result '" +
                             namedPath.name + "'; results are " + names +
                             " (or result0..result" +
                             Twine(results.size() - 1) + ")");
      }
      files.push_back({*index, namedPath.path});
    }
    return files;
  };
  FailureOr<SmallVector<std::pair<size_t, std::string>>> outputFiles =
      resolveResults("output", *outputs);
  FailureOr<SmallVector<std::pair<size_t, std::string>>> compareFiles =
      resolveResults("compare", *compares);
  if (failed(outputFiles) || failed(compareFiles))
    return failure();

  FailureOr<std::vector<HostTensor>> inputs = loadInputs(*func, *args);
  if (failed(inputs))
    return failure();
  if (!saveInputsDir.empty() && failed(saveInputs(*args, *inputs)))
    return failure();

  llvm::Expected<std::vector<HostTensor>> values = std::vector<HostTensor>();
  std::string dtypeName;
  if (runGPU) {
    namespace jit = ::attn::jit;
    jit::JITOptions options;
    options.chip = chipName;
    if (!binaryFormat.empty()) {
      options.format = jit::parseBinaryFormat(binaryFormat);
      if (!options.format)
        return emitToolError("--format must be ptx or cubin, not '" +
                             binaryFormat + "'");
    }
    auto kernel = jit::CompiledKernel::compile(*module, options);
    if (!kernel)
      return emitToolError(llvm::toString(kernel.takeError()));
    llvm::errs() << "compiled for " << (*kernel)->getChip() << " ("
                 << jit::getBinaryFormatName((*kernel)->getFormat()) << ") in "
                 << llvm::format("%.1f", (*kernel)->getCompileTimeMs())
                 << " ms"
                 << ((*kernel)->isFromCache()
                         ? " (from the " + (*kernel)->getCacheSource().str() +
                               " cache)"
                         : std::string())
                 << '\n';
    // The dtype of o: the combine kernel's, if the spec has one.
    dtypeName = (*kernel)->getKernelInfo().dtype;
    for (const jit::KernelBinary &binary : (*kernel)->getKernels())
      if (binary.info.isCombine())
        dtypeName = binary.info.dtype;
    jit::HostRunOptions runOptions;
    runOptions.packedQKV = packedQKV;
    runOptions.inPlaceState = inPlaceState;
    runOptions.segments = segments;
    double milliseconds = 0;
    runOptions.timedLaunches = timeLaunches;
    runOptions.milliseconds = &milliseconds;
    values = jit::runOnGPU(**kernel, *func, *inputs, runOptions);
    if (!values)
      return emitToolError(llvm::toString(values.takeError()));
    if (timeLaunches > 0)
      llvm::outs() << "kernel: " << llvm::format("%.4f", milliseconds)
                    << " ms (mean of " << timeLaunches << " launches)\n";
  } else {
    values = reference::evaluate(*func, *inputs);
    if (!values)
      return emitToolError(llvm::toString(values.takeError()));
  }
  if (values->size() != results.size())
    return emitToolError("the reference returned " + Twine(values->size()) +
                         " results for a function with " +
                         Twine(results.size()));

  for (auto [result, value] : llvm::zip(results, *values)) {
    printSummary(llvm::outs(), result.name, value);
    if (printValues && value.getNumElements() <= kMaxPrintedElements)
      printTensorValues(llvm::outs(), result.name, value);
  }

  bool checkOk = true;
  if (checkGPU) {
    llvm::Expected<std::vector<HostTensor>> expected =
        reference::evaluate(*func, *inputs);
    if (!expected)
      return emitToolError(llvm::toString(expected.takeError()));
    // f32 kernels multiply in TF32, whose 10-bit mantissa is f16's.
    double tolerance = dtypeName == "bf16" ? 1e-2 : 5e-3;
    for (auto [result, actual, reference] :
         llvm::zip(results, *values, *expected))
      checkOk &= succeeded(
          compareTensors(result.name, actual, reference, tolerance));
  }

  for (const auto &[index, path] : *outputFiles)
    if (llvm::Error error = writeNpy(path, (*values)[index], ElementKind::F64))
      return emitToolError(llvm::toString(std::move(error)));

  bool allOk = true;
  for (const auto &[index, path] : *compareFiles)
    allOk &=
        succeeded(compareResult(results[index].name, (*values)[index], path));
  return success(allOk && checkOk);
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attention-run: runs an attn spec on .npy inputs\n\n"
      "  attention-run SPEC.mlir [--func NAME] [--reference | --check]\n"
      "      (--input NAME=file.npy ... | --random-inputs [--seed N])\n"
      "      [--output NAME=file.npy ...] [--compare NAME=file.npy ...]\n");

  DialectRegistry registry;
  mlir::attn::registerAllDialects(registry);
  MLIRContext context(registry);
  return failed(run(context)) ? 1 : 0;
}
