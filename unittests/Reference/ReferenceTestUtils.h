//===- ReferenceTestUtils.h - Helpers for the reference tests ---*- C++ -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Parsing spec text, building tiny tensors and running the reference, so
// that each test is the spec, its inputs and hand-derived expectations.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_REFERENCE_REFERENCETESTUTILS_H
#define ATTN_UNITTESTS_REFERENCE_REFERENCETESTUTILS_H

#include "attn/InitAll.h"
#include "attn/Reference/Reference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace attn::reference::testing {

/// A tensor of `kind` with `shape` and row-major `values`.
inline HostTensor makeTensor(std::vector<int64_t> shape,
                             std::vector<double> values,
                             ElementKind kind = ElementKind::F32) {
  HostTensor t(kind, std::move(shape));
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.getNumElements());
  t.data = std::move(values);
  return t;
}

/// q [1,1,Nq,1], k and v [1,1,Nk,1] from their values.
inline std::vector<HostTensor>
args1d(std::vector<double> q, std::vector<double> k, std::vector<double> v) {
  auto nq = static_cast<int64_t>(q.size());
  auto nk = static_cast<int64_t>(k.size());
  return {makeTensor({1, 1, nq, 1}, std::move(q)),
          makeTensor({1, 1, nk, 1}, std::move(k)),
          makeTensor({1, 1, nk, 1}, std::move(v))};
}

/// Replaces every `from` in `text` by `to`.
inline std::string substitute(std::string text, const std::string &from,
                              const std::string &to) {
  for (size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

/// Parses specs into a context holding every attn dialect.
class ReferenceTest : public ::testing::Test {
protected:
  ReferenceTest() {
    mlir::DialectRegistry registry;
    mlir::attn::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `source` and returns its first function (null on error).
  mlir::func::FuncOp parse(llvm::StringRef source) {
    module = mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module) {
      ADD_FAILURE() << "cannot parse:\n" << source.str();
      return {};
    }
    auto funcs = module->getOps<mlir::func::FuncOp>();
    if (funcs.empty()) {
      ADD_FAILURE() << "no function in:\n" << source.str();
      return {};
    }
    return *funcs.begin();
  }

  /// Evaluates `source` on `args`; fails the test on an error.
  std::vector<HostTensor> run(llvm::StringRef source,
                              const std::vector<HostTensor> &args) {
    mlir::func::FuncOp spec = parse(source);
    if (!spec)
      return {};
    llvm::Expected<std::vector<HostTensor>> results = evaluate(spec, args);
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError());
      return {};
    }
    return std::move(*results);
  }

  /// Evaluates `source` on `args` and returns the error message ("" if it
  /// succeeded, which fails the test).
  std::string runError(llvm::StringRef source,
                       const std::vector<HostTensor> &args) {
    mlir::func::FuncOp spec = parse(source);
    if (!spec)
      return "";
    llvm::Expected<std::vector<HostTensor>> results = evaluate(spec, args);
    if (results) {
      ADD_FAILURE() << "expected an error";
      return "";
    }
    return llvm::toString(results.takeError());
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace attn::reference::testing

#endif // ATTN_UNITTESTS_REFERENCE_REFERENCETESTUTILS_H
