//===- AttnDialect.td - The attn dialect -------------------*- tablegen -*-===//
//
// Part of the attn project.
//
//===----------------------------------------------------------------------===//
//
// The `attn` dialect describes an attention variant as a chain of primitives
// over an abstract score matrix that is never materialised. It knows nothing
// of any GPU target: lowering to NVVM or ROCDL lives elsewhere.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_ATTN_IR_ATTNDIALECT_TD
#define ATTN_DIALECT_ATTN_IR_ATTNDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Attention variants as score, mask, decay and normalize "
                "primitives";
  let description = [{
    A spec is a function whose body chains `attn.score`, any number of
    `attn.modify`, `attn.mask` and `attn.decay`, one `attn.normalize` and one
    `attn.aggregate`. The chain denotes, for every batch `b`, query head `h`,
    query row `i` and key row `j`, the weight `w_ij` and the output
    `o_i = sum_j w_ij v_j`; docs/semantics.md is the normative definition.

    ```mlir
    func.func @causal(%q: tensor<?x?x?x128xbf16>, %k: tensor<?x?x?x128xbf16>,
                      %v: tensor<?x?x?x128xbf16>) -> tensor<?x?x?x128xbf16> {
      %s = attn.score %q, %k : tensor<?x?x?x128xbf16>, tensor<?x?x?x128xbf16>
      %m = attn.mask %s, #attn.causal
      %w = attn.normalize %m softmax
      %o = attn.aggregate %w, %v : tensor<?x?x?x128xbf16> -> tensor<?x?x?x128xbf16>
      return %o : tensor<?x?x?x128xbf16>
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let useDefaultAttributePrinterParser = 1;
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 0;
  // Checks `attn.plan`, the spec's override of the compiler's plan.
  let hasOperationAttrVerify = 1;
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

class Attn_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Attn_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

class Attn_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Attn_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

#endif // ATTN_DIALECT_ATTN_IR_ATTNDIALECT_TD
