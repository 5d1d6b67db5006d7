//===- KernelInfo.h - The ABI of a generated attention kernel ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// What a launcher must know about a kernel made by `convert-attn-to-gpu`
// (kernel ABI v6): its name and target, its algorithm, the element types and
// layout of q/k/v/o, the tiling (grid and block shape, dynamic shared
// memory), the recurrent states and the side inputs it reads, in parameter
// order, and which spec function arguments its tensors are.
//
// v6 (multi-chain specs): every chain kernel records the spec arguments its
// q, k, v and initial state are (`queryArg`, ... ; side inputs their
// `argNumber`), so that a launcher given the spec's arguments by number can
// bind each kernel's own (Based: a linear chain and a window chain, each with
// its own q and k, sharing v). A spec whose result is an element-wise arith
// expression over the outputs of several chains (`o = o_lin + o_win`) also
// gets a combine kernel (algorithm "combine", below): the launcher runs each
// chain kernel into a dense [B, Hq, Nq, Dv] temporary of its output dtype in
// the launch's layout (the last chain of o's dtype may write o itself), then
// the combine kernel, which reads them and writes o (element-wise, so in
// place is safe).
//
// Parameters, in order: q, k, v, o as flat `memref<?xT>` (5 values each after
// lowering: {ptr, ptr, 0, numel, 1}), then lse (f32) if `hasLse`, then the
// initial state (f32, dense [B, Hq, F, Dv]) if `hasInitialState`, then the
// final state (same) if `hasFinalState`, then each side input (flat, dense
// row-major; a side input with an `alignment` is copied in 16-byte pieces,
// so its base pointer must be aligned to it), then the workspace (chunked:
// the segment states, f32; quadratic with `keyRangeTables`: the key-tile id
// ranges, i32), then 17 `i64`
// scalars: B, Hq, Hkv, Nq, Nk and the (batch, head, seq) strides in elements
// of q, k, v, o, then (chunked) an 18th, the segment count S. The head dim
// stride is 1. cp.async copies 16 bytes, so base pointers must be 16-byte
// aligned and the strides multiples of 8 elements.
// Launch: block (32 * warps), dynamic shared memory `sharedBytes`, grid
//   quadratic: (ceil(Nq / blockM), Hq, B) - a CTA per query tile;
//   chunked:   (ceil(Dv / blockN) * S, Hq, B) - a CTA per value-column tile
//              and sequence segment, walking its segment (ceil(chunks / S)
//              chunks of blockM tokens) in order.
// The segment split (chunked): when (Dv / blockN) Hq B CTAs cannot fill the
// GPU, the launcher splits the sequence into S segments and first launches
// `stateKernelName` (same parameters and grid), which writes each segment's
// own state and total log-decay into the workspace, then `kernelName`, whose
// CTAs start from the state before their segment. The workspace is f32
//   [B, Hq, S + 1, workspaceRows, workspaceColumns] states (slot 0: a copy of
//   the initial state; slot j + 1: segment j's), then [B, Hq, S,
//   workspaceRows] log-decays (per state row: a per-channel gate decays each
//   row of the state by its own factor; scalar decays repeat one value).
// With S = 1 a causal spec launches `kernelName` alone; a non-causal one
// (O = phi(Q) (phi(K)^T V)) always launches both.
// Key-tile id ranges (quadratic, document masks): the launcher first launches
// `keyRangesKernelName` (same parameters; grid (ceil(ceil(Nk / blockN) /
// warps), 1, B), no dynamic shared memory), which writes the [min, max] of
// every key tile's ids into the workspace, i32 [keyRangeTables, B, ceil(Nk /
// blockN), 2] (a table per document ids input), so that `kernelName`
// classifies a tile from two words instead of reading its blockN ids.
// A row norm kernel (an output norm over rows that no CTA holds whole, e.g.
// Dv split over value tiles): the launcher launches `normKernelName` after
// `kernelName` (same parameters; grid (ceil(Nq / warps), Hq, B), no dynamic
// shared memory), which normalises every row of o in place.
//
// The combine kernel (algorithm "combine", `kernelName` "attn_combine"):
// parameters: one flat `memref<?xT_i>` per entry of `combineOperands` (the
// output of that chain kernel, dtype `T_i`), then o (`dtype`), then i64
// scalars: B, Hq, Nq, then the (batch, head, seq) strides in elements of each
// operand, then of o. Each thread computes `blockN` consecutive elements of
// one row of o (a 16-byte vector where Dv allows; base pointers and strides
// must then be multiples of blockN elements), evaluating the spec's arith ops
// in f32. Launch: block (32 * warps), no shared memory, grid
// (ceil(Nq * Dv / blockN / (32 * warps)), Hq, B).
//
// Header-only and free of MLIR so that the runtime can use it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_CONVERSION_ATTNTOGPU_KERNELINFO_H
#define ATTN_CONVERSION_ATTNTOGPU_KERNELINFO_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn {

/// One extra tensor the kernel reads (rates, slopes, sink logits, document
/// ids, block layouts, region inputs), passed flat and dense row-major.
struct KernelSideInput {
  /// Its name: the spec argument's name from the argument-role analysis
  /// (`attn.name`, else the role name, as the reference uses); launchers
  /// also accept `argN`.
  std::string name;
  /// Element type: "f32", "f16", "bf16", "f64", "i1", "i8", "i32", "i64".
  std::string dtype;
  /// Extents in spec order; each entry is a number or a problem dim: "B",
  /// "Hq", "Hkv", "Nq", "Nk", or an expression such as "ceil(Nq/64)".
  std::vector<std::string> shape;
  /// The index of the function argument it comes from (-1 if none).
  int64_t argNumber = -1;
  /// The base pointer alignment in bytes the kernel needs (0: the element
  /// size).
  int64_t alignment = 0;
};

/// One parameter of a combine kernel: the output of a chain kernel.
struct KernelCombineOperand {
  /// The `gpu.module` (KernelInfo::moduleName) of the chain kernel.
  std::string module;
  /// Its output's element type: "bf16", "f16" or "f32".
  std::string dtype;
};

/// Everything a launcher needs to run one generated kernel.
struct KernelInfo {
  /// ABI version; bumped on any change of the parameter list or of what a
  /// launcher must know.
  static constexpr int64_t kVersion = 6;
  int64_t abiVersion = kVersion;
  /// The `gpu.module` and `gpu.func` symbol names.
  std::string moduleName = "attn_kernels";
  std::string kernelName = "attn_fwd";
  /// Chunked: the kernel that computes the segments' states (see above).
  std::string stateKernelName;
  /// Quadratic: the kernel that writes the key-tile id ranges (see above),
  /// and the number of their tables (0: neither, and no workspace).
  std::string keyRangesKernelName;
  int64_t keyRangeTables = 0;
  /// The kernel that normalises the rows of o after (see above), or empty.
  std::string normKernelName;
  /// Target architecture, e.g. "sm_90a".
  std::string arch = "sm_90a";
  /// Element type of q, k, v and o: "bf16" or "f16".
  std::string dtype = "bf16";
  /// "bhsd" or "bshd" (axis order of q, k, v, o).
  std::string layout = "bhsd";
  /// "quadratic" (tiled over query and key tiles), "chunked" (the
  /// linear-time recurrence over chunks, linear family only) or "combine"
  /// (the element-wise combination of chain outputs, see above).
  std::string algorithm = "quadratic";
  /// "softmax", "sigmoid", "softplus_l1", "relu", "relu2", "none", "sum".
  std::string normalize = "softmax";
  int64_t headDimQK = 0;
  int64_t headDimV = 0;
  /// Static extents of the spec, or -1 where dynamic.
  int64_t staticHq = -1, staticHkv = -1, staticNq = -1, staticNk = -1;
  /// Quadratic: query rows and keys per tile. Chunked: tokens per chunk
  /// (blockM) and value columns per CTA (blockN).
  int64_t blockM = 128;
  int64_t blockN = 64;
  int64_t warps = 4;
  int64_t stages = 2;
  /// Dynamic shared memory in bytes.
  int64_t sharedBytes = 0;
  bool hasLse = false;
  /// Recurrent states [B, Hq, featureDim, Dv] f32 read / written (chunked).
  bool hasInitialState = false;
  bool hasFinalState = false;
  /// F, the rows of a state (the feature dim of phi); 0 without states.
  int64_t featureDim = 0;
  /// Chunked: causal (the recurrence) or not (the global form, whose every
  /// output needs the whole sequence's state: the state kernel always runs).
  bool causal = false;
  /// Chunked: the extents of one state in the segment workspace.
  int64_t workspaceRows = 0, workspaceColumns = 0;
  std::vector<KernelSideInput> sideInputs;
  /// The numbers of the spec function arguments that q, k, v and the initial
  /// state are (-1: none, e.g. no initial state, or a combine kernel).
  int64_t queryArg = -1, keyArg = -1, valueArg = -1, initialStateArg = -1;
  /// Combine: the chain outputs it reads, in parameter order.
  std::vector<KernelCombineOperand> combineOperands;

  /// Threads per block.
  int64_t threads() const { return 32 * warps; }
  bool isChunked() const { return algorithm == "chunked"; }
  bool isCombine() const { return algorithm == "combine"; }
  /// grid.x for `nq` queries: query tiles, or value-column tiles times
  /// `segments` (chunked).
  int64_t gridX(int64_t nq, int64_t segments = 1) const {
    if (isChunked())
      return (headDimV + blockN - 1) / blockN * segments;
    return (nq + blockM - 1) / blockM;
  }
  /// Quadratic: the key tiles of `nk` keys.
  int64_t keyTiles(int64_t nk) const { return (nk + blockN - 1) / blockN; }
  /// Chunked: the chunks of `n` tokens.
  int64_t numChunks(int64_t n) const { return (n + blockM - 1) / blockM; }
  /// Quadratic: i32 elements of the key-range workspace.
  int64_t keyRangeElements(int64_t batch, int64_t nk) const {
    return keyRangeTables * batch * keyTiles(nk) * 2;
  }
  /// Chunked: f32 elements of the workspace for `segments` segments.
  int64_t workspaceElements(int64_t batch, int64_t heads,
                            int64_t segments) const {
    return batch * heads *
           ((segments + 1) * workspaceRows * workspaceColumns +
            segments * workspaceRows);
  }

  llvm::json::Value toJSON() const {
    llvm::json::Array inputs;
    for (const KernelSideInput &s : sideInputs) {
      llvm::json::Array shape;
      for (const std::string &d : s.shape)
        shape.push_back(d);
      inputs.push_back(llvm::json::Object{{"name", s.name},
                                          {"dtype", s.dtype},
                                          {"shape", std::move(shape)},
                                          {"arg", s.argNumber},
                                          {"alignment", s.alignment}});
    }
    llvm::json::Array operands;
    for (const KernelCombineOperand &operand : combineOperands)
      operands.push_back(llvm::json::Object{{"module", operand.module},
                                            {"dtype", operand.dtype}});
    return llvm::json::Object{{"abi", abiVersion},
                              {"module", moduleName},
                              {"kernel", kernelName},
                              {"state_kernel", stateKernelName},
                              {"key_ranges_kernel", keyRangesKernelName},
                              {"key_range_tables", keyRangeTables},
                              {"norm_kernel", normKernelName},
                              {"arch", arch},
                              {"dtype", dtype},
                              {"layout", layout},
                              {"algorithm", algorithm},
                              {"normalize", normalize},
                              {"dk", headDimQK},
                              {"dv", headDimV},
                              {"hq", staticHq},
                              {"hkv", staticHkv},
                              {"nq", staticNq},
                              {"nk", staticNk},
                              {"block_m", blockM},
                              {"block_n", blockN},
                              {"warps", warps},
                              {"stages", stages},
                              {"shared_bytes", sharedBytes},
                              {"lse", hasLse},
                              {"initial_state", hasInitialState},
                              {"final_state", hasFinalState},
                              {"feature_dim", featureDim},
                              {"causal", causal},
                              {"workspace_rows", workspaceRows},
                              {"workspace_columns", workspaceColumns},
                              {"side_inputs", std::move(inputs)},
                              {"q_arg", queryArg},
                              {"k_arg", keyArg},
                              {"v_arg", valueArg},
                              {"initial_state_arg", initialStateArg},
                              {"combine_operands", std::move(operands)}};
  }

  /// Serialises to a compact JSON string.
  std::string toJSONString() const {
    std::string out;
    llvm::raw_string_ostream os(out);
    os << toJSON();
    return out;
  }

  /// Parses what `toJSON` wrote.
  static llvm::Expected<KernelInfo> fromJSON(const llvm::json::Value &value) {
    auto fail = [](const llvm::Twine &what) {
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "kernel info: " + what);
    };
    const llvm::json::Object *obj = value.getAsObject();
    if (!obj)
      return fail("not a JSON object");
    KernelInfo info;
    auto getInt = [&](llvm::StringRef key, int64_t &out) -> bool {
      std::optional<int64_t> v = obj->getInteger(key);
      if (!v)
        return false;
      out = *v;
      return true;
    };
    auto getStr = [&](llvm::StringRef key, std::string &out) -> bool {
      std::optional<llvm::StringRef> v = obj->getString(key);
      if (!v)
        return false;
      out = v->str();
      return true;
    };
    if (!getInt("abi", info.abiVersion) || info.abiVersion != kVersion)
      return fail("missing or unsupported 'abi' (expected " +
                  llvm::Twine(kVersion) + ")");
    if (!getStr("module", info.moduleName) ||
        !getStr("kernel", info.kernelName) ||
        !getStr("state_kernel", info.stateKernelName) ||
        !getStr("key_ranges_kernel", info.keyRangesKernelName) ||
        !getStr("norm_kernel", info.normKernelName) ||
        !getStr("arch", info.arch) || !getStr("dtype", info.dtype) ||
        !getStr("layout", info.layout) ||
        !getStr("algorithm", info.algorithm) ||
        !getStr("normalize", info.normalize))
      return fail("missing a string field");
    if (!getInt("dk", info.headDimQK) || !getInt("dv", info.headDimV) ||
        !getInt("hq", info.staticHq) || !getInt("hkv", info.staticHkv) ||
        !getInt("nq", info.staticNq) || !getInt("nk", info.staticNk) ||
        !getInt("block_m", info.blockM) || !getInt("block_n", info.blockN) ||
        !getInt("warps", info.warps) || !getInt("stages", info.stages) ||
        !getInt("shared_bytes", info.sharedBytes) ||
        !getInt("feature_dim", info.featureDim) ||
        !getInt("key_range_tables", info.keyRangeTables) ||
        !getInt("workspace_rows", info.workspaceRows) ||
        !getInt("workspace_columns", info.workspaceColumns) ||
        !getInt("q_arg", info.queryArg) || !getInt("k_arg", info.keyArg) ||
        !getInt("v_arg", info.valueArg) ||
        !getInt("initial_state_arg", info.initialStateArg))
      return fail("missing an integer field");
    std::optional<bool> lse = obj->getBoolean("lse");
    if (!lse)
      return fail("missing 'lse'");
    info.hasLse = *lse;
    std::optional<bool> initial = obj->getBoolean("initial_state");
    std::optional<bool> final = obj->getBoolean("final_state");
    if (!initial || !final)
      return fail("missing 'initial_state' or 'final_state'");
    info.hasInitialState = *initial;
    info.hasFinalState = *final;
    std::optional<bool> causal = obj->getBoolean("causal");
    if (!causal)
      return fail("missing 'causal'");
    info.causal = *causal;
    if (info.algorithm != "quadratic" && info.algorithm != "chunked" &&
        info.algorithm != "combine")
      return fail("unknown algorithm '" + info.algorithm + "'");
    const llvm::json::Array *operands = obj->getArray("combine_operands");
    if (!operands)
      return fail("missing 'combine_operands'");
    for (const llvm::json::Value &v : *operands) {
      const llvm::json::Object *operand = v.getAsObject();
      std::optional<llvm::StringRef> module =
          operand ? operand->getString("module") : std::nullopt;
      std::optional<llvm::StringRef> dtype =
          operand ? operand->getString("dtype") : std::nullopt;
      if (!module || !dtype)
        return fail("combine operand lacks module or dtype");
      info.combineOperands.push_back({module->str(), dtype->str()});
    }
    const llvm::json::Array *inputs = obj->getArray("side_inputs");
    if (!inputs)
      return fail("missing 'side_inputs'");
    for (const llvm::json::Value &v : *inputs) {
      const llvm::json::Object *in = v.getAsObject();
      if (!in)
        return fail("side input is not an object");
      KernelSideInput s;
      std::optional<llvm::StringRef> name = in->getString("name");
      std::optional<llvm::StringRef> dtype = in->getString("dtype");
      const llvm::json::Array *shape = in->getArray("shape");
      if (!name || !dtype || !shape)
        return fail("side input lacks name, dtype or shape");
      s.name = name->str();
      s.dtype = dtype->str();
      s.argNumber = in->getInteger("arg").value_or(-1);
      s.alignment = in->getInteger("alignment").value_or(0);
      for (const llvm::json::Value &d : *shape) {
        std::optional<llvm::StringRef> dim = d.getAsString();
        if (!dim)
          return fail("side input shape entry is not a string");
        s.shape.push_back(dim->str());
      }
      info.sideInputs.push_back(std::move(s));
    }
    return info;
  }

  /// Parses a JSON string written by `toJSONString`.
  static llvm::Expected<KernelInfo> fromJSON(llvm::StringRef text) {
    llvm::Expected<llvm::json::Value> value = llvm::json::parse(text);
    if (!value)
      return value.takeError();
    return fromJSON(*value);
  }
};

} // namespace mlir::attn

#endif // ATTN_CONVERSION_ATTNTOGPU_KERNELINFO_H
