//===- AttnFuse.cpp - Fuse each spec chain into an attn.kernel ------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// Level 1 -> level 2: every chain ending in attn.aggregate becomes one
// attn.kernel whose region holds a clone of the chain, so that later passes
// analyse, plan and lower one kernel at a time and never look across
// chains.
//
//===----------------------------------------------------------------------===//

#include "attn/Transforms/Passes.h"

#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFUSEPASS
#include "attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// The tensors a chain reads, in kernel ABI order.
struct ChainOperands {
  Value query, key, values;
  /// Side inputs in order of first use, each once.
  llvm::SetVector<Value> sideInputs;
  Value initialState;
};

} // namespace

static ChainOperands collectOperands(SpecChain &chain) {
  ChainOperands result;
  result.query = chain.score.getQuery();
  result.key = chain.score.getKey();
  result.values = chain.aggregate.getValues();
  auto addAll = [&](ValueRange values) {
    for (Value value : values)
      result.sideInputs.insert(value);
  };
  // Score: gate, then the feature-map weights, in operand order.
  addAll(chain.score->getOperands().drop_front(2));
  // Modifiers, masks and decays: every operand but the incoming scores.
  for (Operation *op : chain.scoreOps)
    addAll(op->getOperands().drop_front());
  if (Value sinks = chain.normalize.getSinks())
    result.sideInputs.insert(sinks);
  result.initialState = chain.aggregate.getInitialState();
  return result;
}

/// Replaces `chain` with an attn.kernel created before its aggregate.
static void fuseChain(SpecChain &chain) {
  AggregateOp aggregate = chain.aggregate;
  ChainOperands operands = collectOperands(chain);
  SmallVector<Value> inputs = {operands.query, operands.key, operands.values};
  llvm::append_range(inputs, operands.sideInputs);
  if (operands.initialState)
    inputs.push_back(operands.initialState);

  OpBuilder builder(aggregate);
  Location loc = aggregate.getLoc();
  auto kernel = KernelOp::create(builder, loc, aggregate->getResultTypes(),
                                 inputs, /*plan=*/nullptr,
                                 /*mask_classes=*/nullptr);
  Block *body = builder.createBlock(&kernel.getBody());
  SmallVector<BlockArgument> args;
  for (Value input : inputs)
    args.push_back(body->addArgument(input.getType(), input.getLoc()));

  // Side inputs and the initial state are mapped by value; q, k and v by
  // role below (a spec may pass one tensor as both q and k).
  IRMapping mapping;
  unsigned next = 3;
  for (Value side : operands.sideInputs)
    mapping.map(side, args[next++]);
  if (operands.initialState)
    mapping.map(operands.initialState, args[next]);

  Operation *score = builder.clone(*chain.score, mapping);
  score->setOperand(0, args[0]);
  score->setOperand(1, args[1]);
  mapping.map(chain.score.getResult(), score->getResult(0));
  for (Operation *op : chain.scoreOps)
    builder.clone(*op, mapping);
  builder.clone(*chain.normalize, mapping);
  auto clonedAggregate =
      cast<AggregateOp>(builder.clone(*aggregate, mapping));
  clonedAggregate.getValuesMutable().assign(args[2]);
  ReturnOp::create(builder, loc, clonedAggregate->getResults());

  aggregate->replaceAllUsesWith(kernel->getResults());
  // Erase the original chain back to front, keeping ops another chain still
  // uses (a shared score is cloned into every kernel that reads it).
  SmallVector<Operation *> originals = {aggregate, chain.normalize};
  llvm::append_range(originals, llvm::reverse(chain.scoreOps));
  originals.push_back(chain.score);
  for (Operation *op : originals)
    if (op->use_empty())
      op->erase();
}

namespace {

struct AttnFusePass : public attn::impl::AttnFusePassBase<AttnFusePass> {
  void runOnOperation() override {
    SmallVector<AggregateOp> aggregates;
    getOperation()->walk([&](AggregateOp aggregate) {
      if (!aggregate->getParentOfType<KernelOp>())
        aggregates.push_back(aggregate);
    });
    for (AggregateOp aggregate : aggregates) {
      FailureOr<SpecChain> chain = getSpecChain(aggregate);
      if (failed(chain))
        return signalPassFailure();
      fuseChain(*chain);
    }
  }
};

} // namespace
