-- gradcheck_test.lua — first- and second-order gradient checks for every op, in float64,
-- against central differences (m1d.check), plus shape errors that name both shapes.
-- Inputs are kept away from kinks: relu/abs/elu/clamp/max inputs are at least 0.1 away
-- from the switch point, and pooling windows hold distinct values.
local T = dofile("tests/lua/tap.lua")
local m1d = require "m1d"
local check = require "m1d.check"

m1d.manual_seed(7)
local F = "float64"

-- (a vararg followed by another argument is cut to one value: pass the shape as a table)
local function randn(...) return m1d.randn({...}, F) end
-- values in [lo, hi]
local function uniform(lo, hi, ...) return m1d.rand({...}, F) * (hi - lo) + lo end
-- normals pushed at least `gap` away from c (both sides stay populated)
local function away(t, c, gap)
  c, gap = c or 0, gap or 0.1
  for i = 1, t:numel() do
    local v = t:getflat(i)
    if math.abs(v - c) < gap then t:setflat(i, v < c and c - gap - 0.05 or c + gap + 0.05) end
  end
  return t
end
local function long(tbl) return m1d.tensor(tbl, "int64") end

-- fn checked to first and second order; opts go to both checks
local both = T.grad_orders

-- ---------------------------------------------------------------- the checker itself

do
  local x = randn(3, 4)
  local ok, msg = check.gradcheck(function(a) return a * a:detach() end, {x})
  T.ok(not ok and msg:find("input 1", 1, true) and msg:find("analytical", 1, true)
       and msg:find("numerical", 1, true), "gradcheck catches a wrong gradient and names it", msg)
  ok, msg = check.gradgradcheck(function(a) return (a * a:detach()) * a end, {x})
  T.ok(not ok and msg:find("input 1", 1, true), "gradgradcheck catches a wrong second order", msg)
  local before = x:totable()
  check.gradcheck(function(a) return a:tanh() end, {x})
  T.ok(x:getflat(5) == before[2][1] and not x:is_requiring_grad(), "the caller's input is untouched")
  T.raises(function() check.gradcheck(function(a) return a end, {m1d.randn(2)}) end,
           "float32 inputs are refused", "float64")
  T.raises(function() check.gradcheck(function(a) return a, 1 end, {x}, {raise = true, atol = -1}) end,
           "raise = true turns a failure into an error", "gradcheck: input 1")
  local y = randn(2)
  m1d.manual_seed(99)
  local r1 = m1d.rand(1):item()
  m1d.manual_seed(99)
  check.gradcheck(function(a) return a:exp() end, {y})
  check.gradgradcheck(function(a) return a:exp() end, {y})
  T.is(m1d.rand(1):item(), r1, "the checks leave m1d's global random stream alone")
  m1d.manual_seed(7)
end

-- ---------------------------------------------------------------- the engine

do   -- an input listed twice gets its gradient at both positions, as in torch.autograd.grad
  local x = m1d.tensor({1, 2, 3}, F):requires_grad()
  local g = m1d.grad((x * x):sum(), {x, x})
  T.ok(g[1]:getflat(3) == 6 and g[2]:getflat(3) == 6, "grad: a leaf listed twice", tostring(g[2]))
  local h = x:exp()
  g = m1d.grad((h * h):sum(), {h, x, h})
  T.ok(g[1]:getflat(1) == g[3]:getflat(1) and g[1]:getflat(1) > 0, "grad: a non-leaf listed twice",
       tostring(g[1]) .. " " .. tostring(g[3]))
end

do   -- mixed float32/float64 operands: the result promotes, each gradient keeps its input's dtype
  local a, b = m1d.randn(3, 4):requires_grad(), m1d.randn(3, 4, F):requires_grad()
  local a1, b1 = m1d.randn(1, 4):requires_grad(), m1d.randn(2, 4, F):requires_grad()
  local idx2, idx1 = long({1, 3}), long({{1, 3, 2, 1}})
  local cases = {
    {"add", function() return a + b end, {a, b}},
    {"mul", function() return a * b end, {a, b}},
    {"cat", function() return m1d.cat({a, b}, 1) end, {a, b}},
    {"where", function() return m1d.where(m1d.ones(3, 4), a, b) end, {a, b}},
    {"index_add", function() return a:index_add(1, idx2, b1) end, {a, b1}},
    {"scatter_add", function() return b:scatter_add(1, idx1, a1) end, {b, a1}},
  }
  for _, c in ipairs(cases) do
    local g = m1d.grad(c[2]():sum(), c[3])
    T.ok(g[1]:dtype() == c[3][1]:dtype() and g[2]:dtype() == c[3][2]:dtype(),
         c[1] .. " of float32 and float64: gradients keep each input's dtype",
         g[1]:dtype() .. " " .. g[2]:dtype())
  end
end

-- ---------------------------------------------------------------- binary, with broadcasting

local a34, b4, c31, d14 = randn(3, 4), randn(4), randn(3, 1), randn(1, 4)
local a234 = randn(2, 3, 4)
local one = randn(1)
local pos34, pos4 = uniform(0.5, 2, 3, 4), uniform(0.5, 2, 4)

both("add [3,4]+[4]", function(a, b) return a + b end, {a34, b4})
both("add [3,1]+[1,4]", function(a, b) return a + b end, {c31, d14})
both("add [2,3,4]+[3,1]", function(a, b) return a:add(b) end, {a234, c31})
both("add tensor+number, number+tensor", function(a) return (a + 2) + (3 + a) end, {a34})
both("sub [2,3,4]-[3,1]", function(a, b) return a - b end, {a234, c31})
both("sub [1,4]-[3,1]", function(a, b) return a:sub(b) end, {d14, c31})
both("sub number forms", function(a) return (a - 1.5) * (1 - a) end, {a34})
both("mul [3,4]*[3,1]", function(a, b) return a * b end, {a34, c31})
both("mul by a one-element tensor", function(a, b) return a * b end, {a34, one})
both("mul [3,1]*[1,4]", function(a, b) return a:mul(b) end, {c31, d14})
both("mul number forms", function(a) return 3 * a * -0.5 end, {a34})
both("div [3,4]/[4]", function(a, b) return a / b end, {a34, pos4})
both("div [4]/[3,4]", function(a, b) return a:div(b) end, {b4, pos34})
both("div by a number", function(a) return a / 3 end, {a34})
both("div number/tensor (rdiv)", function(a) return 2 / a end, {pos34})
both("pow tensor^tensor", function(a, b) return a ^ b end, {pos34, randn(3, 4)})
both("pow tensor^tensor broadcast [3,4]^[4]", function(a, b) return a:pow(b) end, {pos34, b4})
both("pow number^tensor (rpow)", function(a) return 2.5 ^ a end, {a34})
both("pow x^2.5", function(a) return a ^ 2.5 end, {pos34})
both("pow x^3, negative bases", function(a) return a ^ 3 end, {a34})
both("pow x^2", function(a) return a:pow(2) end, {a34})
both("pow x^-2", function(a) return a ^ -2 end, {away(randn(3, 4), 0, 0.4)})
both("pow x^0.5", function(a) return a ^ 0.5 end, {pos34})
both("pow x^1 and x^0", function(a) return a ^ 1 + a ^ 0 end, {a34})
do   -- a ^ b at a = 0: d/da is 0 where b = 0, d/db is 0 where b > 0 (as torch; not 0 * Inf = NaN)
  local a = m1d.tensor({0, 0, 0, 2}, F):requires_grad()
  local b = m1d.tensor({0, 3, 0.5, 2}, F):requires_grad()
  local g = m1d.grad((a ^ b):sum(), {a, b})
  T.ok(g[1]:getflat(1) == 0 and g[1]:getflat(2) == 0 and g[1]:getflat(3) == math.huge and g[1]:getflat(4) == 4,
       "pow tensor^tensor: d/dbase at base 0", tostring(g[1]))
  T.ok(g[2]:getflat(1) == 0 and g[2]:getflat(2) == 0 and g[2]:getflat(3) == 0
       and math.abs(g[2]:getflat(4) - 4 * math.log(2)) < 1e-15,
       "pow tensor^tensor: d/dexponent at base 0", tostring(g[2]))
end
local ma, mb = randn(3, 4), randn(3, 4)
for i = 1, 12 do   -- keep |a - b| >= 0.1
  if math.abs(ma:getflat(i) - mb:getflat(i)) < 0.1 then mb:setflat(i, ma:getflat(i) + 0.3) end
end
both("maximum", function(a, b) return m1d.maximum(a, b) end, {ma, mb})
both("minimum", function(a, b) return a:minimum(b) end, {ma, mb})
both("maximum broadcast [3,4],[4]", function(a, b) return a:maximum(b) end,
     {away(randn(3, 4), 0), m1d.zeros(4, F) + 0.0})
both("maximum with a number", function(a) return a:maximum(0.3) end, {away(randn(3, 4), 0.3)})
both("minimum with a number", function(a) return a:minimum(-0.2) end, {away(randn(3, 4), -0.2)})

-- ---------------------------------------------------------------- unary

local kinked = away(randn(3, 5))
both("neg", function(a) return -a end, {a34})
both("neg method", function(a) return a:neg() end, {a34})
both("exp", function(a) return a:exp() end, {a34})
both("log", function(a) return a:log() end, {pos34})
both("tanh", function(a) return a:tanh() end, {a34})
both("sigmoid", function(a) return a:sigmoid() end, {a34})
both("relu", function(a) return a:relu() end, {kinked})
both("elu", function(a) return a:elu() end, {kinked})
both("elu alpha 0.7", function(a) return a:elu(0.7) end, {kinked})
both("softplus", function(a) return a:softplus() end, {randn(3, 5) * 3})
both("softplus beta 2 threshold 1 (both branches)", function(a) return a:softplus(2, 1) end,
     {away(randn(3, 5), 0.5)})
both("silu", function(a) return a:silu() end, {randn(3, 5) * 2})
both("gelu", function(a) return a:gelu() end, {randn(3, 5) * 2})
both("sqrt", function(a) return a:sqrt() end, {uniform(0.5, 2, 3, 5)})
both("abs", function(a) return a:abs() end, {kinked})
both("erf", function(a) return a:erf() end, {randn(3, 5)})
both("clamp", function(a) return a:clamp(-0.5, 0.5) end,
     {away(away(randn(3, 5), 0.5), -0.5)})
both("clamp min only", function(a) return a:clamp(-0.3) end, {away(randn(3, 5), -0.3)})
both("sign has no gradient", function(a) return a:sign() * 1.0 end, {kinked})

-- ---------------------------------------------------------------- reductions

local r345 = randn(3, 4, 5)
both("sum all", function(a) return a:sum() end, {r345})
both("sum dim 2", function(a) return a:sum(2) end, {r345})
both("sum dim 1 keepdim", function(a) return a:sum(1, true) end, {r345})
both("sum dim -1", function(a) return a:sum(-1) end, {r345})
both("mean all", function(a) return a:mean() end, {r345})
both("mean dim 3", function(a) return a:mean(3) end, {r345})
both("mean dim 1 keepdim", function(a) return a:mean(1, true) end, {r345})
both("var all", function(a) return a:var() end, {r345})
both("var dim 2", function(a) return a:var(2) end, {r345})
both("var dim 3 keepdim biased", function(a) return a:var(3, true, false) end, {r345})
both("std all", function(a) return a:std() end, {r345})
both("std dim 1", function(a) return a:std(1) end, {r345})
both("max over dim 2", function(a) return (a:max(2)) end, {r345})
both("max over dim 3 keepdim", function(a) return (a:max(3, true)) end, {r345})
both("min over dim 1", function(a) return (a:min(1)) end, {r345})
both("max all", function(a) return a:max() end, {r345})
both("min all", function(a) return a:min() end, {r345})
-- (first order only: at a constant row std has a kink, like |x| at 0, so no second derivative)
T.ok(check.gradcheck(function(a) return a:std(2) end, {m1d.cat({r345:select(1, 1), m1d.full({1, 5}, 0.7, "float64")}, 1)}),
     "std dim 2 with a constant row: gradient (0 there, as PyTorch)")
do  -- where the standard deviation is 0 its gradient is 0 (PyTorch), per dim and over all
  local x = m1d.tensor({{1, 2, 3.5}, {2, 2, 2}}, "float64"):requires_grad()
  local g = m1d.grad(x:std(2):sum(), {x})[1]
  T.ok(g[2]:eq(0):sum():item() == 3 and g[1]:ne(g[1]):sum():item() == 0,
       "std(2): gradient 0 in the constant row, finite elsewhere", tostring(g))
  local c = m1d.full({4}, 2.0, "float64"):requires_grad()
  T.is(m1d.grad(c:std(), {c})[1]:abs():sum():item(), 0, "std() of a constant: gradient 0, not NaN")
end
both("logsumexp dim 2", function(a) return a:logsumexp(2) end, {r345})
both("logsumexp dim 3 keepdim", function(a) return a:logsumexp(3, true) end, {r345 * 3})
both("log_softmax (last dim)", function(a) return a:log_softmax() end, {r345})
both("log_softmax dim 2", function(a) return a:log_softmax(2) end, {r345})
both("softmax dim 3", function(a) return a:softmax(3) end, {r345})
both("softmax dim 1", function(a) return a:softmax(1) end, {r345})

-- ---------------------------------------------------------------- linear algebra

both("matmul 2-D", function(a, b) return a:matmul(b) end, {randn(3, 4), randn(4, 5)})
both("matmul batched", function(a, b) return a:matmul(b) end, {randn(2, 3, 4), randn(2, 4, 5)})
both("matmul batched @ 2-D", function(a, b) return m1d.matmul(a, b) end, {randn(2, 3, 4), randn(4, 5)})
both("matmul 2-D @ batched", function(a, b) return a:matmul(b) end, {randn(3, 4), randn(2, 4, 2)})
both("matmul batch broadcast [2,1,3,4]@[3,4,2]", function(a, b) return a:matmul(b) end,
     {randn(2, 1, 3, 4), randn(3, 4, 2)})
both("matmul of transposed views", function(a, b) return a:t():matmul(b:t()) end,
     {randn(4, 3), randn(5, 4)})
both("linear with bias", function(x, w, b) return m1d.linear(x, w, b) end,
     {randn(4, 7), randn(5, 7), randn(5)})
both("linear without bias", function(x, w) return m1d.linear(x, w) end, {randn(4, 7), randn(5, 7)})
both("linear on [2,3,7]", function(x, w, b) return m1d.linear(x, w, b) end,
     {randn(2, 3, 7), randn(5, 7), randn(5)})
both("linear tanh linear", function(x, w1, w2) return m1d.linear(m1d.linear(x, w1):tanh(), w2) end,
     {randn(3, 4), randn(5, 4), randn(2, 5)})

-- ---------------------------------------------------------------- shape and indexing

local s234 = randn(2, 3, 4)
both("reshape", function(a) return a:reshape(4, 6) end, {s234})
both("reshape with -1 and a table", function(a) return a:reshape({-1, 2}) end, {s234})
both("reshape after transpose", function(a) return a:transpose(1, 2):reshape(12) end, {randn(3, 4)})
both("view", function(a) return a:view(6, 4) end, {s234})
both("flatten", function(a) return a:flatten(2) end, {s234})
both("narrow dim 2", function(a) return a:narrow(2, 2, 2) end, {s234})
both("narrow dim 3 then square", function(a) return a:narrow(3, 1, 3) ^ 2 end, {s234})
both("select", function(a) return a:select(2, 3) end, {s234})
both("select -1", function(a) return a:select(3, -1) * a:select(3, 1) end, {s234})
both("index a row (__index)", function(a) return a[2] * 2 end, {s234})
both("transpose", function(a) return a:transpose(1, 3) end, {s234})
both("t", function(a) return a:t() end, {randn(3, 5)})
both("permute", function(a) return a:permute(3, 1, 2) end, {s234})
both("permute with a table, then contiguous", function(a) return a:permute({2, 3, 1}):contiguous() end,
     {s234})
both("expand", function(a) return a:expand(2, 3, 4) end, {randn(3, 1)})
both("expand with -1", function(a) return a:expand(-1, 5) * a:expand(3, 5) end, {randn(3, 1)})
both("unsqueeze", function(a) return a:unsqueeze(2) end, {s234})
both("squeeze dim", function(a) return a:squeeze(2) end, {randn(3, 1, 4)})
both("squeeze all", function(a) return a:squeeze() end, {randn(1, 3, 1, 4)})
both("clone", function(a) return a:clone() * a end, {s234})
both("cat dim 1", function(a, b) return m1d.cat({a, b}, 1) end, {randn(2, 3), randn(4, 3)})
both("cat dim 2 of three", function(a, b, c) return m1d.cat({a, b, c}, 2) end,
     {randn(2, 3), randn(2, 1), randn(2, 5)})
both("cat of a tensor with itself", function(a) return m1d.cat({a, a * a}, 1) end, {randn(2, 3)})
both("stack dim 1", function(a, b) return m1d.stack({a, b}) end, {randn(2, 3), randn(2, 3)})
both("stack dim 3", function(a, b) return m1d.stack({a, b}, 3) end, {randn(2, 3), randn(2, 3)})
both("index_select with repeats", function(a) return a:index_select(2, long({3, 1, 3, 4})) end,
     {randn(2, 4, 3)})
both("index_select dim 1", function(a) return a:index_select(1, long({2, 2, 1})) end, {randn(3, 4)})
both("gather", function(a) return a:gather(2, long({{1, 3}, {2, 2}, {4, 1}})) end, {randn(3, 4)})
both("gather dim 1", function(a) return a:gather(1, long({{3, 1, 2, 2}})) end, {randn(3, 4)})
both("scatter_add (base and source)",
     function(b, s) return b:scatter_add(2, long({{1, 3}, {2, 2}, {4, 1}}), s) end,
     {randn(3, 4), randn(3, 2)})
both("scatter_add then square",
     function(b, s) return b:scatter_add(1, long({{3, 1, 2, 3}}), s) ^ 2 end,
     {randn(3, 4), randn(1, 4)})
both("index_add (base and source)",
     function(b, s) return b:index_add(1, long({3, 1, 3}), s) end, {randn(4, 2), randn(3, 2)})
both("index_add dim 2 then tanh",
     function(b, s) return b:index_add(2, long({2, 2}), s):tanh() end, {randn(3, 4), randn(3, 2)})
both("flip", function(a) return a:flip(2) end, {s234})
both("flip then product", function(a) return a:flip(1) * a end, {randn(4, 3)})
local mask = m1d.tensor({{1, 0, 0, 1}, {0, 1, 1, 0}, {1, 1, 0, 0}}, F)
both("where", function(m, a, b) return m1d.where(m, a, b) end, {mask, randn(3, 4), randn(3, 4)},
     {wrt = {2, 3}})
both("where with broadcasting and products", function(m, a, b) return m1d.where(m, a * a, b) end,
     {mask, randn(3, 4), randn(4)}, {wrt = {2, 3}})
do   -- the branch not taken must not leak: where(x > 0, log(x), x) is finite everywhere
  local x = away(randn(3, 4))
  local y = m1d.where(x:gt(0), x:log(), x)
  local finite = true
  for i = 1, 12 do local v = y:getflat(i); finite = finite and v == v and math.abs(v) < math.huge end
  T.ok(finite, "where: NaN/Inf in the branch not taken stays out of the result", tostring(y))
  both("where(x > 0, log x, x)", function(a) return m1d.where(a:gt(0), a:log(), a) end, {x})
end

-- ---------------------------------------------------------------- losses

local labels = long({0, 3, 1, 1, 4, 2})
both("cross_entropy", function(x, y) return m1d.cross_entropy(x, y) end, {randn(6, 5), labels})
both("cross_entropy of large logits", function(x, y) return m1d.cross_entropy(x * 10, y) end,
     {randn(6, 5), labels}, {atol = 1e-4})
both("nll of log_softmax", function(x, y) return m1d.nll(x:log_softmax(2), y) end, {randn(6, 5), labels})
both("nll of raw inputs", function(x, y) return m1d.nll(x, y) * m1d.nll(x, y) end, {randn(6, 5), labels})
both("mse (both sides)", function(a, b) return m1d.mse(a, b) end, {randn(4, 3), randn(4, 3)})
both("mse then sqrt", function(a, b) return m1d.mse(a, b):sqrt() end, {randn(4, 3), randn(4, 3)})

-- ---------------------------------------------------------------- conv, pools, unfold

both("conv1d stride 1 pad 0", function(x, w, b) return m1d.conv1d(x, w, b) end,
     {randn(2, 3, 8), randn(4, 3, 3), randn(4)})
both("conv1d stride 2 pad 1", function(x, w, b) return m1d.conv1d(x, w, b, 2, 1) end,
     {randn(2, 3, 9), randn(2, 3, 3), randn(2)})
both("conv1d stride 3 pad 2, no bias", function(x, w) return m1d.conv1d(x, w, nil, 3, 2) end,
     {randn(2, 2, 10), randn(3, 2, 4)})
both("conv1d 1 channel k 5 stride 2 pad 1", function(x, w, b) return m1d.conv1d(x, w, b, 2, 1) end,
     {randn(2, 1, 12), randn(3, 1, 5), randn(3)})
both("conv1d then tanh", function(x, w, b) return m1d.conv1d(x, w, b, 1, 1):tanh() end,
     {randn(1, 2, 6), randn(2, 2, 3), randn(2)})
-- distinct window values: a shuffled ramp with noise far smaller than the gaps
local function distinct(...)
  local t = randn(...)
  local n = t:numel()
  local perm = m1d.randperm(n)
  for i = 1, n do t:setflat(i, (perm:getflat(i) - n / 2) * 0.25) end
  return t
end
both("max_pool1d k 2", function(x) return m1d.max_pool1d(x, 2) end, {distinct(2, 3, 9)})
both("max_pool1d k 3 stride 2 (overlapping)", function(x) return m1d.max_pool1d(x, 3, 2) end,
     {distinct(2, 2, 9)})
both("avg_pool1d k 2", function(x) return m1d.avg_pool1d(x, 2) end, {randn(2, 3, 9)})
both("avg_pool1d k 3 stride 1", function(x) return m1d.avg_pool1d(x, 3, 1) end, {randn(2, 2, 7)})
both("lp_pool1d p 2 k 2", function(x) return m1d.lp_pool1d(x, 2, 2) end, {randn(2, 3, 9)})
both("lp_pool1d p 3 k 3 stride 2", function(x) return m1d.lp_pool1d(x, 3, 3, 2) end,
     {uniform(0.5, 2, 2, 2, 9)})
both("lp_pool1d p 1.5", function(x) return m1d.lp_pool1d(x, 1.5, 2, 2) end,
     {uniform(0.5, 2, 1, 2, 6)})
do  -- a window of zeros (ReLU output) has gradient 0 as in torch, not 0 * inf = NaN
  local x = m1d.tensor({{{0, 0, 1, 2, 0, 3}}}, "float64"):requires_grad()
  m1d.lp_pool1d(x, 2, 2, 2):sum():backward()
  local g = x.grad:totable()[1][1]
  T.ok(g[1] == 0 and g[2] == 0 and g[5] == 0 and math.abs(g[4] - 2 / math.sqrt(5)) < 1e-12,
       "lp_pool1d: zero gradient at an all-zero window", table.concat(g, ", "))
end
both("unfold1d k 3 stride 2 pad 1", function(x) return m1d.unfold1d(x, 3, 2, 1) end, {randn(2, 2, 7)})
both("unfold1d then square (fold in the second order)",
     function(x) return m1d.unfold1d(x, 2, 1, 0) ^ 2 end, {randn(1, 2, 5)})

-- ---------------------------------------------------------------- compositions

both("small MLP with cross-entropy", function(x, w1, b1, w2, b2, y)
  return m1d.cross_entropy(m1d.linear(m1d.linear(x, w1, b1):tanh(), w2, b2), y)
end, {randn(6, 5), randn(4, 5), randn(4), randn(5, 4), randn(5), labels})
-- the residual relu MLP of nn.models.mlp to third order in its weights (relu's create_graph
-- backward is the relu_backward op, which keeps relu's output, not its input or a mask);
-- inputs away from relu's kink
do
  local x0 = randn(5, 4)
  local function grad_of_loss(w1, w2, v)
    local function leaf(t) return t:is_requiring_grad() and t or t:detach():requires_grad() end
    return m1d.enable_grad(function()
      local a, b = leaf(w1), leaf(w2)
      local h = x0:matmul(a):relu()
      h = h + h:matmul(b):relu()
      local loss = m1d.cross_entropy(h:matmul(v), long({0, 2, 1, 1, 2}))
      local g = m1d.grad(loss, {a, b}, {create_graph = true})
      return m1d.cat({g[1]:reshape(-1), g[2]:reshape(-1)}, 1)
    end)
  end
  local function nokink(w1, w2)   -- pre-activations at least 0.05 from 0
    local z1 = x0:matmul(w1)
    local z2 = z1:relu():matmul(w2)
    return z1:abs():min():item() > 0.05 and z2:abs():min():item() > 0.05
  end
  local w1, w2
  repeat w1, w2 = randn(4, 6), randn(6, 6) until nokink(w1, w2)
  both("residual relu MLP: the gradient's second and third order", grad_of_loss, {w1, w2, randn(6, 3)})
  -- the same derivatives with relu written as x * mask (the mask a constant), orders 1-3
  local function derivs(relu)
    local a, b = w1:clone():requires_grad(), w2:clone():requires_grad()
    local v = randn(6, 3)
    m1d.manual_seed(4)
    local u1, u2 = m1d.randn({4, 6}, F), m1d.randn({6, 6}, F)
    local h = relu(x0:matmul(a))
    h = h + relu(h:matmul(b))
    local loss = m1d.cross_entropy(h:matmul(v), long({0, 2, 1, 1, 2}))
    local g = m1d.grad(loss, {a, b}, {create_graph = true})
    local s = (g[1] * u1):sum() + (g[2] * u2):sum()
    local h2 = m1d.grad(s, {a, b}, {create_graph = true})
    local t = (h2[1] * u1):sum() + (h2[2] * u2):sum()
    local h3 = m1d.grad(t, {a, b})
    return {g[1], g[2], h2[1], h2[2], h3[1], h3[2]}
  end
  m1d.manual_seed(21)
  local fused = derivs(function(z) return z:relu() end)
  do
    local z = w1:clone():requires_grad()
    T.is(m1d.grad((z:relu() ^ 2):sum(), {z}, {create_graph = true})[1]:grad_fn(), "relu_backward",
         "relu's gradient with create_graph is one relu_backward node")
  end
  m1d.manual_seed(21)
  local composed = derivs(function(z) return z * z:gt(0) end)
  local worst = 0
  for i = 1, 6 do
    worst = math.max(worst, (fused[i]:detach() - composed[i]:detach()):abs():max():item()
                              / (1 + composed[i]:abs():max():item()))
  end
  T.ok(worst < 1e-13, ("residual relu MLP: relu and x * (x > 0) agree to third order (%.2g)"):format(worst))
end
-- tanh and sigmoid: their create_graph backward is one tanh_backward / sigmoid_backward op
-- (kept: the output and the upstream gradient); to third order, and against the same
-- functions written with exp at orders 1-3
for _, act in ipairs({"tanh", "sigmoid"}) do
  local x0 = randn(5, 4)
  local function leaf(t) return t:is_requiring_grad() and t or t:detach():requires_grad() end
  both(act .. " MLP: the gradient's second and third order", function(w1, v)
    return m1d.enable_grad(function()
      local a = leaf(w1)
      local loss = m1d.cross_entropy(x0:matmul(a)[act](x0:matmul(a)):matmul(v), long({0, 2, 1, 1, 2}))
      return m1d.grad(loss, {a}, {create_graph = true})[1]
    end)
  end, {randn(4, 6), randn(6, 3)})
  local composed = act == "tanh" and function(z) return 1 - 2 / ((z * 2):exp() + 1) end
                                  or function(z) return 1 / ((-z):exp() + 1) end
  local function derivs(f)
    m1d.manual_seed(31)
    local w1, v, u = m1d.randn({4, 6}, F), m1d.randn({6, 3}, F), m1d.randn({4, 6}, F)
    local x = w1:clone():requires_grad()
    local h = f(x0:matmul(x))
    local g = m1d.grad(m1d.cross_entropy((h * h):matmul(v), long({0, 2, 1, 1, 2})), {x}, {create_graph = true})[1]
    local h2 = m1d.grad((g * u):sum(), {x}, {create_graph = true})[1]
    local h3 = m1d.grad((h2 * u):sum(), {x})[1]
    return {g, h2, h3}
  end
  local a, b = derivs(function(z) return z[act](z) end), derivs(composed)
  local worst = 0
  for i = 1, 3 do
    worst = math.max(worst, (a[i]:detach() - b[i]:detach()):abs():max():item() / (1 + b[i]:abs():max():item()))
  end
  T.ok(worst < 1e-12, ("%s: derivatives to third order agree with the exp-composed function (%.2g)"):format(act, worst))
  local z = randn(3, 4):requires_grad()
  T.is(m1d.grad((z[act](z) ^ 2):sum(), {z}, {create_graph = true})[1]:grad_fn(), act .. "_backward",
       act .. "'s gradient with create_graph is one " .. act .. "_backward node")
end

both("conv -> pool -> flatten -> linear", function(x, w, v)
  local h = m1d.conv1d(x, w, nil, 1, 1):tanh()
  return m1d.linear(m1d.avg_pool1d(h, 2):flatten(2), v)
end, {randn(2, 1, 8), randn(2, 1, 3), randn(3, 8)})

-- ---------------------------------------------------------------- shape errors name both shapes

local function shape_error(name, fn, s1, s2)
  T.raises(fn, name .. ": error names both shapes", s1, s2)
end
local x34, x24 = randn(3, 4), randn(2, 4)
shape_error("add", function() return x34 + x24 end, "[3,4]", "[2,4]")
shape_error("sub", function() return x34:sub(randn(3)) end, "[3,4]", "[3]")
shape_error("mul", function() return x34 * x24 end, "[3,4]", "[2,4]")
shape_error("div", function() return x34 / randn(2, 1, 5) end, "[3,4]", "[2,1,5]")
shape_error("pow", function() return x34 ^ x24 end, "[3,4]", "[2,4]")
shape_error("maximum", function() return m1d.maximum(x34, x24) end, "[3,4]", "[2,4]")
shape_error("matmul", function() return x34:matmul(randn(3, 4)) end, "[3,4]", "[3,4]")
shape_error("matmul batched", function() return randn(2, 3, 4):matmul(randn(3, 4, 5)) end,
            "[2,3,4]", "[3,4,5]")
shape_error("linear", function() return m1d.linear(randn(4, 7), randn(5, 6)) end, "[4,7]", "[5,6]")
shape_error("linear bias", function() return m1d.linear(randn(4, 7), randn(5, 7), randn(4)) end,
            "[4]", "[5,7]")
shape_error("conv1d", function() return m1d.conv1d(randn(2, 3, 8), randn(4, 2, 3)) end,
            "[2,3,8]", "[4,2,3]")
shape_error("cat", function() return m1d.cat({randn(2, 3), randn(2, 4)}, 1) end, "[2,3]", "[2,4]")
shape_error("stack", function() return m1d.stack({randn(2, 3), randn(3, 2)}) end, "[2,3]", "[3,2]")
shape_error("mse", function() return m1d.mse(randn(4, 3), randn(3, 4)) end, "[4,3]", "[3,4]")
shape_error("cross_entropy", function() return m1d.cross_entropy(randn(4, 3), long({0, 1, 2})) end,
            "[4,3]", "[3]")
shape_error("nll", function() return m1d.nll(randn(4, 3), long({0, 1})) end, "[4,3]", "[2]")
shape_error("reshape", function() return x34:reshape(5, 2) end, "[3,4]", "[5,2]")
shape_error("expand", function() return x34:expand(3, 5) end, "[3,4]", "[3,5]")
shape_error("where", function() return m1d.where(mask, randn(3, 4), randn(2, 4)) end, "[3,4]", "[2,4]")
shape_error("gather", function() return x34:gather(2, long({1, 2})) end, "[2]", "[3,4]")
shape_error("scatter_add", function() return x34:scatter_add(2, long({{1, 2}}), randn(1, 3)) end,
            "[1,2]", "[1,3]")
shape_error("index_add", function() return randn(4, 2):index_add(1, long({1, 2}), randn(2, 3)) end,
            "[4,2]", "[2,3]")
-- the fused GRU op: fast first-order backward, op-composed higher orders
do
  local B, Tn, In, H = 3, 5, 2, 4
  local gx, gh0 = randn(B, Tn, In), randn(B, H)
  local wi, wh = randn(3 * H, In) * 0.5, randn(3 * H, H) * 0.5
  local bi, bh = randn(3 * H), randn(3 * H)
  for _, rev in ipairs{false, true} do
    both("gru" .. (rev and " reverse" or ""), function(a, b, c, d, e, f) return m1d.gru(a, b, c, d, e, f, rev) end,
         {gx, gh0, wi, wh, bi, bh})
  end
  both("gru without h0", function(a, c, d, e, f) return m1d.gru(a, nil, c, d, e, f) end, {gx, wi, wh, bi, bh})
  -- a batch of 9 (the fast path pads it to 16 lanes) and a strided [B, T, F] view
  both("gru batch 9, strided input, reverse",
       function(a, c, d, e, f) return m1d.gru(a:transpose(2, 3), nil, c, d, e, f, true) end,
       {randn(9, In, 3), wi, wh, bi, bh})
end
shape_error("gru", function() return m1d.gru(randn(2, 3, 4), nil, randn(6, 5), randn(6, 2), randn(6), randn(6)) end,
            "[2,3,4]", "[6,5]")

-- the fused pointwise MLP (the learned activation): g and its derivatives, fast
-- first-order backward, higher orders from the fused tanh sums (more in tanh_sums_test.lua)
do
  local w1, b1, w2 = randn(5, 1), randn(5) * 0.5, randn(1, 5)
  for nder = 0, 3 do
    both("pointwise_mlp nder=" .. nder, function(x, a, b, c) return m1d.pointwise_mlp(x, a, b, c, nder) end,
         {randn(3, 4), w1, b1, w2})
  end
  -- 600 elements: two full blocks of the kernel and a partial one
  local ok, msg = check.gradcheck(function(x, a, b, c) return m1d.pointwise_mlp(x, a, b, c, 1) end,
                                  {randn(2, 300), w1, b1, w2})
  T.ok(ok, "pointwise_mlp over several kernel blocks: gradient", msg)
  -- equal to the same function composed of ops, with its derivative from autograd
  local x = randn(4, 7):requires_grad()
  local out = m1d.pointwise_mlp(x, w1, b1, w2, 1)
  local g = m1d.linear(m1d.linear(x:reshape(-1, 1), w1, b1):tanh(), w2):reshape(4, 7)
  local gd = m1d.grad(g:sum(), {x})[1]
  T.close((out:select(1, 1) - g):abs():max():item(), 0, 1e-14, "pointwise_mlp: row 1 is g(x)")
  T.close((out:select(1, 2) - gd):abs():max():item(), 0, 1e-14, "pointwise_mlp: row 2 is g'(x)")
end
-- float32: tanh to an absolute error of 2e-7 (its documented bound), derivative 1 - t^2 to 4e-7
do
  local xt, one = m1d.linspace(-20, 20, 400001, "float64"), m1d.ones({1, 1})
  local o, t = m1d.pointwise_mlp(xt:float(), one, m1d.zeros(1), one, 1):double(), xt:tanh()
  local e0, e1 = (o:select(1, 1) - t):abs():max():item(), (o:select(1, 2) - (1 - t * t)):abs():max():item()
  T.ok(e0 < 2e-7 and e1 < 4e-7, ("pointwise_mlp float32: tanh within %.3g, 1 - tanh^2 within %.3g"):format(e0, e1))
  local ends = m1d.pointwise_mlp(m1d.tensor({math.huge, -math.huge, 0 / 0}), one, m1d.zeros(1), one, 0):totable()[1]
  T.ok(ends[1] == 1 and ends[2] == -1 and ends[3] ~= ends[3], "pointwise_mlp float32: tanh of +-inf and NaN")
end
shape_error("pointwise_mlp", function() return m1d.pointwise_mlp(randn(3), randn(5, 1), randn(4), randn(1, 5)) end,
            "[5,1]", "[4]")
T.raises(function() return m1d.pointwise_mlp(randn(3), randn(5, 1), randn(5), randn(1, 5), 4) end,
         "pointwise_mlp: at most three derivatives", "derivatives must be 0 to 3")

shape_error("grad_outputs", function()
  local a = randn(3, 4):requires_grad()
  return m1d.grad(a * 2, a, {grad_outputs = {randn(4, 3)}})
end, "[4,3]", "[3,4]")

-- ---------------------------------------------------------------- fused ops in float32

-- cross_entropy, conv1d and gru run their first-order backward as fused loops (float32 in
-- float32 arithmetic), and under create_graph a rule that records (op-composed; for conv1d
-- the fused conv_transpose1d and conv1d_weight_grad ops): both must give the float64
-- gradient to float32 accuracy, and the fused float64 one the recorded one's.
do
  local function grads (fn, inputs, dtype, create_graph)
    local ins = {}
    for i, t in ipairs(inputs) do
      ins[i] = t:dtype() == "int64" and t or (dtype == "float32" and t:float() or t:double()):requires_grad()
    end
    local out = fn(table.unpack(ins))
    m1d.manual_seed(11)                          -- the same upstream gradient in every dtype
    local up = m1d.randn(out:size())
    up = dtype == "float32" and up:float() or up:double()
    local gs = m1d.grad((out * up):sum(), (function()
      local r = {}
      for _, t in ipairs(ins) do if t:dtype() ~= "int64" then r[#r + 1] = t end end
      return r
    end)(), {create_graph = create_graph})
    return gs
  end
  local function rel (a, b) return (a:double() - b):abs():max():item() / (1 + b:abs():max():item()) end
  m1d.manual_seed(3)
  local fused = {
    {"cross_entropy", function(x, y) return m1d.cross_entropy(x, y) end,
     {m1d.randn(50, 10) * 3, m1d.randint(0, 10, {50})}},
    {"conv1d stride 2 pad 1", function(x, w, b) return m1d.conv1d(x, w, b, 2, 1) end,
     {m1d.randn(8, 3, 19), m1d.randn(5, 3, 3), m1d.randn(5)}},
    {"conv1d stride 3 pad 2 k 5", function(x, w) return m1d.conv1d(x, w, nil, 3, 2):tanh() end,
     {m1d.randn(4, 2, 13), m1d.randn(3, 2, 5)}},
    {"gru over 12 steps, reverse", function(x, h, wi, wh, bi, bh) return m1d.gru(x, h, wi, wh, bi, bh, true):tanh() end,
     {m1d.randn(9, 12, 2), m1d.randn(9, 4), m1d.randn(12, 2), m1d.randn(12, 4) * 0.5, m1d.randn(12), m1d.randn(12)}},
  }
  for _, c in ipairs(fused) do
    local g64, g32 = grads(c[2], c[3], "float64"), grads(c[2], c[3], "float32")
    local g64c = grads(c[2], c[3], "float64", true)
    local worst32, worstc = 0, 0
    for i = 1, #g64 do
      worst32 = math.max(worst32, rel(g32[i], g64[i]))
      worstc = math.max(worstc, rel(g64c[i], g64[i]))
    end
    T.ok(worst32 < 1e-5, ("%s: float32 gradient (fused) within %.2g of float64"):format(c[1], worst32))
    T.ok(worstc < 1e-13 and g64c[1]:grad_fn() ~= nil and g64[1]:grad_fn() == nil,
         ("%s: float64 gradient fused and composed (a graph of its own) agree (%.2g)"):format(c[1], worstc))
  end
end

-- grad_outputs of another dtype are cast to the output's by the engine (the fused float32
-- rules read their upstream gradient as raw float32: a float64 one was read as garbage)
do
  m1d.manual_seed(12)
  local x0, w = m1d.randn(2, 3, 9), m1d.randn(4, 3, 3)
  local xs, wi, wh, bi, bh = m1d.randn(3, 5, 1), m1d.randn(12, 1), m1d.randn(12, 4), m1d.randn(12), m1d.randn(12)
  local cases = {
    {"conv1d", function(x) return m1d.conv1d(x, w, nil, 2, 1) end, x0},
    {"gru", function(x) return m1d.gru(x, nil, wi, wh, bi, bh, false) end, xs},
    {"cross_entropy_backward", function(x)
      return m1d.cross_entropy_backward(x, m1d.tensor({0, 1, 2, 1}, "int64"), m1d.tensor(1.5, "float32"))
    end, m1d.randn(4, 3)},
  }
  for _, c in ipairs(cases) do
    local G = m1d.randn(c[2](c[3]):size())
    local function run(Gin)
      local x = c[3]:clone():requires_grad()
      return m1d.grad(c[2](x), {x}, {grad_outputs = {Gin}})[1]
    end
    local a, b = run(G), run(G:double())
    T.ok(b:dtype() == "float32" and (a - b):abs():max():item() == 0,
         c[1] .. ": a float64 grad_output of a float32 output gives the float32 one's gradient")
  end
end

-- conv1d with a frozen weight (the node then keeps no columns): the same input gradient
do
  m1d.manual_seed(9)
  local x0, w0, b0 = randn(3, 2, 9), randn(4, 2, 3), randn(4)
  local function gx(w_grad)
    local x, w = x0:clone():requires_grad(), w0:clone()
    if w_grad then w:requires_grad() end
    return m1d.grad((m1d.conv1d(x, w, b0, 2, 1) ^ 2):sum(), {x})[1]
  end
  T.is((gx(false) - gx(true)):abs():max():item(), 0, "conv1d: input gradient with the weight frozen or not")
end

-- relu, tanh and sigmoid: the fused first-order backward gives the rules' bits exactly
do
  m1d.manual_seed(5)
  for _, dtype in ipairs({"float32", "float64"}) do
    for _, op in ipairs({"relu", "tanh", "sigmoid"}) do
      local x0 = m1d.randn(7, 13) * 3
      x0 = dtype == "float32" and x0:float() or x0:double()
      local up = m1d.randn(7, 13)
      up = dtype == "float32" and up:float() or up:double()
      local function grad_of(create_graph)
        local x = x0:clone():requires_grad()
        return m1d.grad((x[op](x) * up):sum(), {x}, {create_graph = create_graph})[1]
      end
      local fused, composed = grad_of(false), grad_of(true)
      T.is((fused - composed:detach()):abs():max():item(), 0,
           ("%s %s: the fused backward equals the rule's bit for bit"):format(dtype, op))
    end
  end
end

T.done()
