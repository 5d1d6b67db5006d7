// A spec function next to a plain helper function.

func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

func.func @spec(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
                %v: tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32> {
  %s = attn.score %q, %k : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  %w = attn.normalize %s softmax
  %o = attn.aggregate %w, %v : tensor<?x?x?x16xf32> -> tensor<?x?x?x16xf32>
  return %o : tensor<?x?x?x16xf32>
}
