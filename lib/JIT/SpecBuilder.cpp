//===- SpecBuilder.cpp - Build common attn specs in C++ -------------------===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//

#include "attn/JIT/SpecBuilder.h"

#include "attn/Dialect/Attn/IR/AttnDialect.h"
#include "attn/Dialect/Attn/IR/AttnOps.h"
#include "attn/InitAll.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace attn::jit;
using namespace mlir;

SpecBuilder::SpecBuilder(MLIRContext &context) : context(context) {
  mlir::attn::loadSpecDialects(context);
}

SpecBuilder &SpecBuilder::setName(std::string newName) {
  name = std::move(newName);
  return *this;
}
SpecBuilder &SpecBuilder::setElementType(SpecElementType type) {
  elementType = type;
  return *this;
}
SpecBuilder &SpecBuilder::setHeadDim(int64_t newDk,
                                     std::optional<int64_t> newDv) {
  dk = newDk;
  dv = newDv;
  return *this;
}
SpecBuilder &SpecBuilder::setLayout(SpecLayout newLayout) {
  layout = newLayout;
  return *this;
}
SpecBuilder &SpecBuilder::setScale(double newScale) {
  scale = newScale;
  return *this;
}
SpecBuilder &SpecBuilder::setNormalize(SpecNormalize newNormalize) {
  normalize = newNormalize;
  return *this;
}
SpecBuilder &SpecBuilder::setReturnLse(bool newLse) {
  lse = newLse;
  return *this;
}
SpecBuilder &SpecBuilder::addCausal() {
  return addMask(mlir::attn::CausalAttr::get(&context));
}
SpecBuilder &SpecBuilder::addWindow(int64_t left, int64_t right) {
  return addMask(mlir::attn::WindowAttr::get(&context, left, right));
}
SpecBuilder &SpecBuilder::addSinks(int64_t count) {
  return addMask(mlir::attn::SinksAttr::get(&context, count));
}
SpecBuilder &SpecBuilder::addMask(Attribute mask) {
  masks.push_back(mask);
  return *this;
}

OwningOpRef<ModuleOp> SpecBuilder::build() const {
  OpBuilder builder(&context);
  Location loc = builder.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());

  Type element = elementType == SpecElementType::BF16
                     ? Type(builder.getBF16Type())
                     : Type(builder.getF16Type());
  int64_t dyn = ShapedType::kDynamic;
  auto qkType = RankedTensorType::get({dyn, dyn, dyn, dk}, element);
  auto vType = RankedTensorType::get({dyn, dyn, dyn, dv.value_or(dk)}, element);
  auto lseType = RankedTensorType::get({dyn, dyn, dyn}, builder.getF32Type());
  SmallVector<Type> results{vType};
  if (lse)
    results.push_back(lseType);

  auto func = func::FuncOp::create(
      builder, loc, name,
      builder.getFunctionType({qkType, qkType, vType}, results));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  Value q = body->getArgument(0), k = body->getArgument(1),
        v = body->getArgument(2);

  auto scoresType = mlir::attn::ScoresType::get(&context);
  Value scores = mlir::attn::ScoreOp::create(
      builder, loc, scoresType, q, k, /*gate=*/Value(),
      /*query_weights=*/Value(), /*key_weights=*/Value(),
      scale ? builder.getF64FloatAttr(*scale) : FloatAttr(),
      mlir::attn::FeatureMap::identity,
      layout == SpecLayout::BSHD ? mlir::attn::Layout::bshd
                                 : mlir::attn::Layout::bhsd);
  if (!masks.empty()) {
    Attribute mask = masks.size() == 1
                         ? masks.front()
                         : mlir::attn::AndAttr::get(&context, masks);
    scores = mlir::attn::MaskOp::create(builder, loc, scoresType, scores, mask,
                                        ValueRange());
  }
  mlir::attn::NormalizeKind kind = mlir::attn::NormalizeKind::softmax;
  switch (normalize) {
  case SpecNormalize::Softmax:
    break;
  case SpecNormalize::Sigmoid:
    kind = mlir::attn::NormalizeKind::sigmoid;
    break;
  case SpecNormalize::Relu:
    kind = mlir::attn::NormalizeKind::relu;
    break;
  case SpecNormalize::Relu2:
    kind = mlir::attn::NormalizeKind::relu2;
    break;
  }
  Value weights = mlir::attn::NormalizeOp::create(
      builder, loc, mlir::attn::WeightsType::get(&context), scores, kind,
      /*sinks=*/Value(), /*bias=*/FloatAttr(), /*power=*/FloatAttr());
  auto aggregate = mlir::attn::AggregateOp::create(
      builder, loc, vType, lse ? Type(lseType) : Type(), /*final_state=*/Type(),
      weights, v, /*initial_state=*/Value(),
      /*norm=*/mlir::attn::OutputNormAttr(), /*norm_eps=*/FloatAttr());
  SmallVector<Value> returned{aggregate.getOutput()};
  if (lse)
    returned.push_back(aggregate.getLse());
  func::ReturnOp::create(builder, loc, returned);
  return module;
}
