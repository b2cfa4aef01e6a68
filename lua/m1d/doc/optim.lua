-- The reference: Optimizers (m1d.optim).  Entries: {name, signature, text, ex = example code, out =
-- what the example prints (checked by tests/lua/doc_test.lua), also = {other names}}.
return {
  title = "Optimizers (m1d.optim)", key = "optim",
  intro = "Two kinds, and L-BFGS. Optimizer objects (SGD, Adam, AdamW, RMSprop; torch.optim's formulas and " ..
          "defaults) update a list of parameter tensors in place from their `.grad` with " ..
          "`opt:step()`; their options are fields read at every step, so `opt.lr = 1e-3` " ..
          "schedules the learning rate. The functional steps (`sgd_step`, `rmsprop_step`, " ..
          "`adam_step`) return new tensors built from differentiable ops, so a loss after many " ..
          "steps can be differentiated with respect to hyperparameters (meta-learning). " ..
          "`optim.LBFGS` is torch.optim.LBFGS for full-batch problems (the linear probes of " ..
          "m1d.probe): it re-evaluates the loss through a closure, `opt:step(closure)`.",
  entries = {
    {"Optimizer", "opt = optim.SGD | Adam | AdamW | RMSprop(params, opts); opt:step(); opt:zero_grad()",
     "An optimizer object: fields `kind` (\"SGD\", ...), `params` (the list it updates), `t` " ..
     "(steps taken), `state` (per-parameter buffers: momentum, Adam's m and v) and one field " ..
     "per option (`opt.lr`, `opt.momentum`, `opt.betas`, ...). The options are read at each " ..
     "step, so assigning `opt.lr` changes the learning rate from the next step on; the step's " ..
     "kernel rejects a NaN, infinite or negative value then (\"sgd: lr must be a finite number " ..
     ">= 0\"), a non-number raises a bad-argument error. `help(opt)` lists the methods.",
     ex = [[local w = m1d.tensor{1, 2}:requires_grad()
local opt = m1d.optim.SGD({w}, {lr = 0.5})
opt.lr = 0.25; w.grad = m1d.ones(2); opt:step()
print(opt.kind, opt.t, w:totable()[1])]],
     out = "SGD\t1\t0.75"},
    {"m1d.optim.SGD", "optim.SGD(params [, {lr = 1e-2, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false}]) -> Optimizer",
     "Stochastic gradient descent as torch.optim.SGD: g = grad + weight_decay*p; with momentum " ..
     "b = momentum*b + (1 - dampening)*g (b = g on the first step), g = b (or g + momentum*b with " ..
     "nesterov); p = p - lr*g. params: a non-empty list of tensors (model:parameters()). " ..
     "Raises an error for an unknown option, a negative or NaN lr/momentum/weight_decay, or a " ..
     "non-boolean nesterov.",
     ex = [[local w = m1d.tensor{1, 2}:requires_grad()
local opt = m1d.optim.SGD({w}, {lr = 0.1, momentum = 0.9})
for _ = 1, 2 do w.grad = m1d.ones(2); opt:step() end
print(("%.2f"):format(w:totable()[1]))]],
     out = "0.71"},
    {"m1d.optim.Adam", "optim.Adam(params [, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 0}]) -> Optimizer",
     "Adam as torch.optim.Adam (bias-corrected moments; weight_decay adds weight_decay*p to the " ..
     "gradient, L2 style). betas must be a table of two numbers in [0, 1); lr, eps, " ..
     "weight_decay >= 0; unknown options raise an error. The default of train.fit.",
     ex = [[local w = m1d.tensor{1, 2}:requires_grad()
local opt = m1d.optim.Adam({w}, {lr = 0.1})
w.grad = m1d.tensor{1, -1}; opt:step()
print(w)]],
     out = "tensor([0.9000, 2.1000], float32 [2], requires_grad)"},
    {"m1d.optim.AdamW", "optim.AdamW(params [, {lr = 1e-3, betas = {0.9, 0.999}, eps = 1e-8, weight_decay = 1e-2}]) -> Optimizer",
     "Adam with decoupled weight decay (torch.optim.AdamW): p = p*(1 - lr*weight_decay) before " ..
     "the Adam update. Note the default weight_decay 1e-2 (Adam's is 0). Options checked as Adam.",
     ex = [[local w = m1d.tensor{1}:requires_grad()
local opt = m1d.optim.AdamW({w}, {lr = 0.1})
w.grad = m1d.ones(1); opt:step()
print(("%.3f"):format(w:item()))]],
     out = "0.899"},
    {"m1d.optim.RMSprop", "optim.RMSprop(params [, {lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0}]) -> Optimizer",
     "RMSprop as torch.optim.RMSprop (no momentum, not centered): s = alpha*s + (1 - alpha)*g^2 " ..
     "from s = 0; p = p - lr*g/(sqrt(s) + eps). Negative options and unknown options raise an " ..
     "error.",
     ex = [[local w = m1d.tensor{1}:requires_grad()
local opt = m1d.optim.RMSprop({w}, {lr = 0.01})
w.grad = m1d.ones(1); opt:step()
print(("%.2f"):format(w:item()))]],
     out = "0.90"},
    {"m1d.optim.make", "optim.make(name, params [, opts]) -> Optimizer",
     "An optimizer by name, case-insensitive: \"sgd\", \"adam\", \"adamw\" or \"rmsprop\" " ..
     "(what train.fit's `optimizer =` takes). Another name raises \"unknown optimizer\".",
     ex = [[print(m1d.optim.make("AdamW", m1d.nn.Linear(2, 1):parameters(), {lr = 1e-2}).kind)]],
     out = "AdamW"},
    {"Optimizer:step", "opt:step()",
     "One update, in place and without recording a graph, of every parameter whose `.grad` is " ..
     "set (parameters without a gradient are skipped); reads the current option fields " ..
     "(`opt.lr`, ...) and increments `opt.t` (also when the update then raises an error). " ..
     "Gradients must match their parameter's dtype and shape; int64 parameters are rejected. " ..
     "Does not clear the gradients.",
     ex = [[local w = m1d.tensor{3}:requires_grad()
local opt = m1d.optim.SGD({w}, {lr = 0.5})
w:pow(2):sum():backward(); opt:step()
print(w:item(), opt.t)]],
     out = "0.0\t1"},
    {"Optimizer:zero_grad", "opt:zero_grad()",
     "Set `.grad` of every parameter in the optimizer's list to nil; call it before each " ..
     "backward, since gradients accumulate.",
     ex = [[local w = m1d.tensor{3}:requires_grad()
local opt = m1d.optim.SGD({w}, {lr = 0.5})
w:pow(2):sum():backward(); opt:zero_grad()
print(w.grad)]],
     out = "nil"},
    {"m1d.optim.LBFGS", "optim.LBFGS(params [, {lr = 1, max_iter = 20, max_eval = max_iter*5//4, tolerance_grad = 1e-7, tolerance_change = 1e-9, history_size = 100, line_search_fn = nil | \"strong_wolfe\"}]) -> LBFGS",
     "L-BFGS as torch.optim.LBFGS (1.13), ported line by line: the same options and " ..
     "defaults, two-loop recursion over the last history_size pairs (a pair is kept only " ..
     "when y.s > 1e-10), first step length min(1, 1/|g|_1) * lr then lr, and with " ..
     "line_search_fn = \"strong_wolfe\" torch's strong-Wolfe search (cubic interpolation, " ..
     "c1 = 1e-4, c2 = 0.9, at most 25 evaluations). Its iterates follow PyTorch's to ~1e-13 " ..
     "(tests/lua/lbfgs_test.lua). Unlike the other optimizers it is driven by a closure, " ..
     "`opt:step(closure)`, and so is not in optim.make nor usable by train.fit. The object " ..
     "has `params`, `t` (step calls), the options as fields and `state` (func_evals and " ..
     "n_iter counted over all step calls, and the history, which carries over from one " ..
     "step call to the next). All parameters must be float and of one dtype; the scalars " ..
     "of the method are Lua numbers (PyTorch keeps them as tensors of the parameters' " ..
     "dtype: the same in float64). Integral floats are accepted for the integer options; " ..
     "an unknown option, lr <= 0, a negative or NaN tolerance or another line search raise " ..
     "an error.",
     ex = [[local x = m1d.tensor({-1.2, 1}, "float64"):requires_grad()
local opt = m1d.optim.LBFGS({x}, {line_search_fn = "strong_wolfe", max_iter = 100})
opt:step(function()
  opt:zero_grad()
  local a, b = x:narrow(1, 1, 1), x:narrow(1, 2, 1)
  local loss = ((b - a * a):pow(2) * 100 + (1 - a):pow(2)):sum()   -- Rosenbrock
  loss:backward()
  return loss
end)
print(("%.4f %.4f"):format(x:getflat(1), x:getflat(2)), opt.state.n_iter <= 100)]],
     out = "1.0000 1.0000\ttrue"},
    {"LBFGS:step", "opt:step(closure) -> the closure's first loss",
     "Up to max_iter L-BFGS iterations (and max_eval closure calls) from the current " ..
     "parameters, updating them in place. closure() must re-evaluate the model: zero the " ..
     "gradients (opt:zero_grad()), compute the loss, call backward and return the loss (a " ..
     "one-element tensor or a number); it is called with grad mode on, also when step is " ..
     "called inside no_grad. Stops early as torch does: the gradient's largest element <= " ..
     "tolerance_grad (checked first, so a stationary start costs one call), a direction " ..
     "that does not descend, a step or loss change below tolerance_change. Returns what the " ..
     "first closure call returned. A missing closure or a closure returning anything else " ..
     "raises an error.",
     ex = [[local w = m1d.tensor({3, -1}, "float64"):requires_grad()
local opt = m1d.optim.LBFGS({w})
local calls = 0
local first = opt:step(function()
  calls = calls + 1; opt:zero_grad()
  local loss = ((w - 1) * (w - 1)):sum(); loss:backward(); return loss
end)
print(first:item(), ("%.6f %.6f"):format(w:getflat(1), w:getflat(2)), calls)]],
     out = "8.0\t1.000000 1.000000\t3"},
    {"LBFGS:zero_grad", "opt:zero_grad()",
     "Set `.grad` of every parameter to nil; call it at the start of the closure, since " ..
     "gradients accumulate.",
     ex = [[local w = m1d.tensor({1}, "float64"):requires_grad()
local opt = m1d.optim.LBFGS({w})
local loss = (w * w):sum(); loss:backward(); opt:zero_grad()
print(w.grad)]],
     out = "nil"},
    {"m1d.optim.sgd_step", "optim.sgd_step(params, grads, lr) -> {Tensor, ...}",
     "Functional SGD: new tensors p - lr*g for each pair (params and grads lists of equal " ..
     "length, else an error). lr is a number or a tensor that may require grad, so the result " ..
     "is differentiable with respect to params, grads (take grads with create_graph = true) " ..
     "and lr. Nothing is modified in place.",
     ex = [[local lr = m1d.tensor(0.5):requires_grad()
local new = m1d.optim.sgd_step({m1d.tensor{1, 2}}, {m1d.tensor{1, 1}}, lr)
print(new[1], m1d.grad(new[1]:sum(), {lr})[1]:item())]],
     out = "tensor([0.5000, 1.5000], float32 [2], grad_fn)\t-2.0"},
    {"m1d.optim.rmsprop_step", "optim.rmsprop_step(params, grads [, state [, {lr = 1e-2, mu = 0.99 (or alpha), eps = 1e-8, init = 0}]]) -> new_params, new_state",
     "Functional, differentiable RMSprop: sq' = mu*sq + (1 - mu)*g^2; p' = p - lr*g/(sqrt(sq') " ..
     "+ eps). state is {sq = {...}} as a previous call returned it, or nil to start every sq at " ..
     "`init` (0 like torch, 1 like the paper's meta-learning notebook). lr, mu, eps may be " ..
     "tensors requiring grad.",
     ex = [[local p, st = m1d.optim.rmsprop_step({m1d.tensor{1}}, {m1d.tensor{1}}, nil, {lr = 0.1, init = 1})
print(("%.4f %.2f"):format(p[1]:item(), st.sq[1]:item()))]],
     out = "0.9000 1.00"},
    {"m1d.optim.adam_step", "optim.adam_step(params, grads [, state [, {lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8}]]) -> new_params, new_state",
     "Functional, differentiable Adam with bias correction (torch's formula). state is {m = " ..
     "{...}, v = {...}, step = integer} as the previous call returned it (nil: zeros, step 0); " ..
     "a malformed state raises an error. Note the options are beta1/beta2 here, not betas.",
     ex = [[local p, st = m1d.optim.adam_step({m1d.tensor{1}}, {m1d.tensor{2}}, nil, {lr = 0.1})
print(("%.2f"):format(p[1]:item()), st.step)]],
     out = "0.90\t1"},
  },
}
