-- The reference: Autograd.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Autograd", key = "autograd",
  intro = "Operations on tensors that require gradients are recorded; `backward` and " ..
          "`m1d.grad` differentiate, to any order with `create_graph = true`.",
  entries = {
    {"Tensor:requires_grad", "t:requires_grad([flag = true]) -> t",
     "Mark a leaf tensor for gradients."},
    {"Tensor:backward", "loss:backward([grad] [, {create_graph = false}])",
     "Accumulate d loss / d leaf into each leaf's `.grad`."},
    {"Tensor.grad", "t.grad -> Tensor | nil",
     "The accumulated gradient of a leaf."},
    {"Tensor:detach", "t:detach() -> Tensor",
     "Same data, cut from the graph."},
    {"m1d.grad", "m1d.grad(y, {params} [, {create_graph = false, retain_graph = false}]) -> {grads}",
     "Gradients of the scalar y with respect to each tensor in params, as new tensors; " ..
     "with create_graph the gradients are recorded too (gradients of gradients)."},
    {"m1d.no_grad", "m1d.no_grad(fn, ...) -> results of fn",
     "Run fn without recording operations."},
    {"m1d.detect_anomaly", "m1d.detect_anomaly(flag)",
     "Check every op's result for NaN/Inf and name the op that produced it."},
  },
}
