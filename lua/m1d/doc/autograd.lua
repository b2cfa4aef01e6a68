-- The reference: Autograd.  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Autograd", key = "autograd",
  intro = "Operations on float tensors that require gradients are recorded while grad mode " ..
          "is on (the default; `m1d.no_grad` turns it off); `loss:backward()` accumulates " ..
          "gradients into the leaves' `.grad`, and `m1d.grad` returns them instead. The " ..
          "ops are differentiable to any order: pass `create_graph = true` and differentiate " ..
          "the gradients again. A graph is freed as it is walked, so a second backward " ..
          "through it needs `retain_graph = true` the first time.",
  entries = {
    {"Tensor:requires_grad", "t:requires_grad([flag = true]) -> t",
     "Mark (or with false unmark) a leaf tensor so that operations on it are recorded " ..
     "and backward fills its `.grad`; returns t itself, so `m1d.randn(3):requires_grad()` " ..
     "makes a parameter. Only float32/float64 tensors can require grad (int64 raises); " ..
     "on a recorded result true is a no-op and false raises (use detach()). " ..
     "`t:requires_grad_()` is the same function; `t:is_requiring_grad()` reads the flag.",
     ex = [=[local w = m1d.zeros(2):requires_grad()
print(w:is_requiring_grad(), (w * 2):is_requiring_grad(), (w * 2):is_leaf())]=],
     out = "true\ttrue\tfalse"},
    {"Tensor:backward", "loss:backward([grad] [, {create_graph = false, retain_graph = create_graph}])",
     "Differentiate loss with respect to every leaf that requires grad and add the result " ..
     "to the leaf's `.grad` (gradients accumulate over calls: zero them between steps, " ..
     "e.g. opt:zero_grad()). loss must be a one-element tensor unless grad (a tensor of " ..
     "loss's shape, the upstream gradient) is given; loss must require grad. The graph " ..
     "is freed on the way unless retain_graph; with create_graph the gradients are " ..
     "recorded too (for gradients of gradients). Returns nothing.",
     ex = [=[local w = m1d.tensor{2}:requires_grad()
local loss = (w * w * 3):sum()
loss:backward({retain_graph = true}); print(w.grad)
loss:backward(); print(w.grad)]=],
     out = [=[tensor([12.0000], float32 [1])
tensor([24.0000], float32 [1])]=]},
    {"Tensor.grad", "t.grad -> Tensor | nil;  t.grad = g | nil",
     "The gradient accumulated into a leaf by backward (nil before the first backward, " ..
     "and always nil for non-leaf results). Each backward replaces it with a new tensor " ..
     "(old + new), so a gradient read earlier does not change; with create_graph it " ..
     "carries a graph. Assign nil to clear it, or a tensor of t's shape to set it (the " ..
     "dtype is not checked).",
     ex = [=[local w = m1d.ones(2):requires_grad()
print(w.grad);
(w * 3):sum():backward(); print(w.grad)
w.grad = nil; print(w.grad)]=],
     out = [=[nil
tensor([3.0000, 3.0000], float32 [2])
nil]=]},
    {"Tensor:detach", "t:detach() -> Tensor",
     "A view of t's data cut from the graph: it does not require grad and no gradient " ..
     "flows through it. It shares t's storage (writes to one show in the other); use " ..
     "`t:detach():clone()` for an independent copy.",
     ex = [=[local w = m1d.ones(2):requires_grad()
local d = w:detach()
print(d:is_requiring_grad(), d:storage_id() == w:storage_id())]=],
     out = "false\ttrue"},
    {"m1d.grad", "m1d.grad(outputs, inputs [, {create_graph = false, retain_graph = create_graph, grad_outputs = {...}}]) -> Tensor | {Tensors}",
     "The gradients of outputs (a tensor or a list) with respect to inputs (a tensor or a " ..
     "list), as torch.autograd.grad: new tensors, nothing accumulated into `.grad`. A " ..
     "single input gives a single tensor, a list a list. Outputs with more than one " ..
     "element need grad_outputs (one tensor per output, of its shape). Every output and " ..
     "every input must require grad (else an error); an input the outputs do not depend " ..
     "on gets zeros. An unknown option key raises (a misspelt create_graph would otherwise " ..
     "silently give first-order gradients). " ..
     "With create_graph the gradients are recorded, so they can be differentiated " ..
     "again (any order). The graph is freed unless retain_graph (which defaults to " ..
     "create_graph).",
     ex = [=[local x = m1d.tensor{1, 2, 3}:requires_grad()
local g = m1d.grad((x * x * x):sum(), {x}, {create_graph = true})[1]
print(g)
print(m1d.grad(g:sum(), x))]=],
     out = [=[tensor([ 3.0000, 12.0000, 27.0000], float32 [3], grad_fn)
tensor([ 6.0000, 12.0000, 18.0000], float32 [3])]=]},
    {"m1d.no_grad", "m1d.no_grad(fn, ...) -> fn(...)'s results",
     "Call fn(...) with grad mode off: nothing is recorded, results do not require grad " ..
     "(evaluation, optimizer updates). The previous mode is restored afterwards, also " ..
     "when fn raises (the error propagates).",
     ex = [=[local w = m1d.ones(2):requires_grad()
print(m1d.no_grad(function(a) return (a * 2):is_requiring_grad(), "done" end, w))]=],
     out = "false\tdone"},
    {"m1d.enable_grad", "m1d.enable_grad(fn, ...) -> fn(...)'s results",
     "Call fn(...) with grad mode on (inside no_grad, for instance), restoring the " ..
     "previous mode afterwards, also when fn raises.",
     ex = [=[local w = m1d.ones(2):requires_grad()
print(m1d.no_grad(function() return m1d.enable_grad(function() return (w * 2):is_requiring_grad() end) end))]=],
     out = [=[true]=]},
    {"m1d.set_grad_enabled", "m1d.set_grad_enabled(flag) -> previous",
     "Turn grad mode on or off globally (flag is read as a Lua boolean) and return the " ..
     "previous mode. Prefer no_grad/enable_grad, which restore it even on errors.",
     ex = [=[local prev = m1d.set_grad_enabled(false)
print(prev, m1d.is_grad_enabled())
m1d.set_grad_enabled(prev)]=],
     out = "true\tfalse"},
    {"m1d.is_grad_enabled", "m1d.is_grad_enabled() -> boolean",
     "Whether operations are being recorded (grad mode; true by default).",
     ex = [=[print(m1d.is_grad_enabled(), m1d.no_grad(m1d.is_grad_enabled))]=],
     out = "true\tfalse"},
    {"m1d.detect_anomaly", "m1d.detect_anomaly([flag]) -> previous",
     "Turn anomaly detection on or off and return the previous setting (without an " ..
     "argument, only return it). When on, an op that produces NaN or Inf raises an " ..
     "error naming the op (\"anomaly: log produced NaN ...\"), and so does a backward rule " ..
     "whose gradient has one (\"in the backward of sqrt: anomaly: rdiv produced Inf ...\"). Checked are the outputs " ..
     "of the elementwise ops (unary, binary, where), conv1d, cross_entropy and " ..
     "pointwise_mlp, and every gradient in backward; not matmul, linear, the " ..
     "reductions, gru, lstm or rnn. Off by default (it costs a pass over every checked output).",
     ex = [=[m1d.detect_anomaly(true)
local ok, err = pcall(function() return m1d.tensor{-1}:log() end)
print(ok, err:match("anomaly: .*"))
m1d.detect_anomaly(false)]=],
     out = "false\tanomaly: log produced NaN in its output of shape [1]"},
    {"m1d.checkpoint", "m1d.checkpoint(fn, ...) -> fn(...)'s tensors",
     "Gradient checkpointing: call fn(...) without keeping its graph, and call it again " ..
     "during backward to recompute what the gradient needs (memory for time: an " ..
     "unrolled loop checkpointed per segment keeps only the segment boundaries). fn " ..
     "must return float tensors of one dtype (one, several, or a list, at most 64; a " ..
     "list comes back as a list). Gradients flow only to the tensors passed as " ..
     "arguments (at most 64): a tensor fn reaches through an upvalue or a table gets " ..
     "no gradient, silently. fn must compute the same thing when called again: the random " ..
     "generator is replayed for it (as torch's preserve_rng_state), so Dropout draws the " ..
     "same masks and the caller's stream is left as after one run; other state fn " ..
     "changes (BatchNorm1d's running statistics) is changed twice. " ..
     "Higher orders work (create_graph). When no argument requires grad it is a plain " ..
     "call.",
     ex = [=[local x = m1d.tensor{1, 2, 3}:requires_grad()
local y = m1d.checkpoint(function(a) return a * a end, x)
y:sum():backward(); print(x.grad)]=],
     out = [=[tensor([2.0000, 4.0000, 6.0000], float32 [3])]=]},
    {"m1d.gradcheck", "m1d.gradcheck(fn, inputs [, opts]) -> ok, message",
     "Check fn's autograd gradient against central finite differences, in float64. " ..
     "inputs is a tensor or a list of fn's arguments; checked are its float64 tensors " ..
     "that require grad (else all float64 tensors; opts.wrt = {i, ...} picks), others " ..
     "(int64 labels, numbers) are passed through; a float32 input to check raises. fn " ..
     "must return a float64 tensor. Compares the gradient of sum(fn(...) * v) for a " ..
     "fixed random v (the full Jacobian for a one-element output), element by element: " ..
     "|analytical - numerical| <= atol + rtol |numerical|. Returns true and a summary, " ..
     "or false and a message naming the input, element and both values. opts: eps " ..
     "(1e-6), atol (1e-5), rtol (1e-3), seed, full_outputs (1), wrt, raise (error instead " ..
     "of false). The caller's tensors are not modified and m1d's random stream is not " ..
     "used. Also require(\"m1d.check\").gradcheck.",
     ex = [=[print((m1d.gradcheck(function(a, b) return (a * b):tanh():sum() end,
                   {m1d.randn(3, "float64"), m1d.randn(3, "float64")})))]=],
     out = [=[true]=]},
    {"m1d.gradgradcheck", "m1d.gradgradcheck(fn, inputs [, opts]) -> ok, message",
     "Check second derivatives: the gradient (taken with create_graph) of " ..
     "S = sum_i sum(grad_i * u_i), for random directions u_i and output direction v, is " ..
     "compared with central differences of S, both with respect to the inputs " ..
     "(Hessian-vector products) and to v (skipped with opts.skip_grad_outputs). Inputs, " ..
     "opts and the result as in gradcheck; true when fn does not depend on the inputs.",
     ex = [=[print((m1d.gradgradcheck(function(a) return a:pow(3) end, {m1d.randn(3, "float64")})))]=],
     out = [=[true]=]},
  },
}
