-- lbfgs_test.lua — m1d.optim.LBFGS follows torch.optim.LBFGS iterate by iterate: four
-- problems (Rosenbrock in 4-D and 3-D, a small softmax regression with a matrix and a
-- vector parameter), with and without the strong-Wolfe line search, a short history
-- (the oldest pair dropped), max_eval limits and several step() calls that carry the
-- history over.  Fixtures: tools/make_probe_fixtures.py (torch 1.13, float64).  Then the
-- stopping rules, float32, and bad input.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local util = m1d.util
local DIR = "tests/fixtures/probe/"
local values = util.read_json(DIR .. "values.json")
local function fixture(name) return m1d.load_npy(DIR .. name .. ".npy") end

local function rosenbrock(p)
  local x = p[1]
  local n = x:numel()
  local a, b = x:narrow(1, 1, n - 1), x:narrow(1, 2, n - 1)
  return ((b - a * a):pow(2) * 100 + (1 - a):pow(2)):sum()
end

local xs, ys = fixture("lbfgs_data_x"), fixture("lbfgs_data_y")
local function softmax_regression(p)
  local w, b = p[1], p[2]
  return m1d.cross_entropy(xs:matmul(w) + b, ys) + (w * w):sum() * 0.05
end

local CASES = {rosen_wolfe = rosenbrock, rosen_plain = rosenbrock,
               softmax_wolfe = softmax_regression, softmax_plain = softmax_regression}
local function max_rel_diff(a, b)
  return ((a - b):abs() / (b:abs() + 1e-3)):max():item()
end

for _, name in ipairs{"rosen_wolfe", "rosen_plain", "softmax_wolfe", "softmax_plain"} do
  local fn = CASES[name]
  local params = {}
  for i = 1, 2 do
    local f = io.open(DIR .. ("lbfgs_%s_init%d.npy"):format(name, i))
    if f then f:close(); params[i] = fixture(("lbfgs_%s_init%d"):format(name, i)):requires_grad() end
  end
  local opt = m1d.optim.LBFGS(params, values["lbfgs_" .. name .. "_options"])
  local closure = function()
    opt:zero_grad()
    local loss = fn(params)
    loss:backward()
    return loss
  end
  local want_p, want_loss = fixture("lbfgs_" .. name .. "_params"), fixture("lbfgs_" .. name .. "_loss")
  local want_evals, want_iter = fixture("lbfgs_" .. name .. "_func_evals"), fixture("lbfgs_" .. name .. "_n_iter")
  local worst_p, worst_l, counts_ok, detail = 0, 0, true, ""
  for s = 1, values["lbfgs_" .. name .. "_steps"] do
    local loss = opt:step(closure)
    local flat = m1d.cat{params[1]:detach():reshape(-1), params[2] and params[2]:detach():reshape(-1) or nil}
    worst_p = math.max(worst_p, max_rel_diff(flat, want_p:select(1, s)))
    worst_l = math.max(worst_l, math.abs(loss:item() - want_loss:getflat(s)) / (math.abs(want_loss:getflat(s)) + 1e-3))
    if opt.state.func_evals ~= want_evals:getflat(s) or opt.state.n_iter ~= want_iter:getflat(s) then
      counts_ok = false
      detail = detail .. ("step %d: func_evals %d (torch %d), n_iter %d (torch %d)\n"):format(s,
        opt.state.func_evals, want_evals:getflat(s), opt.state.n_iter, want_iter:getflat(s))
    end
  end
  T.ok(worst_p < 1e-9, ("%s: parameters after every step match torch.optim.LBFGS (worst rel. diff %.1e)")
       :format(name, worst_p))
  T.ok(worst_l < 1e-9, ("%s: the loss step() returns matches (worst rel. diff %.1e)"):format(name, worst_l))
  T.ok(counts_ok, name .. ": func_evals and n_iter match torch's after every step", detail)
end

-- 2-D Rosenbrock from (-1.2, 1) converges to (1, 1) with the line search (4-D has a local
-- minimum near (-0.78, 1, 1, 1)); a float32 run gets there too
for _, dtype in ipairs{"float64", "float32"} do
  local x = m1d.tensor({-1.2, 1}, dtype):requires_grad()
  local opt = m1d.optim.LBFGS({x}, {line_search_fn = "strong_wolfe", max_iter = 200,
                                    tolerance_grad = dtype == "float32" and 1e-4 or 1e-10,
                                    tolerance_change = dtype == "float32" and 1e-9 or 1e-20})
  opt:step(function() opt:zero_grad(); local l = rosenbrock{x}; l:backward(); return l end)
  local err = (x:detach() - 1):abs():max():item()
  T.ok(err < (dtype == "float32" and 1e-2 or 1e-6), ("%s Rosenbrock minimum reached (max |x - 1| = %.1e, %d evaluations)")
       :format(dtype, err, opt.state.func_evals))
  T.is(x:dtype(), dtype, dtype .. " parameters keep their dtype")
end

-- stopping: a zero gradient returns after one evaluation; max_eval bounds the evaluations
do
  local x = m1d.zeros(3, "float64"):requires_grad()
  local calls = 0
  local opt = m1d.optim.LBFGS({x})
  local loss = opt:step(function() calls = calls + 1; opt:zero_grad(); local l = (x * x):sum(); l:backward(); return l end)
  T.is(calls, 1, "a zero gradient (below tolerance_grad): one evaluation, no iteration")
  T.is(loss:item(), 0.0, "step returns the closure's first loss")
  local y = m1d.tensor({3, -2}, "float64"):requires_grad()
  calls = 0
  local opt2 = m1d.optim.LBFGS({y}, {max_iter = 100, max_eval = 7, lr = 0.01})
  opt2:step(function() calls = calls + 1; opt2:zero_grad(); local l = (y * y):sum(); l:backward(); return l end)
  T.is(calls, 7, "max_eval = 7 bounds the closure calls of one step")
  -- a closure returning a Lua number works as well
  local z = m1d.tensor({2}, "float64"):requires_grad()
  local opt3 = m1d.optim.LBFGS({z}, {line_search_fn = "strong_wolfe"})
  local first = opt3:step(function() opt3:zero_grad(); local l = (z * z):sum(); l:backward(); return l:item() end)
  T.ok(first == 4 and math.abs(z:item()) < 1e-6, "a closure may return the loss as a number")
  -- the closure runs with grad mode on even when step is called inside no_grad
  local w = m1d.tensor({1}, "float64"):requires_grad()
  local opt4 = m1d.optim.LBFGS({w}, {max_iter = 3})
  T.lives(function()
    m1d.no_grad(function() opt4:step(function() opt4:zero_grad(); local l = (w * w):sum(); l:backward(); return l end) end)
  end, "step inside no_grad: the closure still records its graph")
end

-- bad input
local p = {m1d.ones(2, "float64"):requires_grad()}
T.raises(function() m1d.optim.LBFGS(p, {line_search = "strong_wolfe"}) end, "unknown option",
         "optim.LBFGS: unknown option 'line_search'", "line_search_fn")
T.raises(function() m1d.optim.LBFGS(p, {line_search_fn = "armijo"}) end, "unknown line search",
         "line_search_fn must be nil or \"strong_wolfe\"")
T.raises(function() m1d.optim.LBFGS(p, {max_iter = 0}) end, "max_iter 0", "max_iter must be an integer >= 1")
T.raises(function() m1d.optim.LBFGS(p, {history_size = 2.5}) end, "history_size 2.5", "history_size must be an integer")
T.raises(function() m1d.optim.LBFGS(p, {lr = -1}) end, "negative lr", "lr must be a number > 0")
T.raises(function() m1d.optim.LBFGS(p, {tolerance_grad = 0 / 0}) end, "NaN tolerance", "tolerance_grad")
T.raises(function() m1d.optim.LBFGS({}) end, "no parameters", "non-empty list of parameter tensors")
T.raises(function() m1d.optim.LBFGS({m1d.ones(2), m1d.ones(2, "float64")}) end, "mixed dtypes", "share one dtype")
T.raises(function() m1d.optim.LBFGS(p):step() end, "step without a closure", "LBFGS:step: expects a closure")
T.raises(function() m1d.optim.LBFGS(p):step(function() return "x" end) end, "closure returning a string",
         "the closure must return the loss")
T.raises(function() m1d.optim.LBFGS(p):step(function() return p[1] * 1 end) end, "closure returning a vector",
         "a one-element tensor")
T.done()
